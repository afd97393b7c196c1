"""Terminal rendering of results with Rich: the CLI's only formatting code."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from crossfoot.causes import CAUSE_BY_CODE, STEP_ORDER
from crossfoot.diagnostic.findings import InputFile, RunResult


def money(d: Decimal) -> str:
    return f"{d:,.2f}"


def inputs_table(inputs: tuple[InputFile, ...]) -> Table:
    t = Table(title="Inputs", title_justify="left")
    for col in ("system", "table", "file", "read", "loaded", "rejected"):
        numeric = col in ("read", "loaded", "rejected")
        t.add_column(col, justify="right" if numeric else "left", overflow="fold", min_width=6)
    for i in inputs:
        style = None if i.conserved else "red"
        t.add_row(
            i.system,
            i.table,
            i.path,
            str(i.rows_read),
            str(i.rows_loaded),
            str(i.rows_rejected),
            style=style,
        )
    return t


def bridge_table(result: RunResult, last: int = 3) -> Table:
    rows = result.bridge.to_pylist()
    periods = sorted({r["period"] for r in rows})[-last:]
    values: dict[tuple[str, str], Decimal] = {(r["step"], r["period"]): r["amount"] for r in rows}
    kinds = {r["step"]: r["kind"] for r in rows}
    t = Table(title=f"Bridge ({result.currency})", title_justify="left")
    t.add_column("step")
    for p in periods:
        t.add_column(p, justify="right")
    for step in sorted(kinds, key=lambda s: STEP_ORDER[s]):
        cells = [values.get((step, p), Decimal(0)) for p in periods]
        if kinds[step] == "cause" and step != "unexplained" and not any(cells):
            continue
        style = "bold" if kinds[step] == "total" else None
        t.add_row(step, *(money(c) for c in cells), style=style)
    return t


def causes_table(result: RunResult, top: int = 5) -> Table:
    moved: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)
    effects: dict[str, Decimal] = defaultdict(Decimal)
    for e in result.exception_effects.to_pylist():
        effects[e["exception_id"]] += abs(e["amount"])
    for x in result.exceptions.to_pylist():
        moved[x["cause"]] += effects.get(x["exception_id"], Decimal(0))
        count[x["cause"]] += 1
    t = Table(title="Top causes by money moved", title_justify="left")
    for col in ("cause", "exceptions", f"money ({result.currency})", "fix"):
        t.add_column(col, justify="right" if col != "cause" and col != "fix" else "left")
    for cause in sorted(count, key=lambda c: (-moved[c], c))[:top]:
        t.add_row(cause, str(count[cause]), money(moved[cause]), CAUSE_BY_CODE[cause].suggested_fix)
    return t


def print_run(console: Console, result: RunResult, out_dir: Path | None) -> None:
    console.print(bridge_table(result))
    console.print(causes_table(result))
    for d in result.definition_drift:
        console.print(
            f"[yellow]Definition drift[/yellow]: the ERP recognizes {d.product_line} as "
            f"{d.inferred}, the definitions say {d.defined}; {result.currency} {money(d.moved)} "
            "is in other periods."
        )
    pending = result.milestones_pending
    if pending is not None and pending.num_rows:
        console.print(
            f"{pending.num_rows} milestone(s) of booked deals have no event date yet: "
            "their revenue stays deferred"
            + (f" (see {out_dir / 'milestones_pending.csv'})" if out_dir else "")
        )
    rejected = result.rejects.num_rows
    console.print(
        f"{result.exceptions.num_rows} exceptions, {rejected} rejected input rows"
        + (f" (see {out_dir / 'rejects.csv'})" if rejected and out_dir else "")
    )
    if out_dir:
        console.print(
            f"Outputs: [bold]{out_dir}[/bold] (report.html, exceptions.xlsx, bridge.csv, ...)"
        )
