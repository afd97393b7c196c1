from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.store import ensure_schema


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBBackend]:
    backend = DuckDBBackend(tmp_path / ".crossfoot" / "crossfoot.duckdb")
    ensure_schema(backend)
    yield backend
    backend.close()
