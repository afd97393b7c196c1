"""``executive_summary.md``: one page for a board pack — what is wrong, how much, what to fix first.

Written for a reader who knows neither system: plain words, the three fixes
that explain the most money per day of work, and every figure taken from the
same Decimals as ``bridge.csv`` and ``roadmap.csv``.
"""

from __future__ import annotations

from decimal import Decimal

from crossfoot.diagnostic.flow import system_label
from crossfoot.outputs.safe import display_money
from crossfoot.outputs.view import RunView

FIRST_FIXES = 3
TOP_CAUSES = 5


def _sum(view: RunView, step: str) -> Decimal:
    return sum((p.amount(step) or Decimal(0) for p in view.periods), Decimal(0))


def _md(text: str) -> str:
    """Text from the data, safe inside Markdown (no emphasis, links or tables by accident)."""
    for ch in ("\\", "`", "*", "_", "[", "]", "|", "<", ">", "#"):
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def render_executive_summary(view: RunView) -> bytes:
    run = view.result
    cur = run.currency
    periods = [p.period for p in view.periods]
    span = "no periods" if not periods else (
        periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
    )  # fmt: skip
    bookings, expected, erp = (
        _sum(view, s) for s in ("crm_bookings", "expected_revenue", "erp_revenue")
    )
    unexplained = _sum(view, "unexplained")
    gap = erp - expected
    causes = view.ranked_causes
    moved = sum((c.abs_effects for c in causes), Decimal(0))
    m = display_money
    lines = [
        f"# {_md(run.company)}: sales pipeline vs. finance revenue",
        "",
        f"*Systems diagnostic, {span}, {cur}. {system_label(run.crm_system)} (CRM) against "
        f"{system_label(run.erp_system)} (ERP), crossfoot {run.version}.*",
        "",
        "## What is wrong",
        "",
        f"- Sales booked **{cur} {m(bookings)}** of closed-won deals. Under the revenue rules "
        f"sales and finance agreed, those deals should have produced **{cur} {m(expected)}** "
        f"of revenue in these periods; the ERP recognized **{cur} {m(erp)}**.",
        f"- The systems disagree by **{cur} {m(gap)}** net, and the causes below move "
        f"**{cur} {m(moved)}** between periods, product lines and records on the way "
        f"({len(view.exceptions)} record-level differences).",
        f"- Unexplained after every cause: **{cur} {m(unexplained)}**. "
        "Every other cent is traced to a record in `exceptions.csv`.",
        "",
        "## Why (largest causes by money moved)",
        "",
    ]
    for c in causes[:TOP_CAUSES]:
        lines.append(
            f"- **{_md(c.cause.title)}** — {cur} {m(c.abs_effects)}, {c.exceptions} records: "
            f"{_md(c.cause.meaning)}."
        )
    if not causes:
        lines.append("- No differences: the definitions explain every cent.")
    lines += ["", "## What to fix first", ""]
    for item in run.roadmap[:FIRST_FIXES]:
        lines.append(
            f"{item.rank}. **{_md(item.title)}** — explains {cur} {m(item.money)} "
            f"({item.records} records); owner: {item.owner}; about {item.effort_days} "
            f"day{'s' if item.effort_days != 1 else ''} of work."
        )
    if not run.roadmap:
        lines.append("Nothing to fix: keep running crossfoot every period.")
    elif len(run.roadmap) > FIRST_FIXES:
        rest = run.roadmap[FIRST_FIXES:]
        rest_money = sum((i.money for i in rest), Decimal(0))
        lines.append(
            f"\nThen {len(rest)} further fixes explaining {cur} {m(rest_money)} "
            "(the roadmap in `report.html` and `roadmap.csv`, ranked by money per day of work)."
        )
    if run.platform_fit:
        lines += ["", "## Systems fit", ""]
        lines += [
            f"- {system_label(p.system)}: {_md(p.finding)}. Points to: {_md(p.points_to)}."
            for p in run.platform_fit
        ]
    lines += [
        "",
        "---",
        "Figures are the same as in `bridge.csv` (the walk from bookings to revenue, per period) "
        "and `exceptions.csv` (one row per record-level difference).",
        "",
    ]
    return "\n".join(lines).encode("utf-8")
