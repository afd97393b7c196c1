"""The shared view: contract checks, sorting, totals, edge cases."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from crossfoot.diagnostic.findings import RunResult
from crossfoot.errors import SchemaError
from crossfoot.outputs import write_outputs
from crossfoot.outputs.view import build_view


def test_missing_column_names_the_table(result: RunResult) -> None:
    broken = dataclasses.replace(result, exceptions=result.exceptions.drop_columns(["impact"]))
    with pytest.raises(SchemaError, match="missing column") as info:
        build_view(broken)
    assert info.value.location == "RunResult.exceptions"


def test_float_money_is_refused(result: RunResult) -> None:
    column = result.bridge.schema.get_field_index("amount")
    floats = result.bridge.set_column(
        column, "amount", pc.cast(result.bridge.column("amount"), pa.float64())
    )
    with pytest.raises(SchemaError, match="decimal128") as info:
        build_view(dataclasses.replace(result, bridge=floats))
    assert info.value.location == "bridge.amount"


def test_null_impact_is_refused(result: RunResult) -> None:
    column = result.exceptions.schema.get_field_index("impact")
    nulls = pa.nulls(result.exceptions.num_rows, pa.decimal128(18, 2))
    broken = result.exceptions.set_column(column, "impact", nulls)
    with pytest.raises(SchemaError, match="null"):
        build_view(dataclasses.replace(result, exceptions=broken))


def test_extra_columns_are_ignored(result: RunResult) -> None:
    extra = result.matches.append_column("internal", pa.array(["x"] * result.matches.num_rows))
    view = build_view(dataclasses.replace(result, matches=extra))
    assert "internal" not in view.matches.columns


def test_unknown_cause_is_kept_and_sorted_last(result: RunResult) -> None:
    cause = result.exceptions.schema.get_field_index("cause")
    causes = result.exceptions.column("cause").to_pylist()
    causes[0] = "brand_new_cause"
    renamed = result.exceptions.set_column(cause, "cause", pa.array(causes))
    view = build_view(dataclasses.replace(result, exceptions=renamed))
    assert view.exceptions.rows[-1][1] == "brand_new_cause"
    assert view.causes[-1].cause.code == "brand_new_cause"
    assert view.causes[-1].exceptions == 1


def test_a_bridge_that_does_not_foot_is_flagged(result: RunResult, tmp_path: Path) -> None:
    rows = result.bridge.to_pylist()
    for r in rows:
        if r["period"] == "2024-02" and r["step"] == "erp_revenue":
            r["amount"] += Decimal("0.01")
    broken = pa.Table.from_pylist(rows, result.bridge.schema)
    assert [p.foots for p in build_view(dataclasses.replace(result, bridge=broken)).periods] == [
        True,
        False,
        True,
    ]
    out = write_outputs(dataclasses.replace(result, bridge=broken), tmp_path)
    assert "does not foot" in out["report.html"].read_text(encoding="utf-8")


def test_an_empty_run_still_writes_every_file(result: RunResult, tmp_path: Path) -> None:
    empty = dataclasses.replace(
        result,
        bridge=result.bridge.slice(0, 0),
        bridge_by_product_line=result.bridge_by_product_line.slice(0, 0),
        exceptions=result.exceptions.slice(0, 0),
        exception_effects=result.exception_effects.slice(0, 0),
        matches=result.matches.slice(0, 0),
        rejects=result.rejects.slice(0, 0),
        inputs=(),
        notes=(),
    )
    out = write_outputs(empty, tmp_path)
    summary = json.loads(out["summary.json"].read_text(encoding="utf-8"))
    assert summary["bridge"] == [] and summary["exceptions"] == 0
    html = out["report.html"].read_text(encoding="utf-8")
    assert "no bridge" in html and "No exceptions" in html and "Every input row was read" in html
    assert out["exceptions.csv"].read_text(encoding="utf-8").count("\n") == 1


def test_an_effect_without_its_exception_is_refused(result: RunResult) -> None:
    orphan = pa.Table.from_pylist(
        [{"exception_id": "EX-404", "period": "2024-01", "amount": Decimal("1.00")}],
        result.exception_effects.schema,
    )
    effects = pa.concat_tables([result.exception_effects, orphan])
    with pytest.raises(SchemaError, match="EX-404") as info:
        build_view(dataclasses.replace(result, exception_effects=effects))
    assert info.value.location == "RunResult.exception_effects"
