"""``history``, ``diff``, ``exceptions …`` and ``watch``: thin commands over ``crossfoot.history``
and ``crossfoot.ops.watch``; registered on the app by ``cli/app.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="The definitions file, crossfoot.yaml.")
]
WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(help="Workspace store (default .crossfoot/ beside the definitions)."),
]
IdsArg = Annotated[list[str], typer.Argument(help="Exception ids (X-...).")]
NoteOpt = Annotated[str | None, typer.Option("--note", "-n", help="A note to add.")]
WhoOpt = Annotated[
    str | None,
    typer.Option("--who", help="Who makes the change (default: CROSSFOOT_USER or login)."),
]

sync_app = typer.Typer(help="Write-back change sets: make the CRM agree with the fields the ERP owns.")
exceptions_app = typer.Typer(
    help="The exception worklist: list, acknowledge, resolve, assign, note, import."
)
console = Console()


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("diff")(diff)
    app.command("watch")(watch)
    app.add_typer(exceptions_app, name="exceptions")
    app.add_typer(sync_app, name="sync")


def history(config: ConfigOpt = Path("crossfoot.yaml"), workspace: WorkspaceOpt = None) -> None:
    """List the runs kept in the workspace: when, inputs, exceptions, unexplained, outputs."""
    from crossfoot.history import history as runs

    table = Table("run", "finished (UTC)", "version", "definitions", "inputs", "exceptions",
                  "Σ|unexplained|", "outputs")  # fmt: skip
    for r in runs(config, workspace=workspace):
        table.add_row(
            r.run_id, f"{r.finished_at:%Y-%m-%d %H:%M:%S}", r.version, r.definitions_hash[:12],
            str(r.inputs), str(r.exceptions), f"{r.currency or ''} {r.unexplained:,.2f}",
            r.out_dir or "",
        )  # fmt: skip
    console.print(table)


def diff(
    run_a: Annotated[
        str | None, typer.Argument(help="The earlier run (default: the previous).")
    ] = None,
    run_b: Annotated[
        str | None, typer.Argument(help="The later run (default: the latest).")
    ] = None,
    config: ConfigOpt = Path("crossfoot.yaml"),
    workspace: WorkspaceOpt = None,
) -> None:
    """New, resolved and changed exceptions, and each bridge step's move per period."""
    from crossfoot.history import diff as run_diff

    d = run_diff(run_a, run_b, config=config, workspace=workspace)
    console.print(f"from [bold]{d.run_a}[/bold] to [bold]{d.run_b}[/bold]")
    if d.unchanged:
        console.print("nothing changed: same exceptions, same bridge")
        return
    for title, found in (("new", d.new), ("resolved", d.resolved)):
        if found:
            t = Table(
                "exception", "cause", "period", "customer", "impact", title=f"{len(found)} {title}"
            )
            for e in found:
                t.add_row(e["exception_id"], e["cause"], e["period"] or "", e["customer"] or "",
                          f"{e['impact']:,.2f}")  # fmt: skip
            console.print(t)
    if d.changed:
        t = Table(
            "exception", "cause", "field", "before", "after", title=f"{len(d.changed)} changed"
        )
        for c in d.changed:
            for f in c.fields:
                t.add_row(c.exception_id, c.cause, f, str(c.before[f]), str(c.after[f]))
        console.print(t)
    if d.bridge:
        t = Table("period", "step", "before", "after", "moved", title="bridge steps that moved")
        for m in d.bridge:
            t.add_row(m.period, m.step, f"{m.before:,.2f}", f"{m.after:,.2f}", f"{m.delta:+,.2f}")
        console.print(t)


@exceptions_app.command("list")
def list_exceptions(
    config: ConfigOpt = Path("crossfoot.yaml"),
    workspace: WorkspaceOpt = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Only this assignee.")] = None,
) -> None:
    """Every exception's status, assignee and notes."""
    from crossfoot.history import exceptions

    found = exceptions(config, workspace=workspace, status=status, assignee=assignee)
    t = Table("exception", "cause", "customer", "status", "assignee", "notes", "last seen")
    for e in found:
        t.add_row(e["exception_id"], e["cause"], e["customer"] or "", e["status"],
                  e["assignee"] or "", (e["notes"] or "").replace("\n", " / ")[:60],
                  e["last_seen_run"])  # fmt: skip
    console.print(t)
    console.print(f"{len(found)} exceptions")


def _update(
    ids: list[str], config: Path, workspace: Path | None, who: str | None, *,
    status: str | None = None, assignee: str | None = None, note: str | None = None,
) -> None:  # fmt: skip
    from crossfoot.history import update_exceptions

    changes = update_exceptions(ids, status=status, assignee=assignee, note=note, actor=who,
                                interface="cli", config=config, workspace=workspace)  # fmt: skip
    for c in changes:
        console.print(
            f"{c.exception_id}: {c.field} {c.old or '(empty)'!s} -> {c.new or '(empty)'!s}"
        )
    if not changes:
        console.print("nothing to change")


@exceptions_app.command("ack")
def ack(ids: IdsArg, note: NoteOpt = None, who: WhoOpt = None,
        config: ConfigOpt = Path("crossfoot.yaml"), workspace: WorkspaceOpt = None) -> None:  # fmt: skip
    """Acknowledge exceptions (someone is on it)."""
    _update(ids, config, workspace, who, status="acknowledged", note=note)


@exceptions_app.command("resolve")
def resolve(ids: IdsArg, note: NoteOpt = None, who: WhoOpt = None,
            config: ConfigOpt = Path("crossfoot.yaml"), workspace: WorkspaceOpt = None) -> None:  # fmt: skip
    """Mark exceptions resolved (a later run reopens them if they are still found)."""
    _update(ids, config, workspace, who, status="resolved", note=note)


@exceptions_app.command("assign")
def assign(ids: IdsArg, to: Annotated[str, typer.Option("--to", help="The assignee ('' unassigns).")],
           who: WhoOpt = None, config: ConfigOpt = Path("crossfoot.yaml"),
           workspace: WorkspaceOpt = None) -> None:  # fmt: skip
    """Assign exceptions to someone."""
    _update(ids, config, workspace, who, assignee=to)


@exceptions_app.command("note")
def note(exception_id: Annotated[str, typer.Argument(help="The exception id.")],
         text: Annotated[str, typer.Argument(help="The note.")], who: WhoOpt = None,
         config: ConfigOpt = Path("crossfoot.yaml"), workspace: WorkspaceOpt = None) -> None:  # fmt: skip
    """Add a note to an exception."""
    _update([exception_id], config, workspace, who, note=text)


@exceptions_app.command("audit")
def audit(exception_id: Annotated[str | None, typer.Argument(help="One exception (default: all).")] = None,
          config: ConfigOpt = Path("crossfoot.yaml"), workspace: WorkspaceOpt = None) -> None:  # fmt: skip
    """The audit trail: who changed what, when, from which interface."""
    from crossfoot.history import audit as trail

    t = Table("when (UTC)", "exception", "who", "via", "field", "from", "to", "comment")
    for a in trail(exception_id, config=config, workspace=workspace):
        t.add_row(f"{a['changed_at']:%Y-%m-%d %H:%M:%S}", a["exception_id"], a["actor"],
                  a["interface"], a["field"], a["old_value"] or "", a["new_value"] or "",
                  a["comment"] or "")  # fmt: skip
    console.print(t)


@exceptions_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="An exceptions.xlsx a run wrote, edited in Excel.")],
    who: WhoOpt = None,
    config: ConfigOpt = Path("crossfoot.yaml"),
    workspace: WorkspaceOpt = None,
) -> None:
    """Take statuses, assignees and notes back from an edited exceptions.xlsx (all or nothing)."""
    from crossfoot.history import import_exceptions

    report = import_exceptions(file, actor=who, config=config, workspace=workspace)
    for c in report.changes:
        console.print(
            f"{c.exception_id}: {c.field} {c.old or '(empty)'!s} -> {c.new or '(empty)'!s}"
        )
    console.print(f"imported {len(report.changes)} change(s) from {report.rows_read} rows "
                  f"(run {report.run_id})")  # fmt: skip


def watch(
    config: ConfigOpt = Path("crossfoot.yaml"),
    every: Annotated[str, typer.Option(help="How often: 90s, 15m, 1h, 1d.")] = "1h",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    workspace: WorkspaceOpt = None,
    once: Annotated[
        bool, typer.Option("--once", help="One cycle, then exit (cron, systemd).")
    ] = False,
) -> None:
    """Pull (when a source is api), run and alert, on a schedule; runs never overlap."""
    from crossfoot.ops.watch import parse_every
    from crossfoot.ops.watch import watch as do_watch

    interval = parse_every(every)
    for cycle in do_watch(config, out, every=interval, workspace=workspace,
                          iterations=1 if once else None):  # fmt: skip
        console.print(cycle.summary(), highlight=False, soft_wrap=True)
        if once and cycle.error is not None:
            raise cycle.error  # the exit code of the run's error (SPEC §8)


@sync_app.command("plan")
def sync_plan(
    config: ConfigOpt = Path("crossfoot.yaml"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the plan files.")] = Path("."),
    workspace: WorkspaceOpt = None,
) -> None:
    """Write the change set of the latest run (JSON and CSV): record, field, before, after, why."""
    from crossfoot.sync import plan_changes

    change_set, json_path, csv_path = plan_changes(config, out, workspace=workspace)
    console.print(f"{len(change_set.changes)} change(s) planned, {len(change_set.not_planned)} "
                  f"exception(s) need a fix elsewhere: {json_path} and {csv_path}", soft_wrap=True)  # fmt: skip


@sync_app.command("apply")
def sync_apply(
    plan_file: Annotated[Path, typer.Argument(help="A sync-plan-*.json written by `sync plan`.")],
    config: ConfigOpt = Path("crossfoot.yaml"),
    do_apply: Annotated[bool, typer.Option("--apply", help="Write (default: a dry run).")] = False,
    who: WhoOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Apply a change set to the CRM: dry run unless --apply; skips records changed since the plan."""
    from collections import Counter

    from crossfoot.sync import apply_changes

    outcomes = apply_changes(plan_file, config, apply=do_apply, workspace=workspace, actor=who)
    for o in outcomes:
        c = o.change
        console.print(f"{o.outcome:<32} {c.object} {c.record_id} {c.field}: {c.before!s} -> {c.after}"
                      + (f" ({o.detail})" if o.detail else ""), highlight=False, soft_wrap=True)  # fmt: skip
    counts = Counter(o.outcome for o in outcomes)
    console.print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to do")
    if not do_apply:
        console.print("dry run: nothing was written; add --apply to write")
