"""The worklist round trip: XlsxWriter writes exceptions.xlsx, a user edits it with openpyxl
(as Excel would save it), ``exceptions import`` takes statuses, assignees and notes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from crossfoot.diagnostic.findings import EXCEPTION_COLUMNS
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.history.excel import ImportRejected, import_workbook
from crossfoot.history.lifecycle import audit_trail, change, states_of

from .runs_fixture import exc, kept, result

HOSTILE = "=HYPERLINK(\"http://x\")"
A = exc("X-a", "missing_in_erp", "-1000.00", customer=HOSTILE)
B = exc("X-b", "amount_mismatch", "-12.50", customer="Zürich, \"West\" GmbH")
C = exc("X-c", "amount_mismatch", "30.00")
COLS = (*EXCEPTION_COLUMNS, "owner", "status", "assignee", "notes")


def col(name: str) -> int:
    return COLS.index(name) + 1


def row_of(sheet: Any, eid: str) -> int:
    for r in range(2, sheet.max_row + 1):
        if sheet.cell(r, 1).value == eid:
            return r
    raise KeyError(eid)


def edit(path: Path, edits: list[tuple[str, str, str, object]], user: str = "Dana (Finance)") -> Path:
    """Set (sheet, exception id, column) cells like a user in Excel, then save."""
    wb = openpyxl.load_workbook(path)
    for sheet, eid, column, value in edits:
        ws = wb[sheet]
        ws.cell(row_of(ws, eid), col(column)).value = value
    wb.properties.lastModifiedBy = user
    edited = path.with_name("edited.xlsx")
    wb.save(edited)
    return edited


@pytest.fixture
def workbook(store: DuckDBBackend, tmp_path: Path) -> Path:
    kept(store, result(1, [A, B, C]), tmp_path / "out")
    return tmp_path / "out" / "exceptions.xlsx"


def test_statuses_assignees_and_notes_come_back(store: DuckDBBackend, workbook: Path, tmp_path: Path) -> None:
    edited = edit(workbook, [
        ("All exceptions", "X-a", "status", "acknowledged"),
        ("All exceptions", "X-a", "assignee", "sam@example.com"),
        ("All exceptions", "X-a", "notes", "-1000 is the order; see =SUM(A1)"),
        ("amount_mismatch", "X-b", "status", "resolved"),
        ("amount_mismatch", "X-b", "notes", "credit memo CM-7 synced\nsecond line"),
    ])  # fmt: skip
    report = import_workbook(store, edited)
    assert report.rows_read == 3 + 1 + 2  # All exceptions + missing_in_erp + amount_mismatch
    s = states_of(store, ["X-a", "X-b", "X-c"])
    assert (s["X-a"]["status"], s["X-a"]["assignee"]) == ("acknowledged", "sam@example.com")
    assert s["X-a"]["notes"] == "-1000 is the order; see =SUM(A1)"
    assert (s["X-b"]["status"], s["X-b"]["notes"]) == ("resolved", "credit memo CM-7 synced\nsecond line")
    assert s["X-c"]["status"] == "open"
    excel = [a for a in audit_trail(store) if a["interface"] == "excel"]
    assert {(a["exception_id"], a["field"]) for a in excel} == {
        ("X-a", "status"), ("X-a", "assignee"), ("X-a", "notes"), ("X-b", "status"), ("X-b", "notes")
    }
    assert {a["actor"] for a in excel} == {"Dana (Finance)"}
    assert {a["comment"] for a in excel} == {"import edited.xlsx"}

    # importing the same file again changes nothing
    assert import_workbook(store, edited).changes == ()

    # the next run's worklist shows them, formula-safe, and imports back unchanged
    kept(store, result(2, [A, B, C]), tmp_path / "out2")
    wb = openpyxl.load_workbook(tmp_path / "out2" / "exceptions.xlsx")
    ws = wb["All exceptions"]
    r = row_of(ws, "X-a")
    assert ws.cell(r, col("status")).value == "acknowledged"
    assert ws.cell(r, col("notes")).value == "'-1000 is the order; see =SUM(A1)"
    assert ws.cell(r, col("notes")).data_type == "s"
    assert ws.cell(row_of(ws, "X-b"), col("status")).value == "reopened"  # still found
    assert import_workbook(store, tmp_path / "out2" / "exceptions.xlsx").changes == ()


def test_an_edit_to_any_other_column_rejects_the_whole_file(store: DuckDBBackend, workbook: Path) -> None:
    edited = edit(workbook, [
        ("All exceptions", "X-a", "status", "acknowledged"),  # valid, but not applied
        ("All exceptions", "X-b", "impact", 0),
        ("amount_mismatch", "X-c", "customer", "Someone else"),
        ("All exceptions", "X-c", "owner", "me"),
    ])  # fmt: skip
    with pytest.raises(ImportRejected) as err:
        import_workbook(store, edited)
    found = {(r.file, r.sheet, r.cell) for r in err.value.rejections}
    ws = openpyxl.load_workbook(edited)
    rb, rc = row_of(ws["All exceptions"], "X-b"), row_of(ws["amount_mismatch"], "X-c")
    rc_all = row_of(ws["All exceptions"], "X-c")
    assert found == {
        ("edited.xlsx", "All exceptions", f"K{rb}"),
        ("edited.xlsx", "amount_mismatch", f"H{rc}"),
        ("edited.xlsx", "All exceptions", f"O{rc_all}"),
    }
    text = str(err.value)
    assert "impact is not editable" in text and "edited.xlsx [All exceptions] K" in text
    assert "nothing imported" in text
    assert states_of(store, ["X-a"])["X-a"]["status"] == "open"
    assert not [a for a in audit_trail(store) if a["interface"] == "excel"]


def test_bad_status_unknown_rows_and_conflicts_are_rejected(store: DuckDBBackend, workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb["All exceptions"]
    ws.cell(row_of(ws, "X-a"), col("status")).value = "done"
    ws.cell(row_of(ws, "X-b"), col("status")).value = "acknowledged"
    wb["amount_mismatch"].cell(row_of(wb["amount_mismatch"], "X-b"), col("status")).value = "resolved"
    new_row = ws.max_row + 1
    ws.cell(new_row, 1).value = "X-made-up"
    ws.cell(new_row, col("status")).value = "resolved"
    ws.cell(2, len(COLS) + 2).value = "a stray note"
    path = workbook.with_name("bad.xlsx")
    wb.save(path)
    with pytest.raises(ImportRejected) as err:
        import_workbook(store, path)
    reasons = [r.reason for r in err.value.rejections]
    assert any("status 'done'" in r for r in reasons)
    assert any("'X-made-up' is not an exception" in r for r in reasons)
    assert any("'acknowledged' here and 'resolved'" in r or "'resolved' here and 'acknowledged'" in r
               for r in reasons)  # fmt: skip
    assert any("outside the worklist's columns" in r for r in reasons)
    assert states_of(store, ["X-b"])["X-b"]["status"] == "open"


def test_a_field_changed_since_the_workbook_was_written_is_a_conflict(
    store: DuckDBBackend, workbook: Path
) -> None:
    change(store, ["X-a"], assignee="lee", actor="lee", interface="cli")
    edited = edit(workbook, [("All exceptions", "X-a", "assignee", "sam")])
    with pytest.raises(ImportRejected, match="assignee changed to 'lee' since this workbook"):
        import_workbook(store, edited)
    # the same value as the CLI set is no conflict
    assert import_workbook(store, edit(workbook, [("All exceptions", "X-a", "assignee", "lee")])).changes == ()


def test_a_workbook_crossfoot_did_not_write_is_refused(store: DuckDBBackend, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(list(COLS))
    path = tmp_path / "mine.xlsx"
    wb.save(path)
    with pytest.raises(ImportRejected, match="not a crossfoot worklist"):
        import_workbook(store, path)
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    with pytest.raises(Exception, match="not an Excel workbook"):
        import_workbook(store, tmp_path / "junk.xlsx")


def test_status_column_offers_the_lifecycle_statuses(workbook: Path) -> None:
    ws = openpyxl.load_workbook(workbook)["All exceptions"]
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert formulas == ['"open,acknowledged,resolved,reopened"']
