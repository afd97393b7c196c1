"""Warehouse tables in a real Postgres: a throwaway cluster (initdb / pg_ctl from the
Debian postgresql packages; `.ci/run` installs them), read with psycopg 3.

The real Fivetran Salesforce seeds are loaded into Postgres with the column types
DuckDB gives them, then read through ``source: {warehouse: postgres, dsn_env: ...}``
and compared with the same seeds read from a DuckDB file.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from source_fixtures import load
from warehouse_fixtures import SEEDS, definitions, duckdb_file

psycopg = pytest.importorskip("psycopg")
pytestmark = pytest.mark.slow

PG_TYPES = {"VARCHAR": "text", "BOOLEAN": "boolean", "TIMESTAMP": "timestamp",
            "BIGINT": "bigint", "DOUBLE": "double precision", "DATE": "date"}  # fmt: skip


def _bin(name: str) -> str:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} not installed (apt-get install postgresql)")
    return found


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the cluster as the packages' postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="cf-pg-"))
    data, log = root / "data", root / "log"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(_as_postgres_user([_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "cf"]),
                   check=True, capture_output=True)  # fmt: skip
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    subprocess.run(_as_postgres_user([_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts,
                                      "-w", "start"]), check=True, capture_output=True)  # fmt: skip
    try:
        yield f"host=127.0.0.1 port={port} user=cf dbname=postgres"
    finally:
        subprocess.run(_as_postgres_user([_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def seed_postgres(dsn: str, db: Path, schema: str, tmp: Path) -> None:
    """The DuckDB file's tables of ``schema`` into Postgres, with matching column types."""
    with (
        duckdb.connect(str(db), read_only=True) as duck,
        psycopg.connect(dsn, autocommit=True) as pg,
    ):
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        pg.execute(f'CREATE SCHEMA "{schema}"')
        tables = [r[0] for r in duck.sql(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'"
        ).fetchall()]  # fmt: skip
        for t in tables:
            cols = duck.sql(f'DESCRIBE "{schema}"."{t}"').fetchall()
            ddl = ", ".join(f'"{c[0]}" {PG_TYPES[c[1]]}' for c in cols)
            pg.execute(f'CREATE TABLE "{schema}"."{t}" ({ddl})')
            csv = tmp / f"{t}.csv"
            duck.sql(f'COPY "{schema}"."{t}" TO \'{csv}\' (HEADER false)')
            with (
                pg.cursor() as cur,
                cur.copy(f'COPY "{schema}"."{t}" FROM STDIN (FORMAT csv)') as cp,
            ):
                cp.write(csv.read_bytes())


def test_postgres_tables_load_the_same_rows_as_the_duckdb_file(postgres, tmp_path, monkeypatch):
    db = duckdb_file(  # one opportunity takes the id the seed's line items point to
        tmp_path / "wh.duckdb",
        "UPDATE salesforce.opportunity SET is_deleted = false",
        "UPDATE salesforce.opportunity SET id = '0061G00000HhviAQAR' WHERE id = '006q000000HK8jdAAD'",
    )
    seed_postgres(postgres, db, "salesforce", tmp_path)
    monkeypatch.setenv("CF_TEST_WAREHOUSE_DSN", postgres)
    pg_src = {"warehouse": "postgres", "dsn_env": "CF_TEST_WAREHOUSE_DSN", "schema": "salesforce"}
    from_pg = load(definitions(tmp_path, {"system": "salesforce", "source": pg_src}))
    from_db = load(definitions(tmp_path, {"system": "salesforce", "source": {
        "warehouse": "duckdb", "path": "wh.duckdb", "schema": "salesforce"}}))  # fmt: skip
    try:
        counts = {f.path: (f.rows_read, f.rows_loaded, f.rows_rejected) for f in from_pg.files}
        assert counts["warehouse:salesforce.opportunity"] == (10, 8, 2)
        assert counts["warehouse:salesforce.opportunity_line_item"] == (10, 6, 4)
        amounts = sorted(r["amount"] for r in from_pg.rows("deal_line"))
        assert amounts[-2:] == [Decimal("84250.32"), Decimal("162000.00")]  # double -> exact
        for table in ("account", "deal", "deal_line"):
            assert from_pg.rows(table) == from_db.rows(table)
        assert from_pg.rejects() == from_db.rejects()
        assert postgres not in repr(from_pg.files)
    finally:
        from_pg.backend.close()
        from_db.backend.close()


def test_a_refused_connection_names_the_variable_not_the_secret(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    dsn = f"host=127.0.0.1 port={port} user=cf password=s3cret-Pa55 dbname=x connect_timeout=3"
    monkeypatch.setenv("CF_TEST_WAREHOUSE_DSN", dsn)
    src = {"warehouse": "postgres", "dsn_env": "CF_TEST_WAREHOUSE_DSN"}
    from crossfoot.errors import SourceError

    with pytest.raises(SourceError, match="CF_TEST_WAREHOUSE_DSN") as err:
        load(definitions(tmp_path, {"system": "salesforce", "source": src}))
    assert "s3cret" not in str(err.value)


def test_the_seed_folders_exist():
    assert all(p.is_dir() for p in SEEDS.values())
