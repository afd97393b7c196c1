"""Definition drift on the demo company: the definitions say Support is ratable daily,
the ERP's revenue rule for it is monthly. The diagnostic must name the product line,
both rules and the money, and the bridge must carry that money as its own cause."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.e2e.conftest import DemoRun


def test_the_drifting_product_line_is_named_with_both_rules(demo_run: DemoRun) -> None:
    (finding,) = demo_run.result.definition_drift
    assert (finding.product_line, finding.defined, finding.inferred) == (
        "Support", "ratable daily", "ratable monthly"
    )  # fmt: skip
    assert finding.deals_compared >= 20
    # the ERP's own rule explains its revenue on the clean deals to the cent (FX aside)
    assert finding.inferred_fit < Decimal("1.00") < finding.defined_fit
    assert finding.moved > 0


def test_the_bridge_carries_the_drift_as_a_cause(demo_run: DemoRun) -> None:
    (finding,) = demo_run.result.definition_drift
    steps = [r for r in demo_run.result.bridge.to_pylist() if r["step"] == "definition_drift"]
    assert len(steps) == 12 and any(r["amount"] != 0 for r in steps)
    # a timing difference: what the ERP rule moves out of one period lands in another
    moved = sum((abs(r["amount"]) for r in steps), Decimal(0))
    assert moved <= finding.moved
    effects = demo_run.result.exception_effects.to_pylist()
    drift_ids = {
        r["exception_id"]
        for r in demo_run.result.exceptions.to_pylist()
        if r["cause"] == "definition_drift"
    }
    by_deal = sum((abs(e["amount"]) for e in effects if e["exception_id"] in drift_ids), Decimal(0))
    assert by_deal == finding.moved


def test_summary_report_and_worklist_show_the_drift(demo_run: DemoRun) -> None:
    summary = json.loads((demo_run.out / "summary.json").read_text(encoding="utf-8"))
    (drift,) = summary["definition_drift"]
    assert drift["product_line"] == "Support" and drift["inferred"] == "ratable monthly"
    assert Decimal(drift["moved"]) == demo_run.result.definition_drift[0].moved
    report = (demo_run.out / "report.html").read_text(encoding="utf-8")
    assert 'id="drift"' in report and "ratable monthly" in report
    rows = [r for r in demo_run.result.exceptions.to_pylist() if r["cause"] == "definition_drift"]
    assert rows and all("Support as ratable monthly" in r["explanation"] for r in rows)
