"""The CSV files: SPEC §8 headers, exact Decimals, safe text, deterministic order."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.causes import CAUSE_CODES, STEP_ORDER
from crossfoot.diagnostic.findings import (
    BRIDGE_COLUMNS,
    EXCEPTION_COLUMNS,
    MATCH_COLUMNS,
    REJECT_COLUMNS,
    RunResult,
)

MONEY = {"amount", "amount_crm", "amount_erp", "impact"}


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("exceptions.csv", EXCEPTION_COLUMNS),
        ("bridge.csv", BRIDGE_COLUMNS),
        ("matches.csv", MATCH_COLUMNS),
        ("rejects.csv", REJECT_COLUMNS),
        ("bridge_by_product_line.csv", ("product_line", *BRIDGE_COLUMNS)),
    ],
)
def test_header_is_the_spec_contract(
    written: dict[str, Path], name: str, columns: tuple[str, ...]
) -> None:
    first_line = written[name].read_bytes().split(b"\n", 1)[0]
    assert first_line.decode("utf-8") == ",".join(columns)


@pytest.mark.parametrize("name", ["exceptions.csv", "bridge.csv", "matches.csv", "rejects.csv"])
def test_utf8_with_unix_line_endings(written: dict[str, Path], name: str) -> None:
    raw = written[name].read_bytes()
    assert b"\r\n" not in raw
    assert raw.endswith(b"\n")
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    raw.decode("utf-8")


def test_exception_money_round_trips_to_the_same_decimals(
    written: dict[str, Path], result: RunResult
) -> None:
    expected = {r["exception_id"]: r for r in result.exceptions.to_pylist()}
    rows = read(written["exceptions.csv"])
    assert len(rows) == len(expected)
    for row in rows:
        source = expected[row["exception_id"]]
        for column in ("amount_crm", "amount_erp", "impact"):
            written_value = Decimal(row[column]) if row[column] else None
            assert written_value == source[column]
            if row[column]:
                assert row[column] == f"{source[column]:.2f}"  # exactly two decimals


def test_bridge_round_trips_and_foots(written: dict[str, Path], result: RunResult) -> None:
    rows = read(written["bridge.csv"])
    source = {(r["period"], r["step"]): r["amount"] for r in result.bridge.to_pylist()}
    assert {(r["period"], r["step"]): Decimal(r["amount"]) for r in rows} == source
    for period in {r["period"] for r in rows}:
        steps = [r for r in rows if r["period"] == period]
        movement = sum(Decimal(r["amount"]) for r in steps if r["kind"] != "total")
        crm = next(Decimal(r["amount"]) for r in steps if r["step"] == "crm_bookings")
        erp = next(Decimal(r["amount"]) for r in steps if r["step"] == "erp_revenue")
        assert crm + movement == erp


def test_money_cells_are_not_escaped(written: dict[str, Path]) -> None:
    for name in ("exceptions.csv", "bridge.csv"):
        for row in read(written[name]):
            for column in MONEY & row.keys():
                assert not row[column].startswith("'"), (name, column, row[column])
    negative = [r for r in read(written["bridge.csv"]) if r["amount"].startswith("-")]
    assert negative  # negative money stays a number


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("customer", "'=cmd|' /C calc'!A0"),
        ("explanation", "'+SUM(1)"),
        ("customer", "'@x"),
        ("explanation", "'\tNew product line 'Services'"),
        ("crm_record_id", "'-0061x000006"),
    ],
)
def test_formula_injection_is_escaped(written: dict[str, Path], column: str, expected: str) -> None:
    assert expected in [r[column] for r in read(written["exceptions.csv"])]


def test_no_text_cell_starts_a_formula(written: dict[str, Path]) -> None:
    for name in ("exceptions.csv", "matches.csv", "rejects.csv", "bridge_by_product_line.csv"):
        for row in read(written[name]):
            for column, value in row.items():
                if column not in MONEY:
                    assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)


def test_rejects_and_product_lines_are_escaped(written: dict[str, Path]) -> None:
    assert "'=1+1" in [r["value"] for r in read(written["rejects.csv"])]
    lines = [r["product_line"] for r in read(written["bridge_by_product_line.csv"])]
    assert "'=Software" in lines


def test_unicode_and_quoted_text_survive(written: dict[str, Path]) -> None:
    customers = {r["customer"] for r in read(written["exceptions.csv"])}
    assert 'Acme, Inc. "West"' in customers
    assert "Zürich Straße GmbH 日本 Ünïcødé" in customers


def test_exceptions_sorted_by_cause_then_impact_then_id(written: dict[str, Path]) -> None:
    rows = read(written["exceptions.csv"])
    keys = [
        (CAUSE_CODES.index(r["cause"]), -abs(Decimal(r["impact"])), r["exception_id"]) for r in rows
    ]
    assert keys == sorted(keys)
    assert [r["exception_id"] for r in rows[:3]] == ["EX-001", "EX-002", "EX-011"]


def test_bridge_sorted_by_period_then_step_order(written: dict[str, Path]) -> None:
    rows = read(written["bridge.csv"])
    keys = [(r["period"], STEP_ORDER[r["step"]]) for r in rows]
    assert keys == sorted(keys)


def test_rejects_sorted_with_numeric_lines(written: dict[str, Path]) -> None:
    lines = [r["source_line"] for r in read(written["rejects.csv"])]
    assert lines == ["9", "214", "10"]  # netsuite 9 < 214 (numbers, not text), then salesforce


def test_scores_keep_their_decimals(written: dict[str, Path]) -> None:
    assert {r["score"] for r in read(written["matches.csv"])} == {"1.0000", "0.9250"}


def test_input_order_does_not_change_the_files(
    written: dict[str, Path], result_factory: Callable[..., RunResult], tmp_path: Path
) -> None:
    from crossfoot.outputs import write_outputs

    shuffled = write_outputs(result_factory(shuffle=True), tmp_path)
    for name in ("exceptions.csv", "bridge.csv", "summary.json", "report.html"):
        assert shuffled[name].read_bytes() == written[name].read_bytes(), name


@pytest.mark.parametrize("name", ["bridge.csv", "exceptions.csv"])
def test_golden(written: dict[str, Path], golden: Callable[[str, bytes], None], name: str) -> None:
    golden(name, written[name].read_bytes())


def test_output_connections_print_no_progress_bar() -> None:
    """DuckDB draws a progress bar on stdout for a statement over two seconds: over the
    command line's own bar, or into a log. The CSV files and the report turn it off."""
    import pyarrow as pa

    from crossfoot.outputs.csv import over_arrow

    with over_arrow("t", pa.table({"x": [1, 2]})) as con:
        assert con.execute("select current_setting('enable_progress_bar')").fetchone() == (False,)
        assert con.execute("select sum(x) from t").fetchone() == (3,)
