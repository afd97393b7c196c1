"""The library entry points behind the CLI: check the inputs, run the reconciliation.

Re-exported as ``crossfoot.check`` and ``crossfoot.run``; the module has its own
name so that ``crossfoot.run`` is the function, not a module.
"""

from __future__ import annotations

import shutil
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
from crossfoot.sources import LOADED_TABLES, load_sources
from crossfoot.store import (
    ensure_schema,
    keep_canonical,
    rows,
    run_id,
    transaction,
    work_database,
    workspace_path,
)

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
    config: str | Path | Definitions,
    out_dir: str | Path | None = None,
    *,
    workspace: str | Path | None = None,
    progress: Progress | None = None,
    interface: str = "api",
    engine: Engine | None = None,
) -> RunResult:
    """Load, reconcile, keep the run in the history and (when ``out_dir`` is given) write it.

    All or nothing: the run holds the workspace lock (``BusyError`` if another
    run has it), reads and reconciles in an in-memory work database, writes the
    store (the canonical tables and the run) in one transaction and replaces
    ``out_dir`` only after that transaction committed (``ops/commit.py``).

    ``engine`` overrides the definitions' ``engine:``; with ``spark`` the readers
    still run here in DuckDB and the stages run on Spark (docs/spark.md).

    ``progress`` is called with each label of ``RUN_STAGES`` as the run reaches it;
    on DuckDB the engine's labels come from the thread executing the stages
    (``DuckDBBackend.pipelined``), so the callback must be safe to call from it
    (Rich's progress bars are).
    """
    from crossfoot.history.keep import keep_run
    from crossfoot.ops.commit import check_out_dir, publish, recover, staged
    from crossfoot.ops.lock import run_lock

    started = datetime.now(UTC)
    defs = config if isinstance(config, Definitions) else load_definitions(config)
    store = Path(workspace) if workspace else workspace_path(defs)
    out = Path(out_dir) if out_dir is not None else None
    committed = False
    with run_lock(store):
        settings = defs.duckdb
        backend = DuckDBBackend(
            store,
            memory_limit=settings.memory_limit,
            temp_directory=defs.path(settings.temp_directory) if settings.temp_directory else None,
            threads=settings.threads,
        )
        try:
            ensure_schema(backend)
            if out is not None:
                recover(out, lambda rid: _committed(backend, rid))
                check_out_dir(out)
            with work_database(backend) as store_name:
                if progress:
                    progress("reading inputs")
                inputs = load_sources(defs, backend)
                if (engine or defs.engine) == "spark":
                    result = _run_on_spark(backend, defs, inputs, started, progress)
                else:
                    with backend.any_row_order():
                        reconcile(backend, defs, progress)
                        if progress:
                            progress("collecting results")
                        result = collect(backend, defs, inputs, started, datetime.now(UTC))
            rid = run_id(result)
            if progress and out is not None:
                progress("writing outputs")
            pending = staged(out, rid) if out is not None else None
            with transaction(backend):
                result = keep_run(
                    backend, result, pending=pending, out=out, interface=interface,
                    beside=lambda: keep_canonical(backend, store_name, LOADED_TABLES),
                )  # fmt: skip
            committed = True
            if out is not None:
                publish(out, rid)
        except BaseException:
            if out is not None and not committed and "rid" in locals():
                shutil.rmtree(staged(out, rid), ignore_errors=True)
            raise
        finally:
            backend.close()
    return result


def _committed(backend: DuckDBBackend, rid: str) -> bool:
    found = rows(backend, "select count(*) as n from run_history where run_id = ?", [rid])
    return bool(found[0]["n"])


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
