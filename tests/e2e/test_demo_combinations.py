"""Every demo combination (2 CRMs × 4 ERPs) ties out with the Salesforce + NetSuite bridge.

The same company, written in each system's formats: QuickBooks Online, Xero and
Business Central give their recognized revenue as their own GL export
(``erp.revenue: gl``: NetSuite's revenue rows, posted in the home currency to the
income accounts). In every combination and every period, CRM bookings, the
definition steps, expected revenue and ERP revenue are NetSuite's to the cent, and
the bridge foots. The steps that differ, and exactly how:

- **Business Central**: its API carries no document exchange rate, so the documents
  are converted with the rates file and a rate keyed in the ERP cannot be told
  from the close-date rate: ``fx_difference`` is 0 and its money is in
  ``unexplained`` (unexplained = NetSuite's + NetSuite's fx_difference).
- **QuickBooks Online, Xero** (no sales orders: a deal is booked by its invoices):
  * ``amount_mismatch`` of a deal still being billed in instalments cannot be seen
    (the invoices to date are not its booking): that money is in ``unexplained``
    (unexplained − NetSuite's = NetSuite's amount_mismatch − this one);
  * ``missing_in_erp``, ``missing_in_crm``, ``stale_delivery_status`` and
    ``definition_drift`` trade money among themselves, their sum is NetSuite's: a deal
    billed in instalments without the cross-system id matches no invoice (its
    expected revenue is missing in the ERP, its invoices' revenue missing in the
    CRM); a deal whose goods have not shipped has no document, so the revenue
    accrued on it by journal has no deal; "delivered" in the CRM with nothing
    shipped is a deal with no document at all (missing, not stale); and the drift
    of a deal the ERP cannot tie is part of those.
  Every other step is NetSuite's.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.api import run
from crossfoot.causes import BRIDGE_STEPS
from crossfoot.demo import generate
from tests.e2e.conftest import DemoRun

pytestmark = pytest.mark.slow

COMBINATIONS = [
    (crm, erp)
    for crm in ("salesforce", "hubspot")
    for erp in ("netsuite", "quickbooks", "xero", "business_central")
    if (crm, erp) != ("salesforce", "netsuite")  # the reference: ``demo_run``
]
TOTALS = [name for name, kind in BRIDGE_STEPS if kind in ("total", "definition")]
#: steps that differ from NetSuite's, by ERP (see the module docstring)
RECLASSIFIED: dict[str, set[str]] = {
    "netsuite": set(),
    "business_central": {"fx_difference", "unexplained"},
    "quickbooks": {
        "amount_mismatch", "unexplained", "missing_in_erp", "missing_in_crm",
        "stale_delivery_status", "definition_drift",
    },
}  # fmt: skip
RECLASSIFIED["xero"] = RECLASSIFIED["quickbooks"]
TRADED = ("missing_in_erp", "missing_in_crm", "stale_delivery_status", "definition_drift")

Bridge = dict[str, dict[str, Decimal]]


def _bridge(out: Path) -> Bridge:
    by_period: Bridge = defaultdict(dict)
    with (out / "bridge.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            by_period[r["period"]][r["step"]] = Decimal(r["amount"])
    return dict(by_period)


@pytest.fixture(scope="module", params=COMBINATIONS, ids=lambda c: "+".join(c))
def combination(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str, Path]:
    crm, erp = request.param
    folder = tmp_path_factory.mktemp(f"demo_{crm}_{erp}")
    company = generate(folder, seed=7, crm=crm, erp=erp)
    result = run(company.definitions, folder / "out")
    assert all(f.conserved for f in result.inputs)
    assert not [f for f in result.inputs if f.rows_rejected]
    return crm, erp, folder


def test_totals_and_definition_steps_are_netsuites(combination, demo_run: DemoRun) -> None:
    _, _, folder = combination
    mine, ref = _bridge(folder / "out"), _bridge(demo_run.out)
    assert sorted(mine) == sorted(ref) and len(ref) == 12
    for period in ref:
        got = {s: mine[period][s] for s in TOTALS}
        assert got == {s: ref[period][s] for s in TOTALS}, period


def test_the_bridge_foots_in_every_period(combination) -> None:
    _, _, folder = combination
    for period, steps in _bridge(folder / "out").items():
        running = Decimal(0)
        for name, kind in BRIDGE_STEPS:
            if kind == "total" and name != "crm_bookings":
                assert steps[name] == running, f"{period}: {name}"
            running = steps[name] if kind == "total" else running + steps[name]


def test_cause_steps_are_netsuites_or_reclassified_as_documented(
    combination, demo_run: DemoRun
) -> None:
    _, erp, folder = combination
    mine, ref = _bridge(folder / "out"), _bridge(demo_run.out)
    moved = RECLASSIFIED[erp]
    for period, steps in ref.items():
        m = mine[period]
        same = [s for s, kind in BRIDGE_STEPS if kind == "cause" and s not in moved]
        assert {s: m[s] for s in same} == {s: steps[s] for s in same}, period
        if erp == "business_central":
            assert m["fx_difference"] == 0
            assert m["unexplained"] - steps["unexplained"] == steps["fx_difference"], period
        elif erp in ("quickbooks", "xero"):
            gap = steps["amount_mismatch"] - m["amount_mismatch"]
            assert m["unexplained"] - steps["unexplained"] == gap, period
            assert sum(m[s] for s in TRADED) == sum(steps[s] for s in TRADED), period


def test_unexplained_is_small_but_for_what_the_erp_cannot_show(
    combination, demo_run: DemoRun
) -> None:
    """≤ 0.5% of |ERP − expected| as in the NetSuite demo, once the money the ERP
    cannot show (Business Central's rate, instalment-billed amount mismatches) is
    taken out; that money is asserted to the cent above."""
    _, erp, folder = combination
    mine, ref = _bridge(folder / "out"), _bridge(demo_run.out)
    gap = sum(abs(s["erp_revenue"] - s["expected_revenue"]) for s in mine.values())
    unseen = {
        "business_central": lambda p: ref[p]["fx_difference"],
        "quickbooks": lambda p: ref[p]["amount_mismatch"] - mine[p]["amount_mismatch"],
        "xero": lambda p: ref[p]["amount_mismatch"] - mine[p]["amount_mismatch"],
    }.get(erp, lambda p: Decimal(0))
    unexplained = sum(abs(s["unexplained"] - unseen(p)) for p, s in mine.items())
    assert gap > 0
    assert unexplained <= gap * Decimal("0.005"), f"{erp}: {unexplained} of {gap}"
