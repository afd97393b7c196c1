"""Exact money arithmetic against Python's Decimal as the oracle."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import ibis
from hypothesis import given, settings
from hypothesis import strategies as st

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.money import convert_cents, div_half_up, from_cents, to_cents

cents = st.integers(min_value=-(10**13), max_value=10**13)
rates = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("999"), places=8)
#: rates like IDR or VND per dollar, on amounts whose conversion still fits 64-bit cents
large_rates = st.decimals(min_value=Decimal("999"), max_value=Decimal("99999"), places=8)
#: every boundary of the integer splits in convert_cents and from_cents
edges = st.sampled_from(
    [
        0,
        1,
        99,
        100,
        101,
        9_999,
        10_000,
        99_999_999,
        100_000_000,
        100_000_001,
        2**53 - 1,
        -(2**53 - 1),
    ]
)


_BACKEND = DuckDBBackend()


def _run(expr: ibis.Expr) -> object:
    return _BACKEND.con.execute(expr)


def _assert_converts_like_decimal(pairs: list[tuple[int, Decimal]]) -> None:
    t = ibis.memtable(
        {"c": [p[0] for p in pairs], "r": [p[1] for p in pairs]},
        schema={"c": "int64", "r": "decimal(18,8)"},
    )
    got = list(_run(convert_cents(t.c, t.r).name("x")))
    want = [int((Decimal(c) * r).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for c, r in pairs]
    assert got == want


def test_half_up_ties_round_away_from_zero() -> None:
    t = ibis.memtable({"n": [5, -5, 15, -15, 4, -4]}, schema={"n": "int64"})
    got = _run(div_half_up(t.n, ibis.literal(10, "int64")).name("q"))
    assert list(got) == [1, -1, 2, -2, 0, 0]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(cents, rates), min_size=1, max_size=20))
def test_convert_matches_decimal_oracle(pairs: list[tuple[int, Decimal]]) -> None:
    _assert_converts_like_decimal(pairs)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(10**12), 10**12), large_rates)
        | st.tuples(edges.filter(lambda c: abs(c) < 10**13), rates),
        min_size=1,
        max_size=20,
    )
)
def test_convert_large_rates_and_edges(pairs: list[tuple[int, Decimal]]) -> None:
    _assert_converts_like_decimal(pairs)


@settings(max_examples=30, deadline=None)
@given(st.lists(cents | edges, min_size=1, max_size=20))
def test_cents_round_trip(values: list[int]) -> None:
    t = ibis.memtable({"c": values}, schema={"c": "int64"})
    got = list(_run(to_cents(from_cents(t.c)).name("x")))
    assert got == values
    decimals = list(_run(from_cents(t.c).name("d")))
    assert decimals == [Decimal(v).scaleb(-2) for v in values]
