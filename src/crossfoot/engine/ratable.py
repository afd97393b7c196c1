"""Ratable schedules: a line's amount over its service term, one piece per accounting period.

The term is ``service_start..service_end`` (both inclusive), or ``term_months``
from the start when the line has no end. Each piece is dated on the first day
of its accounting period (a calendar month, or a 4-4-5 period), rounded half-up
to the cent, and the last piece takes the residue, so a schedule sums exactly
to its amount. The conventions (docs/definitions.md has a worked example of each):

- ``daily``: actual days in the period ÷ actual days in the term.
- ``monthly``: an equal amount per whole period; a partial first or last period
  gets that amount × its days ÷ the days of that period.
- ``month30``: every whole period counts 30 days; a partial one counts its days
  30/360-style (day 31 is not counted, a period's last day counts as day 30).
- ``full_months``: the start snaps to the first day of its period; the term's
  length in periods (a part period counts as one) gets equal amounts.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crossfoot.engine.money import div_half_up, mul_div_half_up
from crossfoot.engine.periods import Calendar

ONE_DAY = ibis.interval(days=1)


def _term_periods(cal: Calendar, start: ir.DateValue, end: ir.DateValue) -> ir.IntegerValue:
    """The term's length in periods, a part period counting as a whole one (at least 1)."""
    after = end + ONE_DAY
    boundaries = cal.index(after) - cal.index(start)
    offset_start = start.delta(cal.start(cal.index(start)), unit="day")
    offset_after = after.delta(cal.start(cal.index(after)), unit="day")
    whole = boundaries - ibis.ifelse(offset_after < offset_start, 1, 0)
    part = ibis.ifelse(offset_after != offset_start, 1, 0)
    return ibis.greatest(whole + part, ibis.literal(1, "int64"))


def _day30(day: ir.IntegerValue) -> ir.IntegerValue:
    return ibis.least(day, 30)


def _total30(
    cal: Calendar,
    start: ir.DateValue,
    end: ir.DateValue,
    first: ir.IntegerValue,
    n_rows: ir.IntegerValue,
) -> ir.IntegerValue:
    """The term's 30/360 days: the sum of ``days30`` over its periods, per line.

    Every period between the first and the last counts 30; the first counts from
    its start day, the last up to its end day (its period's last day as day 30).
    The same sum a window over the expanded rows gives, without the window (the
    largest operator of the engine).
    """
    last = first + n_rows - 1
    d1 = _day30(start.delta(cal.start(first), unit="day") + 1)
    last_end = cal.start(last + 1) - ONE_DAY
    d2 = ibis.ifelse(end == last_end, 30, _day30(end.delta(cal.start(last), unit="day") + 1))
    single = ibis.greatest(d2 - d1 + 1, 0)
    several = (30 - d1 + 1) + 30 * (n_rows - 2) + d2
    return ibis.greatest(ibis.ifelse(n_rows == 1, single, several), 1).cast("int64")


def ratable_schedule(
    lv: ir.Table,
    cal: Calendar,
    keys: Sequence[str] = ("deal_id", "line_id", "product_line", "rule"),
) -> ir.Table:
    """``lv`` has alloc_cents, convention, term_months, close_date and service dates."""
    start = ibis.coalesce(lv.service_start, lv.close_date)
    term_end = start + lv.term_months.as_interval("M") - ONE_DAY
    end = ibis.greatest(ibis.coalesce(lv.service_end, term_end), start)
    t = lv.mutate(start=start, end=end)
    snapped = t.convention == "full_months"
    first = cal.index(t.start)
    n_full = _term_periods(cal, t.start, t.end)
    n_rows = ibis.ifelse(snapped, n_full, cal.index(t.end) - first + 1)
    t = t.mutate(first=first, n_full=n_full, n_rows=n_rows)
    t = t.mutate(total30=_total30(cal, t.start, t.end, t.first, t.n_rows))
    t = t.mutate(k=ibis.range(0, t.n_rows).unnest())
    p_start = cal.start(t.first + t.k)
    p_end = cal.start(t.first + t.k + 1) - ONE_DAY
    lo = ibis.greatest(t.start, p_start)
    hi = ibis.least(t.end, p_end)
    overlap = hi.delta(lo, unit="day") + 1
    period_days = p_end.delta(p_start, unit="day") + 1
    total_days = t.end.delta(t.start, unit="day") + 1
    whole_periods = ibis.greatest(cal.index(t.end + ONE_DAY) - t.first, ibis.literal(1, "int64"))
    # 30/360: offsets inside the period, capped at 30, the period's last day as day 30
    d1 = ibis.least(lo.delta(p_start, unit="day") + 1, 30)
    d2 = ibis.ifelse(hi == p_end, 30, ibis.least(hi.delta(p_start, unit="day") + 1, 30))
    days30 = ibis.greatest(d2 - d1 + 1, 0)
    p = t.mutate(p_start=p_start, overlap=overlap, period_days=period_days,
                 total_days=total_days, whole_periods=whole_periods, days30=days30)  # fmt: skip
    # the divisor as a column: it is used several times by the exact division
    p = p.mutate(month_days=p.whole_periods * p.period_days)
    piece = ibis.cases(
        (p.convention == "full_months", div_half_up(p.alloc_cents, p.n_full)),
        (
            p.convention == "monthly",
            ibis.ifelse(
                p.overlap == p.period_days,
                div_half_up(p.alloc_cents, p.whole_periods),
                mul_div_half_up(p.alloc_cents, p.overlap, p.month_days),
            ),
        ),
        (
            p.convention == "month30",
            mul_div_half_up(p.alloc_cents, p.days30, p.total30),
        ),
        else_=mul_div_half_up(p.alloc_cents, p.overlap, p.total_days),
    )
    p = p.mutate(piece=piece, last=(p.k == p.n_rows - 1))
    w = ibis.window(group_by=[p.deal_id, p.line_id])
    before_last = ibis.ifelse(p["last"], 0, p.piece).sum().over(w)
    cents = ibis.ifelse(p["last"], p.alloc_cents - before_last, p.piece)
    return p.select(*keys, date=p.p_start, cents=cents)
