"""The cause codes (SPEC §6) and the bridge steps (SPEC §7): the public vocabulary.

This is the one place that names them; classification, the bridge, the outputs
and the roadmap all read from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Owner = Literal["sales ops", "finance", "integration"]


@dataclass(frozen=True)
class Cause:
    code: str
    title: str
    meaning: str
    suggested_fix: str
    owner: Owner
    effort_days: int  # rough effort to fix the root cause once, for the roadmap


CAUSES: tuple[Cause, ...] = (
    Cause(
        "missing_in_erp",
        "Won deal missing in the ERP",
        "a deal that is won under the definitions has no ERP document",
        "Create the sales order in the ERP, or fix the sync filter that skipped this deal",
        "integration",
        2,
    ),
    Cause(
        "missing_in_crm",
        "ERP revenue without a CRM deal",
        "an ERP document with revenue has no CRM deal (for example a renewal keyed into the ERP)",
        "Create the opportunity in the CRM (renewals too) so pipeline and revenue share a record",
        "sales ops",
        2,
    ),
    Cause(
        "duplicate_in_erp",
        "Duplicate ERP documents",
        "two or more ERP documents represent the same deal",
        "Void the duplicate document and make the sync idempotent on the CRM deal id",
        "integration",
        2,  # voiding is clerical; an upsert on the CRM id is one connector setting
    ),
    Cause(
        "duplicate_customer",
        "Duplicate customers",
        "two or more customers or accounts are one company under name variants",
        "Merge the duplicate records and match on the cross-system id before the name",
        "finance",
        1,
    ),
    Cause(
        "erp_adjustment_not_in_crm",
        "ERP adjustment not in the CRM",
        "a credit memo or price change exists in the ERP and the CRM deal still shows the original amount",
        "Sync credit memos and price changes back to the opportunity (one-way sync today)",
        "integration",
        5,
    ),
    Cause(
        "amount_mismatch",
        "Amount mismatch",
        "a matched deal and its documents disagree on amount with no ERP adjustment to explain it",
        "Correct the amount on the side that is wrong and lock the amount after booking",
        "sales ops",
        1,
    ),
    Cause(
        "sync_timing_gap",
        "Sync timing gap",
        "the deal closed in one period and its ERP document is dated in a later one, within the sync lag",
        "Run the sync more often around period end, or date the document at the close date",
        "integration",
        2,
    ),
    Cause(
        "product_line_mismatch",
        "Product line mismatch",
        "CRM and ERP put the same revenue in different product lines",
        "Map the CRM product family to the ERP class so both sides use one product line",
        "integration",
        3,
    ),
    Cause(
        "field_not_synced",
        "Field not synced",
        "a key field is empty on one side and set on the other",
        "Add the field to the integration's field mapping and backfill the empty records",
        "integration",
        2,
    ),
    Cause(
        "stale_delivery_status",
        "Stale delivery status",
        "the ERP shows delivery while the CRM delivery status was not updated, or the reverse",
        "Update the CRM delivery status from ERP fulfilments (sync it back automatically)",
        "sales ops",
        2,
    ),
    Cause(
        "fx_difference",
        "FX difference",
        "amounts agree in the deal currency and differ in the reporting currency because of rate or rate date",
        "Use one rate source and one rate date (the close date) on both sides",
        "finance",
        1,
    ),
    Cause(
        "unmapped_product_rule",
        "Product line without a recognition rule",
        "a product line has no recognition rule in the definitions",
        "Agree a recognition rule for the product line and add it to crossfoot.yaml",
        "finance",
        1,
    ),
    Cause(
        "definition_drift",
        "ERP recognizes under another rule",
        "the ERP recognizes a product line under another rule or convention than the definitions",
        "Agree which rule is right: correct the ERP's revenue rule for the product line, or the definitions",
        "finance",
        1,
    ),
)

CAUSE_BY_CODE = {c.code: c for c in CAUSES}
CAUSE_CODES = tuple(c.code for c in CAUSES)

StepKind = Literal["total", "definition", "cause"]

#: bridge steps in order, with their kind (SPEC §7)
BRIDGE_STEPS: tuple[tuple[str, StepKind], ...] = (
    ("crm_bookings", "total"),
    ("won_not_booked", "definition"),
    ("booked", "total"),
    ("deferred", "definition"),
    ("recognized_from_prior", "definition"),
    ("expected_revenue", "total"),
    *((code, "cause") for code in CAUSE_CODES),
    ("unexplained", "cause"),
    ("erp_revenue", "total"),
)
STEP_ORDER = {name: i for i, (name, _) in enumerate(BRIDGE_STEPS)}
