"""``exceptions.xlsx``: the worklist finance and sales ops work through.

Sheets: ``Summary`` (the bridge per period and the causes by money), ``All
exceptions``, then one sheet per cause that has exceptions, named by its cause
code (every code fits Excel's 31 characters and matches the ``cause`` column).

Excel has no decimal type: money is converted from Decimal to a number at the
last moment, which is exact for cents up to 15 significant digits; the CSV
files are the exact record. Nothing user-supplied can become a formula: the
workbook is created with ``strings_to_formulas`` (and numbers, URLs) off, text
goes through ``write_string``, and text cells carry the same formula-safe
escape as the CSV (see ``safe.py``).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

from crossfoot.causes import CAUSE_BY_CODE
from crossfoot.diagnostic.findings import EXCEPTION_STATUSES, Worklist
from crossfoot.outputs.csv import as_text
from crossfoot.outputs.safe import MONEY_COLUMNS, escape_text, utc_iso
from crossfoot.outputs.view import Rows, RunView, step_label

MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"
WORKLIST_COLUMNS = ("owner", "status", "assignee", "notes")  # owner filled, the rest for people
STATUSES = list(EXCEPTION_STATUSES)
#: custom document property naming the run that wrote the workbook (``exceptions import``)
RUN_ID_PROPERTY = "crossfoot_run_id"
SHEET_NAME_MAX = 31
EXACT_RECORD_NOTE = "Excel holds amounts as binary numbers; the CSV files are the exact record."
WIDTH_MIN, WIDTH_MAX = 8, 60
#: above this many exceptions the combined sheet is left out: every row would be
#: written twice, and the per-cause sheets already hold them all
ALL_SHEET_MAX = 10_000
#: a cause sheet holds its largest exceptions by |impact|, at most this many: a
#: worklist is for people, and exceptions.csv holds every one (xlsxwriter writes
#: about 100,000 cells a second, so 200,000 exceptions would take half a minute)
CAUSE_SHEET_MAX = 2_000

Sheet = Any  # xlsxwriter ships no type information
Formats = dict[str, Any]


def render_workbook(view: RunView) -> bytes:
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    workbook = xlsxwriter.Workbook(buffer, options)
    # a fixed creation time keeps the file identical for identical runs
    workbook.set_properties(
        {
            "title": f"crossfoot exceptions: {view.result.company}",
            "created": _naive_utc(view.result.finished_at),
        }
    )
    worklist = view.result.worklist
    if worklist is not None:
        workbook.set_custom_property(RUN_ID_PROPERTY, worklist.run_id)
    formats: Formats = {
        "money": workbook.add_format({"num_format": MONEY_FORMAT}),
        "money_total": workbook.add_format({"num_format": MONEY_FORMAT, "bold": True}),
        "bold": workbook.add_format({"bold": True}),
        "header": workbook.add_format({"bold": True, "bg_color": "#DDE4EE", "bottom": 1}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "editable": workbook.add_format({"bg_color": "#FFF8DC"}),
    }
    _summary_sheet(workbook.add_worksheet("Summary"), view, formats)
    every = view.exceptions
    text = as_text(every)  # once: each sheet takes its rows of it
    if len(every) <= ALL_SHEET_MAX:
        _exception_sheet(workbook.add_worksheet("All exceptions"), every, text, formats, worklist)
    causes = every.table.column("cause")
    for total in view.causes:
        if total.exceptions:
            code = total.cause.code
            mask = pc.equal(causes, code)
            rows = Rows(every.columns, every.table.filter(mask).slice(0, CAUSE_SHEET_MAX))
            cells = text.filter(mask).slice(0, CAUSE_SHEET_MAX)
            _exception_sheet(
                workbook.add_worksheet(sheet_name(code)), rows, cells, formats, worklist
            )
    workbook.close()
    return buffer.getvalue()


def sheet_name(text: str) -> str:
    """A valid Excel sheet name: no ``[]:*?/\\``, at most 31 characters."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in text).strip("'")
    return cleaned[:SHEET_NAME_MAX] or "sheet"


def _summary_sheet(sheet: Sheet, view: RunView, f: Formats) -> None:
    run = view.result
    periods = [p.period for p in view.periods]
    span = f"{periods[0]} to {periods[-1]}" if periods else "no periods"
    sheet.write_string(0, 0, escape_text(f"crossfoot: {run.company}"), f["title"])
    sheet.write_string(1, 0, f"{span}, {run.currency}, run finished {utc_iso(run.finished_at)}")
    sheet.write_string(2, 0, EXACT_RECORD_NOTE)
    notes = []
    if len(view.exceptions) > ALL_SHEET_MAX:
        notes.append(f"More than {ALL_SHEET_MAX:,} exceptions: one sheet per cause.")
    if any(c.exceptions > CAUSE_SHEET_MAX for c in view.causes):
        notes.append(
            f"A cause sheet shows its {CAUSE_SHEET_MAX:,} largest exceptions by |impact|; "
            f"exceptions.csv holds all {len(view.exceptions):,}."
        )
    if notes:
        sheet.write_string(3, 0, " ".join(notes))

    top = 4
    sheet.write_string(top, 0, "Bridge step", f["header"])
    sheet.write_string(top, 1, "step", f["header"])
    for col, period in enumerate(periods, start=2):
        sheet.write_string(top, col, escape_text(period), f["header"])
    steps = view.step_kinds
    step_row = {name: top + 1 + i for i, (name, _) in enumerate(steps)}
    for name, kind in steps:
        bold = kind == "total"
        sheet.write_string(step_row[name], 0, step_label(name), f["bold"] if bold else None)
        sheet.write_string(step_row[name], 1, escape_text(name))
    for col, bridge in enumerate(view.periods, start=2):
        for s in bridge.steps:
            fmt = f["money_total"] if s.kind == "total" else f["money"]
            sheet.write_number(step_row[s.step], col, _number(s.amount), fmt)

    top = top + len(steps) + 2
    header = (
        *("Cause", "cause", "Exceptions", "Impact (ERP - CRM)", "Sum of |effects|"),
        *("Owner", "Suggested fix"),
    )
    for col, text in enumerate(header):
        sheet.write_string(top, col, text, f["header"])
    for row, total in enumerate(view.ranked_causes, start=top + 1):
        sheet.write_string(row, 0, total.cause.title)
        sheet.write_string(row, 1, escape_text(total.cause.code))
        sheet.write_number(row, 2, total.exceptions)
        sheet.write_number(row, 3, _number(total.impact), f["money"])
        sheet.write_number(row, 4, _number(total.abs_effects), f["money"])
        sheet.write_string(row, 5, total.cause.owner)
        sheet.write_string(row, 6, total.cause.suggested_fix)
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, max(2 + len(periods) - 1, 6), 18)
    sheet.freeze_panes(5, 2)


def _exception_sheet(
    sheet: Sheet, table: Rows, text: pa.Table, f: Formats, worklist: Worklist | None
) -> None:
    """One row per exception, written a column at a time (the workbook's hot loop).

    Numbers come from the Arrow column as doubles; every other cell is the CSV's
    text of the same value (``text``, from ``csv.as_text``): ISO dates, formula-safe text.
    """
    columns = (*table.columns, *WORKLIST_COLUMNS)
    widths = [len(c) + 2 for c in columns]
    for col, name in enumerate(columns):
        sheet.write_string(0, col, name, f["header"])
    for col, name in enumerate(table.columns):
        arrow = table.table.column(name)
        if (
            pa.types.is_decimal(arrow.type)
            or pa.types.is_integer(arrow.type)
            or pa.types.is_floating(arrow.type)
        ):
            fmt = f["money"] if name in MONEY_COLUMNS else None
            write = sheet.write_number
            values = _doubles(arrow).to_pylist()
            shown = text.column(name).to_pylist()
            extra = 2 if name in MONEY_COLUMNS else 0  # thousands separators
            widths[col] = max([widths[col], *(len(t) + extra for t in shown if t is not None)])
        else:
            fmt, write = None, sheet.write_string
            values = text.column(name).to_pylist()
            widths[col] = max([widths[col], *(len(t) for t in values if t is not None)])
        for r, value in enumerate(values, start=1):
            if value is not None:  # an empty cell: nothing to write
                write(r, col, value, fmt)
    owner_col = len(table.columns)
    for r, code in enumerate(table.table.column("cause").to_pylist(), start=1):
        cause = CAUSE_BY_CODE.get(str(code))
        sheet.write_string(r, owner_col, cause.owner if cause else "")
    if worklist is not None:  # where people left it: status, assignee, notes
        ids = table.table.column(table.columns[0]).to_pylist()
        for r, exception_id in enumerate(ids, start=1):
            entry = worklist.entries.get(str(exception_id))
            if entry is None:
                continue
            for col, value in enumerate((entry.status, entry.assignee, entry.notes), owner_col + 1):
                if value:
                    sheet.write_string(r, col, escape_text(value), f["editable"])
    # a column format shades the editable columns without a call per cell
    editable = range(len(table.columns) + 1, len(columns))
    for col, width in enumerate(widths):
        fmt = f["editable"] if col in editable else None
        sheet.set_column(col, col, min(max(width, WIDTH_MIN), WIDTH_MAX), fmt)
    last_row = max(len(table), 1)
    status_col = columns.index("status")
    sheet.data_validation(
        1, status_col, last_row, status_col, {"validate": "list", "source": STATUSES}
    )
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(table), len(columns) - 1)


def _doubles(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Numbers as the doubles Excel stores; for money, each the double nearest its Decimal.

    Arrow's own decimal-to-double cast is not correctly rounded (1 in 8 amounts
    came out an ulp off, which the worklist import would read as an edit):
    exact integer cents divided by 100 in IEEE arithmetic is.
    """
    if not pa.types.is_decimal(column.type):
        return column.cast(pa.float64())
    unit = 10**column.type.scale
    whole = pc.cast(pc.multiply(column, pa.scalar(unit)), pa.int64())  # exact below 2**53
    return pc.divide(pc.cast(whole, pa.float64()), float(unit))


def _number(value: int | float | Decimal) -> float:
    """The one place money leaves Decimal: Excel stores IEEE doubles."""
    return float(value)


def _naive_utc(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(tzinfo=None)
