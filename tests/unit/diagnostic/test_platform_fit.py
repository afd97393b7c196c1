"""Platform fit: what the finance system cannot carry, from the definitions and the data.

Limits: QuickBooks Online classes and locations, 40 combined on Plus
(https://quickbooks.intuit.com/learn-support/en-us/manage-intuit-subscriptions/what-are-usage-limits-in-quickbooks-online/00/228520);
Xero, two tracking categories of 100 options
(https://central.xero.com/s/article/Set-up-tracking-categories).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from crossfoot.config import Definitions, load_definitions
from crossfoot.demo import generate
from crossfoot.diagnostic.findings import PlatformFinding
from crossfoot.diagnostic.platform_fit import platform_fit
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.sources import load_sources

MONEY = pa.decimal128(18, 2)


def defs(erp: dict[str, Any], **extra: Any) -> Definitions:
    return Definitions.model_validate({
        "crm": {"system": "salesforce", "source": "sf"},
        "erp": {"source": "erp", **erp},
        "stages": {"Closed Won": "won"},
        **extra,
    })  # fmt: skip


def lines(*rows: tuple[str | None, str]) -> pa.Table:
    return pa.table({
        "product_line": pa.array([r[0] for r in rows], pa.string()),
        "amount": pa.array([Decimal(r[1]) for r in rows], MONEY),
    })  # fmt: skip


def test_lines_without_a_product_line_are_counted_with_their_share_of_revenue():
    erp = lines(("Hardware", "900.00"), (None, "-50.00"), ("  ", "50.00"))
    crm = lines(("Hardware", "1.00"), ("Services", "1.00"))
    found = platform_fit(defs({"system": "xero"}), {"document_line": erp, "deal_line": crm})
    assert [f.dimension for f in found] == ["product_line", "product_line"]
    assert found[0].finding.startswith("2 of 3 revenue lines (10.0% of their amount)")
    assert "Tracking.<category>" in found[0].points_to
    assert found[1].finding == "CRM product lines never seen on an ERP line: Services"


def test_quickbooks_plus_cannot_hold_more_than_40_classes_and_locations():
    erp = lines(*((f"PL{i}", "1.00") for i in range(41)))
    qbo = defs({"system": "quickbooks", "fields": {"product_line": "Line.ClassRef.value"}})
    found = platform_fit(qbo, {"document_line": erp})
    assert found == (
        PlatformFinding(
            "quickbooks", "product_line",
            "41 product lines as classes: more than the 40 classes and locations (combined) "
            "of QuickBooks Online Plus",
            "QuickBooks Online Advanced (no limit), or fewer product lines (roll the detail up "
            "into a product family)",
        ),
    )  # fmt: skip
    assert platform_fit(qbo, {"document_line": lines(*((f"P{i}", "1") for i in range(40)))}) == ()


def test_xero_tracking_options_and_the_erps_without_revenue_schedules():
    erp = lines(*((f"PL{i}", "1.00") for i in range(101)))
    rules = {"product_lines": {"Support": {"rule": "ratable"}, "Hardware": {"rule": "point_in_time",
                                                                          "at": "delivery"}}}
    found = platform_fit(defs({"system": "xero"}, **rules), {"document_line": erp})
    by = {f.dimension: f for f in found}
    assert "101 product lines: more than the 100 options" in by["product_line"].finding
    assert "ratable product lines (Support)" in by["revenue_schedule"].finding
    assert "Xero keeps no shipment date" in by["delivery_date"].finding
    gl = defs({"system": "xero", "revenue": "gl", "gl": "gl.csv",
               "fields": {"fulfilled_on": "LineItems.X"}}, **rules)  # fmt: skip
    assert platform_fit(gl, {"document_line": lines(("PL", "1"))}) == ()
    ns = defs({"system": "netsuite"}, **rules)
    assert platform_fit(ns, {"document_line": lines(("Support", "1"))}) == ()


def test_the_quickbooks_demo(tmp_path: Path):
    """Its lines without a class (field_not_synced); its ratable product lines only when
    revenue is read from the invoice lines (the demo reads its GL: erp.revenue: gl)."""
    company = generate(tmp_path, seed=7, n_deals=150, erp="quickbooks")
    d = load_definitions(company.definitions)
    backend = DuckDBBackend()
    try:
        load_sources(d, backend)
        tables = {t: backend.to_arrow(backend.table(t)) for t in ("document_line", "deal_line")}
        deals = {r[0] for r in backend.sql(
            "SELECT DISTINCT d.crm_deal_ref FROM document_line l JOIN document d USING (doc_id) "
            "WHERE l.product_line IS NULL"
        ).fetchall()}  # fmt: skip
    finally:
        backend.close()
    assert {f.dimension for f in platform_fit(d, tables)} == {"product_line"}
    by_lines = d.model_copy(update={"erp": d.erp.model_copy(update={"revenue": "invoice_lines"})})
    found = platform_fit(by_lines, tables)
    assert {f.dimension for f in found} == {"product_line", "revenue_schedule"}
    blank = next(f for f in found if f.dimension == "product_line")
    n_blank = int(blank.finding.split(" of ")[0])
    assert n_blank >= 5  # a line of each field_not_synced deal, on every invoice of it
    assert deals == {x.crm_record_id for x in company.labels if x.cause == "field_not_synced"}
