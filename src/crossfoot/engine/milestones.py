"""The ``milestones`` rule: percentages of a line recognized on the dates of named events.

An event's date comes from ``event.<name>`` in ``crm.fields`` (keyed by the deal)
or ``erp.fields`` (keyed by the documents matched to the deal; the earliest
wins); the CRM's date is used when both have one. A line's percentages are
split by largest remainder, so its pieces sum exactly to its amount. A
milestone without a date is not recognized yet: its piece stays deferred and
is listed in ``milestone_pending``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions, Milestones
from crossfoot.engine.allocation import largest_remainder
from crossfoot.engine.backend import Backend


def _rules(defs: Definitions) -> ir.Table:
    rows = [
        {"m_product_line": name, "event": m.event, "hundredths": int(m.percent * 100)}
        for name, rule in defs.product_lines.items()
        if isinstance(rule, Milestones)
        for m in rule.milestones
    ]
    schema = {"m_product_line": "string", "event": "string", "hundredths": "int64"}
    return ibis.memtable(rows, schema=schema)


def event_dates(backend: Backend) -> ir.Table:
    """deal_id, event, date: the CRM's date, else the earliest on the deal's ERP documents."""
    ev = backend.table("milestone_event")
    crm = ev.filter(ev.side == "crm").select(deal_id=ev.record_id, event=ev.event, date=ev.date)
    erp_ev = ev.filter(ev.side == "erp")
    docs = backend.table("doc_deal").filter(lambda t: t.deal_id.notnull())
    erp = erp_ev.join(docs, erp_ev.record_id == docs.doc_id).select("deal_id", "event", "date")
    both = crm.mutate(crm=True).union(erp.mutate(crm=False))
    ranked = both.mutate(
        n=ibis.row_number().over(
            group_by=[both.deal_id, both.event], order_by=[both.crm.desc(), both.date]
        )
    )
    return ranked.filter(ranked.n == 0).select("deal_id", "event", "date")


def _pieces(backend: Backend, defs: Definitions, lv: ir.Table) -> ir.Table:
    lines = lv.filter(lv.rule == "milestones")
    rules = _rules(defs)
    t = lines.join(rules, lines.product_line == rules.m_product_line).drop("m_product_line")
    t = t.mutate(_grp=t.deal_id + "\x1f" + t.line_id)
    t = largest_remainder(
        t, group="_grp", total="alloc_cents", weight="hundredths", out="m_cents", order="event"
    )
    return t.left_join(event_dates(backend), ["deal_id", "event"]).drop(
        "deal_id_right", "event_right"
    )


def milestone_schedule(
    backend: Backend, defs: Definitions, lv: ir.Table, keys: Sequence[str]
) -> ir.Table:
    """The recognized pieces: keys, date, cents."""
    p = _pieces(backend, defs, lv)
    done = p.filter(p.date.notnull())
    return done.select(*keys, date=done.date, cents=done.m_cents)


def milestone_pending(backend: Backend, defs: Definitions, lv: ir.Table) -> ir.Table:
    """Milestones of booked lines whose event has no date yet: what stays deferred."""
    p = _pieces(backend, defs, lv)
    waiting = p.filter(p.date.isnull())
    return waiting.select(
        "deal_id", "line_id", "product_line", "event", cents=waiting.m_cents
    ).order_by(["deal_id", "line_id", "event"])
