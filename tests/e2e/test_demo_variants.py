"""The demo company in other shapes: NetSuite as CSV instead of SuiteQL pages, and
quarterly reporting. Same data, same money."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.api import run
from crossfoot.demo import generate
from tests.e2e.conftest import DemoRun


def _bridge(rows: list[dict[str, object]]) -> dict[tuple[object, object], object]:
    return {(r["period"], r["step"]): r["amount"] for r in rows}


@pytest.mark.slow
def test_netsuite_csv_exports_tie_out_exactly_like_suiteql_pages(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    company = generate(tmp_path / "csv", seed=7, erp_format="csv")
    result = run(company.definitions, None, workspace=tmp_path / "ws.duckdb")
    assert _bridge(result.bridge.to_pylist()) == _bridge(demo_run.result.bridge.to_pylist())
    ids = sorted(r["exception_id"] for r in result.exceptions.to_pylist())
    assert ids == sorted(r["exception_id"] for r in demo_run.result.exceptions.to_pylist())


def test_quarterly_reporting_is_the_sum_of_the_months(demo_run: DemoRun, tmp_path: Path) -> None:
    text = (demo_run.folder / "crossfoot.yaml").read_text()
    assert "period: month" in text
    quarterly = demo_run.folder / "crossfoot.quarter.yaml"
    quarterly.write_text(text.replace("period: month", "period: quarter"))
    result = run(quarterly, None, workspace=tmp_path / "ws.duckdb")

    monthly: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in demo_run.result.bridge.to_pylist():
        month = int(r["period"][5:7])
        monthly[(f"{r['period'][:4]}-Q{(month + 2) // 3}", r["step"])] += r["amount"]
    got = _bridge(result.bridge.to_pylist())
    assert {p for p, _ in got} == {"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"}
    for key in ("crm_bookings", "won_not_booked", "booked", "expected_revenue", "erp_revenue"):
        for q in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"):
            assert got[(q, key)] == monthly[(q, key)], (q, key)
