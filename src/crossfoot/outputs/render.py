"""Write a run's output folder: one renderer per file, all from one view of the run.

Every file is rendered in memory first, so a rendering bug leaves no half-written
folder; then each is written to a temporary name and renamed into place, so a
reader never sees a partial file. A file that cannot be written raises
``OutputError`` naming its path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from crossfoot.diagnostic.findings import RunResult
from crossfoot.errors import OutputError
from crossfoot.outputs import csv, html, json, xlsx
from crossfoot.outputs.view import RunView, build_view

Renderer = Callable[[RunView], bytes]

#: file name -> renderer, in the order they are written (SPEC §8)
RENDERERS: tuple[tuple[str, Renderer], ...] = (
    ("summary.json", json.render_summary),
    ("exceptions.csv", csv.render_exceptions),
    ("bridge.csv", csv.render_bridge),
    ("bridge_by_product_line.csv", csv.render_bridge_by_product_line),
    ("matches.csv", csv.render_matches),
    ("rejects.csv", csv.render_rejects),
    ("milestones_pending.csv", csv.render_milestones_pending),
    ("exceptions.xlsx", xlsx.render_workbook),
    ("report.html", html.render_report),
)
OUTPUT_FILES = tuple(name for name, _ in RENDERERS)


def write_outputs(result: RunResult, out_dir: Path) -> dict[str, Path]:
    """Write every output of ``result`` into ``out_dir``; returns file name -> path."""
    view = build_view(result)
    payloads = {name: render(view) for name, render in RENDERERS}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc}", location=str(out_dir)) from exc
    return {name: _write_atomic(out_dir / name, payload) for name, payload in payloads.items()}


def _write_atomic(path: Path, payload: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # same folder: rename is atomic
    try:
        tmp.write_bytes(payload)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write: {exc.strerror or exc}", location=str(path)) from exc
    return path
