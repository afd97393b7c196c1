"""Revenue from a general ledger (``erp.revenue: gl``) in ERPs without orders.

A GL keeps its entries in the home currency (QuickBooks Online, Xero and Business
Central all do): the rate effect of a document's own rate must come out the same as
when the revenue row is in the document's currency. And a won deal with nothing in
an ERP without orders waits for its goods only while nothing else of it is expected.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.pipeline import reconcile
from crossfoot.errors import InputError
from tests.unit.engine.canonical import d, load, m
from tests.unit.engine.conftest import make_defs

DEFS = make_defs(
    reporting={"currency": "USD", "as_of": "2026-12-31"},
    erp={
        "system": "quickbooks",
        "source": "erp",
        "fields": {"crm_deal_ref": "Invoice.PrivateNote"},
    },
)


def _bridge(backend: DuckDBBackend) -> dict[str, Decimal]:
    """Each step over all periods (``bridge`` keeps integer cents)."""
    out: dict[str, int] = {}
    for r in backend.to_arrow(backend.table("bridge")).to_pylist():
        out[r["step"]] = out.get(r["step"], 0) + r["cents"]
    return {step: Decimal(cents).scaleb(-2) for step, cents in out.items()}


def _company(revenue: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A EUR services deal closed at 1.10; the ERP invoiced it at its own rate 1.20."""
    return {
        "account": [{"account_id": "A", "name": "Acme GmbH"}],
        "customer": [{"customer_id": "C", "name": "Acme GmbH"}],
        "deal": [{"deal_id": "D", "account_id": "A", "name": "Acme", "stage": "Closed Won",
                  "close_date": d("2026-03-10"), "amount": m("1000.00"), "currency": "EUR",
                  "erp_ref": "9"}],
        "deal_line": [{"line_id": "L", "deal_id": "D", "product_line": "Services",
                       "quantity": m("1"), "unit_price": m("1000.00"), "amount": m("1000.00")}],
        "document": [{"doc_id": "9", "doc_type": "invoice", "number": "INV-9", "customer_id": "C",
                      "date": d("2026-03-10"), "currency": "EUR", "amount": m("1000.00"),
                      "exchange_rate": Decimal("1.2"), "crm_deal_ref": "D"}],
        "document_line": [{"doc_id": "9", "line_id": "1", "product_line": "Services",
                           "amount": m("1000.00")}],
        "revenue": [{"date": d("2026-03-10"), "customer_id": "C", "doc_id": "9",
                     "product_line": "Services", **revenue}],
        "fx_rate": [{"date": d("2026-01-01"), "from_currency": "EUR", "to_currency": "USD",
                     "rate": Decimal("1.1")}],
    }  # fmt: skip


@pytest.mark.parametrize(
    "revenue",
    [
        {"amount": m("1000.00"), "currency": "EUR"},  # in the document's currency
        {"amount": m("1200.00"), "currency": "USD"},  # in the home currency, as a GL keeps it
    ],
)
def test_the_rate_effect_is_the_same_when_the_gl_keeps_the_home_currency(
    backend: DuckDBBackend, revenue: dict[str, Any]
) -> None:
    load(backend, _company(revenue))
    reconcile(backend, DEFS)
    bridge = _bridge(backend)
    assert (bridge["expected_revenue"], bridge["erp_revenue"]) == (m("1100.00"), m("1200.00"))
    assert bridge["fx_difference"] == m("100.00")
    assert bridge["unexplained"] == 0


def test_a_billion_in_the_home_currency_converts_back_exactly(backend: DuckDBBackend) -> None:
    # the GL's home-currency cents are turned back into the document's currency as
    # cents × 10**8 ÷ rate: past int64 for 6 billion (DuckDB stopped with an overflow)
    company = _company({"amount": m("6000000000.00"), "currency": "USD"})
    for table in ("deal", "deal_line", "document", "document_line"):
        for row in company[table]:
            row["amount"] = m("5000000000.00")
    company["deal_line"][0]["unit_price"] = m("5000000000.00")
    load(backend, company)
    reconcile(backend, DEFS)
    bridge = _bridge(backend)
    assert (bridge["expected_revenue"], bridge["erp_revenue"]) == (
        m("5500000000.00"),
        m("6000000000.00"),
    )
    assert bridge["fx_difference"] == m("500000000.00")
    assert bridge["unexplained"] == 0


def _deal(deal_id: str, lines: list[tuple[str, str]]) -> dict[str, list[dict[str, Any]]]:
    return {
        "deal": [{"deal_id": deal_id, "account_id": "A", "name": deal_id, "stage": "Closed Won",
                  "close_date": d("2026-11-20"), "currency": "USD",
                  "amount": sum((m(a) for _, a in lines), Decimal(0)),
                  "delivery_status": "Pending"}],
        "deal_line": [{"line_id": f"{deal_id}{i}", "deal_id": deal_id, "product_line": pl,
                       "quantity": m("1"), "unit_price": m(a), "amount": m(a)}
                      for i, (pl, a) in enumerate(lines)],
    }  # fmt: skip


def test_a_deal_waits_for_its_goods_only_while_nothing_else_is_expected(
    backend: DuckDBBackend,
) -> None:
    """No orders in the ERP: goods are invoiced when they ship. A pending hardware-only deal
    with no invoice is not missing yet; one with services expected at close is."""
    hardware = _deal("HW", [("Hardware", "500.00")])
    mixed = _deal("MIX", [("Hardware", "500.00"), ("Services", "300.00")])
    other = _company({"amount": m("1200.00"), "currency": "USD"})  # an invoice: no orders
    load(backend, {
        **other,
        "deal": other["deal"] + hardware["deal"] + mixed["deal"],
        "deal_line": other["deal_line"] + hardware["deal_line"] + mixed["deal_line"],
    })  # fmt: skip
    reconcile(backend, DEFS)
    found = {
        (r["cause"], r["crm_record_id"])
        for r in backend.to_arrow(backend.table("exception_rows")).to_pylist()
        if r["crm_record_id"] in ("HW", "MIX")
    }
    assert found == {("missing_in_erp", "MIX")}
    bridge = _bridge(backend)
    assert bridge["missing_in_erp"] == m("-300.00")  # the services expected at close
    assert bridge["unexplained"] == 0


def test_a_document_rate_near_zero_stops_the_run_naming_the_document(
    backend: DuckDBBackend,
) -> None:
    # home amount ÷ 0.00000001: 6 billion USD would be 6 × 10**17 EUR (overflowed int64)
    company = _company({"amount": m("6000000000.00"), "currency": "USD"})
    company["document"][0]["exchange_rate"] = Decimal("0.00000001")
    load(backend, company)
    with pytest.raises(InputError) as err:
        reconcile(backend, DEFS)
    assert str(err.value) == (
        "document.csv:2: the exchange rate 0.00000001 of the document turns revenue of "
        "6000000000.00 USD (revenue.csv:2) into EUR out of range (an amount must be below "
        "10,000,000,000,000 in size)"
    )
