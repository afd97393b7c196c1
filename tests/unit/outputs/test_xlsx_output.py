"""exceptions.xlsx, read back with openpyxl: sheets, panes, numbers, no formulas."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from crossfoot.causes import BRIDGE_STEPS
from crossfoot.diagnostic.findings import EXCEPTION_COLUMNS, RunResult
from crossfoot.outputs.xlsx import MONEY_FORMAT, sheet_name

CAUSES_FOUND = [
    "missing_in_erp", "missing_in_crm", "duplicate_in_erp", "erp_adjustment_not_in_crm",
    "amount_mismatch", "sync_timing_gap", "fx_difference", "unmapped_product_rule",
]  # fmt: skip


@pytest.fixture(scope="module")
def workbook(written: dict[str, Path]) -> Any:
    return openpyxl.load_workbook(written["exceptions.xlsx"])


def header(sheet: Any) -> list[str]:
    return [c.value for c in sheet[1]]


def test_sheets(workbook: Any) -> None:
    assert workbook.sheetnames == ["Summary", "All exceptions", *CAUSES_FOUND]
    assert all(len(name) <= 31 for name in workbook.sheetnames)


def test_sheet_names_are_valid() -> None:
    assert sheet_name("a/b[c]:d*e?f\\g") == "a_b_c__d_e_f_g"
    assert len(sheet_name("x" * 40)) == 31


def test_exception_sheets_have_worklist_columns(workbook: Any) -> None:
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        assert header(sheet) == [*EXCEPTION_COLUMNS, "owner", "status", "assignee", "notes"]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is not None
        assert sheet.auto_filter.ref.startswith("A1:")
        assert sheet.column_dimensions["H"].width > 8  # customer column is sized


def test_cause_sheets_hold_only_their_cause(workbook: Any) -> None:
    for name in CAUSES_FOUND:
        causes = {row[1] for row in workbook[name].iter_rows(min_row=2, values_only=True)}
        assert causes == {name}
    assert workbook["All exceptions"].max_row == 1 + 11


def test_no_cell_is_a_formula(workbook: Any) -> None:
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_dangerous_text_is_literal_and_escaped(workbook: Any) -> None:
    values = [c.value for row in workbook["All exceptions"].iter_rows(min_row=2) for c in row]
    for text in ("'=cmd|' /C calc'!A0", "'+SUM(1)", "'@x", "'-0061x000006"):
        assert text in values


def test_money_is_numbers_equal_to_the_decimals(workbook: Any, result: RunResult) -> None:
    expected = {r["exception_id"]: r for r in result.exceptions.to_pylist()}
    sheet = workbook["All exceptions"]
    columns = header(sheet)
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(columns, row, strict=True))
        source = expected[cells["exception_id"].value]
        for column in ("amount_crm", "amount_erp", "impact"):
            cell = cells[column]
            if source[column] is None:
                assert cell.value is None
                continue
            assert cell.data_type == "n"
            assert cell.number_format == MONEY_FORMAT
            assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == source[column]


def test_summary_bridge_steps_by_period(workbook: Any, result: RunResult) -> None:
    sheet = workbook["Summary"]
    rows = list(sheet.iter_rows(values_only=True))
    header_row = next(i for i, r in enumerate(rows) if r[0] == "Bridge step")
    periods = list(rows[header_row][2:5])
    assert periods == ["2024-01", "2024-02", "2024-03"]
    amounts = {
        (periods[col], row[1]): row[2 + col]
        for row in rows[header_row + 1 : header_row + 1 + len(BRIDGE_STEPS)]
        for col in range(3)
    }
    for r in result.bridge.to_pylist():
        assert (
            Decimal(str(amounts[(r["period"], r["step"])])).quantize(Decimal("0.01"))
            == (r["amount"])
        )
    total = sheet.cell(row=header_row + 2, column=3)  # crm_bookings, 2024-01
    assert total.font.bold
    assert total.number_format == MONEY_FORMAT
    assert sheet.freeze_panes == "C6"


def test_summary_causes_ranked_by_money(workbook: Any) -> None:
    rows = list(workbook["Summary"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Cause") + 1
    codes = [r[1] for r in rows[start:] if r[1]]
    assert codes[:2] == ["missing_in_erp", "sync_timing_gap"]  # 13,000.00 then 6,000.00
    assert len(codes) == len(CAUSES_FOUND)


def test_large_worklists_keep_only_the_per_cause_sheets(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from crossfoot.outputs import xlsx
    from crossfoot.outputs.view import build_view

    monkeypatch.setattr(xlsx, "ALL_SHEET_MAX", 3)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.render_workbook(build_view(result))))
    assert book.sheetnames == ["Summary", *CAUSES_FOUND]
    assert "one sheet per cause" in str(book["Summary"]["A4"].value)
    rows = sum(book[name].max_row - 1 for name in CAUSES_FOUND)
    assert rows == result.exceptions.num_rows


def test_worklist_columns_are_shaded_for_editing(workbook: Any) -> None:
    from openpyxl.utils import get_column_letter

    sheet = workbook["All exceptions"]
    names = header(sheet)
    for name in ("status", "assignee", "notes"):
        letter = get_column_letter(names.index(name) + 1)
        assert sheet.column_dimensions[letter].fill.fgColor.rgb == "FFFFF8DC", name
    cause_letter = get_column_letter(names.index("cause") + 1)
    assert sheet.column_dimensions[cause_letter].fill.fgColor.rgb != "FFFFF8DC"


def test_a_cause_sheet_keeps_its_largest_exceptions(
    result: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above CAUSE_SHEET_MAX a cause sheet holds its largest |impact|; the summary says so."""
    import io

    from crossfoot.outputs import xlsx
    from crossfoot.outputs.view import build_view

    monkeypatch.setattr(xlsx, "CAUSE_SHEET_MAX", 1)
    view = build_view(result)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.render_workbook(view)))
    for total in view.causes:
        if total.exceptions:
            sheet = book[xlsx.sheet_name(total.cause.code)]
            assert sheet.max_row == 2  # the header and one exception
            impacts = [
                r["impact"] for r in view.exceptions.records() if r["cause"] == total.cause.code
            ]
            biggest = max(abs(i) for i in impacts if isinstance(i, Decimal))
            impact_col = [c.value for c in sheet[1]].index("impact")
            assert abs(Decimal(repr(sheet.cell(2, impact_col + 1).value))) == biggest
    assert any(c.exceptions > 1 for c in view.causes)  # else this test proves nothing
    assert "largest exceptions by |impact|" in str(book["Summary"]["A4"].value)
