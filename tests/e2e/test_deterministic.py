"""The same inputs give the same outputs, byte for byte, run after run.

The engine lets DuckDB return unordered rows in any order (``any_row_order``), so
every output must sort what it writes. The company is large enough (30,000 deals,
tables past DuckDB's 122,880-row groups) for two threads to split the work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfoot.api import run
from crossfoot.demo import generate
from crossfoot.outputs import OUTPUT_FILES

pytestmark = pytest.mark.slow

#: every output but those that name the run (summary.json, the report's date, the workbook)
COMPARED = [name for name in OUTPUT_FILES if name.endswith((".csv",))]


def test_two_runs_write_the_same_files(tmp_path: Path) -> None:
    company = generate(tmp_path / "co", seed=3, n_deals=30_000, erp_format="csv", crm_format="csv")
    outs = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        run(company.definitions, out, workspace=tmp_path / f"store{n}.duckdb")
        outs.append(out)
    assert len(COMPARED) >= 8
    for name in COMPARED:
        first, second = ((o / name).read_bytes() for o in outs)
        assert first == second, f"{name} differs between two runs on the same inputs"
    assert (outs[0] / "bridge_by_customer.csv").stat().st_size > 1_000_000
