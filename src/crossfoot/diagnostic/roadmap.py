"""The roadmap (SPEC §9, issue 5): each fix with the money it explains, in the order to do them.

One item per cause (``field_not_synced`` splits by the field that is missing),
named after the concrete field, object or rule the definitions and the data
point at. An item's money is the sum over its exceptions of |effect| in every
period of the bridge (the same measure as "causes by money"), so it equals
the sum of its exceptions in ``exception_effects.csv``. Items are ranked by
money explained per day of effort (``causes.Cause.effort_days``), then by
money, and shown in three layers: align the definitions, fix the integration,
remove the manual reconciliation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import ibis
import ibis.expr.types as ir

from crossfoot.causes import CAUSE_BY_CODE
from crossfoot.config import Definitions
from crossfoot.diagnostic.findings import RoadmapItem
from crossfoot.diagnostic.flow import field_name, system_label
from crossfoot.engine.backend import Backend
from crossfoot.engine.money import cents_to_decimal
from crossfoot.engine.schedule import rule_columns

ALIGN = "align definitions"
INTEGRATION = "fix the integration"
MANUAL = "remove the manual reconciliation"
LAYERS = (ALIGN, INTEGRATION, MANUAL)

LAYER_OF = {
    "unmapped_product_rule": ALIGN,
    "definition_drift": ALIGN,
    "fx_difference": ALIGN,
    "missing_in_erp": INTEGRATION,
    "duplicate_in_erp": INTEGRATION,
    "erp_adjustment_not_in_crm": INTEGRATION,
    "sync_timing_gap": INTEGRATION,
    "product_line_mismatch": INTEGRATION,
    "field_not_synced": INTEGRATION,
    "stale_delivery_status": INTEGRATION,
    "duplicate_customer": MANUAL,
    "amount_mismatch": MANUAL,
    "missing_in_crm": MANUAL,
}

DEAL_OBJECT = {"salesforce": ("Opportunity", "Opportunities"), "hubspot": ("deal", "deals")}
ERP_DOCUMENT = {
    "netsuite": "sales order",
    "business_central": "sales order",
    "quickbooks": "invoice",
    "xero": "invoice",
}
SHOWN = 5  # record ids listed in an item's detail


@dataclass(frozen=True)
class _Group:
    item: str  # cause, or cause.variant
    cause: str
    records: int
    cents: int
    ids: tuple[str, ...]
    crm_ids: tuple[str, ...]
    erp_ids: tuple[str, ...]
    customers: tuple[str, ...]


def _groups(backend: Backend) -> list[_Group]:
    ex = backend.table("exception_rows")
    eff = backend.table("exception_effect")
    facts = backend.table("deal_facts").select(f_id="deal_id", f_pl="pl_not_synced")
    moved = eff.group_by("exception_id").aggregate(moved=lambda t: t.cents.abs().sum())
    j = ex.left_join(moved, "exception_id").drop("exception_id_right")
    j = j.left_join(facts, j.crm_record_id == facts.f_id)
    variant = ibis.cases(
        (
            (j.cause == "field_not_synced") & j.f_pl.fill_null(False),
            "field_not_synced.product_line",
        ),
        (j.cause == "field_not_synced", "field_not_synced.ids"),
        else_=j.cause,
    )
    j = j.mutate(item=variant, moved=j.moved.fill_null(0))
    agg = j.group_by(["item", "cause"]).aggregate(
        records=j.count(),
        cents=j.moved.sum().cast("int64"),
        ids=j.exception_id.collect(order_by=j.exception_id),
        crm_ids=j.crm_record_id.collect(order_by=[-j.moved, j.exception_id]),
        erp_ids=j.erp_record_id.collect(order_by=[-j.moved, j.exception_id]),
        customers=j.customer.collect(order_by=[-j.moved, j.exception_id]),
    )
    return [
        _Group(
            r["item"],
            r["cause"],
            int(r["records"]),
            int(r["cents"] or 0),
            *(tuple(r[k] or ()) for k in ("ids", "crm_ids", "erp_ids", "customers")),
        )
        for r in backend.to_arrow(agg).to_pylist()
    ]


def _listed(values: tuple[str, ...], limit: int = SHOWN) -> str:
    parts = [p for v in values for p in v.split(";") if p]
    unique = list(dict.fromkeys(parts))
    more = f" and {len(unique) - limit} more" if len(unique) > limit else ""
    return ", ".join(unique[:limit]) + more


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class _Namer:
    """Names each fix after the concrete field, object or rule behind it."""

    def __init__(self, backend: Backend, defs: Definitions) -> None:
        self.backend = backend
        self.defs = defs
        self.crm = system_label(defs.crm.system)
        self.erp = system_label(defs.erp.system)
        self.deal, self.deals = DEAL_OBJECT.get(defs.crm.system, ("deal", "deals"))
        self.doc = ERP_DOCUMENT.get(defs.erp.system, "document")

    def _deals(self, n: int) -> str:
        return f"{n} {self.deal if n == 1 else self.deals}"

    def crm_field(self, canonical: str) -> str:
        return field_name(self.defs, "crm", canonical)

    def erp_field(self, canonical: str) -> str:
        return field_name(self.defs, "erp", canonical)

    def name(self, g: _Group) -> tuple[str, str]:
        namer: Callable[[_Group], tuple[str, str]] = getattr(
            self, "_" + g.item.replace(".", "_"), self._generic
        )
        return namer(g)

    def _generic(self, g: _Group) -> tuple[str, str]:
        cause = CAUSE_BY_CODE.get(g.cause)
        return (cause.suggested_fix if cause else g.cause, f"records: {_listed(g.crm_ids)}")

    def _missing_in_erp(self, g: _Group) -> tuple[str, str]:
        return (
            f"Create the {_plural(g.records, 'missing ' + self.doc)} in {self.erp} and fix the "
            f"sync filter that skipped won {self.deals}",
            f"won {self.deals} with no {self.erp} document ({self.crm_field('erp_ref')} empty): "
            f"{_listed(g.crm_ids)}",
        )

    def _missing_in_crm(self, g: _Group) -> tuple[str, str]:
        return (
            f"Create the {self._deals(g.records)} in {self.crm} for {self.erp} documents "
            "keyed straight into the ERP (renewals), and key renewals in the CRM first",
            f"{self.erp} documents with revenue and no {self.deal}: {_listed(g.erp_ids)} "
            f"({_listed(g.customers, 3)})",
        )

    def _duplicate_in_erp(self, g: _Group) -> tuple[str, str]:
        return (
            f"Void {_plural(g.records, 'duplicate ' + self.doc)} in {self.erp} and make the sync "
            f"upsert on {self.erp_field('crm_deal_ref')}",
            f"duplicates: {_listed(g.erp_ids)}",
        )

    def _duplicate_customer(self, g: _Group) -> tuple[str, str]:
        return (
            f"Merge {_plural(g.records, 'duplicate customer')} in {self.erp} and match on "
            f"{self.erp_field('crm_account_ref')} before the name",
            f"{_listed(g.customers)} (ids {_listed(g.erp_ids, 3)})",
        )

    def _erp_adjustment_not_in_crm(self, g: _Group) -> tuple[str, str]:
        return (
            f"Sync credit memos back to the {self.deal} ({self.crm_field('amount')}): "
            f"{_plural(g.records, 'credit memo')} never reached {self.crm}",
            f"credit memos: {_listed(g.erp_ids)}",
        )

    def _amount_mismatch(self, g: _Group) -> tuple[str, str]:
        return (
            f"Correct {_plural(g.records, self.crm_field('amount') + ' value')} and lock the "
            f"amount once the {self.doc} exists",
            f"{self.deals}: {_listed(g.crm_ids)}",
        )

    def _of_group(self, t: ir.Table, g: _Group) -> ir.Table:
        """The rows of ``t`` whose ``deal_id`` has an exception of ``g``'s cause.

        A semi-join, not ``isin`` over ``g.crm_ids``: that inlines thousands of ids into SQL.
        """
        ex = self.backend.table("exception_rows")
        ids = ex.filter(ex.cause == g.cause).select(g_deal="crm_record_id")
        return t.semi_join(ids, t.deal_id == ids.g_deal)

    def _sync_timing_gap(self, g: _Group) -> tuple[str, str]:
        late = self._of_group(self.backend.table("deal_facts"), g)
        max_days = self.backend.scalar(late.p_date.delta(late.close_date, unit="day").max())
        period = "quarter" if self.defs.reporting.period == "quarter" else "month"
        return (
            f"Run the sync hourly in the last three days of the {period} (or date the "
            f"{self.doc} at {self.crm_field('close_date')})",
            f"{self._deals(g.records)} closed at {period} end reached {self.erp} in the "
            f"next {period}, up to {max_days} days later: {_listed(g.crm_ids)}",
        )

    def _product_line_mismatch(self, g: _Group) -> tuple[str, str]:
        pairs = self.backend.table("deal_product_lines")
        flagged = self._of_group(pairs, g)
        crm = flagged.filter(flagged.side == "crm").select("deal_id", crm_pl="product_line")
        erp = flagged.filter(flagged.side == "erp").select(e_id="deal_id", erp_pl="product_line")
        j = crm.join(erp, crm.deal_id == erp.e_id).filter(lambda t: t.crm_pl != t.erp_pl)
        counts = j.group_by(["crm_pl", "erp_pl"]).aggregate(n=lambda t: t.deal_id.nunique())
        rows = self.backend.to_arrow(counts.order_by([ibis.desc("n"), "crm_pl"])).to_pylist()
        mapping = "; ".join(f"'{r['crm_pl']}' → '{r['erp_pl']}' on {r['n']}" for r in rows)
        return (
            f"Map {self.deal} product family {self.crm_field('product_line')} to "
            f"{self.erp_field('product_line')} one to one",
            f"the CRM's product line booked as another in {self.erp}: {mapping or 'see exceptions'}",
        )

    def _field_not_synced_product_line(self, g: _Group) -> tuple[str, str]:
        return (
            f"Carry {self.crm_field('product_line')} onto {self.erp_field('product_line')}: "
            f"empty on {_plural(g.records, self.erp + ' ' + self.doc)}",
            f"{self.erp} documents without a product line: {_listed(g.erp_ids)}",
        )

    def _field_not_synced_ids(self, g: _Group) -> tuple[str, str]:
        return (
            f"Stamp the cross-system ids on both sides: {self.crm_field('erp_ref')} and "
            f"{self.erp_field('crm_deal_ref')}",
            f"set on one side only: {_listed(g.crm_ids)}",
        )

    def _stale_delivery_status(self, g: _Group) -> tuple[str, str]:
        status = self.crm_field("delivery_status")
        if "fulfilled_on" in self.defs.erp.fields:
            source = f"{self.erp} fulfilments ({self.erp_field('fulfilled_on')})"
        else:  # no fulfilment date mapped: the ERP's invoices are the delivery evidence
            source = f"{self.erp} invoices (map a fulfilment date in erp.fields.fulfilled_on)"
        return (
            f"Update {status} from {source} automatically",
            f"{self.deals} whose delivery status disagrees with {self.erp}: {_listed(g.crm_ids)}",
        )

    def _fx_difference(self, g: _Group) -> tuple[str, str]:
        fx = self._of_group(self.backend.table("deal_facts"), g)
        currencies = sorted(
            self.backend.to_arrow(fx.select("currency").distinct()).column(0).to_pylist()
        )
        return (
            f"Convert at the close date's rate in {self.erp} too: {_plural(g.records, self.doc)} "
            f"in {', '.join(currencies)} used another rate",
            f"{self.deals}: {_listed(g.crm_ids)}",
        )

    def _unmapped_product_rule(self, g: _Group) -> tuple[str, str]:
        rules = rule_columns(self.backend.table("line_value"), self.defs)
        none = rules.filter((rules.rule == "none") & rules.product_line.notnull())
        names = sorted(
            self.backend.to_arrow(none.select("product_line").distinct()).column(0).to_pylist()
        )
        return (
            f"Add a rule for product line {', '.join(names)} to crossfoot.yaml (product_lines)",
            f"{self._deals(g.records)} sell it with no recognition rule: {_listed(g.crm_ids)}",
        )

    def _definition_drift(self, g: _Group) -> tuple[str, str]:
        rows = self.backend.to_arrow(self.backend.table("drift").order_by("product_line"))
        parts = [
            f"{r['product_line']}: the definitions say {r['defined']}, {self.erp} recognizes "
            f"{r['inferred']}"
            for r in rows.to_pylist()
        ]
        names = ", ".join(r["product_line"] for r in rows.to_pylist())
        return (
            f"Agree the recognition rule for {names} and correct {self.erp}'s revenue rule "
            "or crossfoot.yaml",
            "; ".join(parts),
        )


def build_roadmap(backend: Backend, defs: Definitions) -> tuple[RoadmapItem, ...]:
    namer = _Namer(backend, defs)
    drafts = []
    for g in _groups(backend):
        cause = CAUSE_BY_CODE.get(g.cause)
        effort = cause.effort_days if cause else 1
        title, detail = namer.name(g)
        drafts.append((g, cause, effort, title, detail))
    drafts.sort(
        key=lambda d: (-Fraction(d[0].cents, max(d[2], 1)), -d[0].cents, -d[0].records, d[3])
    )
    return tuple(
        RoadmapItem(
            rank=i,
            layer=LAYER_OF.get(g.cause, MANUAL),
            cause=g.cause,
            title=title,
            detail=detail,
            owner=cause.owner if cause else "finance",
            effort_days=effort,
            records=g.records,
            money=cents_to_decimal(g.cents),
            exception_ids=g.ids,
        )
        for i, (g, cause, effort, title, detail) in enumerate(drafts, start=1)
    )


def layer_totals(items: tuple[RoadmapItem, ...]) -> list[tuple[str, int, Decimal, int]]:
    """(layer, items, money, effort days) per layer, in layer order."""
    return [
        (
            layer,
            sum(1 for i in items if i.layer == layer),
            sum((i.money for i in items if i.layer == layer), Decimal(0)),
            sum(i.effort_days for i in items if i.layer == layer),
        )
        for layer in LAYERS
    ]
