"""The flow map's metrics (issue 5) on a small canonical company with known answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from crossfoot.diagnostic.findings import FieldFlow
from crossfoot.diagnostic.flow import field_flows, one_way_flows, sync_lag
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.pipeline import reconcile
from tests.unit.engine.canonical import d, load, m
from tests.unit.engine.conftest import make_defs

DEFS = make_defs()


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _deal(deal_id: str, close: str, amount: str, modified: str, **kw: object) -> dict[str, object]:
    return {"deal_id": deal_id, "account_id": kw.pop("account_id", "A1"), "name": deal_id,
            "stage": "Closed Won", "close_date": d(close), "amount": m(amount), "currency": "USD",
            "last_modified": ts(modified), **kw}  # fmt: skip


def _doc(doc_id: str, date: str, amount: str, deal: str | None, customer: str = "C1",
         doc_type: str = "order", **kw: object) -> dict[str, object]:  # fmt: skip
    return {"doc_id": doc_id, "doc_type": doc_type, "number": doc_id, "customer_id": customer,
            "date": d(date), "currency": "USD", "amount": m(amount), "exchange_rate": m("1"),
            "crm_deal_ref": deal, "created_at": ts(f"{date}T12:00:00"), **kw}  # fmt: skip


def _line(doc_id: str, amount: str, product_line: str | None, **kw: object) -> dict[str, object]:
    return {"doc_id": doc_id, "line_id": f"{doc_id}-1", "product_line": product_line,
            "amount": m(amount), **kw}  # fmt: skip


def _rev(doc_id: str, date: str, amount: str, customer: str = "C1") -> dict[str, object]:
    return {"doc_id": doc_id, "line_id": f"{doc_id}-1", "date": d(date), "amount": m(amount),
            "currency": "USD", "customer_id": customer}  # fmt: skip


COMPANY: dict[str, list[dict[str, object]]] = {
    "account": [
        {"account_id": "A1", "name": "Acme", "erp_customer_ref": "C1"},
        {"account_id": "A2", "name": "Globex"},
    ],
    "customer": [
        {"customer_id": "C1", "name": "Acme Inc", "crm_account_ref": "A1"},
        {"customer_id": "C2", "name": "Globex Corp"},
    ],
    "deal": [
        # D1: ids on both sides, same day, CRM changed before the order was created
        _deal("D1", "2026-01-10", "100.00", "2026-01-10T10:00:00", erp_ref="SO1"),
        # D2: no erp_ref in the CRM; the order is dated in the next month; no product line in ERP
        _deal("D2", "2026-01-31", "200.00", "2026-02-05T10:00:00"),
        # D3: 19 days late; a credit memo the CRM never saw
        _deal("D3", "2026-02-01", "300.00", "2026-02-01T09:00:00", erp_ref="SO3",
              account_id="A2"),
        # D4: hardware shipped in the ERP, still "Pending" in the CRM; edited after the order
        _deal("D4", "2026-01-15", "50.00", "2026-01-25T10:00:00", erp_ref="SO4",
              delivery_status="Pending"),
    ],
    "deal_line": [
        {"line_id": "L1", "deal_id": "D1", "product_line": "Services", "amount": m("100.00")},
        {"line_id": "L2", "deal_id": "D2", "product_line": "Services", "amount": m("200.00")},
        {"line_id": "L3", "deal_id": "D3", "product_line": "Services", "amount": m("300.00")},
        {"line_id": "L4", "deal_id": "D4", "product_line": "Hardware", "amount": m("50.00")},
    ],
    "document": [
        _doc("SO1", "2026-01-10", "100.00", "D1"),
        _doc("SO2", "2026-02-02", "200.00", "D2"),
        _doc("SO3", "2026-02-20", "300.00", "D3", "C2"),
        _doc("CM3", "2026-03-01", "-30.00", "D3", "C2", "credit_memo", created_from="SO3"),
        _doc("SO4", "2026-01-15", "50.00", "D4"),
        _doc("SO9", "2026-03-05", "80.00", None, "C2"),  # keyed straight into the ERP
    ],
    "document_line": [
        _line("SO1", "100.00", "Services"),
        _line("SO2", "200.00", None),
        _line("SO3", "300.00", "Services"),
        _line("CM3", "-30.00", "Services"),
        _line("SO4", "50.00", "Hardware", fulfilled_on=d("2026-01-20")),
        _line("SO9", "80.00", "Services"),
    ],
    "revenue": [
        _rev("SO1", "2026-01-10", "100.00"),
        _rev("SO2", "2026-02-02", "200.00"),
        _rev("SO3", "2026-02-20", "300.00", "C2"),
        _rev("CM3", "2026-03-01", "-30.00", "C2"),
        _rev("SO4", "2026-01-20", "50.00"),
        _rev("SO9", "2026-03-05", "80.00", "C2"),
    ],
}


@pytest.fixture(scope="module")
def company() -> Iterator[DuckDBBackend]:
    b = DuckDBBackend()
    load(b, COMPANY)
    reconcile(b, DEFS)
    yield b
    b.close()


@pytest.fixture(scope="module")
def fields(company: DuckDBBackend) -> dict[str, FieldFlow]:
    return {f.field: f for f in field_flows(company, DEFS)}


def counts(f: FieldFlow) -> tuple[int, int, int, int, int]:
    return (f.matched, f.crm_set, f.erp_set, f.both_set, f.agree)


def test_cross_system_ids_set_on_one_side_do_not_count_as_covered(
    fields: dict[str, FieldFlow],
) -> None:
    ids = fields["ids"]
    assert counts(ids) == (4, 3, 4, 3, 3)  # D2 has no erp_ref in the CRM
    assert float(ids.coverage) == 0.75
    assert ids.crm_field == "Opportunity.ERP__c"  # from the definitions' field map
    assert ids.erp_field == "transaction.custbody_sf"
    # D1 and D3 were last changed before their orders were created; D4 after
    assert (ids.crm_first, ids.erp_first) == (2, 1)


def test_close_date_agrees_when_the_document_lands_in_the_same_period(
    fields: dict[str, FieldFlow],
) -> None:
    assert counts(fields["close_date"]) == (4, 4, 4, 4, 3)  # D2: January close, February order


def test_product_line_missing_on_erp_lines(fields: dict[str, FieldFlow]) -> None:
    assert counts(fields["product_line"]) == (4, 4, 3, 3, 3)
    assert fields["product_line"].erp_field == "transactionline.class"  # NetSuite's default


def test_amount_and_stage_agree_and_credit_memos_do_not_change_the_booking(
    fields: dict[str, FieldFlow],
) -> None:
    assert counts(fields["amount"]) == (4, 4, 4, 4, 4)
    assert counts(fields["stage"]) == (4, 4, 4, 4, 4)


def test_delivery_status_is_measured_on_deals_recognized_at_delivery(
    fields: dict[str, FieldFlow],
) -> None:
    assert counts(fields["delivery_status"]) == (1, 1, 1, 1, 0)  # D4: shipped vs "Pending"


def test_customer_ids(fields: dict[str, FieldFlow]) -> None:
    assert counts(fields["customer_ids"]) == (2, 1, 1, 1, 1)  # A2-C2 matched by name only


def test_sync_lag_nearest_rank_percentiles(company: DuckDBBackend) -> None:
    lag = sync_lag(company, DEFS)
    # lags 0 (D1), 2 (D2), 19 (D3), 0 (D4): sorted 0 0 2 19
    assert (lag.documents, lag.median_days, lag.p90_days, lag.max_days) == (4, 0, 19, 19)
    assert (lag.window_days, lag.beyond_window, lag.before_close) == (7, 1, 0)
    assert float(lag.beyond_share) == 0.25


def test_one_way_flows_name_what_the_crm_never_saw(company: DuckDBBackend) -> None:
    flows = {o.key: o for o in one_way_flows(company, DEFS)}
    assert (flows["credit_memos"].records, flows["credit_memos"].not_seen) == (1, 1)
    assert flows["credit_memos"].amount == Decimal("30.00")
    assert (flows["fulfilments"].records, flows["fulfilments"].not_seen) == (1, 1)
    assert flows["fulfilments"].amount == Decimal("50.00")
    assert (flows["erp_only_documents"].records, flows["erp_only_documents"].amount) == (
        1, Decimal("80.00"),
    )  # fmt: skip
    assert flows["erp_amount_changes"].not_seen == 0
    assert {o.source for o in flows.values()} == {"NetSuite"}
    assert {o.target for o in flows.values()} == {"Salesforce"}
