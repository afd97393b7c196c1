"""Platform fit (SPEC §9): where the finance system cannot hold what the pipeline needs.

Each finding comes from the definitions (which ERP, where the product line
lives, where revenue comes from) and the data (how many product lines the CRM
sells, how many ERP revenue lines carry one, how much is sold ratably), and
names the upgrade it points to. The plan limits are the vendors' published ones:

- QuickBooks Online: classes and locations, 40 combined on Simple Start,
  Essentials and Plus, no limit on Advanced; a location (department) is set
  per transaction, a class per line
  (https://quickbooks.intuit.com/learn-support/en-us/manage-intuit-subscriptions/what-are-usage-limits-in-quickbooks-online/00/228520).
- Xero: two active tracking categories, 100 active options each
  (https://central.xero.com/s/article/Set-up-tracking-categories).
"""

from __future__ import annotations

from crossfoot.config import SCHEDULELESS_ERPS, Definitions, Ratable
from crossfoot.diagnostic.findings import PlatformFinding
from crossfoot.diagnostic.flow import system_label
from crossfoot.engine.backend import Backend

QBO_CLASS_LOCATION_LIMIT = 40
XERO_TRACKING_CATEGORIES = 2
XERO_TRACKING_OPTIONS = 100

#: where each schedule-less ERP can keep revenue schedules natively
REVENUE_SCHEDULE_UPGRADE = {
    "quickbooks": "QuickBooks Online Advanced (revenue recognition on products and services)",
    "xero": "a revenue-recognition add-on from the Xero App Store, or manual journals per schedule",
    "business_central": "Business Central deferral templates on the items sold ratably",
    "netsuite": "NetSuite Advanced Revenue Management (revenue arrangements and plans)",
}


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def platform_fit(backend: Backend, defs: Definitions) -> tuple[PlatformFinding, ...]:
    erp = defs.erp.system
    erp_label = system_label(erp)
    crm_lines = backend.table("deal_line")
    crm_pls = backend.scalar(crm_lines.product_line.nunique()) or 0
    dl = backend.table("document_line")
    n_lines = backend.scalar(dl.count()) or 0
    n_with_pl = backend.scalar(dl.product_line.notnull().sum()) or 0
    deal_pls = (
        crm_lines.filter(crm_lines.product_line.notnull())
        .group_by("deal_id")
        .aggregate(n=lambda t: t.product_line.nunique())
    )
    multi_line_deals = backend.scalar((deal_pls.n > 1).sum()) or 0
    erp_pl_field = defs.erp.fields.get("product_line", "")
    findings: list[PlatformFinding] = []

    if erp == "quickbooks":
        per_transaction = erp_pl_field.lower().startswith(("department", "location"))
        where = "locations (one per transaction)" if per_transaction else "classes (one per line)"
        findings.append(
            PlatformFinding(
                key="qbo_class_location_limit",
                system=erp_label,
                finding=(
                    f"The product line is kept in QuickBooks {where}; Simple Start, Essentials "
                    f"and Plus allow {QBO_CLASS_LOCATION_LIMIT} classes and locations combined."
                    + (
                        " A deal with several product lines cannot be split by location."
                        if per_transaction and multi_line_deals
                        else ""
                    )
                ),
                upgrade=(
                    "QuickBooks Online Advanced (no class or location limit); keep the product "
                    "line in classes, which QuickBooks sets per line"
                ),
                evidence=(
                    f"{crm_pls} product lines sold in the CRM; {multi_line_deals} deals with "
                    f"more than one product line"
                ),
            )
        )
    if erp == "xero":
        findings.append(
            PlatformFinding(
                key="xero_tracking_categories",
                system=erp_label,
                finding=(
                    f"Xero holds at most {XERO_TRACKING_CATEGORIES} active tracking categories "
                    f"({XERO_TRACKING_OPTIONS} options each); the product line uses "
                    f"{erp_pl_field or 'none of them'}, leaving one for every other dimension "
                    "the pipeline reports by (region, segment, owner)."
                ),
                upgrade=(
                    "keep further dimensions in the CRM and report them through crossfoot, or "
                    "move to an ERP with more dimensions (Business Central, NetSuite)"
                ),
                evidence=f"{crm_pls} product lines sold in the CRM (limit {XERO_TRACKING_OPTIONS})",
            )
        )
    if n_lines and n_with_pl < n_lines:
        findings.append(
            PlatformFinding(
                key="product_line_not_on_erp_lines",
                system=erp_label,
                finding=(
                    f"{n_lines - n_with_pl} of {n_lines} ERP revenue lines "
                    f"({_pct(n_lines - n_with_pl, n_lines)}) carry no product line"
                    + (f" in {erp_pl_field}" if erp_pl_field else " (no ERP field is mapped)")
                    + ", so revenue by product line cannot be reported from the ERP alone."
                ),
                upgrade=(
                    f"make {erp_pl_field or 'the product-line field'} mandatory on revenue lines "
                    "(or default it from the item) and map the CRM product family to it"
                ),
                evidence=f"product line coverage on ERP lines: {_pct(n_with_pl, n_lines)}",
            )
        )
    ratable = sorted(n for n, r in defs.product_lines.items() if isinstance(r, Ratable))
    schedule_less = erp in SCHEDULELESS_ERPS and defs.erp.revenue != "erp"
    if ratable and schedule_less:
        source = defs.erp.revenue or "invoice_lines"
        findings.append(
            PlatformFinding(
                key="no_revenue_schedules",
                system=erp_label,
                finding=(
                    f"{erp_label} keeps no revenue schedules here (erp.revenue: {source}): revenue is "
                    "taken at the invoice date, while the definitions recognize "
                    f"{', '.join(ratable)} ratably."
                ),
                upgrade=REVENUE_SCHEDULE_UPGRADE.get(erp, "an ERP with revenue schedules"),
                evidence=f"ratable product lines: {', '.join(ratable)}",
            )
        )
    return tuple(findings)
