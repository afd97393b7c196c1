"""Changes to a booked deal after its close (IFRS 15.18-21, ASC 606-10-25-10 to 13).

``deal_change`` says what the contract was before and after a change: amount
and, when the term changed, service end. Several changes after the close are
taken together, from the first change date to the last state. Per deal:

- **separate contract** when the term is extended and the added consideration
  is the original price of the added time (within the amount tolerances), i.e.
  the added service is priced at its standalone selling price: the original
  schedule stands, and the added amount is scheduled over the added term;
- **prospectively** otherwise: what the original schedule recognized before the
  period of the change stays; the remaining amount (new total − recognized) is
  spread from the first day of that period over the remaining (new) term.

Point-in-time lines of a changed deal keep their original share and take the
change in full on the change date (a cumulative catch-up). The stage
``deal_mod`` has one row per line of a changed booked deal: its share of the
amount before (``before_cents``) and after (``alloc_cents``), the dates and the
treatment. A credit memo the CRM reflects this way reduces expected revenue
from its date, not retroactively.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.allocation import largest_remainder
from crossfoot.engine.backend import Backend
from crossfoot.engine.money import convert_cents, mul_div_half_up, to_cents
from crossfoot.engine.periods import Calendar
from crossfoot.engine.ratable import ratable_schedule

ONE_DAY = ibis.interval(days=1)


def _collapsed(backend: Backend) -> ir.Table:
    """One row per booked deal changed after its close: first change date, first before, last after."""
    ch = backend.table("deal_change")
    dv = backend.table("deal_value").filter(lambda t: t.stage_class == "won")
    ch = ch.join(dv.select("deal_id", "close_date", "rate", "rc_cents"), "deal_id")
    ch = ch.filter(ch.changed_on > ch.close_date)
    w_first = ibis.window(group_by=ch.deal_id, order_by=[ch.changed_on, ch.source_line])
    w_last = ibis.window(
        group_by=ch.deal_id, order_by=[ch.changed_on.desc(), ch.source_line.desc()]
    )
    ranked = ch.mutate(first=ibis.row_number().over(w_first), last=ibis.row_number().over(w_last))
    first = ranked.filter(ranked.first == 0).select(
        "deal_id", "changed_on", "close_date", "rate", "rc_cents", "amount_before", "end_before"
    )
    last = ranked.filter(ranked["last"] == 0).select(
        l_deal="deal_id", amount_after="amount_after", end_after="end_after"
    )
    return first.join(last, first.deal_id == last.l_deal).drop("l_deal")


def deal_modifications(backend: Backend, defs: Definitions) -> ir.Table:
    deals = _collapsed(backend)
    before_rc = convert_cents(to_cents(deals.amount_before), deals.rate)
    deals = deals.mutate(before_rc=before_rc)
    lv = backend.table("line_value").join(deals.select("deal_id", "before_rc"), "deal_id")
    lv = lv.mutate(weight=lv.alloc_cents.abs())
    lv = largest_remainder(
        lv, group="deal_id", total="before_rc", weight="weight", out="before_cents"
    )
    t = lv.join(deals.drop("before_rc"), "deal_id")
    start = ibis.coalesce(t.service_start, t.close_date)
    end_before = ibis.coalesce(t.end_before, t.service_end)
    end_after = ibis.coalesce(t.end_after, t.service_end)
    # the added time's price at the original rate per day: the standalone selling price test
    # as columns, each step of its own: the exact division writes its operands several
    # times, and nested inline they made a statement too large for Spark's parser
    t = t.mutate(
        _original_days=ibis.greatest(end_before.delta(start, unit="day") + 1, 1),
        _added_days=end_after.delta(end_before, unit="day"),
    )
    t = t.mutate(
        _at_original_rate=mul_div_half_up(t.before_cents, t._added_days, t._original_days)
    )
    tol = ibis.greatest(
        ibis.literal(int(defs.tolerances.amount_abs * 100)),
        mul_div_half_up(t._at_original_rate.abs(), int(defs.tolerances.amount_rel * 10_000), 10_000),
    )
    added = t.alloc_cents - t.before_cents
    separate = (t._added_days > 0) & ((added - t._at_original_rate).abs() <= tol)
    cal = Calendar.of(defs.reporting)
    return t.select(
        "deal_id", "line_id", "changed_on", "before_cents", "alloc_cents",
        change_start=cal.start(cal.index(t.changed_on)),
        end_before=end_before, end_after=end_after,
        treatment=ibis.ifelse(separate, "separate", "prospective"),
    )  # fmt: skip


def modified_schedule(
    lines: ir.Table, mods: ir.Table, cal: Calendar, keys: Sequence[str]
) -> ir.Table:
    """Schedules of the lines of changed deals: keys, date, cents."""
    m = mods.drop("alloc_cents")
    t = lines.join(m, ["deal_id", "line_id"])
    rat = t.filter(t.rule == "ratable")
    original = ratable_schedule(
        rat.mutate(alloc_cents=rat.before_cents, service_end=rat.end_before),
        cal,
        [*keys, "treatment", "change_start"],
    )
    kept = original.filter(
        (original.treatment == "separate") | (original.date < original.change_start)
    )
    recognized = kept.group_by(["deal_id", "line_id"]).aggregate(recognized=lambda x: x.cents.sum())
    rest = rat.left_join(recognized, ["deal_id", "line_id"]).drop("deal_id_right", "line_id_right")
    is_separate = rest.treatment == "separate"
    rest = rest.mutate(
        alloc_cents=ibis.ifelse(
            is_separate, rest.alloc_cents - rest.before_cents,
            rest.alloc_cents - rest.recognized.fill_null(0),
        ),
        service_start=ibis.ifelse(is_separate, rest.end_before + ONE_DAY, rest.change_start),
        service_end=rest.end_after,
    )  # fmt: skip
    # a separate contract that adds no time (more of the same service): from the change
    rest = rest.mutate(
        service_start=ibis.ifelse(
            rest.service_start > rest.service_end, rest.change_start, rest.service_start
        )
    )
    remaining = ratable_schedule(rest, cal, keys)
    point = t.filter(t.rule.isin(["at_close", "at_delivery"]))
    catch_up = point.filter(point.alloc_cents != point.before_cents).select(
        *keys, date=point.changed_on, cents=point.alloc_cents - point.before_cents
    )
    return ibis.union(kept.select(*keys, "date", "cents"), remaining, catch_up)
