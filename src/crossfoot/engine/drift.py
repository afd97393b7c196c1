"""Definition drift: which rule does the ERP actually apply to each product line?

For every product line with a rule, each candidate rule (at close, at delivery,
ratable under each convention) is scheduled over the *clean* deals — matched,
booked, with no other cause — and compared period by period with the revenue
the ERP recognized for them up to the as-of period. The candidate with the
smallest absolute difference is what the ERP does. When it is not what the
definitions say, and fits at least twice as well, the product line drifts:

- ``drift_fit``: product_line, candidate, deals, score_cents (all candidates).
- ``drift``: one row per drifting product line: defined, inferred, deals, the
  fit of both, and ``moved_cents``, the revenue the two rules put in different
  periods up to the as-of period (over every booked deal of the line).
- ``drift_effect``: deal_id, product_line, period, cents = inferred − defined
  schedule, for every booked deal of a drifting line. ``classify`` books it as
  ``definition_drift`` and takes it out of the deal's residual cause.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions, PointInTime, Ratable
from crossfoot.engine.backend import Backend
from crossfoot.engine.classify import residual_cause
from crossfoot.engine.periods import Calendar, period_of
from crossfoot.engine.schedule import booked_lines, schedules

#: candidate -> (rule, convention) as the schedules read them
CANDIDATES: dict[str, tuple[str, str]] = {
    "point_in_time at close": ("at_close", "daily"),
    "point_in_time at delivery": ("at_delivery", "daily"),
    "ratable daily": ("ratable", "daily"),
    "ratable monthly": ("ratable", "monthly"),
    "ratable month30": ("ratable", "month30"),
    "ratable full_months": ("ratable", "full_months"),
}

ORDER = {name: i for i, name in enumerate(CANDIDATES)}
#: clean deals per product line the candidate rules are fitted on: enough to tell the rules
#: apart, and it keeps the fit's cost flat as the company grows
SAMPLE_DEALS = 2_000


def defined_candidate(defs: Definitions) -> dict[str, str]:
    """product line -> the candidate name of its rule in the definitions."""
    out = {}
    for name, rule in defs.product_lines.items():
        if isinstance(rule, PointInTime):
            out[name] = f"point_in_time at {rule.at}"
        elif isinstance(rule, Ratable):
            out[name] = f"ratable {rule.convention}"
    return out


def _candidate_schedules(
    lines: ir.Table, defs: Definitions, candidates: dict[str, tuple[str, str]] = CANDIDATES
) -> ir.Table:
    """Lines scheduled under each candidate: candidate, deal_id, product_line, period, cents."""
    cal = Calendar.of(defs.reporting)
    keys = ("candidate", "deal_id", "line_id", "product_line", "rule")
    variants = [
        lines.mutate(candidate=ibis.literal(name), rule=ibis.literal(r), convention=ibis.literal(c))
        for name, (r, c) in candidates.items()
    ]
    s = schedules(ibis.union(*variants), cal, keys)
    s = s.mutate(period=period_of(s.date, defs))
    return s.group_by(["candidate", "deal_id", "product_line", "period"]).aggregate(
        cents=lambda t: t.cents.sum()
    )


def definition_drift(backend: Backend, defs: Definitions, as_of_period: str) -> None:
    defined = defined_candidate(defs)
    lines = booked_lines(backend, defs)
    lines = lines.filter(lines.product_line.isin(list(defined) or [""]))
    facts = backend.table("deal_facts")
    dup = backend.table("deal_roots").filter(lambda t: t.is_duplicate).select("deal_id")
    clean = facts.filter(
        (residual_cause(facts) == "unexplained") & facts.has_docs & ~facts.cm_layer
        & ~facts.fx_flag & ~facts.deal_id.isin(dup.deal_id)
        & ~facts.billing_open  # billed in part so far: the invoices cannot show a rule yet
    ).select("deal_id")  # fmt: skip
    rev = backend.table("revenue_value")
    rev = rev.mutate(period=period_of(rev.date, defs))
    first_period = rev.period.min().as_scalar()
    # deals that closed before the ERP's first period would look like drift: leave them out
    closed = facts.select("deal_id", "close_period").filter(
        lambda t: t.close_period >= first_period
    )
    fitted = _sample(lines.semi_join(clean, "deal_id").semi_join(closed, "deal_id"))
    mine = backend.run_stage("drift_candidate", _candidate_schedules(fitted, defs))
    mine = mine.filter(mine.period <= as_of_period)
    erp = (
        rev.filter(rev.deal_id.notnull() & (rev.period <= as_of_period))
        .semi_join(fitted, "deal_id")
        .group_by(["deal_id", "product_line", "period"])
        .aggregate(erp=lambda t: t.rc_cents.sum())
    )
    names = ibis.memtable({"candidate": list(CANDIDATES)})
    erp_c = erp.cross_join(names)
    keys = ["candidate", "deal_id", "product_line", "period"]
    both = erp_c.outer_join(mine, keys)
    diff = (ibis.coalesce(both.erp, 0) - ibis.coalesce(both.cents, 0)).abs().name("diff")
    scored = both.select(
        candidate=ibis.coalesce(both.candidate, both.candidate_right),
        deal_id=ibis.coalesce(both.deal_id, both.deal_id_right),
        product_line=ibis.coalesce(both.product_line, both.product_line_right),
        diff=diff,
    )
    fit = backend.run_stage(
        "drift_fit",
        scored.group_by(["product_line", "candidate"]).aggregate(
            deals=lambda t: t.deal_id.nunique(), score_cents=lambda t: t.diff.sum()
        ),
    )
    _drift(backend, defs, fit, lines, as_of_period)


def _sample(lines: ir.Table) -> ir.Table:
    """At most SAMPLE_DEALS deals per product line (the first by id: the same on every backend)."""
    deals = lines.select("product_line", "deal_id").distinct()
    ranked = deals.mutate(
        n=ibis.row_number().over(group_by=deals.product_line, order_by=deals.deal_id)
    )
    chosen = ranked.filter(ranked.n < SAMPLE_DEALS).select("product_line", "deal_id")
    return lines.semi_join(chosen, ["product_line", "deal_id"])


def _drift(
    backend: Backend, defs: Definitions, fit: ir.Table, lines: ir.Table, as_of_period: str
) -> None:
    defined = defined_candidate(defs)
    tol = int(defs.tolerances.amount_abs * 100)
    rows = backend.to_arrow(fit).to_pylist()  # a handful of rows per product line
    found: dict[str, tuple[str, int, int, int]] = {}
    for pl, want in defined.items():
        scores = {r["candidate"]: r for r in rows if r["product_line"] == pl}
        if want not in scores:
            continue
        # ties go to the defined rule, then to the simpler rule (CANDIDATES order)
        best = min(
            scores.values(),
            key=lambda r: (r["score_cents"], r["candidate"] != want, ORDER[r["candidate"]]),
        )
        mine = scores[want]
        worse_by = mine["score_cents"] - best["score_cents"]
        if (
            best["candidate"] != want
            and best["score_cents"] * 2 < mine["score_cents"]
            and (worse_by > tol * mine["deals"])
        ):
            found[pl] = (best["candidate"], mine["deals"], mine["score_cents"], best["score_cents"])
    pairs = [(pl, defined[pl], inferred) for pl, (inferred, *_rest) in found.items()]
    chosen = ibis.memtable(
        {
            "product_line": [p for p, _, _ in pairs],
            "defined": [d for _, d, _ in pairs],
            "inferred": [i for _, _, i in pairs],
        },
        schema={"product_line": "string", "defined": "string", "inferred": "string"},
    )
    # only the two rules of each drifting line, over every booked deal of it
    drifting = {c: CANDIDATES[c] for _, d, i in pairs for c in (d, i)} or dict(
        list(CANDIDATES.items())[:1]
    )
    cand = _candidate_schedules(
        lines.filter(lines.product_line.isin([p for p, _, _ in pairs] or [""])), defs, drifting
    )
    cand = cand.filter(cand.period <= as_of_period)
    inferred = cand.join(
        chosen, [cand.product_line == chosen.product_line, cand.candidate == chosen.inferred]
    )
    as_defined = cand.join(
        chosen, [cand.product_line == chosen.product_line, cand.candidate == chosen.defined]
    )
    keys = ["deal_id", "product_line", "period"]
    a = inferred.select(*keys, cents=inferred.cents)
    b = as_defined.select(*keys, cents=-as_defined.cents)
    effect = ibis.union(a, b).group_by(keys).aggregate(cents=lambda t: t.cents.sum())
    # a deal the ERP never saw is missing, not drifting
    effect = effect.semi_join(backend.table("deal_facts").filter(lambda t: t.has_docs), "deal_id")
    effect = backend.run_stage("drift_effect", effect.filter(effect.cents != 0))
    moved = effect.group_by("product_line").aggregate(
        moved_cents=lambda t: t.cents.abs().sum(), deals_moved=lambda t: t.deal_id.nunique()
    )
    summary = ibis.memtable(
        {
            "product_line": list(found),
            "defined": [defined[p] for p in found],
            "inferred": [v[0] for v in found.values()],
            "deals_compared": [v[1] for v in found.values()],
            "defined_fit_cents": [v[2] for v in found.values()],
            "inferred_fit_cents": [v[3] for v in found.values()],
        },
        schema={
            "product_line": "string", "defined": "string", "inferred": "string",
            "deals_compared": "int64", "defined_fit_cents": "int64", "inferred_fit_cents": "int64",
        },
    )  # fmt: skip
    out = summary.left_join(moved, "product_line")
    backend.run_stage(
        "drift",
        out.select(
            "product_line", "defined", "inferred", "deals_compared", "defined_fit_cents",
            "inferred_fit_cents", moved_cents=out.moved_cents.fill_null(0),
            deals_moved=out.deals_moved.fill_null(0),
        ),
    )  # fmt: skip
