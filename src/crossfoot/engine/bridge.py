"""The bridge (SPEC §7): from CRM bookings to ERP revenue, per period, footing to the cent.

Every step is a sum of rows that the earlier stages computed; ``unexplained``
is whatever is left between expected revenue plus the causes and the ERP's
revenue, so the bridge foots by construction and the remainder is shown.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.causes import BRIDGE_STEPS, CAUSE_CODES
from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.periods import period_of

NO_PRODUCT_LINE = "(none)"


def _steps(backend: Backend, defs: Definitions, as_of_period: str) -> ir.Table:
    """Long table: period, product_line, step, cents (before totals and unexplained)."""
    dv = backend.table("deal_value")
    lv = backend.table("line_value").join(
        dv.select("deal_id", "stage_class", "close_date"), "deal_id"
    )
    close_p = period_of(lv.close_date, defs)
    bookings = lv.select(
        period=close_p,
        product_line=lv.product_line,
        step=ibis.literal("crm_bookings"),
        cents=lv.alloc_cents,
    )
    wnb = lv.filter(lv.stage_class == "won_not_booked")
    not_booked = wnb.select(
        period=period_of(wnb.close_date, defs),
        product_line=wnb.product_line,
        step=ibis.literal("won_not_booked"),
        cents=-wnb.alloc_cents,
    )

    exp = backend.table("expected").join(dv.select("deal_id", "close_date"), "deal_id")
    e_p = period_of(exp.date, defs)
    b_p = period_of(exp.close_date, defs)
    # deferred(p) = recognized in p from p's bookings − p's bookings
    same = exp.filter(e_p == b_p).select(
        period=e_p, product_line=exp.product_line, step=ibis.literal("deferred"), cents=exp.cents
    )
    booked_won = lv.filter(lv.stage_class == "won")
    minus_booked = booked_won.select(
        period=period_of(booked_won.close_date, defs),
        product_line=booked_won.product_line,
        step=ibis.literal("deferred"),
        cents=-booked_won.alloc_cents,
    )
    prior = exp.filter(e_p != b_p).select(
        period=e_p,
        product_line=exp.product_line,
        step=ibis.literal("recognized_from_prior"),
        cents=exp.cents,
    )
    contrib = backend.table("contribution")
    causes = contrib.filter(contrib.cause != "unexplained").select(
        period=contrib.period,
        product_line=contrib.product_line,
        step=contrib.cause,
        cents=contrib.cents,
    )
    rev = backend.table("revenue_value")
    erp = rev.select(
        period=period_of(rev.date, defs),
        product_line=rev.product_line,
        step=ibis.literal("erp_revenue"),
        cents=rev.rc_cents,
    )
    allsteps = (
        bookings.union(not_booked)
        .union(same)
        .union(minus_booked)
        .union(prior)
        .union(causes)
        .union(erp)
    )
    return allsteps.filter(allsteps.period <= as_of_period).mutate(
        product_line=allsteps.product_line.fill_null(NO_PRODUCT_LINE)
    )


def _complete(long: ir.Table, by: list[str]) -> ir.Table:
    """Every step for every group, with totals and unexplained derived so it foots."""
    wide = long.group_by(by).aggregate(
        **{
            s: ibis.ifelse(long.step == s, long.cents, 0).sum().cast("int64")
            for s, _ in BRIDGE_STEPS
        }
    )
    booked = wide.crm_bookings + wide.won_not_booked
    expected = booked + wide.deferred + wide.recognized_from_prior
    cause_sum = sum((wide[c] for c in CAUSE_CODES), ibis.literal(0, "int64"))
    wide = wide.mutate(
        booked=booked,
        expected_revenue=expected,
        unexplained=wide.erp_revenue - expected - cause_sum,
    )
    kinds = dict(BRIDGE_STEPS)
    rows = [
        wide.select(*by, step=ibis.literal(s), kind=ibis.literal(kinds[s]), cents=wide[s])
        for s, _ in BRIDGE_STEPS
    ]
    out = rows[0]
    for r in rows[1:]:
        out = out.union(r)
    return out


def build_bridge(backend: Backend, defs: Definitions, as_of_period: str) -> None:
    long = backend.run_stage("bridge_steps", _steps(backend, defs, as_of_period))
    backend.run_stage("bridge", _complete(long, ["period"]))
    backend.run_stage("bridge_by_product_line", _complete(long, ["product_line", "period"]))
