"""The workspace store: one DuckDB file per workspace (``.crossfoot/crossfoot.duckdb``).

It holds the canonical tables of the latest load and keeps every run's
results in ``run_history``, ``run_bridge`` and ``run_exceptions`` (keyed by
``run_id``) so later runs can be compared. The engine's stage tables are temp
tables of the session that computed them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa

from crossfoot.config import Definitions
from crossfoot.diagnostic.findings import RunResult
from crossfoot.engine.backend import DuckDBBackend

STORE_DIR = ".crossfoot"
STORE_FILE = "crossfoot.duckdb"


def workspace_path(defs: Definitions) -> Path:
    return defs.base_dir / STORE_DIR / STORE_FILE


def run_id(result: RunResult) -> str:
    seed = f"{result.started_at.isoformat()}|{result.definitions_hash}"
    return (
        result.started_at.strftime("%Y%m%dT%H%M%SZ-")
        + hashlib.sha256(seed.encode()).hexdigest()[:6]
    )


def record_run(backend: DuckDBBackend, result: RunResult) -> str:
    """Append this run's metadata, bridge and exceptions to the history tables."""
    rid = run_id(result)
    meta = pa.table(
        {
            "run_id": [rid],
            "started_at": [result.started_at],
            "finished_at": [result.finished_at],
            "version": [result.version],
            "definitions_hash": [result.definitions_hash],
            "input_hashes": [";".join(sorted(f"{i.path}={i.sha256}" for i in result.inputs))],
        }
    )
    for name, data in (
        ("run_history", meta),
        ("run_bridge", _with_run(result.bridge, rid)),
        ("run_exceptions", _with_run(result.exceptions, rid)),
    ):
        if backend.has_table(name):
            backend.con.insert(name, data)
        else:
            backend.load_arrow(data, name)
    return rid


def _with_run(table: pa.Table, rid: str) -> pa.Table:
    return table.add_column(0, "run_id", pa.array([rid] * table.num_rows, pa.string()))
