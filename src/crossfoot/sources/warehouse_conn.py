"""Where warehouse tables live: a DuckDB file, a folder of Parquet tables, or Postgres.

Each kind opens as a :class:`Warehouse`: the tables of the configured schema and,
for one table, a relation DuckDB can scan. DuckDB files are attached read-only
and Parquet files scanned in place; Postgres tables are streamed with psycopg's
``COPY ... TO STDOUT`` (every value as Postgres' own text, so numerics stay exact)
into a CSV file that DuckDB then scans. The connection string only ever comes
from the environment variable named by ``dsn_env``, and is never echoed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossfoot.config import WarehouseSource
from crossfoot.errors import AuthError, ConfigError, InputError, SourceError
from crossfoot.model.load import lit, q

SqlRunner = Callable[[str], Any]


@dataclass
class Warehouse:
    kind: str
    schema: str  # as reported in source_file: warehouse:<schema>.<table>
    tables: dict[str, str]  # name as stored -> how to scan it
    columns: Callable[[str], list[tuple[str, str]]]  # table -> [(column, type)]
    relation: Callable[[str], str]  # table -> a DuckDB FROM item
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


def open_warehouse(
    run: SqlRunner, source: WarehouseSource, *, base: Path, schema: str, key: str, tmpdir: Path,
    alias: str, in_transaction: bool = False,
) -> Warehouse:  # fmt: skip
    """``in_transaction``: the caller holds a transaction open, where DuckDB refuses
    to detach a database read in it: the file then stays attached until the connection
    closes."""
    if source.warehouse == "duckdb":
        return _duckdb(run, source, base, schema, key, alias, detach=not in_transaction)
    if source.warehouse == "parquet":
        return _parquet(run, source, base, key)
    return _postgres(run, source, schema, key, tmpdir)


def _resolve(base: Path, path: str | None) -> Path:
    p = Path(path or "")
    return p if p.is_absolute() else base / p


def _duckdb(
    run: SqlRunner, source: WarehouseSource, base: Path, schema: str, key: str, alias: str,
    *, detach: bool,
) -> Warehouse:  # fmt: skip
    path = _resolve(base, source.path)
    if not path.is_file():
        raise InputError(f"{source.path!r} is not a DuckDB database file ({path})", location=key)
    try:
        run(f"ATTACH {lit(str(path))} AS {q(alias)} (READ_ONLY)")
    except Exception as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"{source.path!r} cannot be opened as a DuckDB database: {first}",
                         location=key) from exc  # fmt: skip
    where = f"table_catalog = {lit(alias)} AND table_schema = {lit(schema)}"
    names = [
        r[0]
        for r in run(f"SELECT table_name FROM information_schema.tables WHERE {where}").fetchall()
    ]

    def columns(table: str) -> list[tuple[str, str]]:
        rows = run(
            f"SELECT column_name, data_type FROM information_schema.columns WHERE {where} "
            f"AND table_name = {lit(table)} ORDER BY ordinal_position"
        ).fetchall()
        return [(str(c), str(t)) for c, t in rows]

    wh = Warehouse("duckdb", schema, {n: n for n in names}, columns,
                   lambda t: f"{q(alias)}.{q(schema)}.{q(t)}")  # fmt: skip
    if detach:
        wh.closers.append(lambda: run(f"DETACH {q(alias)}"))
    return wh


def _parquet(run: SqlRunner, source: WarehouseSource, base: Path, key: str) -> Warehouse:
    """``<table>.parquet`` or a folder ``<table>/`` of Parquet files (partitions included)."""
    folder = _resolve(base, source.path)
    if not folder.is_dir():
        raise InputError(
            f"{source.path!r} is not a folder of Parquet tables ({folder})", location=key
        )
    tables = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() == ".parquet":
            tables[p.stem] = str(p)
        elif p.is_dir() and any(p.rglob("*.parquet")):
            tables[p.name] = str(p / "**" / "*.parquet")

    def relation(table: str) -> str:
        return f"read_parquet({lit(tables[table])}, union_by_name = true)"

    def columns(table: str) -> list[tuple[str, str]]:
        rows = run(f"DESCRIBE SELECT * FROM {relation(table)}").fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    return Warehouse("parquet", folder.name, tables, columns, relation)


def _postgres(
    run: SqlRunner, source: WarehouseSource, schema: str, key: str, tmpdir: Path
) -> Warehouse:
    env = source.dsn_env or ""
    dsn = os.environ.get(env)
    if not dsn:
        raise AuthError(f"the environment variable {env} (dsn_env) is not set: set it to the "
                        "Postgres connection string of a read-only user", location=key)  # fmt: skip
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the extra is documented
        raise ConfigError("warehouse: postgres needs psycopg: pip install 'crossfoot[postgres]'",
                          location=key) from exc  # fmt: skip
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=30)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"cannot connect to Postgres ({env}): {first}", location=key) from exc
    conn.read_only = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        )
        names = [str(r[0]) for r in cur.fetchall()]
    cache: dict[str, list[tuple[str, str]]] = {}

    def columns(table: str) -> list[tuple[str, str]]:
        if table not in cache:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                    (schema, table),
                )
                cache[table] = [(str(c), str(t)) for c, t in cur.fetchall()]
        return cache[table]

    def relation(table: str) -> str:
        cols = columns(table)
        out = tmpdir / f"pg_{len(list(tmpdir.glob('pg_*.csv')))}.csv"
        select = ", ".join(f"{q(c)}::text" for c, _ in cols)
        copy = f"COPY (SELECT {select} FROM {q(schema)}.{q(table)}) TO STDOUT (FORMAT csv)"
        try:
            with conn.cursor() as cur, cur.copy(copy) as stream, out.open("wb") as fh:
                for chunk in stream:
                    fh.write(chunk)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise SourceError(f"cannot read {schema}.{table}: {first}", location=key) from exc
        types = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c, _ in cols) + "}"
        return (f"read_csv({lit(str(out))}, columns = {types}, header = false, auto_detect = false, "
                "quote = '\"', escape = '\"', allow_quoted_nulls = false, strict_mode = true)")  # fmt: skip

    wh = Warehouse("postgres", schema, {n: n for n in names}, columns, relation)
    wh.closers.append(conn.close)
    return wh
