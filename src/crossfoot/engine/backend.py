"""Where stages run. Only this module imports an execution engine.

Stages build Ibis expressions; a Backend materializes them. ``run_stage`` is the
one place where execution happens, so every failure is wrapped with the stage
name and its SQL (as splink's DatabaseAPI does).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, final

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from crossfoot.errors import InputError, StageError

log = logging.getLogger(__name__)
#: rows per batch when a result comes back to Python as Arrow
ARROW_BATCH_ROWS = 1_000_000


def compile_sql(con: Any, expr: ibis.Table) -> str:
    """The SQL of ``expr``, without Ibis fusing consecutive selects into one.

    Fusing (Ibis's merge_select_select rewrite) was a quarter of the engine's compile
    time (0.6 of 2.4 s of CPU per run), and DuckDB's optimizer merges nested
    projections itself: the outputs are byte-identical either way.
    """
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
    def materialize(self, expr: ibis.Table, name: str) -> ibis.Table: ...

    @abstractmethod
    def to_arrow(self, expr: ibis.Table) -> pa.Table: ...

    @abstractmethod
    def load_arrow(self, data: pa.Table, name: str) -> ibis.Table: ...

    def first_row(self, expr: ibis.Table, order_by: Sequence[str] = ()) -> dict[str, Any] | None:
        """The first row of ``expr`` (in ``order_by``) as a dict, or None when it has none.

        One query: the checks that stop a run on its first bad row almost never find one.
        """
        if order_by:
            expr = expr.order_by(list(order_by))
        rows: list[dict[str, Any]] = self.to_arrow(expr.limit(1)).to_pylist()
        return rows[0] if rows else None

    def scalar(self, expr: ir.Scalar) -> Any:
        """Execute a scalar expression (a count, a sum) and return its Python value."""
        return self.con.execute(expr)

    def has_table(self, name: str) -> bool:
        return name in self.con.list_tables()

    def drop(self, name: str) -> None:
        """Drop a scratch table if it exists."""
        self.con.drop_table(name, force=True)

    @final
    def run_stage(self, stage: str, expr: ibis.Table, name: str | None = None) -> ibis.Table:
        """Materialize ``expr`` as table ``name`` (default: the stage name)."""
        log.debug("stage %s on %s", stage, self.name)
        try:
            return self.materialize(expr, name or stage)
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
        config: dict[str, Any] = {"preserve_insertion_order": True}
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

    @property
    def con(self) -> Any:
        return self._con

    def table(self, name: str) -> ibis.Table:
        return self._con.table(name)

    def materialize(self, expr: ibis.Table, name: str) -> ibis.Table:
        # stage tables live for the session only (in memory, spilling to disk when
        # large): the store keeps the canonical tables and each run's results,
        # not the scaffolding between them. Written once: Ibis's create_table with
        # overwrite inserts into a scratch table and then copies it whole. The
        # declared columns keep Ibis's types (DuckDB would widen a sum to HUGEINT).
        self._con._run_pre_execute_hooks(expr)  # registers the expression's memtables
        columns = ", ".join(c.sql("duckdb") for c in expr.schema().to_sqlglot_column_defs("duckdb"))
        self.raw.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" ({columns})')
        self.raw.execute(f'INSERT INTO "{name}" {compile_sql(self._con, expr)}')
        return self._con.table(name)

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        # streamed in batches: fetching the whole result at once holds it twice,
        # in DuckDB and in Arrow (900 MB more at the 10M-row per-customer bridge).
        # Each batch is cast to Ibis's types, as Ibis's own to_pyarrow does (a sum
        # comes back from DuckDB as HUGEINT where Ibis declares int64)
        self._con._run_pre_execute_hooks(expr)  # registers the expression's memtables
        schema = expr.schema().to_pyarrow()
        result = self.raw.execute(compile_sql(self._con, expr))
        batches = result.to_arrow_reader(ARROW_BATCH_ROWS)
        return pa.Table.from_batches([batch.cast(schema) for batch in batches], schema=schema)

    def load_arrow(self, data: pa.Table, name: str) -> ibis.Table:
        return self._con.create_table(name, data, overwrite=True)

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
        found = self.raw.execute(
            "select count(*) from information_schema.tables where table_name = ?", [name]
        ).fetchone()
        return bool(found and found[0])

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        """Run DuckDB SQL directly: file scans by readers, nothing else."""
        return self.raw.execute(query, params or [])

    def close(self) -> None:
        self.raw.close()
