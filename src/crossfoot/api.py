"""The library entry points behind the CLI: check the inputs, run the reconciliation.

Re-exported as ``crossfoot.check`` and ``crossfoot.run``; the module has its own
name so that ``crossfoot.run`` is the function, not a module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pyarrow as pa

from crossfoot.config import Definitions, load_definitions
from crossfoot.diagnostic.collect import collect
from crossfoot.diagnostic.findings import REJECT_COLUMNS, InputFile, RunResult
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.pipeline import STAGE_LABELS, reconcile
from crossfoot.sources import load_sources
from crossfoot.store import record_run, workspace_path

Progress = Callable[[str], None]
Engine = Literal["duckdb", "spark"]

#: the labels ``run`` reports to its ``progress`` callback, in order
RUN_STAGES = ("reading inputs", *STAGE_LABELS, "collecting results", "writing outputs")


@dataclass(frozen=True)
class CheckReport:
    definitions: Definitions
    inputs: tuple[InputFile, ...]
    rejects: pa.Table


def check(config: str | Path) -> CheckReport:
    """Validate the definitions and read every input into a throwaway in-memory store."""
    defs = load_definitions(config)
    backend = DuckDBBackend()
    try:
        inputs = load_sources(defs, backend)
        rejects = backend.to_arrow(backend.table("rejects").select(*REJECT_COLUMNS))
    finally:
        backend.close()
    return CheckReport(defs, inputs, rejects)


def run(
    config: str | Path,
    out_dir: str | Path | None = None,
    *,
    workspace: str | Path | None = None,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> RunResult:
    """Load, reconcile and (when ``out_dir`` is given) write the outputs of one run.

    ``engine`` overrides the definitions' ``engine:``; with ``spark`` the readers
    still run here in DuckDB and the stages run on Spark (docs/spark.md).
    """
    from crossfoot.outputs import write_outputs

    started = datetime.now(UTC)
    defs = load_definitions(config)
    store = Path(workspace) if workspace else workspace_path(defs)
    backend = DuckDBBackend(store)
    try:
        if progress:
            progress("reading inputs")
        inputs = load_sources(defs, backend)
        if (engine or defs.engine) == "spark":
            result = _run_on_spark(backend, defs, inputs, started, progress)
        else:
            reconcile(backend, defs, progress)
            if progress:
                progress("collecting results")
            result = collect(backend, defs, inputs, started, datetime.now(UTC))
        if out_dir is not None:
            if progress:
                progress("writing outputs")
            write_outputs(result, Path(out_dir))
        record_run(backend, result)
    finally:
        backend.close()
    return result


def _run_on_spark(
    duck: DuckDBBackend,
    defs: Definitions,
    inputs: tuple[InputFile, ...],
    started: datetime,
    progress: Progress | None,
) -> RunResult:
    from crossfoot.engine.spark import SparkBackend, SparkResults, spark_session, to_spark

    spark = SparkBackend(spark_session(defs.spark))
    try:
        staging = defs.spark.staging
        to_spark(duck, spark, defs.path(staging) if staging else None)
        reconcile(spark, defs, progress)
        if progress:
            progress("collecting results")
        return collect(SparkResults(duck, spark), defs, inputs, started, datetime.now(UTC))
    finally:
        spark.close()
