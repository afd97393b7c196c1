"""The demo company through DuckDB and through local Spark: the same outputs, row for row.

The engine is one set of Ibis expressions; ``--engine spark`` only changes where
they run. Any expression that compiles or behaves differently on Spark (integer
division, array lambdas, string aggregation order, null ordering, date
arithmetic) shows up here as a differing row of a CSV the user reads.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from crossfoot.api import run
from crossfoot.demo import generate

# a run on local Spark takes a minute or two on an idle 2-core machine, several when
# the cores are shared: more than the suite's 600 s default must not fail it
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

COMPARED = ("exceptions.csv", "bridge.csv", "matches.csv", "bridge_by_product_line.csv")

#: the demo's definitions under a 4-4-5 calendar with quarterly reporting, other
#: ratable conventions and relative-SSP allocation: the paths the plain demo skips
VARIANT = {
    "fiscal_calendar: calendar\n  fiscal_year_start: 2026-01-01": (
        "fiscal_calendar: 4-4-5\n  fiscal_year_start: 2026-01-04"
    ),
    "period: month": "period: quarter",
    "Subscription: {rule: ratable, convention: daily}": (
        "Subscription: {rule: ratable, convention: monthly, ssp_percent_of_list: 90}"
    ),
    "Support: {rule: ratable, convention: daily}": (
        "Support: {rule: ratable, convention: full_months, ssp_percent_of_list: 100}"
    ),
    "Hardware: {rule: point_in_time, at: delivery}": (
        "Hardware: {rule: point_in_time, at: delivery, ssp_percent_of_list: 100}"
    ),
    "Services: {rule: point_in_time, at: close}": (
        "Services: {rule: point_in_time, at: close, ssp_percent_of_list: 100}\n"
        "allocation: {method: relative_ssp}"
    ),
}


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    return [header, *sorted(rows)]


def _same_outputs(definitions: Path, tmp_path: Path) -> dict[str, int]:
    on_duckdb = run(definitions, tmp_path / "duckdb", workspace=tmp_path / "duckdb.db")
    on_spark = run(definitions, tmp_path / "spark", workspace=tmp_path / "spark.db", engine="spark")
    sizes = {}
    for name in COMPARED:
        want, got = _rows(tmp_path / "duckdb" / name), _rows(tmp_path / "spark" / name)
        assert got[0] == want[0], name
        missing = [r for r in want if r not in got]
        extra = [r for r in got if r not in want]
        assert (missing, extra) == ([], []), (
            f"{name}: DuckDB only {missing[:3]}, Spark only {extra[:3]}"
        )
        assert got == want, name  # and the same multiplicities
        sizes[name] = len(want) - 1
    assert on_spark.notes == on_duckdb.notes
    assert on_spark.definition_drift == on_duckdb.definition_drift
    effects = [sorted(map(str, r.exception_effects.to_pylist())) for r in (on_duckdb, on_spark)]
    assert effects[1] == effects[0]
    return sizes


def test_demo_company_gives_identical_outputs_on_duckdb_and_spark(
    spark: Any, tmp_path: Path
) -> None:
    company = generate(tmp_path / "demo", seed=7, n_deals=150)
    sizes = _same_outputs(company.definitions, tmp_path)
    # every injected cause is in the compared exceptions, so the comparison is not vacuous
    causes = {row[1] for row in _rows(tmp_path / "spark" / "exceptions.csv")[1:]}
    assert {label.cause for label in company.labels} <= causes
    assert sizes["matches.csv"] >= 150 and sizes["bridge.csv"] > 0


def test_fiscal_calendar_and_ssp_allocation_give_identical_outputs(
    spark: Any, tmp_path: Path
) -> None:
    company = generate(tmp_path / "demo", seed=11, n_deals=150)
    text = company.definitions.read_text()
    for old, new in VARIANT.items():
        assert old in text, old
        text = text.replace(old, new)
    variant = company.definitions.with_name("variant.yaml")
    variant.write_text(text)
    sizes = _same_outputs(variant, tmp_path)
    periods = {row[0] for row in _rows(tmp_path / "spark" / "bridge.csv")[1:]}
    assert periods and all(p.startswith("FY") and "-Q" in p for p in periods)
    assert sizes["exceptions.csv"] > 0
