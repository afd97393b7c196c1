"""``crossfoot exceptions import``: statuses, assignees and notes back from ``exceptions.xlsx``.

The workbook names the run that wrote it (custom property ``crossfoot_run_id``).
Every exception sheet is checked against that run: the header, the exception
ids and every cell outside ``status``, ``assignee`` and ``notes`` must be as
written. An edit anywhere else, an unknown status, an exception edited two
different ways on two sheets, or a field changed since the workbook was written
(by the CLI or a later run) is rejected with the file, sheet, cell and reason,
and then nothing is imported: an import applies all of its edits or none.
The ``Summary`` sheet is not read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossfoot.causes import CAUSE_BY_CODE
from crossfoot.diagnostic.findings import EXCEPTION_COLUMNS, EXCEPTION_STATUSES
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from crossfoot.history.lifecycle import Change, current_user, set_fields, states_of
from crossfoot.outputs.safe import FORMULA_TRIGGERS, MONEY_COLUMNS, format_cell
from crossfoot.outputs.xlsx import RUN_ID_PROPERTY, WORKLIST_COLUMNS
from crossfoot.store import rows

EDITABLE = ("status", "assignee", "notes")
SUMMARY_SHEET = "Summary"
COLUMNS = (*EXCEPTION_COLUMNS, *WORKLIST_COLUMNS)


@dataclass(frozen=True)
class Rejection:
    file: str
    sheet: str
    cell: str  # A1 reference, or "" for the whole file
    reason: str

    def __str__(self) -> str:
        where = f"{self.file} [{self.sheet}]" + (f" {self.cell}" if self.cell else "")
        return f"{where}: {self.reason}"


class ImportRejected(InputError):
    """The workbook holds edits that cannot be imported; nothing was imported."""

    def __init__(self, rejections: list[Rejection]) -> None:
        self.rejections = rejections
        shown = "\n  ".join(str(r) for r in rejections[:50])
        more = f"\n  ... and {len(rejections) - 50} more" if len(rejections) > 50 else ""
        super().__init__(
            f"{len(rejections)} edit(s) rejected, nothing imported "
            f"(only {', '.join(EDITABLE)} may change):\n  {shown}{more}"
        )


@dataclass(frozen=True)
class ImportReport:
    run_id: str
    rows_read: int
    changes: tuple[Change, ...]


def import_workbook(
    backend: DuckDBBackend, path: Path, *, actor: str | None = None
) -> ImportReport:
    """Apply the worklist edits of ``path``; ImportRejected (nothing applied) on any bad edit."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path)
    except Exception as exc:  # zip, XML or openpyxl errors: not a workbook we can read
        raise InputError(f"not an Excel workbook: {exc}", location=str(path)) from exc
    file = path.name
    props = {p.name: p.value for p in wb.custom_doc_props}
    rid = props.get(RUN_ID_PROPERTY)
    if not rid:
        raise ImportRejected(
            [Rejection(file, "", "", "not a crossfoot worklist (no run id): import the "
                       "exceptions.xlsx a run wrote")]
        )  # fmt: skip
    expected = {
        r["exception_id"]: r
        for r in rows(backend, "select * from run_exceptions where run_id = ?", [rid])
    }
    written = {
        r["exception_id"]: r
        for r in rows(backend, "select * from run_worklist where run_id = ?", [rid])
    }
    if not expected and not written:
        raise ImportRejected([Rejection(file, "", "", f"run {rid} is not in this store")])

    rejections: list[Rejection] = []
    proposed: dict[str, dict[str, tuple[str | None, str]]] = {}  # id -> field -> (value, cell)
    n = 0
    for sheet in wb.worksheets:
        if sheet.title == SUMMARY_SHEET:
            continue
        n += _read_sheet(sheet, file, expected, written, proposed, rejections)

    states = states_of(backend, list(proposed))
    edits: dict[str, dict[str, str | None]] = {}
    for eid, fields in proposed.items():
        for name, (value, cell) in fields.items():
            before = written.get(eid, {}).get(name)
            now = states.get(eid, {}).get(name)
            if now != before and now != value:
                rejections.append(
                    Rejection(file, cell.split("!")[0], cell.split("!")[1],
                              f"{name} changed to {now!r} since this workbook was written "
                              f"(it showed {before!r}); export a new worklist")
                )  # fmt: skip
                continue
            edits.setdefault(eid, {})[name] = value
    if rejections:
        raise ImportRejected(rejections)
    who = actor or str(wb.properties.lastModifiedBy or "") or current_user()
    changes = set_fields(backend, edits, actor=who, interface="excel", comment=f"import {file}")
    return ImportReport(rid, n, tuple(changes))


def _read_sheet(
    sheet: Any,
    file: str,
    expected: dict[str, dict[str, Any]],
    written: dict[str, dict[str, Any]],
    proposed: dict[str, dict[str, tuple[str | None, str]]],
    rejections: list[Rejection],
) -> int:
    def reject(row: int, col: int, reason: str) -> None:
        rejections.append(Rejection(file, sheet.title, _ref(row, col), reason))

    header = [c.value for c in sheet[1]]
    while header and header[-1] is None:
        header.pop()
    if tuple(header) != COLUMNS:
        for col, name in enumerate(COLUMNS, 1):
            got = header[col - 1] if col <= len(header) else None
            if got != name:
                reject(1, col, f"header is {got!r}, the worklist's is {name!r}")
                break
        else:
            reject(1, len(COLUMNS) + 1, "a column was added after the worklist's columns")
        return 0
    n = 0
    for r, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if all(v is None or v == "" for v in cells):
            continue
        n += 1
        for extra in range(len(COLUMNS), len(cells)):
            if cells[extra] not in (None, ""):
                reject(r, extra + 1, "a value outside the worklist's columns")
        eid = cells[0]
        if eid not in expected:
            reject(r, 1, f"{eid!r} is not an exception of the run that wrote this workbook")
            continue
        row = expected[eid]
        for col, name in enumerate(COLUMNS):
            got = cells[col] if col < len(cells) else None
            if name in EDITABLE:
                continue
            want = _written_cell(row, name)
            if not _same(got, want):
                reject(r, col + 1, f"{name} is not editable (written {want!r}, now {got!r})")
        for name in EDITABLE:
            col = COLUMNS.index(name)
            value = _text(cells[col] if col < len(cells) else None)
            if value == written.get(eid, {}).get(name):
                continue  # as written: no edit
            if name == "status" and value not in EXCEPTION_STATUSES:
                reject(r, col + 1, f"status {value!r}: one of {', '.join(EXCEPTION_STATUSES)}")
                continue
            ref = f"{sheet.title}!{_ref(r, col + 1)}"
            seen = proposed.setdefault(eid, {}).get(name)
            if seen is not None and seen[0] != value:
                reject(
                    r, col + 1, f"{name} of {eid} is {value!r} here and {seen[0]!r} at {seen[1]}"
                )
                continue
            proposed[eid][name] = (value, ref)
    return n


def _written_cell(row: dict[str, Any], column: str) -> Any:
    """What ``outputs/xlsx.py`` wrote for this cell (number, text or nothing)."""
    if column == "owner":
        cause = CAUSE_BY_CODE.get(str(row["cause"]))
        return cause.owner if cause else ""
    value = row.get(column)
    if value is None:
        return None
    if column in MONEY_COLUMNS or (
        isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    ):
        return Decimal(str(value))
    return format_cell(value, column)


def _same(got: Any, want: Any) -> bool:
    if want is None or want == "":
        return got is None or got == ""
    if isinstance(want, Decimal):
        # an xlsx number cell is a binary double: read it back through its shortest text
        # form (what was written, 1234.56) and compare exact decimals, never floats
        if not isinstance(got, int | float) or isinstance(got, bool):
            return False
        return Decimal(repr(got)) == want
    return isinstance(got, str) and got == want


def _text(value: Any) -> str | None:
    """A worklist cell as text; undoes the formula-safe apostrophe the workbook added."""
    if value is None:
        return None
    text = str(value).strip() if not isinstance(value, str) else value.strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        text = text[1:]
    return text or None


def _ref(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"
