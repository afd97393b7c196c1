"""Build canonical tables from small Python rows, for engine tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.model.schema import CANONICAL, REJECTS


def load(backend: DuckDBBackend, tables: dict[str, list[dict[str, Any]]]) -> None:
    """Create every canonical table; rows fill missing columns with nulls."""
    for name, schema in CANONICAL.items():
        rows = tables.get(name, [])
        arrow_schema = schema.to_pyarrow()
        full = [
            {col: row.get(col, _default(col, i, name)) for col in schema.names}
            for i, row in enumerate(rows, start=2)
        ]
        data = pa.Table.from_pylist(full, schema=arrow_schema)
        backend.load_arrow(data, name)
    backend.load_arrow(pa.Table.from_pylist([], schema=REJECTS.to_pyarrow()), "rejects")


def _default(col: str, line: int, table: str) -> Any:
    return {"source_system": "test", "source_file": f"{table}.csv", "source_line": line}.get(col)


def d(s: str) -> date:
    return date.fromisoformat(s)


def m(s: str) -> Decimal:
    return Decimal(s)
