"""The demo company end to end: every injected difference found, the bridge foots."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import pytest

from crossfoot.causes import BRIDGE_STEPS, CAUSE_CODES
from tests.e2e.conftest import DemoRun


def _key(row: dict[str, str]) -> tuple[str, str]:
    crm = (row.get("crm_record_id") or "").strip()
    return (row["cause"], crm if crm else "erp:" + (row.get("erp_record_id") or "").strip())


@pytest.mark.parametrize("cause", CAUSE_CODES)
def test_each_injected_cause_is_found_with_precision_and_recall(
    demo_run: DemoRun, cause: str
) -> None:
    truth = {_key(r) for r in demo_run.labels if r["cause"] == cause}
    found = {
        _key({k: (v or "") for k, v in r.items()})
        for r in demo_run.result.exceptions.to_pylist()
        if r["cause"] == cause
    }
    assert truth, f"the demo injects no {cause}"
    hits = truth & found
    recall = len(hits) / len(truth)
    precision = len(hits) / len(found) if found else 0.0
    assert recall >= 0.95, f"{cause}: missed {sorted(truth - found)}"
    assert precision >= 0.95, f"{cause}: spurious {sorted(found - truth)}"


def test_bridge_foots_to_the_cent_in_every_period(demo_run: DemoRun) -> None:
    by_period: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for r in demo_run.result.bridge.to_pylist():
        by_period[r["period"]][r["step"]] = r["amount"]
    assert len(by_period) == 12
    for period, steps in by_period.items():
        running = Decimal(0)
        for name, kind in BRIDGE_STEPS:
            if kind == "total" and name != "crm_bookings":
                assert steps[name] == running, f"{period}: {name} {steps[name]} != {running}"
            running = steps[name] if kind == "total" else running + steps[name]


def test_unexplained_is_small(demo_run: DemoRun) -> None:
    rows = demo_run.result.bridge.to_pylist()
    get = {(r["period"], r["step"]): r["amount"] for r in rows}
    periods = {r["period"] for r in rows}
    gap = sum(abs(get[(p, "erp_revenue")] - get[(p, "expected_revenue")]) for p in periods)
    unexplained = sum(abs(get[(p, "unexplained")]) for p in periods)
    assert gap > 0
    assert unexplained <= gap * Decimal("0.005"), f"unexplained {unexplained} of {gap}"


def test_erp_revenue_in_the_bridge_is_every_cent_of_the_revenue_file(demo_run: DemoRun) -> None:
    bridge_total = sum(
        r["amount"] for r in demo_run.result.bridge.to_pylist() if r["step"] == "erp_revenue"
    )
    by_product_line = sum(
        r["amount"]
        for r in demo_run.result.bridge_by_product_line.to_pylist()
        if r["step"] == "erp_revenue"
    )
    assert bridge_total == by_product_line
    assert bridge_total > 0


def test_every_input_file_conserves_rows(demo_run: DemoRun) -> None:
    assert demo_run.result.inputs
    for f in demo_run.result.inputs:
        assert f.conserved, f


def test_outputs_are_written(demo_run: DemoRun) -> None:
    for name in (
        "summary.json",
        "exceptions.csv",
        "bridge.csv",
        "matches.csv",
        "report.html",
        "exceptions.xlsx",
    ):
        assert (demo_run.out / name).is_file(), name
    with (demo_run.out / "exceptions.csv").open(newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == demo_run.result.exceptions.num_rows
