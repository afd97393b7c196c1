"""Cell formatting: formula-safe text, exact money, ISO dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crossfoot.outputs.safe import display_money, escape_text, format_cell, format_money, utc_iso


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+SUM(1)", "'+SUM(1)"),
        ("-2+3", "'-2+3"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme = good", "Acme = good"),
        ("", ""),
        ("'quoted", "'quoted"),
    ],
)
def test_escape_text(text: str, expected: str) -> None:
    assert escape_text(text) == expected


@pytest.mark.parametrize(
    ("amount", "exact", "shown"),
    [
        (Decimal("-1234.5"), "-1234.50", "-1,234.50"),
        (Decimal("1234567.89"), "1234567.89", "1,234,567.89"),
        (Decimal("0"), "0.00", "0.00"),
        (Decimal("-0.00"), "0.00", "0.00"),
        (Decimal("0.01"), "0.01", "0.01"),
        (Decimal("9999999999999999.99"), "9999999999999999.99", "9,999,999,999,999,999.99"),
    ],
)
def test_money(amount: Decimal, exact: str, shown: str) -> None:
    assert format_money(amount) == exact
    assert display_money(amount) == shown


def test_fractions_of_a_cent_are_refused() -> None:
    with pytest.raises(ValueError, match="not whole cents"):
        format_money(Decimal("1.005"))


def test_money_columns_are_never_escaped_and_never_floats() -> None:
    assert format_cell(Decimal("-5.00"), "impact") == "-5.00"
    assert format_cell(None, "amount_erp") == ""
    with pytest.raises(TypeError, match="not Decimal"):
        format_cell(1.5, "amount")


def test_other_cells() -> None:
    assert format_cell("-5", "customer") == "'-5"
    assert format_cell(214, "source_line") == "214"
    assert format_cell(True, "flag") == "true"
    assert format_cell(date(2024, 2, 29), "close_date") == "2024-02-29"
    assert format_cell(Decimal("0.9250"), "score") == "0.9250"


def test_utc_iso() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert utc_iso(datetime(2024, 4, 2, 8, 30, tzinfo=plus_two)) == "2024-04-02T06:30:00Z"
    assert utc_iso(datetime(2024, 4, 2, 6, 30, tzinfo=UTC)) == "2024-04-02T06:30:00Z"
    assert utc_iso(datetime(2024, 4, 2, 6, 30)) == "2024-04-02T06:30:00Z"
