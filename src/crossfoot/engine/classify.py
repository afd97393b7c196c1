"""Causes (SPEC §6): every difference between expected and ERP revenue gets one cause.

Money is attributed in layers at the grain (deal, product line, period):
revenue on duplicate documents, on credit memos the CRM never saw, the rate
effect of a document's own exchange rate and the periods a drifting product
line's ERP rule moves revenue between (:mod:`crossfoot.engine.drift`) are each
measured directly; what is
left of a deal's difference (ERP revenue − expected revenue) goes to the deal's
first cause in ``RESIDUAL_ORDER``, and to ``unexplained`` when it has none.
Revenue without a deal is ``missing_in_crm``; a won deal without documents is
``missing_in_erp``.

Output ``contribution``: key, cause, product_line, period, cents — summed, it
is exactly ERP revenue − expected revenue for every period and product line.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.money import convert_cents
from crossfoot.engine.periods import period_of

#: causes that take a deal's residual difference, first match wins
RESIDUAL_ORDER = (
    ("unmapped", "unmapped_product_rule"),
    ("stale", "stale_delivery_status"),
    ("pl_mismatch", "product_line_mismatch"),
    ("pl_not_synced", "field_not_synced"),
    ("timing", "sync_timing_gap"),
    ("amount_mismatch", "amount_mismatch"),
)


def residual_cause(f: ir.Table) -> ir.StringValue:
    case = ibis.cases(
        (~f.has_docs & (f.stage_class == "won") & ~f.awaiting_delivery, "missing_in_erp"),
        *((f[flag], cause) for flag, cause in RESIDUAL_ORDER),
        else_="unexplained",
    )
    return case


def contributions(backend: Backend, defs: Definitions, as_of_period: str) -> ir.Table:
    facts = backend.table("deal_facts")
    roots = backend.table("deal_roots")
    rev = backend.table("revenue_value")
    exp = backend.table("expected")
    pl = "product_line"
    f = facts.select(
        deal_id="deal_id",
        f_cause=residual_cause(facts),
        f_cm=facts.cm_layer,
        f_fx=facts.fx_flag,
        f_rate=facts.rate,
    )
    dup_roots = roots.filter(roots.is_duplicate).select(d_root="root_id")

    r = (
        rev.left_join(f, "deal_id")
        .drop("deal_id_right")
        .left_join(dup_roots, rev.root_id == dup_roots.d_root)
    )
    period = period_of(r.date, defs)
    key_deal = r.deal_id
    unmatched = r.deal_id.isnull()
    # a duplicate order is an exception of a deal the bridge reconciles (won or won but
    # not booked: one in deal_facts); on a lost or open deal its revenue is unexplained,
    # as the rest of that deal's revenue is
    is_dup = r.d_root.notnull() & r.f_cause.notnull()
    is_cm = (r.doc_type == "credit_memo") & r.f_cm.fill_null(False)
    # in the document's currency: a GL row kept in the home currency is converted back first
    at_close = ibis.ifelse(
        r.f_fx.fill_null(False), convert_cents(r.doc_cents, r.f_rate), r.rc_cents
    )
    base = dict(product_line=r[pl], period=period)

    def part(cond: ir.BooleanValue, key: ir.Value, cause: ir.Value, cents: ir.Value) -> ir.Table:
        return r.filter(cond).select(key=key.cast("string"), cause=cause, cents=cents, **base)

    unmatched_key = ibis.literal("erp:") + r.root_id
    parts = [
        part(unmatched, unmatched_key, ibis.literal("missing_in_crm"), r.rc_cents),
        part(~unmatched & is_dup, key_deal, ibis.literal("duplicate_in_erp"), r.rc_cents),
        part(
            ~unmatched & ~is_dup & is_cm,
            key_deal,
            ibis.literal("erp_adjustment_not_in_crm"),
            r.rc_cents,
        ),
        part(
            ~unmatched & ~is_dup & ~is_cm & r.f_fx.fill_null(False),
            key_deal,
            ibis.literal("fx_difference"),
            r.rc_cents - at_close,
        ),
        # a deal that is not won (open, lost) but has ERP revenue: nothing explains it
        part(~unmatched & ~is_dup & ~is_cm, key_deal, r.f_cause.fill_null("unexplained"), at_close),
    ]
    e = exp.join(f, "deal_id")
    parts.append(
        e.select(
            key=e.deal_id,
            cause=e.f_cause,
            cents=-e.cents,
            product_line=e[pl],
            period=period_of(e.date, defs),
        )
    )
    # a drifting product line: what the ERP's own rule moves between periods is
    # definition_drift, and no longer part of the deal's residual cause
    d = backend.table("drift_effect").join(f, "deal_id")
    for cause, sign in ((ibis.literal("definition_drift"), 1), (d.f_cause, -1)):
        parts.append(
            d.select(key=d.deal_id, cause=cause, cents=d.cents * sign, product_line=d[pl],
                     period=d.period)
        )  # fmt: skip
    out = ibis.union(*parts)
    out = out.filter(out.period <= as_of_period)
    agg = out.group_by(["key", "cause", "product_line", "period"]).aggregate(
        cents=lambda t: t.cents.sum()
    )
    return backend.run_stage("contribution", agg)
