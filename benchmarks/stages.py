"""One engine stage on its own: the demo company loaded and the stages before it run.

A stage is timed in the process that prepared its inputs, on an in-memory DuckDB
(the same backend ``run`` uses, without the workspace file).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from crossfoot.config import Definitions, load_definitions
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.pipeline import STEPS
from crossfoot.sources import load_sources

T = TypeVar("T")


def prepared(folder: Path, until: str) -> tuple[DuckDBBackend, Definitions]:
    """The company in ``folder`` loaded, and every engine step before ``until`` run."""
    labels = [label for label, _ in STEPS]
    if until not in labels:
        raise ValueError(f"no engine step {until!r}; the steps are {labels}")
    defs = load_definitions(folder / "crossfoot.yaml")
    # in memory (no workspace file), with the engine settings `run` would use
    backend = DuckDBBackend(memory_limit=defs.duckdb.memory_limit, threads=defs.duckdb.threads)
    load_sources(defs, backend)
    for label, step in STEPS:
        if label == until:
            break
        step(backend, defs)
    return backend, defs


def timed(fn: Callable[[], T], repeats: int) -> tuple[T, float, float]:
    """Run ``fn`` ``repeats`` times: its last result, the first (cold) and the median warm time.

    Cold is the first call in the process (Ibis compiling, DuckDB planning,
    Polars or pandas allocating for the first time); warm is the median of the
    calls after it (the first again when ``repeats`` is 1).
    """
    times: list[float] = []
    t0 = time.perf_counter()
    result = fn()
    times.append(time.perf_counter() - t0)
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    warm = statistics.median(times[1:]) if len(times) > 1 else times[0]
    return result, times[0], warm
