"""The engine on Apache Spark: the same stages, executed by PySpark (docs/spark.md).

Readers scan files on the driver with DuckDB; ``to_spark`` hands the canonical
tables to Spark (as Arrow through the driver, or as Parquet files in a folder
the executors see), the stages run there unchanged, and ``SparkResults`` brings
the tables the diagnostic reads back to DuckDB as Arrow, each on first use.

Each stage table is a temp view over a locally checkpointed DataFrame: the
checkpoint computes it once and cuts the lineage, so a later stage (or the next
pass of ``graph.components``) plans against data, not against every query before it.
"""

from __future__ import annotations

import gc
import secrets
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from crossfoot.engine.backend import Backend, DuckDBBackend
from crossfoot.engine.settings import Spark
from crossfoot.model.schema import CANONICAL

if TYPE_CHECKING:
    import pyarrow as pa

#: settings every session gets unless the definitions say otherwise: UTC like the
#: DuckDB side, Arrow for the transfers in both directions, and no console
#: progress bars over crossfoot's own progress display
SESSION_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}


def spark_session(settings: Spark) -> Any:
    """The active SparkSession (a job's, a notebook's), or a new one from ``settings``."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        from crossfoot.errors import ConfigError

        raise ConfigError(
            "engine: spark needs PySpark: pip install 'crossfoot[spark]' (and Java 17+)",
            location="engine",
        ) from exc
    builder = SparkSession.builder.appName("crossfoot")
    if settings.master:
        builder = builder.master(settings.master)
    for key, value in {**SESSION_DEFAULTS, **settings.config}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkBackend(Backend):
    """PySpark through Ibis. Tables are session temp views, named per run."""

    name = "spark"

    def __init__(self, session: Any) -> None:
        self.session = session
        self._con = ibis.pyspark.connect(session)
        # temp views are per session; a prefix per backend keeps two runs in one
        # session (a notebook, a test session) apart
        self.run_token = secrets.token_hex(4)
        self._prefix = f"cf_{self.run_token}_"
        self._frames: dict[str, Any] = {}  # name -> the checkpointed DataFrame behind it

    @property
    def con(self) -> Any:
        return self._con

    def _view(self, name: str) -> str:
        return self._prefix + name

    def table(self, name: str) -> ibis.Table:
        return self._con.table(self._view(name))

    def _register(self, name: str, frame: Any) -> ibis.Table:
        frame = frame.localCheckpoint(eager=True)
        self.drop(name)
        frame.createOrReplaceTempView(self._view(name))
        self._frames[name] = frame
        return self.table(name)

    def _frame(self, expr: ibis.Table) -> Any:
        # registers the expression's in-memory tables (small lookups such as the
        # country names) as views before the SQL refers to them
        self._con._run_pre_execute_hooks(expr)
        return self.session.sql(self._con.compile(expr))

    def materialize(self, expr: ibis.Table, name: str, stage: str | None = None) -> ibis.Table:
        return self._register(name, self._frame(expr))

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        frame = self._frame(expr)
        with warnings.catch_warnings():
            # PySpark's toArrow leaves the socket it read the result from to the
            # garbage collector (pyspark.util._load_from_socket): collect it here,
            # so its ResourceWarning does not surface later in unrelated code
            warnings.simplefilter("ignore", ResourceWarning)
            data = frame.toArrow()
            gc.collect()
        # Spark returns its own types (timestamps with a zone, int32 for int8...):
        # cast to the schema the expression promises, which is what DuckDB returns
        return data.cast(expr.schema().to_pyarrow())

    def load_arrow(self, data: pa.Table, name: str) -> ibis.Table:
        return self._register(name, self.session.createDataFrame(data))

    def load_parquet(self, path: str, name: str) -> ibis.Table:
        return self._register(name, self.session.read.parquet(path))

    def scalar(self, expr: ir.Scalar) -> Any:
        return self.to_arrow(expr.as_table()).column(0)[0].as_py()

    def has_table(self, name: str) -> bool:
        return name in self._frames

    def drop(self, name: str) -> None:
        frame = self._frames.pop(name, None)
        if frame is not None:
            self.session.catalog.dropTempView(self._view(name))
            frame.unpersist()

    @property
    def stage_tables(self) -> tuple[str, ...]:
        return tuple(self._frames)

    def close(self) -> None:
        """Release this run's views and data; the session stays for its owner."""
        for name in list(self._frames):
            self.drop(name)


def to_spark(duck: DuckDBBackend, spark: SparkBackend, staging: Path | None = None) -> None:
    """Copy the canonical tables from the DuckDB store to Spark.

    With ``staging`` (a folder the executors can read) each table goes as a Parquet
    file written by DuckDB, in a folder of this run that is removed once Spark
    holds the data; otherwise as Arrow through the driver.
    """
    if staging is None:
        for name in CANONICAL:
            spark.load_arrow(duck.to_arrow(duck.table(name)), name)
        return
    folder = staging / f"crossfoot-{spark.run_token}"
    folder.mkdir(parents=True)
    try:
        for name in CANONICAL:
            (folder / name).mkdir()
            path = folder / name / "part-0.parquet"
            duck.sql(f"copy {name} to '{path}' (format parquet)")
            spark.load_parquet(str(path.parent), name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class SparkResults(Backend):
    """DuckDB for the diagnostic, with the engine's tables fetched from Spark on first use.

    The canonical tables and the rejects are already in DuckDB; every table the
    engine wrote on Spark comes back once, as Arrow, into a DuckDB temp table.
    """

    name = "duckdb"

    def __init__(self, duck: DuckDBBackend, spark: SparkBackend) -> None:
        self.duck = duck
        self.spark = spark
        self._fetched: set[str] = set()

    @property
    def con(self) -> Any:
        return self.duck.con

    def _fetch(self, name: str) -> None:
        if name in self._fetched or name in CANONICAL or not self.spark.has_table(name):
            return
        data = self.spark.to_arrow(self.spark.table(name))
        self.duck.con.create_table(name, data, overwrite=True, temp=True)
        self._fetched.add(name)

    def table(self, name: str) -> ibis.Table:
        self._fetch(name)
        return self.duck.table(name)

    def has_table(self, name: str) -> bool:
        return (name not in CANONICAL and self.spark.has_table(name)) or self.duck.has_table(name)

    def materialize(self, expr: ibis.Table, name: str, stage: str | None = None) -> ibis.Table:
        return self.duck.materialize(expr, name, stage)

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        return self.duck.to_arrow(expr)

    def load_arrow(self, data: pa.Table, name: str) -> ibis.Table:
        return self.duck.load_arrow(data, name)

    def drop(self, name: str) -> None:
        self.duck.drop(name)
