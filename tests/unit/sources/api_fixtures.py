"""A company whose ERP is an API page folder (QuickBooks, Xero, Business Central)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from source_fixtures import OPPORTUNITY_HEADER, Loaded, load, write


def erp_company(root: Path, system: str, files: dict[str, Any], **erp: Any) -> Path:
    """``files`` maps a file name to a JSON body (dumped) or text (written as is)."""
    write(root / "data" / "sf" / "Opportunity.csv", OPPORTUNITY_HEADER + "\n")
    for name, body in files.items():
        text = body if isinstance(body, str | bytes) else json.dumps(body, indent=1)
        write(root / "data" / "erp" / name, text)
    (root / "data" / "erp").mkdir(parents=True, exist_ok=True)
    defs = {
        "company": "Test Co",
        "reporting": {"currency": "USD"},
        "crm": {"system": "salesforce", "source": "data/sf"},
        "erp": {"system": system, "source": "data/erp", **erp},
        "stages": {"Closed Won": "won", "*": "open"},
    }
    path = root / "crossfoot.yaml"
    path.write_text(yaml.safe_dump(defs, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def build_erp(tmp_path: Path) -> Iterator[Callable[..., Loaded]]:
    """``build_erp("xero", {"Invoices.json": {...}}, fields={...})`` writes and loads."""
    opened: list[Loaded] = []

    def run(system: str, files: dict[str, Any], **erp: Any) -> Loaded:
        loaded = load(erp_company(tmp_path, system, files, **erp))
        opened.append(loaded)
        return loaded

    yield run
    for loaded in opened:
        loaded.backend.close()


def conserved(loaded: Loaded) -> list[tuple[str, int, int, int]]:
    """(file, read, loaded, rejected) of every ERP file; each one must add up."""
    out = []
    for f in loaded.files:
        if f.system != "salesforce":
            assert f.rows_read == f.rows_loaded + f.rows_rejected, f
            out.append((Path(f.path).name, f.rows_read, f.rows_loaded, f.rows_rejected))
    return out
