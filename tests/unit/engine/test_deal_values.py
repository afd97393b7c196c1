"""The deals the CRM books, in the reporting currency."""

from __future__ import annotations

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.pipeline import reconcile
from tests.unit.engine.canonical import d, load, m
from tests.unit.engine.conftest import make_defs


def test_a_won_deal_with_an_empty_amount_books_zero(backend: DuckDBBackend) -> None:
    # Salesforce leaves Amount empty on a deal without products; a null would reach
    # every sum and the exceptions' impact (the run stopped: money must not be null)
    load(backend, {
        "account": [{"account_id": "A", "name": "Acme"}],
        "customer": [{"customer_id": "C", "name": "Acme"}],
        "deal": [{"deal_id": "D", "account_id": "A", "name": "Acme", "stage": "Closed Won",
                  "close_date": d("2026-03-10"), "amount": None, "currency": "USD",
                  "erp_ref": "9"}],
        "document": [{"doc_id": "9", "doc_type": "order", "number": "SO-9", "customer_id": "C",
                      "date": d("2026-03-10"), "currency": "USD", "amount": m("500.00"),
                      "crm_deal_ref": "D"}],
    })  # fmt: skip
    reconcile(backend, make_defs(reporting={"currency": "USD", "as_of": "2026-12-31"}))
    (deal,) = backend.to_arrow(backend.table("deal_value")).to_pylist()
    assert (deal["cents"], deal["rc_cents"]) == (0, 0)
    exceptions = backend.to_arrow(backend.table("exception_rows")).to_pylist()
    assert [(e["cause"], e["impact_cents"]) for e in exceptions] == [("amount_mismatch", 50_000)]
    bridge = backend.to_arrow(backend.table("bridge")).to_pylist()
    assert all(r["cents"] is not None for r in bridge)
    assert sum(r["cents"] for r in bridge if r["step"] == "crm_bookings") == 0
