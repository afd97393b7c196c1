"""The diagnostic on the demo company (issue 5): the roadmap's first fixes, the flow map,
the bridge per owner and customer, and the executive summary's figures."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from crossfoot.diagnostic.findings import RoadmapItem
from crossfoot.outputs.view import build_view
from tests.e2e.conftest import DemoRun

#: the concrete field, object or rule each of the demo's fixes must name (from its crossfoot.yaml)
CONCRETE = {
    "stale_delivery_status": ("Opportunity.Delivery_Status__c", "transactionline.actualshipdate"),
    "field_not_synced": ("Product2.Family", "transactionline.class"),
    "duplicate_in_erp": ("transaction.custbody_sf_opportunity_id", "sales order"),
    "sync_timing_gap": ("last three days of the month",),
    "unmapped_product_rule": ("Data Add-on",),
    "erp_adjustment_not_in_crm": ("credit memo", "Opportunity"),
    "duplicate_customer": ("customer.custentity_sf_account_id",),
    "definition_drift": ("Support", "ratable monthly"),
}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_top_three_fixes_are_the_three_causes_that_move_the_most_money(demo_run: DemoRun) -> None:
    view = build_view(demo_run.result)
    by_money = [c.cause.code for c in view.ranked_causes][:3]
    roadmap: tuple[RoadmapItem, ...] = demo_run.result.roadmap
    assert [i.cause for i in roadmap[:3]] == by_money
    for item in roadmap[:3]:
        for name in CONCRETE[item.cause]:
            assert name in item.title, (item.title, name)


def test_every_fix_names_its_field_object_or_rule(demo_run: DemoRun) -> None:
    for item in demo_run.result.roadmap:
        for name in CONCRETE.get(item.cause, ()):
            assert name in item.title + " " + item.detail, (item.cause, name)
        assert item.detail and item.effort_days > 0 and item.records > 0
    counts = {i.cause: i.records for i in demo_run.result.roadmap}
    assert "Merge 7 duplicate customers" in next(
        i.title for i in demo_run.result.roadmap if i.cause == "duplicate_customer"
    )
    assert counts["duplicate_customer"] == 7


def test_flow_map_sees_the_demos_integration_gaps(demo_run: DemoRun) -> None:
    flow = demo_run.result.flow
    assert flow is not None
    fields = {f.field: f for f in flow.fields}
    # 7 orders carry no product line, 7 more carry another one (the demo's injections)
    pl = fields["product_line"]
    assert pl.matched - pl.erp_set == 7 and pl.both_set - pl.agree == 7
    one_way = {o.key: o for o in flow.one_way}
    assert one_way["credit_memos"].not_seen == 7
    assert one_way["erp_only_documents"].not_seen == 7
    assert flow.lag.documents > 0 and flow.lag.max_days is not None
    assert flow.lag.max_days <= demo_run.result.flow.lag.window_days  # timing gaps are in-window


def test_bridge_per_owner_and_customer_foot_to_the_bridge(demo_run: DemoRun) -> None:
    bridge = {(r["period"], r["step"]): Decimal(r["amount"]) for r in read(demo_run.out / "bridge.csv")}
    for name in ("bridge_by_owner.csv", "bridge_by_customer.csv", "bridge_by_product_line.csv"):
        summed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for r in read(demo_run.out / name):
            summed[(r["period"], r["step"])] += Decimal(r["amount"])
        # owner and customer bridges leave out their zero rows (a large company has millions)
        nonzero = {k: v for k, v in summed.items() if v}
        assert nonzero == {k: v for k, v in bridge.items() if v}, name
    owners = {r["owner"] for r in read(demo_run.out / "bridge_by_owner.csv")}
    assert "(no deal)" in owners and len(owners) > 2


def test_effects_per_cause_equal_the_bridge_cause_steps(demo_run: DemoRun) -> None:
    cause_of = {r["exception_id"]: r["cause"] for r in read(demo_run.out / "exceptions.csv")}
    summed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in read(demo_run.out / "exception_effects.csv"):
        summed[(e["period"], cause_of[e["exception_id"]])] += Decimal(e["amount"])
    for r in read(demo_run.out / "bridge.csv"):
        if r["kind"] == "cause" and r["step"] != "unexplained":
            assert summed.get((r["period"], r["step"]), Decimal(0)) == Decimal(r["amount"]), r


def test_executive_summary_figures_are_the_bridges(demo_run: DemoRun) -> None:
    text = (demo_run.out / "executive_summary.md").read_text(encoding="utf-8")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in read(demo_run.out / "bridge.csv"):
        totals[r["step"]] += Decimal(r["amount"])
    for step in ("crm_bookings", "expected_revenue", "erp_revenue", "unexplained"):
        assert f"USD {totals[step]:,.2f}" in text, step
    first = demo_run.result.roadmap[0]
    assert re.search(r"## What is wrong.*## Why.*## What to fix first", text, re.S)
    assert "1. **Update Opportunity.Delivery" in text and f"USD {first.money:,.2f}" in text
    assert len(text.split()) < 600  # one page for a board pack


def test_summary_json_says_why_there_is_no_pdf(demo_run: DemoRun) -> None:
    import json

    summary = json.loads((demo_run.out / "summary.json").read_text(encoding="utf-8"))
    assert summary["report_pdf"] == {"written": False, "note": "skipped: CROSSFOOT_PDF is off"}
    assert not (demo_run.out / "report.pdf").exists()
    assert [r["rank"] for r in summary["roadmap"]] == list(range(1, len(summary["roadmap"]) + 1))
