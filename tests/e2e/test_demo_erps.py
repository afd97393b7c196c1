"""The demo company with its ERP side in QuickBooks Online, Xero or Business Central format.

Same deals, customers and transactions as the NetSuite demo; the ERP files are the
vendors' API pages and revenue is read from the invoice lines (these ERPs have no
revenue schedules). What changes by construction:

- the bridge: ratable products are recognized when invoiced, so ``unexplained``
  carries the billing-versus-rule difference and is not small here;
- Business Central's API has no document exchange rate, so every document is
  converted with the rates file and ``fx_difference`` (a rate keyed in the ERP
  that differs from the rates file) cannot occur: none is found;
- QuickBooks Online and Xero have no sales orders: deals are booked by their
  invoices, while the labels name the NetSuite-style sales orders, so the
  order-based causes are not yet found as labelled (strict xfail below).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.api import run
from crossfoot.causes import BRIDGE_STEPS, CAUSE_CODES
from crossfoot.demo import generate
from crossfoot.demo.writers import DEFINITIONS
from crossfoot.diagnostic.findings import RunResult

pytestmark = pytest.mark.slow

ORDER_BASED = {"missing_in_erp", "missing_in_crm", "duplicate_in_erp", "amount_mismatch",
               "erp_adjustment_not_in_crm", "sync_timing_gap", "stale_delivery_status"}  # fmt: skip
NOT_FOUND = {
    "quickbooks": ORDER_BASED,
    "xero": ORDER_BASED | {"fx_difference"},
    "business_central": {"fx_difference"},
}


@pytest.fixture(scope="module", params=sorted(NOT_FOUND))
def erp_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp(f"demo_{request.param}")
    company = generate(folder, seed=7, erp=request.param)
    result = run(company.definitions, folder / "out")
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as fh:
        labels = list(csv.DictReader(fh))
    return request.param, folder, result, labels


def _key(row: dict[str, str]) -> tuple[str, str]:
    crm = (row.get("crm_record_id") or "").strip()
    return (row["cause"], crm if crm else "erp:" + (row.get("erp_record_id") or "").strip())


def _scores(result: RunResult, labels: list[dict[str, str]], cause: str) -> tuple[float, float]:
    truth = {_key(r) for r in labels if r["cause"] == cause}
    found = {_key({k: (v or "") for k, v in r.items()})
             for r in result.exceptions.to_pylist() if r["cause"] == cause}  # fmt: skip
    hits = truth & found
    return len(hits) / len(truth), (len(hits) / len(found) if found else 0.0)


@pytest.mark.parametrize("cause", CAUSE_CODES)
def test_causes_found_where_the_erp_setup_has_them(erp_run, cause: str) -> None:
    erp, _, result, labels = erp_run
    if cause == "definition_drift":
        # recognizing at the invoice date is itself drift from the definitions: hardware is
        # invoiced when the deal closes (the rule says at delivery) and support is billed
        # up front (the rule says ratable); subscriptions billed quarterly fit no rule
        # Business Central invoices a deal when its goods ship: hardware as the rule says,
        # and support with it, so its support revenue fits "at delivery"
        found = {(d.product_line, d.defined, d.inferred) for d in result.definition_drift}
        hardware = ("Hardware", "point_in_time at delivery", "point_in_time at close")
        if erp == "business_central":
            assert found == {("Support", "ratable daily", "point_in_time at delivery")}
        else:
            assert found == {("Support", "ratable daily", "point_in_time at close"), hardware}
        return
    recall, precision = _scores(result, labels, cause)
    if cause in NOT_FOUND[erp]:
        met = recall >= 0.95 and precision >= 0.95
        assert not met, f"{erp}: {cause} is now found as labelled: take it out of NOT_FOUND"
        return
    assert recall >= 0.95 and precision >= 0.95, f"{erp} {cause}: {recall=} {precision=}"


def test_files_conserve_and_the_bridge_foots(erp_run) -> None:
    erp, folder, result, _ = erp_run
    assert {f.system for f in result.inputs} >= {erp, "salesforce", "fx"}
    assert all(f.conserved for f in result.inputs)
    assert not [f for f in result.inputs if f.system == erp and f.rows_rejected]
    by_period: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for r in result.bridge.to_pylist():
        by_period[r["period"]][r["step"]] = r["amount"]
    assert len(by_period) == 12
    for steps in by_period.values():
        running = Decimal(0)
        for name, kind in BRIDGE_STEPS:
            if kind == "total" and name != "crm_bookings":
                assert steps[name] == running
            running = steps[name] if kind == "total" else running + steps[name]
    assert sum(s["erp_revenue"] for s in by_period.values()) > 0
    assert (folder / "data" / erp).is_dir()


def test_netsuite_demo_definitions_are_unchanged(tmp_path: Path) -> None:
    company = generate(tmp_path, seed=7, n_deals=150)
    assert company.definitions.read_text(encoding="utf-8") == DEFINITIONS
    with pytest.raises(ValueError, match="erp must be one of"):
        generate(tmp_path, erp="sap")


def test_every_erp_format_holds_the_same_documents(tmp_path: Path) -> None:
    """Invoices and credit memos (and BC's orders) add up to NetSuite's, per type."""
    from crossfoot.config import load_definitions
    from crossfoot.engine.backend import DuckDBBackend
    from crossfoot.sources import load_sources

    totals = {}
    for erp in ("netsuite", *NOT_FOUND):
        company = generate(tmp_path / erp, seed=3, n_deals=150, erp=erp)
        backend = DuckDBBackend()
        try:
            load_sources(load_definitions(company.definitions), backend)
            query = "SELECT doc_type, count(*), sum(amount) FROM document GROUP BY 1 ORDER BY 1"
            totals[erp] = backend.sql(query).fetchall()
        finally:
            backend.close()
    billing = {erp: [t for t in rows if t[0] != "order"] for erp, rows in totals.items()}
    assert billing["quickbooks"] == billing["xero"] == billing["netsuite"]
    assert totals["business_central"] == totals["netsuite"]  # with its sales orders
