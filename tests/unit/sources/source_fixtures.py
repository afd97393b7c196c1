"""Fixture folders built in tmp_path, and a loader that returns the canonical tables as dicts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from crossfoot.config import load_definitions
from crossfoot.diagnostic.findings import InputFile
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.sources import load_sources

OPPORTUNITY_HEADER = "Id,AccountId,Name,StageName,CloseDate,Amount"
TRANSACTION_HEADER = "id,type,entity,trandate"


@dataclass
class Loaded:
    backend: DuckDBBackend
    files: tuple[InputFile, ...]

    def rows(self, table: str, order: str = "source_file, source_line") -> list[dict[str, Any]]:
        cur = self.backend.sql(f'SELECT * FROM "{table}" ORDER BY {order}')
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def rejects(self) -> list[dict[str, Any]]:
        return self.rows("rejects", "source_system, source_file, source_line")

    def file(self, suffix: str) -> InputFile:
        return next(f for f in self.files if f.path.endswith(suffix))

    def by_id(self, table: str, key: str) -> dict[str, dict[str, Any]]:
        return {r[key]: r for r in self.rows(table)}


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def company(
    root: Path,
    *,
    sf: dict[str, str | bytes | None] | None = None,
    ns: dict[str, str | bytes | None] | None = None,
    fx: str | bytes | None = None,
    crm: dict[str, Any] | None = None,
    erp: dict[str, Any] | None = None,
) -> Path:
    """Write crossfoot.yaml and the export folders; return the definitions path.

    ``sf`` / ``ns`` map file names to contents (None: do not write it); the core
    objects default to a header-only file so a test only writes what it is about.
    """
    sf = dict(sf or {})
    ns = dict(ns or {})
    if not any(k.lower().startswith("opportunity.") for k in sf):
        sf["Opportunity.csv"] = OPPORTUNITY_HEADER + "\n"
    if not any(k.lower().startswith("transaction.") for k in ns):
        ns["transaction.csv"] = TRANSACTION_HEADER + "\n"
    for folder, files in (("sf", sf), ("ns", ns)):
        (root / "data" / folder).mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            if content is not None:
                write(root / "data" / folder / name, content)
    defs: dict[str, Any] = {
        "company": "Test Co",
        "reporting": {"currency": "USD"},
        "crm": {"system": "salesforce", "source": "data/sf", **(crm or {})},
        "erp": {"system": "netsuite", "source": "data/ns", **(erp or {})},
        "stages": {"Closed Won": "won", "*": "open"},
    }
    if fx is not None:
        write(root / "data" / "fx_rates.csv", fx)
        defs["fx_rates"] = "data/fx_rates.csv"
    path = root / "crossfoot.yaml"
    path.write_text(yaml.safe_dump(defs, sort_keys=False), encoding="utf-8")
    return path


def load(defs_path: Path, *, in_transaction: bool = True) -> Loaded:
    """Load inside a transaction (where DuckDB numbers rows from 2**55: a library caller
    may hold one), or as `check` and `run` do, outside one."""
    backend = DuckDBBackend()
    if in_transaction:
        backend.raw.begin()
        backend.in_transaction = True
    files = load_sources(load_definitions(defs_path), backend)
    return Loaded(backend, files)


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Callable[..., Loaded]]:
    """``build(sf={...}, ns={...}, fx=...)`` writes a company and loads it."""
    opened: list[Loaded] = []

    def run(**kwargs: Any) -> Loaded:
        loaded = load(company(tmp_path, **kwargs))
        opened.append(loaded)
        return loaded

    yield run
    for loaded in opened:
        loaded.backend.close()


def opportunity(*rows: str, header: str = OPPORTUNITY_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"
