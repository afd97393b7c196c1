"""``summary.json``: run metadata, totals per side, period and cause, rejects, the bridge.

Money is a string with exactly two decimals (``"-1234.50"``), never a JSON
float, so a reader gets the same cents as ``bridge.csv``. Keys are written in
a fixed, meaningful order (not sorted), so two runs on the same data diff clean.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from crossfoot.outputs.safe import Cell, format_money, utc_iso
from crossfoot.outputs.view import TOTAL_STEPS, RunView

SCHEMA_VERSION = 1


def summary(view: RunView, report_pdf: dict[str, Any] | None = None) -> dict[str, Any]:
    """The summary; ``report_pdf`` says whether ``report.pdf`` was written, and why not."""
    run = view.result
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "crossfoot", "version": run.version},
        "company": run.company,
        "currency": run.currency,
        "period_kind": run.period_kind,
        "periods": [p.period for p in view.periods],
        "definitions_hash": run.definitions_hash,
        "crm_system": run.crm_system,
        "erp_system": run.erp_system,
        "started_at": utc_iso(run.started_at),
        "finished_at": utc_iso(run.finished_at),
        "inputs": [
            {
                "system": f.system,
                "table": f.table,
                "path": f.path,
                "sha256": f.sha256,
                "rows_read": f.rows_read,
                "rows_loaded": f.rows_loaded,
                "rows_rejected": f.rows_rejected,
                "conserved": f.conserved,
            }
            for f in run.inputs
        ],
        "totals_by_period": [
            {
                "period": p.period,
                **{
                    step: None if (amount := p.amount(step)) is None else format_money(amount)
                    for step in TOTAL_STEPS
                },
                "foots": p.foots,
            }
            for p in view.periods
        ],
        "causes": [
            {
                "cause": c.cause.code,
                "title": c.cause.title,
                "owner": c.cause.owner,
                "exceptions": c.exceptions,
                "impact": format_money(c.impact),
                "abs_effects": format_money(c.abs_effects),
            }
            for c in view.causes
        ],
        "exceptions": len(view.exceptions),
        "rejects": len(view.rejects),
        "bridge": [
            {
                "period": s.period,
                "step": s.step,
                "kind": s.kind,
                "amount": format_money(s.amount),
                "currency": s.currency,
            }
            for s in view.bridge
        ],
        "definition_drift": [
            {
                "product_line": d.product_line,
                "defined": d.defined,
                "inferred": d.inferred,
                "deals_compared": d.deals_compared,
                "defined_fit": format_money(d.defined_fit),
                "inferred_fit": format_money(d.inferred_fit),
                "moved": format_money(d.moved),
            }
            for d in run.definition_drift
        ],
        "milestones_pending": {
            "lines": len(view.milestones_pending),
            "amount": format_money(_total(view.milestones_pending.records(), "amount")),
        },
        "flow": _flow(view),
        "platform_fit": [
            {
                "system": p.system,
                "dimension": p.dimension,
                "finding": p.finding,
                "points_to": p.points_to,
            }
            for p in run.platform_fit
        ],
        "roadmap": [
            {
                "rank": i.rank,
                "layer": i.layer,
                "cause": i.cause,
                "title": i.title,
                "detail": i.detail,
                "owner": i.owner,
                "effort_days": i.effort_days,
                "records": i.records,
                "amount": format_money(i.money),
                "amount_per_day": format_money(i.money_per_day),
            }
            for i in run.roadmap
        ],
        "report_pdf": report_pdf or {"written": False, "note": "not requested"},
        "notes": list(run.notes),
    }


def _total(records: list[dict[str, Cell]], column: str) -> Decimal:
    amounts = [v for r in records if isinstance(v := r[column], Decimal)]
    return sum(amounts, Decimal(0))


def _share(part: int, whole: int) -> str:
    """A share as a decimal string with 4 places (``"0.9643"``): exact enough, never a float."""
    return f"{part / whole:.4f}" if whole else "0.0000"


def _flow(view: RunView) -> dict[str, Any] | None:
    flow = view.result.flow
    if flow is None:
        return None
    lag = flow.lag
    return {
        "fields": [
            {
                "field": f.field, "crm_field": f.crm_field, "erp_field": f.erp_field,
                "matched": f.matched, "crm_set": f.crm_set, "erp_set": f.erp_set,
                "both_set": f.both_set, "agree": f.agree, "coverage": _share(f.agree, f.matched),
                "crm_first": f.crm_first, "erp_first": f.erp_first,
            }
            for f in flow.fields
        ],
        "lag_days": {
            "documents": lag.documents, "median": lag.median_days, "p90": lag.p90_days,
            "max": lag.max_days, "window": lag.window_days, "beyond_window": lag.beyond_window,
            "beyond_window_share": _share(lag.beyond_window, lag.documents),
            "before_close": lag.before_close,
        },
        "one_way": [
            {"flow": o.key, "from": o.source, "to": o.target, "what": o.what,
             "records": o.records, "not_seen": o.not_seen, "amount": format_money(o.amount)}
            for o in flow.one_way
        ],
    }  # fmt: skip


def render_summary(view: RunView, report_pdf: dict[str, Any] | None = None) -> bytes:
    text = json.dumps(summary(view, report_pdf), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
