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
        InputError,
        match=r"deal.csv:2: the deal in CHF on 2026-05-05 closed with no CHF to USD rate in "
        r"the fx_rates file data/fx\.csv ",
    ):
        reconcile(
            backend,
            make_defs(reporting={"currency": "USD", "as_of": "2026-12-31"}, fx_rates="data/fx.csv"),
        )
    with pytest.raises(InputError, match=r"the definitions name none: add fx_rates"):
        reconcile(backend, make_defs(reporting={"currency": "USD", "as_of": "2026-12-31"}))


def _rated_company(rate: str, doc_rate: str | None = None) -> dict[str, list[dict[str, object]]]:
    """A CHF deal and its CHF invoice; the rates file's CHF rate is ``rate``."""
    return {
        "account": [{"account_id": "A", "name": "A"}],
        "deal": [{"deal_id": "D", "account_id": "A", "stage": "Closed Won",
                  "close_date": d("2026-05-05"), "amount": m("1000000.00"), "currency": "CHF"}],
        "document": [{"doc_id": "9", "doc_type": "invoice", "customer_id": "C", "date": d("2026-05-05"),
                      "currency": "CHF", "amount": m("1000000.00"), "crm_deal_ref": "D",
                      "exchange_rate": None if doc_rate is None else Decimal(doc_rate)}],
        "fx_rate": [
            {"date": d("2026-01-01"), "from_currency": "CHF", "to_currency": "USD", "rate": m("1.1")},
            {"date": d("2026-05-01"), "from_currency": "CHF", "to_currency": "USD", "rate": m(rate)},
            {"date": d("2026-06-01"), "from_currency": "CHF", "to_currency": "USD", "rate": m("1.1")},
        ],
    }  # fmt: skip


def test_an_absurd_rate_stops_the_run_naming_the_rates_file_line(backend: DuckDBBackend) -> None:
    # one million CHF at 9,999,999,999 USD would be 10**16 USD: past int64 in cents
    load(backend, _rated_company("9999999999"))
    with pytest.raises(InputError) as err:
        reconcile(backend, make_defs(reporting={"currency": "USD", "as_of": "2026-12-31"}))
    assert err.value.location == "fx_rate.csv:3"
    assert err.value.message == (
        "field 'rate': 9999999999.00000000 for CHF to USD converts the deal of 1000000.00 CHF "
        "(deal.csv:2) to 9,999,999,999,000,000 USD: out of range (an amount must be below "
        "10,000,000,000,000 in size)"
    )


def test_an_absurd_document_rate_stops_the_run_naming_the_document(
    backend: DuckDBBackend,
) -> None:
    load(backend, _rated_company("1.1", doc_rate="99999999"))
    with pytest.raises(InputError) as err:
        reconcile(backend, make_defs(reporting={"currency": "USD", "as_of": "2026-12-31"}))
    assert err.value.location == "document.csv:2"
    assert "exchange rate 99999999.00000000 of the document converts 1000000.00 CHF" in str(
        err.value
    )


def test_a_large_but_real_rate_converts(backend: DuckDBBackend) -> None:
    # just under the bound: 1,000,000 at 9,999,999 is 9,999,999,000,000
    load(backend, _rated_company("9999999"))
    reconcile(backend, make_defs(reporting={"currency": "USD", "as_of": "2026-12-31"}))
    (deal,) = backend.to_arrow(backend.table("deal_value")).to_pylist()
    assert deal["rc_cents"] == 999_999_900_000_000


def test_a_document_summing_out_of_range_is_named_as_such(backend: DuckDBBackend) -> None:
    # each line is in range, the document's total is not: no rate is to blame
    company = _rated_company("1.1")
    company["document"][0].update(currency="USD", amount=m("10000000000000.50"))
    load(backend, company)
    with pytest.raises(InputError) as err:
        reconcile(backend, make_defs(reporting={"currency": "USD", "as_of": "2026-12-31"}))
    assert str(err.value) == (
        "document.csv:2: the document amounts to 10000000000000.50 USD: out of range "
        "(an amount must be below 10,000,000,000,000 in size)"
    )
