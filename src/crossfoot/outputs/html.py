"""``report.html``: the diagnostic report, one self-contained file.

No external CSS, JavaScript, fonts or images: styles are inline, charts are
inline SVG drawn from ``charts.py``, other periods fold into ``<details>``.
Jinja autoescapes everything, including the SVG, so user text stays text.
Every figure is ``display_money`` of the same Decimal that ``bridge.csv`` holds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import jinja2
import pyarrow as pa

from crossfoot.causes import CAUSE_BY_CODE
from crossfoot.diagnostic.flow import system_label
from crossfoot.diagnostic.roadmap import LAYERS, layer_totals
from crossfoot.outputs.charts import cause_bars, difference_waterfall, waterfall
from crossfoot.outputs.csv import over_arrow
from crossfoot.outputs.flow_chart import flow_chart
from crossfoot.outputs.safe import Cell, display_money, utc_iso
from crossfoot.outputs.trend_chart import trend_chart
from crossfoot.outputs.view import Rows, RunView, step_label

TOP_EXCEPTIONS = 50
TOP_GROUPS = 15  # customers shown in "where": the largest differences
FIRST_FIXES = 3
GROUP_STEPS = ("crm_bookings", "expected_revenue", "erp_revenue", "unexplained")
TOP_REJECT_GROUPS = 20
REJECT_GROUP_COLUMNS = ("source_system", "source_file", "table", "field", "reason")


def render_report(view: RunView) -> bytes:
    template = _environment().get_template("report.html.j2")
    return template.render(report_context(view)).encode("utf-8")


def report_context(view: RunView) -> dict[str, Any]:
    run = view.result
    periods = view.periods
    latest = periods[-1] if periods else None
    return {
        "run": run,
        "period_range": _period_range([p.period for p in periods]),
        "finished_at": utc_iso(run.finished_at),
        "duration_s": max(int((run.finished_at - run.started_at).total_seconds()), 0),
        "rows_read": sum(f.rows_read for f in run.inputs),
        "rows_loaded": sum(f.rows_loaded for f in run.inputs),
        "rows_rejected": sum(f.rows_rejected for f in run.inputs),
        "latest": latest,
        "latest_chart": waterfall(latest) if latest else None,
        "latest_zoom": difference_waterfall(latest) if latest else None,
        "earlier": [(p, waterfall(p), difference_waterfall(p)) for p in reversed(periods[:-1])],
        "periods": periods,
        "step_rows": _step_rows(view),
        "causes": view.ranked_causes,
        "cause_chart": cause_bars(view.ranked_causes) if view.ranked_causes else None,
        "exception_count": len(view.exceptions),
        "top_exceptions": view.top_exceptions(TOP_EXCEPTIONS),
        "top_limit": TOP_EXCEPTIONS,
        "reject_count": len(view.rejects),
        "reject_groups": _reject_groups(view),
        "crm_label": system_label(run.crm_system),
        "erp_label": system_label(run.erp_system),
        "flow": run.flow,
        "flow_chart": flow_chart(run.flow, run.currency) if run.flow else None,
        "trend": trend_chart(periods),
        "causes_by_count": sorted(view.ranked_causes, key=lambda c: (-c.exceptions, c.cause.code)),
        "where": [
            ("product line", "product_line", _group_totals(view.bridge_by_product_line, None)),
            ("deal owner", "owner", _group_totals(view.bridge_by_owner, None)),
            ("customer", "customer", _group_totals(view.bridge_by_customer, TOP_GROUPS)),
        ],
        "roadmap": run.roadmap,
        "first_fixes": run.roadmap[:FIRST_FIXES],
        "layers": [
            (layer, count, money, days, [i for i in run.roadmap if i.layer == layer])
            for layer, count, money, days in layer_totals(run.roadmap)
        ],
        "layer_names": LAYERS,
        "platform_fit": run.platform_fit,
    }


def _group_totals(rows: Rows, limit: int | None) -> dict[str, Any]:
    """Per group, the bridge's totals summed over every period, largest difference first.

    ``difference`` is ERP revenue − expected revenue: the sum of the cause steps.
    Summed and ranked by DuckDB over the Arrow table (the per-customer bridge has
    millions of rows at scale); only the groups shown come back as Python values.
    """
    group = rows.columns[0]
    column = '"' + group.replace('"', '""') + '"'
    sums = ", ".join(f"coalesce(sum(amount) FILTER (step = '{s}'), 0) AS {s}" for s in GROUP_STEPS)
    steps = ", ".join(f"'{s}'" for s in GROUP_STEPS)
    with over_arrow("bridge_rows", rows.table) as con:
        con.execute(
            f"""CREATE TEMP TABLE totals AS SELECT coalesce(CAST({column} AS VARCHAR), '') AS g,
                {sums} FROM bridge_rows WHERE step IN ({steps}) GROUP BY 1"""
        )
        total = int(con.execute("SELECT count(*) FROM totals").fetchone()[0])  # type: ignore[index]
        shown = con.execute(
            "SELECT *, erp_revenue - expected_revenue AS difference FROM totals "
            "ORDER BY abs(erp_revenue - expected_revenue) DESC, g"
            + ("" if limit is None else f" LIMIT {int(limit)}")
        ).fetchall()
    names = ("group", *GROUP_STEPS, "difference")
    ranked = [
        dict(zip(names, (g, *(Decimal(v) for v in money)), strict=True)) for g, *money in shown
    ]
    return {"rows": ranked, "total": total}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("crossfoot.outputs", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    env.filters["px"] = _px
    env.filters["text"] = lambda value: "" if value is None else str(value)
    env.filters["cause_title"] = lambda code: (
        CAUSE_BY_CODE[code].title if code in CAUSE_BY_CODE else code
    )
    env.filters["step_label"] = step_label
    env.filters["system_label"] = system_label
    env.tests["negative"] = lambda value: isinstance(value, Decimal) and value < 0
    return env


def _money(value: Cell) -> str:
    """``-1,234.50`` from a Decimal; empty for a missing amount."""
    return display_money(value) if isinstance(value, Decimal) else ""


def _px(value: float) -> str:
    return f"{value:.1f}"


def _period_range(periods: list[str]) -> str:
    if not periods:
        return "no periods"
    return periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"


def _step_rows(view: RunView) -> list[dict[str, Any]]:
    """Bridge steps as rows, periods as columns (a step missing in a period is blank)."""
    return [
        {
            "step": step,
            "label": step_label(step),
            "kind": kind,
            "amounts": [(p.period, p.amount(step)) for p in view.periods],
        }
        for step, kind in view.step_kinds
    ]


def _reject_groups(view: RunView) -> list[tuple[tuple[str, ...], int]]:
    """The most frequent kinds of rejected row (counted in Arrow: there may be millions)."""
    import pyarrow.compute as pc

    table = view.rejects.table.select(list(REJECT_GROUP_COLUMNS))
    text = pa.table(
        [pc.fill_null(pc.cast(c, pa.string()), "") for c in table.columns], names=table.column_names
    )
    counted = text.group_by(list(REJECT_GROUP_COLUMNS)).aggregate([([], "count_all")])
    keys = zip(*(counted.column(c).to_pylist() for c in REJECT_GROUP_COLUMNS), strict=True)
    counts = list(zip(keys, counted.column("count_all").to_pylist(), strict=True))
    return sorted(counts, key=lambda kv: (-kv[1], kv[0]))[:TOP_REJECT_GROUPS]
