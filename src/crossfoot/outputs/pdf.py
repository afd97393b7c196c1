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
    if not pdf_enabled():
        return PdfOutcome(None, "skipped: CROSSFOOT_PDF is off")
    browser = find_browser()
    if browser is None:
        return PdfOutcome(
            None,
            "skipped: no Chromium found (install the Debian package `chromium`, or set "
            "CROSSFOOT_CHROMIUM to a Chromium or Chrome binary); report.html prints the same",
        )
    with tempfile.TemporaryDirectory(prefix="crossfoot-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
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
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start as root otherwise
        args.append(page.as_uri())
        try:
            # the browser is a path the operator chose (PATH or CROSSFOOT_CHROMIUM); no shell
            done = subprocess.run(args, capture_output=True, timeout=TIMEOUT_S, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            return PdfOutcome(None, f"failed: {browser}: {exc}")
        if not out.exists() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            return PdfOutcome(None, f"failed: {browser} exited {done.returncode}: {' '.join(tail)}")
        return PdfOutcome(out.read_bytes(), f"printed by {Path(browser).name}")
