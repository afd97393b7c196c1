"""Platform fit (SPEC §9): where the finance system cannot carry what the pipeline reports by.

A pure function of the definitions and the canonical tables (as Arrow tables):
:func:`platform_fit` returns :class:`~crossfoot.diagnostic.findings.PlatformFinding`
rows, each naming the system, the dimension, what the data shows and what it
points to (a setting, a mapping, a plan). The report renders them.

What is checked, and the vendors' limits it relies on:

* the product line on the ERP's revenue lines (every ERP): lines without one, and
  CRM product lines that never appear on an ERP line;
* QuickBooks Online: classes and locations, 40 combined on Plus, none on Simple
  Start and Essentials, no limit on Advanced
  (https://quickbooks.intuit.com/learn-support/en-us/manage-intuit-subscriptions/what-are-usage-limits-in-quickbooks-online/00/228520);
* Xero: two active tracking categories, 100 active options each
  (https://central.xero.com/s/article/Set-up-tracking-categories);
* ERPs without revenue schedules (QuickBooks Online, Xero, Business Central
  without deferrals): ratable product lines are recognized when invoiced;
* the delivery date of goods recognized at delivery, where the ERP holds no
  shipment date (Xero) and neither side maps one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from crossfoot.config import SCHEDULELESS_ERPS, Definitions, PointInTime, Ratable
from crossfoot.diagnostic.findings import PlatformFinding

QBO_PLUS_CLASSES_AND_LOCATIONS = 40
XERO_TRACKING_CATEGORIES = 2
XERO_TRACKING_OPTIONS = 100

#: how each ERP carries a product line on a line, for "points to"
CARRY = {
    "netsuite": "make Class mandatory on sales transaction lines (or default it from the item) "
    "and map it: erp.fields.product_line",
    "quickbooks": "turn on class tracking for each row (Settings > Advanced > Categories: "
    "one to each row in transaction) and set a class on every line, or default it from "
    "the product; classes need QuickBooks Online Plus or Advanced",
    "xero": "a tracking category for the product line on every line item (Xero allows two "
    "active categories of up to 100 options), mapped as erp.fields.product_line: "
    "Tracking.<category>",
    "business_central": "a dimension for the product line with a default dimension on every "
    "item, mapped as erp.fields.product_line: dimensionSetLines.<code>",
}
SCHEDULES = {
    "quickbooks": "QuickBooks Online Advanced's revenue recognition (schedules on products and "
    "services), or book deferrals by journal and read revenue from the GL (erp.revenue: gl)",
    "xero": "deferrals booked by manual journals or a revenue-recognition app, read from the GL "
    "(erp.revenue: gl)",
    "business_central": "deferral templates on the items (or G/L accounts), read from the GL "
    "(erp.revenue: gl)",
}


def platform_fit(defs: Definitions, tables: Mapping[str, pa.Table]) -> tuple[PlatformFinding, ...]:
    """Findings from the definitions and the canonical ``document_line`` and ``deal_line``."""
    erp = defs.erp.system
    lines = tables.get("document_line")
    deal_lines = tables.get("deal_line")
    erp_lines = _values(lines)
    crm_lines = _values(deal_lines)
    out = [*_product_line(erp, lines, erp_lines, crm_lines)]
    out += _limits(defs, erp_lines | crm_lines)
    out += _schedules(defs)
    out += _delivery(defs)
    return tuple(out)


def _values(table: pa.Table | None) -> set[str]:
    if table is None or table.num_rows == 0:
        return set()
    return {v for v in pc.unique(table["product_line"]).to_pylist() if v}


def _product_line(
    erp: str, lines: pa.Table | None, erp_lines: set[str], crm_lines: set[str]
) -> list[PlatformFinding]:
    out = []
    if lines is not None and lines.num_rows:
        blank = pc.or_(pc.is_null(lines["product_line"]),
                       pc.equal(pc.utf8_trim_whitespace(lines["product_line"]), ""))  # fmt: skip
        blank = pc.fill_null(blank, True)
        n_blank = pc.sum(pc.cast(blank, pa.int64())).as_py() or 0
        if n_blank:
            amounts = pc.abs(lines["amount"])
            total = pc.sum(amounts).as_py() or Decimal(0)
            missing = pc.sum(pc.filter(amounts, blank)).as_py() or Decimal(0)
            share = f"{missing / total:.1%}" if total else "0%"
            out.append(PlatformFinding(
                erp, "product_line",
                f"{n_blank} of {lines.num_rows} revenue lines ({share} of their amount) carry no "
                "product line: their revenue cannot be reported or recognized by product line",
                CARRY[erp],
            ))  # fmt: skip
    absent = sorted(crm_lines - erp_lines)
    if absent and erp_lines:
        out.append(PlatformFinding(
            erp, "product_line",
            f"CRM product lines never seen on an ERP line: {', '.join(absent)}",
            f"add them to the ERP's product-line values and map the CRM's to them; {CARRY[erp]}",
        ))  # fmt: skip
    return out


def _limits(defs: Definitions, needed: set[str]) -> list[PlatformFinding]:
    erp, field = defs.erp.system, defs.erp.fields.get("product_line", "")
    if erp == "quickbooks" and len(needed) > QBO_PLUS_CLASSES_AND_LOCATIONS:
        kind = "locations" if field.lower().startswith(("department", "transaction.department")) \
            else "classes"  # fmt: skip
        return [PlatformFinding(
            erp, "product_line",
            f"{len(needed)} product lines as {kind}: more than the "
            f"{QBO_PLUS_CLASSES_AND_LOCATIONS} classes and locations (combined) of QuickBooks "
            "Online Plus",
            "QuickBooks Online Advanced (no limit), or fewer product lines (roll the detail up "
            "into a product family)",
        )]  # fmt: skip
    if erp == "xero":
        out = []
        if len(needed) > XERO_TRACKING_OPTIONS:
            out.append(PlatformFinding(
                erp, "product_line",
                f"{len(needed)} product lines: more than the {XERO_TRACKING_OPTIONS} options of "
                "a Xero tracking category",
                "roll product lines up into at most 100 options, or carry them on the item "
                "code (erp.fields.product_line: LineItems.ItemCode) with a mapping",
            ))  # fmt: skip
        categories = {v.partition(".")[2] for v in defs.erp.fields.values()
                      if v.lower().startswith("tracking.")}  # fmt: skip
        if len(categories) > XERO_TRACKING_CATEGORIES:
            out.append(PlatformFinding(
                erp, "tracking",
                f"the definitions read {len(categories)} tracking categories: Xero allows "
                f"{XERO_TRACKING_CATEGORIES} active",
                "carry the others on the item code or the contact instead",
            ))  # fmt: skip
        return out
    return []


def _schedules(defs: Definitions) -> list[PlatformFinding]:
    erp = defs.erp.system
    if erp not in SCHEDULELESS_ERPS or defs.erp.revenue == "gl":
        return []
    ratable = sorted(n for n, r in defs.product_lines.items() if isinstance(r, Ratable))
    if not ratable:
        return []
    return [PlatformFinding(
        erp, "revenue_schedule",
        f"no revenue schedules: the ratable product lines ({', '.join(ratable)}) are counted "
        "as revenue on their invoice dates, so the ERP's revenue cannot follow the rule",
        SCHEDULES[erp],
    )]  # fmt: skip


def _delivery(defs: Definitions) -> list[PlatformFinding]:
    erp = defs.erp.system
    at_delivery = sorted(n for n, r in defs.product_lines.items()
                         if isinstance(r, PointInTime) and r.at == "delivery")  # fmt: skip
    mapped = "fulfilled_on" in defs.erp.fields or "delivery_date" in defs.crm.fields
    if not at_delivery or mapped or erp not in ("xero", "quickbooks"):
        return []
    where = ("Xero keeps no shipment date" if erp == "xero"
             else "no line date is mapped as the shipment (fulfilled_on)")  # fmt: skip
    return [PlatformFinding(
        erp, "delivery_date",
        f"{where}: goods recognized at delivery ({', '.join(at_delivery)}) are dated by the "
        "CRM's delivery status at the close date",
        "a delivery date field in the CRM (crm.fields.delivery_date)"
        + ("" if erp == "xero" else ", or the invoice line's ServiceDate (erp.fields.fulfilled_on: "
           "Line.ServiceDate)"),
    )]  # fmt: skip
