"""``report.pdf``: the report printed by headless Chromium (``--print-to-pdf``).

Why Chromium and not a Python library: the report's print CSS (page breaks,
SVG charts, tables that fold) is exactly what a browser prints, so the PDF is
the page a reader would print themselves. The pure-Python options either do
not render inline SVG (xhtml2pdf) or need system libraries (WeasyPrint's
Pango) that a browser install brings anyway.

The browser is ``$CROSSFOOT_CHROMIUM`` or the first of ``chromium``,
``chromium-browser``, ``google-chrome`` on the PATH. Without one, or with
``CROSSFOOT_PDF=off``, no PDF is written and ``summary.json`` says why
(``report_pdf.note``); a run never fails for want of a PDF. The page has no
script and no external resource, so the browser runs with a throwaway
profile, no network use and, as root (containers), ``--no-sandbox``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120


@dataclass(frozen=True)
class PdfOutcome:
    pdf: bytes | None
    note: str

    def summary(self) -> dict[str, object]:
        return {"written": self.pdf is not None, "note": self.note}


def find_browser() -> str | None:
    configured = os.environ.get("CROSSFOOT_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def pdf_enabled() -> bool:
    return os.environ.get("CROSSFOOT_PDF", "on").strip().lower() not in ("0", "off", "no", "false")


def print_pdf(html: bytes) -> PdfOutcome:
    """Print ``html`` to PDF bytes, or say why there is no PDF."""
    return start_pdf(html).outcome()


def start_pdf(html: bytes) -> PendingPdf:
    """Start printing ``html`` in the background; ``outcome()`` waits for it.

    The browser takes seconds whatever the size of the run, so the other output
    files are written while it prints (``render.py``).
    """
    if not pdf_enabled():
        return PendingPdf(PdfOutcome(None, "skipped: CROSSFOOT_PDF is off"))
    browser = find_browser()
    if browser is None:
        return PendingPdf(
            PdfOutcome(
                None,
                "skipped: no Chromium found (install the Debian package `chromium`, or set "
                "CROSSFOOT_CHROMIUM to a Chromium or Chrome binary); report.html prints the same",
            )
        )
    tmp = tempfile.TemporaryDirectory(prefix="crossfoot-pdf-")
    page = Path(tmp.name) / "report.html"
    out = Path(tmp.name) / "report.pdf"
    page.write_bytes(html)
    args = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--no-pdf-header-footer",
        f"--user-data-dir={Path(tmp.name) / 'profile'}",
        f"--print-to-pdf={out}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root otherwise
    args.append(page.as_uri())
    try:
        # the browser is a path the operator chose (PATH or CROSSFOOT_CHROMIUM); no shell.
        # Its chatter goes to a file: a pipe nobody reads while it prints could fill up
        with (Path(tmp.name) / "stderr.txt").open("wb") as log:
            process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)  # noqa: S603
    except OSError as exc:
        tmp.cleanup()
        return PendingPdf(PdfOutcome(None, f"failed: {browser}: {exc}"))
    return PendingPdf(None, browser, process, tmp, out)


@dataclass
class PendingPdf:
    """A PDF being printed by a browser process (or the outcome already known)."""

    known: PdfOutcome | None
    browser: str = ""
    process: subprocess.Popen[bytes] | None = None
    tmp: tempfile.TemporaryDirectory[str] | None = None
    out: Path | None = None

    def outcome(self) -> PdfOutcome:
        if self.known is not None:
            return self.known
        assert self.process is not None and self.tmp is not None and self.out is not None
        try:
            self.process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            self.process.kill()
            self.process.wait()
            self.known = PdfOutcome(None, f"failed: {self.browser}: {exc}")
        else:
            self.known = self._read((Path(self.tmp.name) / "stderr.txt").read_bytes())
        self.tmp.cleanup()
        return self.known

    def cancel(self) -> None:
        """Stop the browser (the outputs failed): no process or temporary folder is left."""
        if self.known is None and self.process is not None and self.tmp is not None:
            self.process.kill()
            self.process.wait()
            self.tmp.cleanup()
            self.known = PdfOutcome(None, "cancelled")

    def _read(self, stderr: bytes) -> PdfOutcome:
        assert self.out is not None and self.process is not None
        if not self.out.exists() or self.out.stat().st_size == 0:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            code = self.process.returncode
            return PdfOutcome(None, f"failed: {self.browser} exited {code}: {' '.join(tail)}")
        return PdfOutcome(self.out.read_bytes(), f"printed by {Path(self.browser).name}")
