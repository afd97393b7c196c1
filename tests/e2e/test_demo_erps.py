"""The demo company with its ERP side in QuickBooks Online, Xero or Business Central format.

Same deals, customers and transactions as the NetSuite demo; the ERP files are the
vendors' API pages, and the recognized revenue is each ledger's own GL export
(``erp.revenue: gl``: QuickBooks' GeneralLedger report, Xero's Journals, Business
Central's generalLedgerEntries), holding NetSuite's revenue rows in the home currency.
The bridge is NetSuite's (``test_demo_combinations.py`` says to the cent which steps
move and why). What the ERP cannot show stays in ``NOT_FOUND``:

- Business Central's API has no document exchange rate, so every document is
  converted with the rates file and ``fx_difference`` (a rate keyed in the ERP that
  differs from the rates file) cannot be told: none is found (its money is in
  ``unexplained``);
- QuickBooks Online and Xero have no sales orders: a deal is booked by its invoices
  (SPEC §6), the labels name those invoices and a sync that ran twice wrote a second
  invoice (``demo/invoice_only.py``). Four causes cannot be told apart there, and
  stay in ``NOT_FOUND`` (their recall, and precision where it holds, are asserted):

  * ``missing_in_erp`` / ``missing_in_crm``: a deal billed in instalments
    (subscriptions, quarterly) without the cross-system id has no document whose
    amount is the deal's, so no rule can match it: the deal looks missing in the ERP
    and each invoice missing in the CRM. A deal whose goods have not shipped has no
    document yet: the revenue the GL accrued on it by journal has no deal, and the
    deal's services and support expected so far are missing in the ERP (a deal with
    only goods waits for them). Every labelled one is found, with those beside;
  * ``stale_delivery_status``: the reverse case (CRM says delivered, nothing shipped)
    leaves no trace in an ERP that only invoices what shipped: it is reported as
    ``missing_in_erp``; the forward case is found;
  * ``amount_mismatch``: while a deal is still being billed in instalments, the
    invoices to date are not its booking, so an order total lower than the deal's
    cannot be seen yet (the engine does not report one; the others are found).

Xero keeps no shipment date: the demo maps ``fulfilled_on`` to the invoice date
(``Invoices.Date``: the company invoices goods when they ship), so goods are expected
when shipped, as with the other ERPs.
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

BY_INVOICE = {"missing_in_erp", "missing_in_crm", "amount_mismatch", "stale_delivery_status"}
NOT_FOUND = {
    "quickbooks": BY_INVOICE,
    "xero": BY_INVOICE,
    "business_central": {"fx_difference"},
}
#: in ERPs without orders, what is found of these is right (the rest cannot be seen)
PRECISE = {"amount_mismatch", "stale_delivery_status"}
#: ... and so much of each is found (seed 7)
RECALL_AT_LEAST = {
    "missing_in_erp": 1.0,
    "missing_in_crm": 1.0,
    "stale_delivery_status": 0.7,
    "amount_mismatch": 0.55,
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
    recall, precision = _scores(result, labels, cause)
    if cause in NOT_FOUND[erp]:
        met = recall >= 0.95 and precision >= 0.95
        assert not met, f"{erp}: {cause} is now found as labelled: take it out of NOT_FOUND"
        if erp in ("quickbooks", "xero"):
            assert recall >= RECALL_AT_LEAST[cause], f"{erp} {cause}: {recall=}"
            if cause in PRECISE:
                assert precision == 1.0, f"{erp} {cause}: {precision=}"
        return
    assert recall >= 0.95 and precision >= 0.95, f"{erp} {cause}: {recall=} {precision=}"


def test_files_conserve_and_the_bridge_foots(erp_run) -> None:
    erp, folder, result, _ = erp_run
    assert {f.system for f in result.inputs} >= {erp, "salesforce", "fx"}
    gl = {
        "quickbooks": "GeneralLedger",
        "xero": "Journals",
        "business_central": "generalLedgerEntries",
    }
    assert gl[erp] in {f.table for f in result.inputs if f.system == erp}
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
    duplicate_invoices: list[tuple[int, Decimal]] = []
    for erp in ("netsuite", *NOT_FOUND):
        company = generate(tmp_path / erp, seed=3, n_deals=150, erp=erp)
        backend = DuckDBBackend()
        try:
            load_sources(load_definitions(company.definitions), backend)
            query = "SELECT doc_type, count(*), sum(amount) FROM document GROUP BY 1 ORDER BY 1"
            totals[erp] = backend.sql(query).fetchall()
            if erp == "xero":
                ids = [i for x in company.labels if x.cause == "duplicate_in_erp"
                       for i in x.erp_record_id.split(";") if i]  # fmt: skip
                listed = ", ".join(f"'{i}'" for i in ids)
                duplicate_invoices.append(backend.sql(
                    f"SELECT count(*), sum(amount) FROM document WHERE doc_id IN ({listed})"
                ).fetchone())  # fmt: skip
        finally:
            backend.close()
    billing = {erp: [t for t in rows if t[0] != "order"] for erp, rows in totals.items()}
    assert billing["quickbooks"] == billing["xero"]
    # without orders, the sync that ran twice wrote a second invoice, not a second order
    dups = duplicate_invoices[0]
    netsuite = dict((t, (n, a)) for t, n, a in billing["netsuite"])
    assert dict((t, (n, a)) for t, n, a in billing["xero"]) == {
        **netsuite,
        "invoice": (netsuite["invoice"][0] + dups[0], netsuite["invoice"][1] + dups[1]),
    }
    assert totals["business_central"] == totals["netsuite"]  # with its sales orders
