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


def _step(t: ir.Table, period: ir.Value, step: str | ir.Value, cents: ir.Value) -> ir.Table:
    """One contribution to the bridge: period, product_line, step, cents."""
    name = ibis.literal(step) if isinstance(step, str) else step
    return t.select(period=period, product_line=t.product_line, step=name, cents=cents)


def _steps(backend: Backend, defs: Definitions, as_of_period: str) -> ir.Table:
    """Long table: period, product_line, step, cents (before totals and unexplained)."""
    dv = backend.table("deal_value")
    lv = backend.table("line_value").join(
        dv.select("deal_id", "stage_class", "close_date"), "deal_id"
    )
    lv = lv.mutate(close_period=period_of(lv.close_date, defs))
    wnb = lv.filter(lv.stage_class == "won_not_booked")
    # a deal changed after its close is booked at its amount then, and the change when it happened
    mods = backend.table("deal_mod")
    mods = mods.select(
        m_deal="deal_id", m_line="line_id", delta=mods.alloc_cents - mods.before_cents,
        change_period=period_of(mods.changed_on, defs),
    )  # fmt: skip
    won = lv.filter(lv.stage_class == "won")
    won = won.left_join(mods, [won.deal_id == mods.m_deal, won.line_id == mods.m_line])
    won = won.mutate(at_close=won.alloc_cents - won.delta.fill_null(0))
    changed = won.filter(won.delta.notnull())

    exp = backend.table("expected").join(dv.select("deal_id", "close_date"), "deal_id")
    exp = exp.mutate(period=period_of(exp.date, defs), close_period=period_of(exp.close_date, defs))
    same = exp.filter(exp.period == exp.close_period)
    other = exp.filter(exp.period != exp.close_period)
    contrib = backend.table("contribution")
    causes = contrib.filter(contrib.cause != "unexplained")
    rev = backend.table("revenue_value")

    parts = [
        _step(wnb, wnb.close_period, "crm_bookings", wnb.alloc_cents),
        _step(won, won.close_period, "crm_bookings", won.at_close),
        _step(changed, changed.change_period, "crm_bookings", changed.delta),
        _step(wnb, wnb.close_period, "won_not_booked", -wnb.alloc_cents),
        # deferred(p) = recognized in p from p's bookings − p's bookings
        _step(same, same.period, "deferred", same.cents),
        _step(won, won.close_period, "deferred", -won.at_close),
        _step(changed, changed.change_period, "deferred", -changed.delta),
        _step(other, other.period, "recognized_from_prior", other.cents),
        _step(causes, causes.period, causes.cause, causes.cents),
        _step(rev, period_of(rev.date, defs), "erp_revenue", rev.rc_cents),
    ]
    allsteps = ibis.union(*parts)
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
    return ibis.union(*rows)


def build_bridge(backend: Backend, defs: Definitions, as_of_period: str) -> None:
    long = backend.run_stage("bridge_steps", _steps(backend, defs, as_of_period))
    backend.run_stage("bridge", _complete(long, ["period"]))
    backend.run_stage("bridge_by_product_line", _complete(long, ["product_line", "period"]))
