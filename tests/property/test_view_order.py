"""The view sorts a table only when it is not already in order (``view._in_order``).

The check must agree with the sort it replaces: a table passes exactly when
Arrow's stable sort by the same keys would leave it as it is. Small alphabets
make ties, equal prefixes and nulls common.
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from crossfoot.outputs.view import SortKeys, _in_order

texts = st.none() | st.sampled_from(["", "a", "ab", "b", "é", "Z"])
money = st.none() | st.integers(-3, 3).map(lambda c: Decimal(c).scaleb(-2))
ranks = st.none() | st.integers(0, 3)
rows = st.lists(st.tuples(texts, ranks, money), max_size=8)
keys = st.lists(
    st.tuples(
        st.sampled_from(["text", "rank", "amount"]),
        st.sampled_from(["ascending", "descending"]),
        st.sampled_from(["at_start", "at_end"]),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda k: k[0],
)


def _table(values: list[tuple[str | None, int | None, Decimal | None]]) -> pa.Table:
    columns = list(zip(*values, strict=True)) if values else [(), (), ()]
    return pa.table(
        {
            "text": pa.array(columns[0], pa.string()),
            "rank": pa.array(columns[1], pa.int64()),
            "amount": pa.array(columns[2], pa.decimal128(18, 2)),
        }
    )


@settings(max_examples=400, deadline=None)
@given(rows, keys, st.booleans())
def test_in_order_exactly_when_the_sort_changes_nothing(
    values: list[tuple[str | None, int | None, Decimal | None]], order: SortKeys, presort: bool
) -> None:
    table = _table(values)
    if presort:  # half the cases start sorted, so both answers are exercised
        table = table.sort_by(order)
    unchanged = table.sort_by(order).equals(table) if table.num_rows else True
    assert _in_order(table, order) is unchanged


def test_a_table_in_chunks_is_checked_across_the_chunk_boundary() -> None:
    first = pa.table({"text": ["a", "c"]})
    second = pa.table({"text": ["b", "d"]})
    table = pa.concat_tables([first, second])
    assert table.column("text").num_chunks == 2
    assert not _in_order(table, [("text", "ascending", "at_start")])
    assert _in_order(table.sort_by("text"), [("text", "ascending", "at_start")])
