"""``sync apply`` through simple-salesforce against a local Salesforce REST server:
dry run writes nothing, apply writes exact decimals, a second apply makes no change,
a field edited since the plan is skipped, a missing record is reported, all logged."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.errors import AuthError
from crossfoot.store import open_store, rows
from crossfoot.sync.apply import ALREADY, APPLIED, CONFLICT, DRY_RUN, MISSING, apply_plan
from crossfoot.sync.config import SalesforceTarget
from crossfoot.sync.plan import Change, Plan
from crossfoot.sync.salesforce import SalesforceWriter

from .fake_salesforce import TOKEN, fake_salesforce


def change(rec: str, field: str, before: str | None, after: str, canonical: str = "amount") -> Change:
    obj = "Account" if canonical == "erp_customer_ref" else "Opportunity"
    return Change(f"C-{rec}-{field}", "salesforce", obj, rec, field, canonical, before, after,
                  f"X-{rec}", "erp_adjustment_not_in_crm", "because")  # fmt: skip


PLAN = Plan("P-1", "run-1", "2026-03-02T07:00:00+00:00", "salesforce", (
    change("006A", "Amount", "17923.76", "15599.05"),
    change("006A", "Delivery_Status__c", None, "Delivered", "delivery_status"),
    change("006B", "Amount", "100.00", "90.10"),
    change("006C", "NetSuite_Sales_Order__c", None, "5003", "erp_ref"),
    change("001Z", "NetSuite_Customer_Id__c", None, "1002", "erp_customer_ref"),
), ())  # fmt: skip


def records() -> dict[tuple[str, str], dict[str, object]]:
    return {
        ("Opportunity", "006A"): {"Amount": Decimal("17923.76"), "Delivery_Status__c": None},
        ("Opportunity", "006B"): {"Amount": Decimal("100.00")},
        ("Opportunity", "006C"): {"NetSuite_Sales_Order__c": None},
    }


def test_dry_run_apply_again_conflict_and_missing(tmp_path: Path) -> None:
    with fake_salesforce(records(), tmp_path) as sf:
        target = SalesforceTarget(instance_url=sf.url, access_token_env="SF_TOKEN")
        writer = SalesforceWriter(target, {"SF_TOKEN": TOKEN}, session=sf.session)
        dry = apply_plan(PLAN, writer)
        assert [o.outcome for o in dry] == [DRY_RUN, DRY_RUN, DRY_RUN, DRY_RUN, MISSING]
        assert sf.patches == []

        # someone edits 006B in Salesforce after the plan
        sf.records[("Opportunity", "006B")]["Amount"] = Decimal("95.00")
        with open_store(tmp_path / "store.duckdb", create=True) as backend:
            done = apply_plan(PLAN, writer, apply=True, backend=backend, actor="ops")
            assert {o.change.change_id: o.outcome for o in done} == {
                "C-006A-Amount": APPLIED, "C-006A-Delivery_Status__c": APPLIED,
                "C-006B-Amount": CONFLICT, "C-006C-NetSuite_Sales_Order__c": APPLIED,
                "C-001Z-NetSuite_Customer_Id__c": MISSING,
            }  # fmt: skip
            conflict = next(o for o in done if o.outcome == CONFLICT)
            assert conflict.detail == "now 95.0, the plan expected 100.00"
            # one PATCH per record, money as exact JSON numbers
            bodies = {path.rsplit("/", 1)[1]: body for _, path, body in sf.patches}
            assert set(bodies) == {"006A", "006C"}
            assert json.loads(bodies["006A"], parse_float=Decimal) == {
                "Amount": Decimal("15599.05"), "Delivery_Status__c": "Delivered"}
            assert b'"Amount": 15599.05' in bodies["006A"]
            assert sf.records[("Opportunity", "006C")]["NetSuite_Sales_Order__c"] == "5003"

            again = apply_plan(PLAN, writer, apply=True, backend=backend, actor="ops")
            assert [o.outcome for o in again] == [ALREADY, ALREADY, CONFLICT, ALREADY, MISSING]
            assert len(sf.patches) == 2  # applying twice changes nothing

            log = rows(backend, "select change_id, outcome, actor from sync_log order by logged_at, rowid")
            assert len(log) == 15 - 5  # the dry run had no store
            assert {r["actor"] for r in log} == {"ops"}
            assert [r["outcome"] for r in log[:5]] == [APPLIED, APPLIED, CONFLICT, APPLIED, MISSING]
            trail = rows(backend, "select exception_id, field, new_value, actor from exception_audit"
                                  " order by rowid")  # fmt: skip
            assert trail == [
                {"exception_id": "X-006A", "field": "write-back", "new_value": "Opportunity.Amount = 15599.05", "actor": "ops"},
                {"exception_id": "X-006A", "field": "write-back", "new_value": "Opportunity.Delivery_Status__c = Delivered", "actor": "ops"},
                {"exception_id": "X-006C", "field": "write-back", "new_value": "Opportunity.NetSuite_Sales_Order__c = 5003", "actor": "ops"},
            ]  # fmt: skip


def test_a_refused_token_is_an_auth_error_without_the_token(tmp_path: Path) -> None:
    with fake_salesforce(records(), tmp_path) as sf:
        target = SalesforceTarget(instance_url=sf.url, access_token_env="SF_TOKEN")
        writer = SalesforceWriter(target, {"SF_TOKEN": "wrong-token-value"}, session=sf.session)
        with pytest.raises(AuthError) as err:
            apply_plan(PLAN, writer, apply=True)
        assert "wrong-token-value" not in str(err.value)
    with pytest.raises(AuthError, match="SF_TOKEN is not set"):
        SalesforceWriter(target, {})
