"""The ``crossfoot`` command: thin Typer commands over ``crossfoot.api``.

Errors are handled in one place (``main``): a CrossfootError prints one red
line and exits with its code; anything else is a bug and shows the traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from crossfoot import __version__
from crossfoot.cli.exit_codes import exit_code_for
from crossfoot.cli.ops import register as _register_ops
from crossfoot.cli.render import inputs_table, print_run
from crossfoot.errors import CrossfootError

app = typer.Typer(
    name="crossfoot",
    help="Make CRM pipeline numbers and finance numbers agree, and explain why they did not.",
    pretty_exceptions_show_locals=False,  # connector frames hold tokens
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)
_debug = False


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="The definitions file, crossfoot.yaml.")
]


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A progress bar over the stages of a run (``api.RUN_STAGES``), on a terminal only."""
    from crossfoot.api import RUN_STAGES

    if not console.is_terminal:
        yield lambda label: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as p:
        task = p.add_task("starting", total=len(RUN_STAGES))
        started = [False]

        def step(label: str) -> None:
            p.update(task, description=label, advance=1 if started[0] else 0)
            started[0] = True

        yield step


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for every error.")
    ] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    global _debug
    _debug = debug
    if version:
        console.print(f"crossfoot {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        console.print(ctx.get_help())
        raise typer.Exit(2)


@app.command()
def check(config: ConfigOpt = Path("crossfoot.yaml")) -> None:
    """Validate the definitions and read every input: rows loaded and rejected per file."""
    from crossfoot.api import check as run_check

    report = run_check(config)
    console.print(inputs_table(report.inputs))
    n = report.rejects.num_rows
    if n:
        console.print(f"[yellow]{n} rows rejected[/yellow]; the first ones:")
        for r in report.rejects.slice(0, 10).to_pylist():
            console.print(
                f"  {r['source_file']}:{r['source_line']} {r['field'] or ''}: {r['reason']}"
            )
    console.print(f"[green]Definitions valid[/green] ({config}); every row accounted for.")


@app.command()
def run(
    config: ConfigOpt = Path("crossfoot.yaml"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    workspace: Annotated[
        Path | None,
        typer.Option(help="Workspace store (default .crossfoot/ beside the definitions)."),
    ] = None,
    engine: Annotated[
        EngineName | None,
        typer.Option(help="Where the engine runs (default: the definitions' engine:, duckdb)."),
    ] = None,
) -> None:
    """Reconcile CRM and ERP and write the outputs (bridge, exceptions, report)."""
    from crossfoot.api import run as do_run

    with _progress() as progress:
        result = do_run(
            config, out, workspace=workspace, progress=progress, interface="cli",
            engine=engine.value if engine else None,
        )  # fmt: skip
    print_run(console, result, out)


@app.command()
def pull(
    config: ConfigOpt = Path("crossfoot.yaml"),
    full: Annotated[
        bool, typer.Option("--full", help="Pull everything again instead of what changed.")
    ] = False,
) -> None:
    """Fetch the objects of every system whose source is api into .crossfoot/pulled/."""
    from crossfoot.pull import pull as do_pull

    with _pull_progress() as progress:
        report = do_pull(config, full=full, progress=progress)
    for obj in report.recovered:
        console.print(f"finished the interrupted commit of {obj}")
    for r in report.objects:
        console.print(
            f"{r.system:<11} {r.object:<20} {r.mode:<11} {r.fetched:>8} fetched "
            f"{r.records:>8} stored in {r.pages} pages"
        )
    console.print("[green]Pulled[/green]; next: crossfoot run -c " + str(config))


@contextmanager
def _pull_progress() -> Iterator[Callable[[str, str, int, int], None]]:
    """A line per object with its pages and records so far, on a terminal only."""
    if not console.is_terminal:
        yield lambda system, obj, pages, records: None
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description:<32}"), TextColumn("{task.fields[n]}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as p:  # fmt: skip
        tasks: dict[tuple[str, str], TaskID] = {}

        def step(system: str, obj: str, pages: int, records: int) -> None:
            if (system, obj) not in tasks:
                tasks[(system, obj)] = p.add_task(f"{system} {obj}", total=None, n="")
            p.update(tasks[(system, obj)], n=f"{pages} pages, {records} records")

        yield step


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="Where to write the sample company.")] = Path(
        "crossfoot-demo"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the generator (same seed, same company).")] = 7,
    deals: Annotated[int, typer.Option(help="Number of deals.")] = 360,
    crm: Annotated[
        str, typer.Option(help="CRM export format: salesforce (CSV) or hubspot (API pages).")
    ] = "salesforce",
    erp: Annotated[
        str, typer.Option(help="ERP format: netsuite, quickbooks, xero or business_central.")
    ] = "netsuite",
) -> None:
    """Generate a sample company with known differences, run on it, print the bridge."""
    from crossfoot.api import run as do_run
    from crossfoot.demo import generate
    from crossfoot.demo.company import MIN_DEALS
    from crossfoot.demo.erp_writers import ERPS

    if deals < MIN_DEALS:
        raise typer.BadParameter(
            f"{deals}: the sample company needs at least {MIN_DEALS} deals, enough to "
            "inject each of its labelled differences",
            param_hint="--deals",
        )
    if crm not in ("salesforce", "hubspot"):
        raise typer.BadParameter(f"{crm!r}: use salesforce or hubspot", param_hint="--crm")
    if erp not in ERPS:
        raise typer.BadParameter(f"--erp must be one of {', '.join(ERPS)}", param_hint="--erp")
    company = generate(
        folder, seed=seed, n_deals=deals, crm="hubspot" if crm == "hubspot" else "salesforce",
        erp=erp,
    )  # fmt: skip
    out = folder / "out"
    console.print(f"Sample company written to [bold]{folder}[/bold] ({company.definitions.name})")
    with _progress() as progress:
        result = do_run(company.definitions, out, progress=progress)
    print_run(console, result, out)


@app.command()
def init(folder: Annotated[Path, typer.Argument(help="Folder for the new diagnostic.")]) -> None:
    """Scaffold a crossfoot.yaml with comments and the data folders."""
    from crossfoot.scaffold import scaffold

    written = scaffold(folder)
    for path in written:
        console.print(f"wrote {path}")
    console.print(
        f"Next: put the exports in {folder / 'data'}, then: crossfoot check -c {folder / 'crossfoot.yaml'}"
    )


_register_ops(app)  # history, diff, exceptions, watch (cli/ops.py)


def main() -> None:
    """Console-script entry point: one place that turns errors into exit codes."""
    try:
        code = app(standalone_mode=False)
    except CrossfootError as exc:
        if _debug:
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/red]")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        exc.show()  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)
