"""Where stages run. Only this module imports an execution engine.

Stages build Ibis expressions; a Backend materializes them. ``run_stage`` is the
one place where execution happens, so every failure is wrapped with the stage
name and its SQL (as splink's DatabaseAPI does).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, final

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from crossfoot.engine.stage_queue import StageQueue
from crossfoot.errors import InputError, StageError

log = logging.getLogger(__name__)
#: rows per batch when a result comes back to Python as Arrow
ARROW_BATCH_ROWS = 1_000_000
_COMPILING = threading.Lock()


def compile_sql(con: Any, expr: ibis.Table) -> str:
    """The SQL of ``expr``, without Ibis fusing consecutive selects into one.

    Fusing (Ibis's merge_select_select rewrite) was a quarter of the engine's compile
    time (0.6 of 2.4 s of CPU per run), and DuckDB's optimizer merges nested
    projections itself: the outputs are byte-identical either way.
    """
    with _COMPILING:  # the option is global; a queued check may compile on the worker
        fuse = ibis.options.sql.fuse_selects
        ibis.options.sql.fuse_selects = False
        try:
            return str(con.compile(expr))
        finally:
            ibis.options.sql.fuse_selects = fuse


class Backend(ABC):
    name: str = "abstract"
    #: capabilities stages may ask about instead of checking the backend's type
    SUPPORTS_FILE_SCAN = False

    @property
    @abstractmethod
    def con(self) -> Any:
        """The Ibis connection."""

    @abstractmethod
    def table(self, name: str) -> ibis.Table: ...

    @abstractmethod
    def materialize(self, expr: ibis.Table, name: str, stage: str | None = None) -> ibis.Table:
        """Write ``expr`` as table ``name``; ``stage`` names it in errors (default ``name``)."""

    @abstractmethod
    def to_arrow(self, expr: ibis.Table) -> pa.Table: ...

    @abstractmethod
    def load_arrow(self, data: pa.Table, name: str) -> ibis.Table: ...

    def first_row(self, expr: ibis.Table, order_by: Sequence[str] = ()) -> dict[str, Any] | None:
        """The first row of ``expr`` (in ``order_by``) as a dict, or None when it has none."""
        if order_by:
            expr = expr.order_by(list(order_by))
        rows: list[dict[str, Any]] = self.to_arrow(expr.limit(1)).to_pylist()
        return rows[0] if rows else None

    def stop_on_first_row(
        self, expr: ibis.Table, order_by: Sequence[str], stop: Callable[[dict[str, Any]], None]
    ) -> None:
        """A check that stops the run: ``stop`` raises, naming the first row of ``expr``.

        One query, as the checks almost never find a row; queued like a stage where
        stages are (``pipelined``), so its error is raised in the order of the stages.
        """
        self.in_order(partial(self._stop_on_first_row, expr, order_by, stop))

    def _stop_on_first_row(
        self, expr: ibis.Table, order_by: Sequence[str], stop: Callable[[dict[str, Any]], None]
    ) -> None:
        row = self.first_row(expr, order_by)
        if row is not None:
            stop(row)

    def scalar(self, expr: ir.Scalar) -> Any:
        """Execute a scalar expression (a count, a sum) and return its Python value."""
        return self.con.execute(expr)

    def has_table(self, name: str) -> bool:
        return name in self.con.list_tables()

    def drop(self, name: str) -> None:
        """Drop a scratch table if it exists."""
        self.con.drop_table(name, force=True)

    @contextmanager
    def pipelined(self, inputs: Iterable[str] = ()) -> Iterator[None]:
        """While the block runs, stages may execute after ``run_stage`` returns (DuckDB)."""
        yield

    def in_order(self, call: Callable[[], None]) -> None:
        """Call ``call`` once every stage materialized before it has run: now, here."""
        call()

    @final
    def run_stage(self, stage: str, expr: ibis.Table, name: str | None = None) -> ibis.Table:
        """Materialize ``expr`` as table ``name`` (default: the stage name)."""
        log.debug("stage %s on %s", stage, self.name)
        try:
            return self.materialize(expr, name or stage, stage)
        except Exception as exc:
            try:
                sql = str(ibis.to_sql(expr))
            except Exception:
                sql = None
            raise StageError(stage, self.name, sql, exc) from exc


class DuckDBBackend(Backend):
    """DuckDB in-process; a file per workspace, or in memory."""

    name = "duckdb"
    SUPPORTS_FILE_SCAN = True

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        memory_limit: str | None = None,
        temp_directory: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        import duckdb

        self.path = Path(path) if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # the background thread returns freed memory to the system: stages executed
        # from a Python worker thread (``pipelined``) otherwise keep it in that thread's
        # cache (peak 1.7 instead of 1.3 GB at 100,000 deals)
        config: dict[str, Any] = {
            "preserve_insertion_order": True,
            "allocator_background_threads": True,
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = str(temp_directory)
        if threads:
            config["threads"] = threads
        try:
            self.raw = duckdb.connect(str(self.path) if self.path else ":memory:", config=config)
        except duckdb.IOException as exc:  # another process holds the file's lock
            raise InputError(
                f"the workspace store cannot be opened ({exc}); is another crossfoot run "
                "using it? Wait for it, or pass --workspace with another file",
                location=str(self.path),
            ) from exc
        # DuckDB's own progress bar would print over the CLI's (and into logs)
        self.raw.execute("set enable_progress_bar = false")
        self._con = ibis.duckdb.from_connection(self.raw)
        #: set by ``store.transaction``: some statements (DETACH) must wait for its end
        self.in_transaction = False
        #: while ``pipelined``: the worker running the stages, and the schema of each
        #: table a queued stage writes
        self._queue: StageQueue | None = None
        self._filling: dict[str, ibis.Schema] = {}
        self._inputs: dict[str, ibis.Table] = {}

    @property
    def con(self) -> Any:
        self._settle()
        return self._con

    def table(self, name: str) -> ibis.Table:
        if name in self._filling:  # written by a queued stage: its schema is all Ibis needs
            return ibis.table(self._filling[name], name=name)
        if name in self._inputs:
            return self._inputs[name]
        self._settle()
        return self._con.table(name)

    def materialize(self, expr: ibis.Table, name: str, stage: str | None = None) -> ibis.Table:
        # stage tables live for the session only (in memory, spilling to disk when
        # large): the store keeps the canonical tables and each run's results,
        # not the scaffolding between them. Written once: Ibis's create_table with
        # overwrite inserts into a scratch table and then copies it whole. The
        # declared columns keep Ibis's types (DuckDB would widen a sum to HUGEINT).
        schema = expr.schema()
        columns = ", ".join(c.sql("duckdb") for c in schema.to_sqlglot_column_defs("duckdb"))
        sql = compile_sql(self._con, expr)

        def write() -> None:
            self._con._run_pre_execute_hooks(expr)  # registers the expression's memtables
            self.raw.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" ({columns})')
            self.raw.execute(f'INSERT INTO "{name}" {sql}')

        if self._queue is None:
            write()
            return self._con.table(name)
        self._queue.submit(_as_stage(write, stage or name, self.name, sql))
        self._filling[name] = schema
        return ibis.table(schema, name=name)

    @contextmanager
    def pipelined(self, inputs: Iterable[str] = ()) -> Iterator[None]:
        """While the block runs, stages execute on a worker thread, in order (``stage_queue``).

        ``run_stage`` returns as soon as the stage is compiled; anything that reads
        data (``to_arrow``, ``scalar``, ``first_row``...) first waits for the stages
        before it, and a stage's failure is raised there or when the block ends.
        ``inputs`` are the tables the stages read and no stage writes: they are
        looked up once, here, so that looking one up later waits for nothing.
        """
        if self._queue is not None:  # already pipelined: one queue
            yield
            return
        present = set(self._con.list_tables())
        self._inputs = {name: self._con.table(name) for name in inputs if name in present}
        queue = self._queue = StageQueue(self.raw.interrupt)
        try:
            yield
            queue.wait()
        except BaseException:
            queue.close(abandon=True)
            raise
        finally:
            queue.close(abandon=False)
            self._queue = None
            self._filling.clear()
            self._inputs.clear()

    def in_order(self, call: Callable[[], None]) -> None:
        if self._queue is None:
            call()
        else:
            self._queue.submit(call)

    def _settle(self) -> None:
        """Wait for the queued stages (raising the first failure) before touching data."""
        if self._queue is not None:
            self._queue.wait()

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        # streamed in batches: fetching the whole result at once holds it twice,
        # in DuckDB and in Arrow (900 MB more at the 10M-row per-customer bridge).
        # Each batch is cast to Ibis's types, as Ibis's own to_pyarrow does (a sum
        # comes back from DuckDB as HUGEINT where Ibis declares int64)
        self._settle()
        self._con._run_pre_execute_hooks(expr)  # registers the expression's memtables
        schema = expr.schema().to_pyarrow()
        result = self.raw.execute(compile_sql(self._con, expr))
        batches = result.to_arrow_reader(ARROW_BATCH_ROWS)
        return pa.Table.from_batches([batch.cast(schema) for batch in batches], schema=schema)

    def load_arrow(self, data: pa.Table, name: str) -> ibis.Table:
        self._settle()
        return self._con.create_table(name, data, overwrite=True)

    def drop(self, name: str) -> None:
        if self._queue is None:
            super().drop(name)
            return
        self._filling.pop(name, None)
        self._queue.submit(partial(self.raw.execute, f'DROP TABLE IF EXISTS "{name}"'))

    @contextmanager
    def any_row_order(self) -> Iterator[None]:
        """While the block runs, let DuckDB keep rows in any order where no ORDER BY asks.

        Order is kept by default because the readers number rows by their position
        (``sources/files.py``) and the store keeps its tables in load order. The engine
        and the collected results never rely on it (every result is sorted or
        order-free, as on Spark), and keeping it costs about a tenth of the engine's
        time at 100,000 deals. Outputs are byte-identical either way.
        """
        self.raw.execute("SET preserve_insertion_order = false")
        try:
            yield
        finally:
            self.raw.execute("SET preserve_insertion_order = true")

    def has_table(self, name: str) -> bool:
        self._settle()
        found = self.raw.execute(
            "select count(*) from information_schema.tables where table_name = ?", [name]
        ).fetchone()
        return bool(found and found[0])

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        """Run DuckDB SQL directly: file scans by readers, nothing else."""
        self._settle()
        return self.raw.execute(query, params or [])

    def close(self) -> None:
        self.raw.close()


def _as_stage(write: Callable[[], None], stage: str, backend: str, sql: str) -> Callable[[], None]:
    """``write``, its failure raised as the StageError ``run_stage`` raises when not queued."""

    def job() -> None:
        try:
            write()
        except Exception as exc:
            raise StageError(stage, backend, sql, exc) from exc

    return job
