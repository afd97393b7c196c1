"""Warehouses built from the real Fivetran seed tables (tests/fixtures/SOURCES.txt).

Each seed CSV becomes a table typed as DuckDB reads it (booleans, timestamps,
doubles: what a warehouse holds), in a schema named as the loader names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = {
    "salesforce": FIXTURES / "salesforce_fivetran",
    "netsuite2": FIXTURES / "netsuite_fivetran",
    "hubspot": FIXTURES / "hubspot_fivetran",
}


def seed_tables(con: duckdb.DuckDBPyConnection, schema: str, folder: Path) -> None:
    con.sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    for p in sorted(folder.glob("*.csv")):
        table = p.stem.removesuffix("_data")
        con.sql(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM read_csv(\'{p}\')')


def duckdb_file(path: Path, *sql: str) -> Path:
    """Every seed schema in one DuckDB file, then ``sql`` (edits a test makes)."""
    with duckdb.connect(str(path)) as con:
        for schema, folder in SEEDS.items():
            seed_tables(con, schema, folder)
        for statement in sql:
            con.sql(statement)
    return path


def parquet_folder(db: Path, schema: str, folder: Path) -> Path:
    """The tables of ``schema`` as Parquet: one file per table, one partitioned folder."""
    folder.mkdir(parents=True)
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.sql(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'"
        ).fetchall()]  # fmt: skip
        for i, t in enumerate(tables):
            if i == 0:  # a table written as a hive-partitioned folder, as lakes hold them
                con.sql(f"COPY \"{schema}\".\"{t}\" TO '{folder / t}' "
                        "(FORMAT parquet, PER_THREAD_OUTPUT true)")  # fmt: skip
            else:
                con.sql(f'COPY "{schema}"."{t}" TO \'{folder / t}.parquet\' (FORMAT parquet)')
    return folder


def definitions(root: Path, crm: dict[str, Any], erp: dict[str, Any] | None = None,
                **extra: Any) -> Path:  # fmt: skip
    (root / "ns").mkdir(exist_ok=True)
    (root / "ns" / "transaction.csv").write_text("id,type,entity,trandate\n")
    defs = {
        "crm": crm,
        "erp": erp or {"system": "netsuite", "source": "ns"},
        "stages": {"Closed Won": "won", "*": "open"},
        **extra,
    }
    path = root / "crossfoot.yaml"
    path.write_text(yaml.safe_dump(defs, sort_keys=False), encoding="utf-8")
    return path
