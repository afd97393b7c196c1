"""Where a `run` spends its time and memory: one line per stage, output file and history step.

    python benchmarks/profile_run.py benchmarks/_data/deals_100000 [--tables]

Prints, for each step, the seconds it took, the process's resident memory after
it and the peak so far. Wraps the public stages only (the progress callback,
each output renderer, the history steps), so it needs no change to the package.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_last = [time.perf_counter()]
_current = ["imports"]


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def mark(next_label: str) -> None:
    """Report the step that just ended; ``next_label`` is the one starting now."""
    now = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{now - _last[0]:7.2f} s  rss {_rss_mib():6.0f} MiB  peak {peak:6.0f} MiB  {_current[0]}", flush=True)
    _last[0], _current[0] = now, next_label


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = _current[0]
        mark(name)
        value = fn(*args, **kwargs)
        mark(outer)
        return value

    return wrapper


def on_the_side(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Times a step that runs on another thread beside the others (the CSV files)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        print(f"        (on a worker thread) {name}: {time.perf_counter() - start:.2f} s", flush=True)
        return value

    return wrapper


def main(folder: Path, tables: bool) -> None:
    import crossfoot.engine.backend as backend
    import crossfoot.history.keep as keep
    import crossfoot.outputs as outputs
    import crossfoot.outputs.render as render
    from crossfoot.api import run

    render.IN_PYTHON = tuple((n, timed(n, r)) for n, r in render.IN_PYTHON)
    render.BY_DUCKDB = tuple((n, on_the_side(n, r)) for n, r in render.BY_DUCKDB)
    outputs.write_outputs = timed("write_outputs", outputs.write_outputs)
    render.write_outputs = outputs.write_outputs
    keep.apply_run = timed("history: lifecycle", keep.apply_run)
    keep.record_run = timed("history: record_run", keep.record_run)
    if tables:  # each materialized engine table, compile and execution apart
        # one stage at a time: pipelined, a stage would execute after materialize returns
        backend.Backend.pipelined = lambda self, inputs=(): contextlib.nullcontext()  # type: ignore[method-assign,assignment,misc]
        backend.DuckDBBackend.pipelined = backend.Backend.pipelined  # type: ignore[method-assign]
        materialize = backend.DuckDBBackend.materialize

        def timed_materialize(self: Any, expr: Any, name: str, stage: str | None = None) -> Any:
            start = time.perf_counter()
            sql = self.con.compile(expr)
            compiled = time.perf_counter()
            table = materialize(self, expr, name, stage)
            done = time.perf_counter()
            rows = self.raw.execute(f'select count(*) from "{name}"').fetchone()[0]
            print(f"        {name}: compile {compiled - start:.2f} s ({len(sql) // 1024} KiB SQL), "
                  f"run {done - compiled:.2f} s, {rows:,} rows")
            return table

        backend.DuckDBBackend.materialize = timed_materialize  # type: ignore[method-assign]
        to_arrow = backend.DuckDBBackend.to_arrow

        def timed_to_arrow(self: Any, expr: Any) -> Any:
            start = time.perf_counter()
            table = to_arrow(self, expr)
            print(f"        to Arrow: {time.perf_counter() - start:.2f} s, {table.num_rows:,} rows "
                  f"({', '.join(table.column_names[:3])}, ...)")
            return table

        backend.DuckDBBackend.to_arrow = timed_to_arrow
    mark("starting")
    run(folder / "crossfoot.yaml", folder / "out", workspace=folder / "profile.duckdb", progress=mark)
    mark("end")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a generated company (benchmarks/_data/deals_N)")
    parser.add_argument(
        "--tables",
        action="store_true",
        help="also time each engine table (compiled twice: once timed, once to run)",
    )
    args = parser.parse_args()
    main(args.folder, args.tables)
