"""Expected revenue from the CRM under the definitions (SPEC §4, §6).

``deal_value``: won and won-not-booked deals in the reporting currency, at the
close date's rate (their lines' shares are in :mod:`crossfoot.engine.allocation`).
``expected``: one row per line and recognition date for booked deals, by the
line's product-line rule. Every schedule sums exactly to its line's value: each
piece is rounded half-up to the cent and the last piece takes the residue.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions, Milestones, PointInTime, Ratable
from crossfoot.engine.backend import Backend
from crossfoot.engine.fx import (
    convert_in_range,
    require_in_range,
    require_rates,
    with_conversion_rate,
)
from crossfoot.engine.milestones import milestone_schedule
from crossfoot.engine.modifications import modified_schedule
from crossfoot.engine.money import to_cents
from crossfoot.engine.periods import Calendar
from crossfoot.engine.ratable import ratable_schedule

DEFAULT_TERM_MONTHS = 12


def deal_values(backend: Backend, defs: Definitions) -> ir.Table:
    deal = backend.table("deal").join(backend.table("deal_class"), "deal_id")
    won = deal.filter(deal.stage_class.isin(["won", "won_not_booked"]))
    rc = defs.reporting.currency
    rated = with_conversion_rate(
        won, backend.table("fx_ranges"), currency="currency", on_date="close_date",
        reporting_currency=rc,
    )  # fmt: skip
    # an empty Amount on a won deal books 0 (a null would propagate into every sum)
    cents = to_cents(rated.amount.fill_null(0))
    out = backend.run_stage(
        "deal_value",
        rated.select(
            "deal_id",
            "account_id",
            "stage_class",
            "close_date",
            "currency",
            "owner",
            "delivery_status",
            "delivery_date",
            "rate",
            cents=cents,
            rc_cents=convert_in_range(cents, rated.rate),
            source_file=rated.source_file,
            source_line=rated.source_line,
        ),
    )
    require_rates(
        backend, out, what="the deal", currency=defs.reporting.currency, hint="closed with no",
        rates_file=defs.fx_rates,
    )  # fmt: skip
    require_in_range(backend, out, what="the deal", rate="rate", on_date="close_date", defs=defs)
    return out


def rule_columns(t: ir.Table, defs: Definitions) -> ir.Table:
    """Add each line's recognition rule from the definitions: ``rule`` (at_close,
    at_delivery, ratable or none), ``convention`` and ``term_months``."""
    kinds: dict[str, str] = {}
    conventions: dict[str, str] = {}
    terms: dict[str, int] = {}
    for name, rule in defs.product_lines.items():
        if isinstance(rule, Milestones):
            kinds[name] = "milestones"
        elif isinstance(rule, PointInTime):
            kinds[name] = f"at_{rule.at}"
        elif isinstance(rule, Ratable):
            kinds[name] = "ratable"
            conventions[name] = rule.convention
            terms[name] = rule.term_months or DEFAULT_TERM_MONTHS
    pl = t.product_line
    return t.mutate(
        rule=pl.substitute(kinds, else_="none") if kinds else ibis.literal("none"),
        convention=pl.substitute(conventions, else_="daily")
        if conventions
        else ibis.literal("daily"),
        term_months=(
            pl.substitute(terms, else_=DEFAULT_TERM_MONTHS) if terms else ibis.literal(12)
        ).cast("int64"),
    )


def _delivery_dates(backend: Backend, defs: Definitions) -> ir.Table:
    """deal_id → the date the goods count as delivered, or null (SPEC §6)."""
    dv = backend.table("deal_value")
    if "delivery_date" in defs.crm.fields:
        return dv.select("deal_id", delivered_on=dv.delivery_date)
    doc_deal = backend.table("doc_deal").filter(lambda t: t.deal_id.notnull())
    lines = backend.table("document_line")
    shipped = (
        lines.join(doc_deal, "doc_id")
        .group_by("deal_id")
        .aggregate(shipped_on=lambda t: t.fulfilled_on.max())
    )
    delivered_values = [v.lower() for v in defs.delivered_values]
    j = dv.left_join(shipped, "deal_id")
    says_delivered = j.delivery_status.lower().strip().isin(delivered_values).fill_null(False)
    return j.select(
        deal_id=j.deal_id,
        delivered_on=ibis.ifelse(
            says_delivered, ibis.coalesce(j.shipped_on, j.close_date), ibis.null("date")
        ),
    )


#: the columns every schedule row keeps besides its date and cents
SCHEDULE_KEYS = ("deal_id", "line_id", "product_line", "rule")


def booked_lines(backend: Backend, defs: Definitions) -> ir.Table:
    """Lines of won deals with their rule, close date and delivery date."""
    dv = backend.table("deal_value").filter(lambda t: t.stage_class == "won")
    lv = rule_columns(backend.table("line_value"), defs)
    return lv.join(dv.select("deal_id", "close_date"), "deal_id").join(
        _delivery_dates(backend, defs), "deal_id"
    )


def schedules(lv: ir.Table, cal: Calendar, keys: Sequence[str] = SCHEDULE_KEYS) -> ir.Table:
    """Every line's revenue pieces under its ``rule`` / ``convention``: keys, date, cents."""
    at_close = lv.filter(lv.rule == "at_close").select(
        *keys, date=lv.close_date, cents=lv.alloc_cents
    )
    at_delivery = lv.filter((lv.rule == "at_delivery") & lv.delivered_on.notnull()).select(
        *keys, date=lv.delivered_on, cents=lv.alloc_cents
    )
    ratable = ratable_schedule(lv.filter(lv.rule == "ratable"), cal, keys)
    return at_close.union(at_delivery).union(ratable)


def expected_revenue(backend: Backend, defs: Definitions) -> ir.Table:
    lines = booked_lines(backend, defs)
    cal = Calendar.of(defs.reporting)
    mods = backend.table("deal_mod")
    key = ["deal_id", "line_id"]
    # lines of deals changed after their close are scheduled in engine/modifications.py
    plain = lines.anti_join(mods, key)
    changed = lines.join(mods.select(*key, "before_cents"), key)
    changed_point = changed.filter(changed.rule.isin(["at_close", "at_delivery"]))
    parts = [
        schedules(plain, cal),
        schedules(
            changed_point.mutate(alloc_cents=changed_point.before_cents).drop("before_cents"), cal
        ),
        modified_schedule(lines, mods, cal, SCHEDULE_KEYS),
    ]
    if any(isinstance(r, Milestones) for r in defs.product_lines.values()):
        parts.append(milestone_schedule(backend, defs, lines, SCHEDULE_KEYS))
    return ibis.union(*parts)
