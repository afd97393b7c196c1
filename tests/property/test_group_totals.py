"""The report's per-group totals (``html._group_totals``), summed and ranked by DuckDB.

They must equal a plain Python computation: per group (no group and "" are the
same row), each of GROUP_STEPS summed over every period, ``difference`` =
ERP revenue − expected revenue, ranked by |difference| descending then group,
cut to ``limit`` while ``total`` still counts every group.
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from crossfoot.outputs.html import GROUP_STEPS, _group_totals
from crossfoot.outputs.view import Rows

groups = st.none() | st.sampled_from(["", "Acme", "acme", "Beta", "Ünter"])
steps = st.sampled_from([*GROUP_STEPS, "timing", "fx"])
amounts = st.integers(-(10**14), 10**14).map(lambda c: Decimal(c).scaleb(-2))
rows = st.lists(st.tuples(groups, st.sampled_from(["2026-01", "2026-02"]), steps, amounts))


def _reference(values: list[tuple[str | None, str, str, Decimal]], limit: int | None) -> dict:
    sums: dict[str, dict[str, Decimal]] = {}
    for group, _period, step, amount in values:
        if step in GROUP_STEPS:
            per = sums.setdefault(group or "", dict.fromkeys(GROUP_STEPS, Decimal(0)))
            per[step] += amount
    ranked = [
        {"group": g, **v, "difference": v["erp_revenue"] - v["expected_revenue"]}
        for g, v in sums.items()
    ]
    ranked.sort(key=lambda r: (-abs(r["difference"]), r["group"]))
    return {"rows": ranked if limit is None else ranked[:limit], "total": len(ranked)}


@settings(max_examples=200, deadline=None)
@given(rows, st.none() | st.integers(0, 4))
def test_group_totals_equal_a_plain_computation(
    values: list[tuple[str | None, str, str, Decimal]], limit: int | None
) -> None:
    columns = list(zip(*values, strict=True)) if values else [(), (), (), ()]
    table = pa.table(
        {
            "customer": pa.array(columns[0], pa.string()),
            "period": pa.array(columns[1], pa.string()),
            "step": pa.array(columns[2], pa.string()),
            "amount": pa.array(columns[3], pa.decimal128(18, 2)),
        }
    )
    got = _group_totals(Rows(("customer", "period", "step", "amount"), table), limit)
    assert got == _reference(values, limit)
    for row in got["rows"]:
        assert all(isinstance(row[k], Decimal) for k in (*GROUP_STEPS, "difference"))
