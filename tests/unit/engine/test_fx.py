"""FX: the latest rate on or before a date, inverse pairs, and a clear error when none exists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ibis
import pytest

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.fx import rate_ranges, with_rate
from crossfoot.engine.pipeline import reconcile
from crossfoot.errors import InputError
from tests.unit.engine.canonical import d, load, m
from tests.unit.engine.conftest import make_defs


def test_latest_rate_on_or_before_the_date_and_inverse_pairs(backend: DuckDBBackend) -> None:
    fx = ibis.memtable(
        {
            "date": [date(2026, 1, 1), date(2026, 1, 5), date(2026, 1, 1)],
            "from_currency": ["EUR", "EUR", "USD"],
            "to_currency": ["USD", "USD", "GBP"],
            "rate": [Decimal("1.1"), Decimal("1.2"), Decimal("0.8")],
        },
        schema={
            "date": "date",
            "from_currency": "string",
            "to_currency": "string",
            "rate": "decimal(18,8)",
        },
    )
    t = ibis.memtable(
        {
            "c": ["EUR", "EUR", "EUR", "GBP", "USD", "EUR"],
            "d": [
                date(2026, 1, 3),
                date(2026, 1, 5),
                date(2026, 2, 9),
                date(2026, 2, 1),
                date(2020, 1, 1),
                date(2025, 1, 1),
            ],
        }
    )
    out = with_rate(t, rate_ranges(fx, "USD"), currency="c", on_date="d", reporting_currency="USD")
    got = {(r["c"], r["d"]): r["rate"] for r in backend.to_arrow(out).to_pylist()}
    assert got == {
        ("EUR", date(2026, 1, 3)): Decimal("1.1"),
        ("EUR", date(2026, 1, 5)): Decimal("1.2"),
        ("EUR", date(2026, 2, 9)): Decimal("1.2"),
        ("GBP", date(2026, 2, 1)): Decimal("1.25"),  # 1 / 0.8 from the USD→GBP pair
        ("USD", date(2020, 1, 1)): Decimal("1"),
        ("EUR", date(2025, 1, 1)): None,  # before the first rate
    }


def test_a_deal_without_a_rate_stops_the_run_naming_the_record(backend: DuckDBBackend) -> None:
    load(backend, {
        "account": [{"account_id": "A", "name": "A"}],
        "deal": [{"deal_id": "D", "account_id": "A", "stage": "Closed Won", "close_date": d("2026-05-05"),
                  "amount": m("10.00"), "currency": "CHF"}],
    })  # fmt: skip
    with pytest.raises(
        InputError, match=r"deal.csv:2: the deal in CHF on 2026-05-05 closed with no USD rate"
    ):
        reconcile(backend, make_defs(reporting={"currency": "USD", "as_of": "2026-12-31"}))
