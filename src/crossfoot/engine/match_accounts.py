"""Accounts ↔ customers (SPEC §5): cross-system ids first, then names, domains, countries.

Outputs
- ``account_customer``: account_id, customer_id, method (id | rule | fuzzy), score
- ``customer_cluster``: customer_id, cluster_id — name variants of one company
- ``account_cluster``: account_id, cluster_id — the same on the CRM side
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.graph import components
from crossfoot.engine.names import normalized_name, with_country_code


def _prepared(t: ir.Table, id_col: str) -> ir.Table:
    name = t["name"].fill_null("")
    named = t.select(
        id=t[id_col],
        norm=normalized_name(name),
        domain=t.domain.lower().strip().nullif(""),
        country=t.country,
    )
    return with_country_code(named, "country")


def name_similarity(a: ir.StringValue, b: ir.StringValue) -> ir.FloatingValue:
    """1 − Levenshtein distance / longer length: 1.0 identical, 0.0 nothing shared."""
    longest = ibis.greatest(a.length(), b.length(), ibis.literal(1))
    return 1 - a.levenshtein(b).cast("float64") / longest.cast("float64")


def _similar_pairs(
    left: ir.Table, right: ir.Table, threshold: float, *, ordered: bool = False
) -> ir.Table:
    """Candidate pairs blocked on the name's first word or on the domain, scored on the name.

    Blocking keeps the comparison near-linear (as splink's blocking rules do); a
    typo in the first word is still caught when the domains agree. Countries
    must not clash. ``ordered`` (a table against itself): only pairs a < b, so a
    record is not scored against itself nor a pair twice.
    """
    # the first word from the materialized name: computing it with the name would
    # inline the whole normalization a second time
    left = left.mutate(block=left.norm.re_extract(r"^(\S+)", 1))
    r = right.select(
        r_id=right.id,
        r_norm=right.norm,
        r_block=right.norm.re_extract(r"^(\S+)", 1),
        r_domain=right.domain,
        r_country=right.country,
    )
    on_block = left.join(r, left.block == r.r_block)
    on_domain = left.join(r, (left.domain == r.r_domain) & left.domain.notnull())
    pairs = on_block.union(on_domain, distinct=True)
    if ordered:
        pairs = pairs.filter(pairs.id < pairs.r_id)
    sim = name_similarity(pairs.norm, pairs.r_norm)
    same_domain = pairs.domain.notnull() & (pairs.domain == pairs.r_domain)
    clash = pairs.country.notnull() & pairs.r_country.notnull() & (pairs.country != pairs.r_country)
    score = ibis.ifelse(same_domain, ibis.greatest(sim, ibis.literal(0.95)), sim)
    return pairs.filter(~clash & (score >= threshold)).select(
        a=pairs.id,
        b=pairs.r_id,
        score=score.round(4),
        exact=(pairs.norm == pairs.r_norm),
    )


def match_accounts(backend: Backend, defs: Definitions) -> None:
    account = backend.table("account")
    customer = backend.table("customer")
    threshold = float(defs.tolerances.name_similarity)

    by_ref = account.join(customer, account.erp_customer_ref == customer.customer_id).select(
        account_id=account.account_id, customer_id=customer.customer_id
    )
    by_back_ref = account.join(customer, customer.crm_account_ref == account.account_id).select(
        account_id=account.account_id, customer_id=customer.customer_id
    )
    id_pairs = by_ref.union(by_back_ref, distinct=True).mutate(
        method=ibis.literal("id"), score=ibis.literal(1.0)
    )

    acc = backend.run_stage("account_names", _prepared(account, "account_id"))
    cus = backend.run_stage("customer_names", _prepared(customer, "customer_id"))
    # accounts that the ids do not link are matched by name: every customer at the best score
    unlinked = _similar_pairs(acc.filter(~acc.id.isin(id_pairs.account_id)), cus, threshold)
    best = unlinked.mutate(top=unlinked.score.max().over(group_by=unlinked.a))
    by_name = best.filter(best.score == best.top).select(
        account_id=best.a,
        customer_id=best.b,
        method=ibis.ifelse(best.exact, ibis.literal("rule"), ibis.literal("fuzzy")),
        score=best.score,
    )
    links = backend.run_stage("account_customer", id_pairs.union(by_name))

    # clusters: customers with similar names, or linked to the same account, are one company
    cc = _similar_pairs(cus, cus, threshold, ordered=True)
    same_account = links.join(links.view(), "account_id").select(
        a="customer_id", b="customer_id_right"
    )
    cust_edges = cc.select("a", "b").union(same_account.filter(lambda t: t.a < t.b))
    components(
        backend,
        customer.select(node=customer.customer_id),
        cust_edges,
        "customer_cluster",
        ("customer_id", "cluster_id"),
    )

    ac = _similar_pairs(acc, acc, threshold, ordered=True)
    components(
        backend,
        account.select(node=account.account_id),
        ac.select("a", "b"),
        "account_cluster",
        ("account_id", "cluster_id"),
    )
