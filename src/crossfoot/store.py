"""The workspace store: one DuckDB file per workspace (``.crossfoot/crossfoot.duckdb``).

It holds the canonical tables of the latest load and keeps every run: its
metadata in ``run_history`` (inputs with their SHA-256, definitions hash, tool
version, output folder and the SHA-256 of each output file), its results in
``run_bridge`` and ``run_exceptions`` and the worklist it wrote in
``run_worklist`` (keyed by ``run_id``), so later runs can be compared. The
exception lifecycle (``exception_state``, ``exception_audit``) and the alerts
sent (``alert_log``) live here too; see ``crossfoot.history``. The engine's
stage tables are temp tables of the session that computed them.

A run writes all of this in one transaction (``api.run``): a crash leaves the
previous state. It reads and reconciles in an in-memory work database first
(``work_database``) and copies the canonical tables into the store inside that
transaction (``keep_canonical``): DuckDB writes a table into the file compressed,
and work done inside a long transaction is slower, so only the copy pays either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from crossfoot.config import Definitions
from crossfoot.diagnostic.findings import RunResult
from crossfoot.engine.backend import DuckDBBackend

STORE_DIR = ".crossfoot"
STORE_FILE = "crossfoot.duckdb"

#: tables the store keeps besides the canonical ones; created on first use
_DDL = (
    """create table if not exists run_history (
        run_id varchar, started_at timestamptz, finished_at timestamptz, version varchar,
        definitions_hash varchar, input_hashes varchar)""",
    # columns added after the first release: an older store gains them in place
    "alter table run_history add column if not exists company varchar",
    "alter table run_history add column if not exists currency varchar",
    "alter table run_history add column if not exists inputs varchar",
    "alter table run_history add column if not exists out_dir varchar",
    "alter table run_history add column if not exists outputs varchar",
    "alter table run_history add column if not exists exceptions bigint",
    "alter table run_history add column if not exists interface varchar",
    """create table if not exists run_worklist (
        run_id varchar, exception_id varchar, status varchar, assignee varchar, notes varchar)""",
    """create table if not exists exception_state (
        exception_id varchar primary key, cause varchar, crm_record_id varchar,
        erp_record_id varchar, customer varchar, status varchar, assignee varchar,
        notes varchar, resolution varchar, first_seen_run varchar, last_seen_run varchar,
        resolved_run varchar, updated_at timestamptz)""",
    """create table if not exists exception_audit (
        changed_at timestamptz, exception_id varchar, run_id varchar, actor varchar,
        interface varchar, field varchar, old_value varchar, new_value varchar,
        comment varchar)""",
    """create table if not exists alert_log (
        sent_at timestamptz, run_id varchar, rule varchar, key varchar, value varchar,
        channel varchar, ok boolean, error varchar)""",
    """create table if not exists pull_log (
        pulled_at timestamptz, ok boolean, error varchar)""",
    """create table if not exists sync_log (
        logged_at timestamptz, plan_id varchar, change_id varchar, system varchar,
        object varchar, record_id varchar, field varchar, before varchar, after varchar,
        exception_id varchar, outcome varchar, detail varchar, actor varchar)""",
)


def workspace_path(defs: Definitions) -> Path:
    return defs.base_dir / STORE_DIR / STORE_FILE


def ensure_schema(backend: DuckDBBackend) -> None:
    """Create the history tables (and add columns an older store lacks)."""
    for statement in _DDL:
        backend.raw.execute(statement)


@contextmanager
def open_store(path: Path, *, create: bool = False) -> Iterator[DuckDBBackend]:
    """The store at ``path`` with its history tables; an InputError if it does not exist."""
    from crossfoot.errors import InputError

    if not create and not path.exists():
        raise InputError(
            "no workspace store here yet: run `crossfoot run` first", location=str(path)
        )
    backend = DuckDBBackend(path)
    try:
        ensure_schema(backend)
        yield backend
    finally:
        backend.close()


@contextmanager
def transaction(backend: DuckDBBackend) -> Iterator[DuckDBBackend]:
    """All or nothing: commit when the block completes, roll back on any error."""
    backend.raw.begin()
    backend.in_transaction = True
    try:
        yield backend
    except BaseException:
        backend.raw.rollback()
        raise
    finally:
        backend.in_transaction = False
    backend.raw.commit()


#: the in-memory database a run reads and reconciles in before it writes the store
WORK_DATABASE = "crossfoot_work"


@contextmanager
def work_database(backend: DuckDBBackend) -> Iterator[str]:
    """Create tables in an in-memory database while the block runs; yields the store's name.

    Inside, new tables go to the work database and names not found there are looked up
    in the store (the history of earlier runs). Afterwards new tables go to the store
    again; the work database stays attached until the connection closes, so its
    tables can be copied with ``keep_canonical``.
    """
    raw = backend.raw
    found = raw.execute("select current_database()").fetchone()
    assert found is not None
    store = str(found[0])
    raw.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {WORK_DATABASE}")
    raw.execute(f"USE {WORK_DATABASE}")
    raw.execute(f"SET search_path = '{WORK_DATABASE}.main,{store}.main'")
    try:
        yield store
    finally:
        raw.execute(f"USE {_quote(store)}")
        raw.execute("RESET search_path")


def keep_canonical(backend: DuckDBBackend, store: str, tables: Iterable[str]) -> None:
    """Copy ``tables`` from the work database into the store (inside its transaction)."""
    for name in tables:
        backend.raw.execute(
            f"CREATE OR REPLACE TABLE {_quote(store)}.main.{_quote(name)} AS "
            f"SELECT * FROM {WORK_DATABASE}.main.{_quote(name)}"
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def run_id(result: RunResult) -> str:
    seed = f"{result.started_at.isoformat()}|{result.definitions_hash}"
    return (
        result.started_at.strftime("%Y%m%dT%H%M%SZ-")
        + hashlib.sha256(seed.encode()).hexdigest()[:6]
    )


def record_run(
    backend: DuckDBBackend,
    result: RunResult,
    *,
    rid: str | None = None,
    out_dir: Path | None = None,
    outputs: Mapping[str, str] | None = None,
    interface: str = "api",
) -> str:
    """Append this run's metadata, bridge and exceptions to the history tables."""
    ensure_schema(backend)
    rid = rid or run_id(result)
    inputs = [
        {"system": i.system, "table": i.table, "path": i.path, "sha256": i.sha256,
         "rows_read": i.rows_read, "rows_loaded": i.rows_loaded, "rows_rejected": i.rows_rejected}
        for i in result.inputs
    ]  # fmt: skip
    meta = pa.table(
        {
            "run_id": [rid],
            "started_at": [result.started_at],
            "finished_at": [result.finished_at],
            "version": [result.version],
            "definitions_hash": [result.definitions_hash],
            "input_hashes": [";".join(sorted(f"{i.path}={i.sha256}" for i in result.inputs))],
            "company": [result.company],
            "currency": [result.currency],
            "inputs": [json.dumps(inputs, sort_keys=True)],
            "out_dir": [str(out_dir.resolve()) if out_dir else None],
            "outputs": [json.dumps(dict(sorted((outputs or {}).items())))],
            "exceptions": [result.exceptions.num_rows],
            "interface": [interface],
        }
    )
    insert(backend, "run_history", meta)
    insert(backend, "run_bridge", _with_run(result.bridge, rid))
    insert(backend, "run_exceptions", _with_run(result.exceptions, rid))
    insert(backend, "run_matches", _with_run(result.matches, rid))
    return rid


def insert(backend: DuckDBBackend, table: str, data: pa.Table) -> None:
    """Append ``data`` by column name; the first insert creates the table from it."""
    view = f"_incoming_{table}"
    backend.raw.register(view, data)
    try:
        if backend.has_table(table):
            backend.raw.execute(f"insert into {table} by name select * from {view}")
        else:
            backend.raw.execute(f"create table {table} as select * from {view}")
    finally:
        backend.raw.unregister(view)


def rows(
    backend: DuckDBBackend, query: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The result of ``query`` as a list of dicts (small results: history, states, audit)."""
    # through Arrow: DuckDB's own conversion of timestamptz needs pytz
    found: list[dict[str, Any]] = (
        backend.raw.execute(query, params or []).arrow().read_all().to_pylist()
    )
    return found


def _with_run(table: pa.Table, rid: str) -> pa.Table:
    return table.add_column(0, "run_id", pa.array([rid] * table.num_rows, pa.string()))
