"""The CSV files of a run: the exact record (UTF-8, ``\\n``, money with 2 decimals).

Columns are the SPEC §8 contracts, in order; rows are sorted by the view; text
cells are formula-safe (see ``safe.py``).
"""

from __future__ import annotations

import csv
import io

from crossfoot.outputs.safe import format_cell
from crossfoot.outputs.view import Rows, RunView


def render_rows(table: Rows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(format_cell(v, c) for v, c in zip(row, table.columns, strict=True))
    return buffer.getvalue().encode("utf-8")


def render_exceptions(view: RunView) -> bytes:
    return render_rows(view.exceptions)


def render_bridge(view: RunView) -> bytes:
    return render_rows(view.bridge_rows)


def render_bridge_by_product_line(view: RunView) -> bytes:
    return render_rows(view.bridge_by_product_line)


def render_matches(view: RunView) -> bytes:
    return render_rows(view.matches)


def render_rejects(view: RunView) -> bytes:
    return render_rows(view.rejects)


def render_milestones_pending(view: RunView) -> bytes:
    return render_rows(view.milestones_pending)
