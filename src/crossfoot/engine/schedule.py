"""Expected revenue from the CRM under the definitions (SPEC §4, §6).

``deal_value``: won and won-not-booked deals in the reporting currency, at the
close date's rate. ``line_value``: each deal's amount allocated over its lines
by line amount (largest remainder, so the lines sum to the deal to the cent).
``expected``: one row per line and recognition date for booked deals, by the
line's product-line rule. Every schedule sums exactly to its line's value: each
piece is rounded half-up to the cent and the last piece takes the residue.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions, PointInTime, Ratable
from crossfoot.engine.backend import Backend
from crossfoot.engine.fx import require_rates, with_conversion_rate
from crossfoot.engine.money import convert_cents, div_half_up, to_cents
from crossfoot.engine.periods import month_start

DEFAULT_TERM_MONTHS = 12


def deal_values(backend: Backend, defs: Definitions) -> ir.Table:
    deal = backend.table("deal").join(backend.table("deal_class"), "deal_id")
    won = deal.filter(deal.stage_class.isin(["won", "won_not_booked"]))
    rc = defs.reporting.currency
    rated = with_conversion_rate(
        won, backend.table("fx_ranges"), currency="currency", on_date="close_date",
        reporting_currency=rc,
    )  # fmt: skip
    cents = to_cents(rated.amount)
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
            rc_cents=convert_cents(cents, rated.rate),
            source_file=rated.source_file,
            source_line=rated.source_line,
        ),
    )
    require_rates(
        backend, out, what="the deal", currency=defs.reporting.currency, hint="closed with no"
    )
    return out


def line_values(backend: Backend) -> ir.Table:
    """Allocate each deal's reporting-currency amount over its lines (largest remainder)."""
    dv = backend.table("deal_value")
    lines = backend.table("deal_line")
    real = lines.join(dv.select("deal_id"), "deal_id").select(
        "deal_id",
        "line_id",
        "product_line",
        "service_start",
        "service_end",
        weight=to_cents(lines.amount).abs(),
    )
    bare = dv.filter(~dv.deal_id.isin(lines.deal_id)).select(
        deal_id=dv.deal_id,
        line_id=dv.deal_id,
        product_line=ibis.null("string"),
        service_start=ibis.null("date"),
        service_end=ibis.null("date"),
        weight=ibis.literal(1, "int64"),
    )
    all_lines = real.union(bare).join(dv.select("deal_id", "rc_cents"), "deal_id")
    g = ibis.window(group_by=all_lines.deal_id)
    total_w = all_lines.weight.sum().over(g)
    n = all_lines.count().over(g)
    # all-zero lines share equally
    w = ibis.ifelse(total_w == 0, ibis.literal(1, "int64"), all_lines.weight)
    tw = ibis.ifelse(total_w == 0, n, total_w)
    floor_share = (all_lines.rc_cents * w) // tw
    step = all_lines.mutate(
        floor_share=floor_share, rem=(all_lines.rc_cents * w) - floor_share * tw
    )
    g2 = ibis.window(group_by=step.deal_id)
    short = step.rc_cents - step.floor_share.sum().over(g2)
    order = ibis.row_number().over(group_by=step.deal_id, order_by=[step.rem.desc(), step.line_id])
    alloc = step.floor_share + ibis.ifelse(order < short, 1, 0)
    return backend.run_stage(
        "line_value",
        step.select(
            "deal_id", "line_id", "product_line", "service_start", "service_end", alloc_cents=alloc
        ),
    )


def rule_columns(t: ir.Table, defs: Definitions) -> ir.Table:
    """Add each line's recognition rule from the definitions: ``rule`` (at_close,
    at_delivery, ratable or none), ``convention`` and ``term_months``."""
    kinds: dict[str, str] = {}
    conventions: dict[str, str] = {}
    terms: dict[str, int] = {}
    for name, rule in defs.product_lines.items():
        if isinstance(rule, PointInTime):
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


def expected_revenue(backend: Backend, defs: Definitions) -> ir.Table:
    dv = backend.table("deal_value").filter(lambda t: t.stage_class == "won")
    lv = rule_columns(backend.table("line_value"), defs)
    lv = lv.join(dv.select("deal_id", "close_date"), "deal_id").join(
        _delivery_dates(backend, defs), "deal_id"
    )
    cols = ["deal_id", "line_id", "product_line", "rule"]
    at_close = lv.filter(lv.rule == "at_close").select(
        *cols, date=lv.close_date, cents=lv.alloc_cents
    )
    at_delivery = lv.filter((lv.rule == "at_delivery") & lv.delivered_on.notnull()).select(
        *cols, date=lv.delivered_on, cents=lv.alloc_cents
    )
    return at_close.union(at_delivery).union(_ratable(lv.filter(lv.rule == "ratable")))


def _ratable(lv: ir.Table) -> ir.Table:
    start = ibis.coalesce(lv.service_start, lv.close_date)
    term_end = start + lv.term_months.as_interval("M") - ibis.interval(days=1)
    end = ibis.greatest(ibis.coalesce(lv.service_end, term_end), start)
    t = lv.mutate(start=start, end=end)
    n_months = t.end.delta(t.start, unit="month") + 1
    t = t.mutate(k=ibis.range(0, n_months).unnest())
    m_first = month_start(t.start) + t.k.as_interval("M")
    m_last = m_first + ibis.interval(months=1) - ibis.interval(days=1)
    lo = ibis.greatest(t.start, m_first)
    hi = ibis.least(t.end, m_last)
    overlap = hi.delta(lo, unit="day") + 1
    days_in_month = m_last.delta(m_first, unit="day") + 1
    total_days = t.end.delta(t.start, unit="day") + 1
    months = ibis.greatest(
        (t.end + ibis.interval(days=1)).delta(t.start, unit="month"), ibis.literal(1, "int64")
    )
    daily = div_half_up(t.alloc_cents * overlap, total_days)
    monthly = ibis.ifelse(
        overlap == days_in_month,
        div_half_up(t.alloc_cents, months),
        div_half_up(t.alloc_cents * overlap, months * days_in_month),
    )
    piece = ibis.ifelse(t.convention == "monthly", monthly, daily)
    p = t.mutate(date=m_first, piece=piece, last=(t.k == n_months - 1))
    w = ibis.window(group_by=[p.deal_id, p.line_id])
    before_last = ibis.ifelse(p["last"], 0, p.piece).sum().over(w)
    cents = ibis.ifelse(p["last"], p.alloc_cents - before_last, p.piece)
    return p.select("deal_id", "line_id", "product_line", "rule", date=p.date, cents=cents)
