"""Deals ↔ documents (SPEC §5), one deal to many documents.

Documents form chains: an invoice created from an order, a credit memo from an
invoice. A chain's root carries the match; the rest of the chain follows it.
Roots are matched by the cross-system ids first (on any document of the chain),
then by rule: same customer cluster, same currency, amount within tolerance,
date within the window. A credit memo with no chain and no id attaches to the
latest deal of its customer closed before it.

Outputs
- ``doc_chain``: doc_id, root_id, doc_type, root_type
- ``doc_deal``: doc_id, root_id, doc_type, deal_id (null: no deal), method, score
- ``deal_class``: deal_id, stage_class
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.money import mul_div_half_up, to_cents


def within_tolerance_cents(cents: ir.IntegerValue, defs: Definitions) -> ir.IntegerValue:
    """The amount difference allowed for an amount: max(absolute, relative × amount)."""
    num, den = defs.tolerances.amount_rel.as_integer_ratio()
    absolute = int(defs.tolerances.amount_abs * 100)
    relative = mul_div_half_up(cents.abs(), num, den)
    return ibis.greatest(ibis.literal(absolute, type="int64"), relative)


def stage_classes(deal: ir.Table, defs: Definitions) -> ir.Table:
    explicit = {k: v for k, v in defs.stages.items() if k != "*"}
    default = defs.stages.get("*", "open")
    cls = deal.stage.substitute(explicit, else_=default) if explicit else ibis.literal(default)
    return deal.select(deal_id=deal.deal_id, stage_class=cls.cast("string"))


def _chains(document: ir.Table) -> ir.Table:
    pv, gv, tv = document.view(), document.view(), document.view()
    parent = pv.select(p_id=pv.doc_id, p_from=pv.created_from)
    gp = gv.select(g_id=gv.doc_id)
    types = tv.select(r_id=tv.doc_id, root_type=tv.doc_type)
    root = ibis.coalesce(gp.g_id, parent.p_id, document.doc_id)
    j = (
        document.left_join(parent, document.created_from == parent.p_id)
        .left_join(gp, parent.p_from == gp.g_id)
        .join(types, root == types.r_id)
    )
    return j.select(
        doc_id=document.doc_id, root_id=root, doc_type=document.doc_type, root_type=types.root_type
    )


def match_deals(backend: Backend, defs: Definitions) -> None:
    deal = backend.table("deal")
    document = backend.table("document")
    classes = backend.run_stage("deal_class", stage_classes(deal, defs))
    chain = backend.run_stage("doc_chain", _chains(document))

    # 1. cross-system ids on any document of a chain decide the chain's deal
    # three equi-joins, not one join on an OR (which would compare every pair)
    pairs = [
        document.join(deal, document.crm_deal_ref == deal.deal_id),
        document.join(deal, deal.erp_ref == document.doc_id),
        document.join(deal, deal.erp_ref == document.number),
    ]
    id_hits = ibis.union(
        *(p.select(doc_id=document.doc_id, deal_id=deal.deal_id) for p in pairs), distinct=True
    )
    hits = id_hits.join(chain, "doc_id")
    # the root's own id wins; otherwise the smallest deal id any chain member names
    ranked = hits.mutate(
        rank=ibis.row_number().over(
            group_by=hits.root_id,
            order_by=[(hits.doc_id != hits.root_id).cast("int8"), hits.deal_id],
        )
    )
    root_by_id = ranked.filter(ranked["rank"] == 0).select(
        root_id=ranked.root_id,
        deal_id=ranked.deal_id,
        method=ibis.literal("id"),
        score=ibis.literal(1.0),
    )

    # 2. rule: unmatched roots against won deals of the same customer cluster
    tol = defs.tolerances
    roots = document.join(chain.filter(chain.doc_id == chain.root_id).select("doc_id"), "doc_id")
    open_roots = roots.filter(~roots.doc_id.isin(root_by_id.root_id))
    cust_cluster = backend.table("customer_cluster")
    acc_links = backend.table("account_customer").join(cust_cluster, "customer_id")
    deal_clusters = acc_links.select("account_id", "cluster_id").distinct()
    won = deal.join(classes, "deal_id").filter(
        lambda t: t.stage_class.isin(["won", "won_not_booked"])
    )
    won_c = won.join(deal_clusters, "account_id").select(
        d_id=won.deal_id,
        d_cluster=deal_clusters.cluster_id,
        d_cur=won.currency,
        d_cents=to_cents(won.amount),
        d_date=won.close_date,
    )
    r = open_roots.join(cust_cluster, open_roots.customer_id == cust_cluster.customer_id).select(
        doc_id=open_roots.doc_id,
        doc_type=open_roots.doc_type,
        cluster_id=cust_cluster.cluster_id,
        currency=open_roots.currency,
        cents=to_cents(open_roots.amount),
        date=open_roots.date,
    )
    cand = r.join(won_c, (r.cluster_id == won_c.d_cluster) & (r.currency == won_c.d_cur))
    diff = (cand.cents - cand.d_cents).abs()
    allowed = within_tolerance_cents(cand.d_cents, defs)
    days = cand.date.delta(cand.d_date, unit="day")
    is_cm = cand.doc_type == "credit_memo"
    ok_sale = ~is_cm & (diff <= allowed) & (days.abs() <= tol.match_window_days)
    ok_cm = is_cm & (days >= 0)
    scored = cand.filter(ok_sale | ok_cm).mutate(diff=diff, days=days.abs())
    pick = scored.mutate(
        rank=ibis.row_number().over(
            group_by=scored.doc_id,
            order_by=[scored.diff, scored.days, scored.d_date.desc(), scored.d_id],
        )
    )
    score = ibis.ifelse(
        pick.doc_type == "credit_memo",
        ibis.literal(0.5),
        (
            1 - pick.diff.cast("float64") / ibis.greatest(pick.d_cents.abs(), 1).cast("float64")
        ).round(4),
    )
    root_by_rule = pick.filter(pick["rank"] == 0).select(
        root_id=pick.doc_id, deal_id=pick.d_id, method=ibis.literal("rule"), score=score
    )

    root_deal = root_by_id.union(root_by_rule)
    doc_deal = chain.left_join(root_deal, chain.root_id == root_deal.root_id).select(
        doc_id=chain.doc_id,
        root_id=chain.root_id,
        doc_type=chain.doc_type,
        root_type=chain.root_type,
        deal_id=root_deal.deal_id,
        method=root_deal.method,
        score=root_deal.score,
    )
    backend.run_stage("doc_deal", doc_deal)
