"""Cell formatting shared by every output: exact money, ISO dates, formula-safe text.

One rule for spreadsheet safety (OWASP "CSV injection"): a *text* cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe, in ``*.csv`` and in ``exceptions.xlsx`` alike, so the two
hold the same text and a worklist re-saved as CSV from Excel stays inert.
Money and other numbers are never escaped: they are written from ``Decimal``
and ``int`` values, never from user text, and negative money legitimately
starts with ``-``. The HTML report is not a spreadsheet: it shows the text as
it is, escaped for HTML by Jinja.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

#: a value from ``pyarrow.Table.to_pylist()``
Cell = str | int | float | bool | Decimal | date | datetime | None

#: money columns in the SPEC §8 contracts: decimal128(18,2), written as ``-1234.50``
MONEY_COLUMNS = frozenset({"amount", "amount_crm", "amount_erp", "impact"})

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CENT = Decimal("0.01")


def escape_text(text: str) -> str:
    """``'=1+1`` for ``=1+1``: spreadsheets show the text instead of running it."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cents(amount: Decimal, column: str = "amount") -> Decimal:
    """``amount`` as exact cents (never ``-0.00``); fractions of a cent are a bug upstream."""
    exact = amount.quantize(CENT)
    if exact != amount:
        raise ValueError(f"money column {column!r} holds {amount}, which is not whole cents")
    return exact if exact else Decimal("0.00")


def money_value(value: Cell, column: str) -> Decimal | None:
    """The exact cents of a money cell, or None; a float here is a bug upstream."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        raise TypeError(f"money column {column!r} holds {type(value).__name__}, not Decimal")
    return cents(value, column)


def format_money(amount: Decimal) -> str:
    """Exact, machine-readable money: ``-1234.50`` (CSV, JSON)."""
    return f"{cents(amount):.2f}"


def display_money(amount: Decimal) -> str:
    """Money for people: ``-1,234,567.89`` (HTML), from the same Decimal as the CSV."""
    return f"{cents(amount):,.2f}"


def format_cell(value: Cell, column: str) -> str:
    """One CSV cell: money with 2 decimals, ISO dates, escaped text, empty for null."""
    if value is None:
        return ""
    if column in MONEY_COLUMNS:
        amount = money_value(value, column)
        return "" if amount is None else format_money(amount)
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form; never money (checked above)
    return str(value)  # int, Decimal scores


def utc_iso(moment: datetime) -> str:
    """``2024-04-02T06:30:00Z``; a naive datetime is taken to be UTC already."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
