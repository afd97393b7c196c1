"""Write a run's output folder: one writer per file, all from one view of the run.

Every file is first written under a temporary name in the folder; only when all
of them succeeded are they renamed into place, so a rendering bug leaves no
half-written folder and a reader never sees a partial file. A file that cannot
be written raises ``OutputError`` naming its path. The large CSV files go from
Arrow to disk through DuckDB (``csv.py``); the others are rendered in memory.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from crossfoot.diagnostic.findings import RunResult
from crossfoot.errors import OutputError
from crossfoot.outputs import csv, html, json, markdown, xlsx
from crossfoot.outputs.pdf import PendingPdf, start_pdf
from crossfoot.outputs.view import RunView, build_view

#: writes one file of the view at the given path
Writer = Callable[[RunView, Path], None]


def _in_memory(render: Callable[[RunView], bytes]) -> Writer:
    def write(view: RunView, path: Path) -> None:
        path.write_bytes(render(view))

    return write


#: file name -> writer. summary.json is rendered last, because it records whether
#: the PDF could be printed. These are rendered in Python, in this order: report.html
#: first, so that the browser prints the PDF from it while the rest are written
IN_PYTHON: tuple[tuple[str, Writer], ...] = (
    ("report.html", _in_memory(html.render_report)),
    ("exceptions.xlsx", _in_memory(xlsx.render_workbook)),
    ("executive_summary.md", _in_memory(markdown.render_executive_summary)),
    ("roadmap.csv", csv.render_roadmap),
)
#: written by DuckDB straight from the view's Arrow tables, on a worker thread
#: meanwhile: DuckDB releases the GIL, so the large CSV files cost no time beside
#: the workbook, which is pure Python
BY_DUCKDB: tuple[tuple[str, Writer], ...] = (
    ("exceptions.csv", csv.table_writer(lambda v: v.exceptions)),
    ("bridge.csv", csv.table_writer(lambda v: v.bridge_rows)),
    ("bridge_by_product_line.csv", csv.table_writer(lambda v: v.bridge_by_product_line)),
    ("bridge_by_owner.csv", csv.table_writer(lambda v: v.bridge_by_owner)),
    ("bridge_by_customer.csv", csv.table_writer(lambda v: v.bridge_by_customer)),
    ("exception_effects.csv", csv.table_writer(lambda v: v.exception_effects)),
    ("matches.csv", csv.table_writer(lambda v: v.matches)),
    ("rejects.csv", csv.table_writer(lambda v: v.rejects)),
    ("milestones_pending.csv", csv.table_writer(lambda v: v.milestones_pending)),
)
RENDERERS = IN_PYTHON + BY_DUCKDB
#: every run writes these; ``report.pdf`` too when a Chromium is available (see pdf.py)
OUTPUT_FILES = ("summary.json", *(name for name, _ in RENDERERS))
PDF_FILE = "report.pdf"


def write_outputs(result: RunResult, out_dir: Path) -> dict[str, Path]:
    """Write every output of ``result`` into ``out_dir``; returns file name -> path."""
    view = build_view(result)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc}", location=str(out_dir)) from exc
    staged = {name: _temporary(out_dir / name) for name in (*OUTPUT_FILES, PDF_FILE)}
    printing: PendingPdf | None = None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crossfoot-csv")
    try:
        in_duckdb = pool.submit(_write_each, BY_DUCKDB, view, staged, out_dir)
        for name, write in IN_PYTHON:
            _write(write, view, staged[name], out_dir / name)
            if name == "report.html":
                printing = start_pdf(staged[name].read_bytes())
        in_duckdb.result()
        assert printing is not None  # report.html is among the renderers
        pdf = printing.outcome()
        extra = {"summary.json": json.render_summary(view, pdf.summary())}
        if pdf.pdf is not None:
            extra[PDF_FILE] = pdf.pdf
        for name, payload in extra.items():
            _write(_bytes_writer(payload), view, staged[name], out_dir / name)
        names = (*(name for name, _ in RENDERERS), *extra)
        written = {name: _publish(staged[name], out_dir / name) for name in names}
    except BaseException:
        if printing is not None:
            printing.cancel()
        pool.shutdown(wait=True, cancel_futures=True)  # no file is written after its cleanup
        for tmp in staged.values():
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        raise
    finally:
        pool.shutdown(wait=True)
    if pdf.pdf is None:  # a PDF left by an earlier run would not match this report
        with contextlib.suppress(OSError):
            (out_dir / PDF_FILE).unlink(missing_ok=True)
    return written


def _write_each(
    writers: tuple[tuple[str, Writer], ...], view: RunView, staged: dict[str, Path], out_dir: Path
) -> None:
    for name, write in writers:
        _write(write, view, staged[name], out_dir / name)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")  # same folder: rename is atomic


def _bytes_writer(payload: bytes) -> Writer:
    def write(_view: RunView, path: Path) -> None:
        path.write_bytes(payload)

    return write


def _write(write: Writer, view: RunView, tmp: Path, final: Path) -> None:
    try:
        write(view, tmp)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", location=str(final)) from exc


def _publish(tmp: Path, path: Path) -> Path:
    try:
        tmp.replace(path)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", location=str(path)) from exc
    return path
