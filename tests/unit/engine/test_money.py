"""Exact money arithmetic against Python's Decimal as the oracle."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import ibis
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.money import (
    convert_cents,
    div_half_up,
    from_cents,
    mul_div_half_up,
    mul_divmod_floor,
    to_cents,
)

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


def _oracle_half_up(numerator: int, denominator: int) -> int:
    q, _ = divmod(abs(numerator) * 2 + denominator, denominator * 2)
    return q if numerator >= 0 else -q


#: every amount the load accepts, in cents (below 10**15)
big_cents = st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1)
#: days, weights in cents, and sums of weights past 2**53 (a few huge lines)
divisors = (
    st.integers(min_value=1, max_value=40_000)
    | st.integers(min_value=1, max_value=10**15)
    | st.integers(min_value=2**53, max_value=2**61)
)


#: a × b ÷ c with 0 ≤ b ≤ c, as a share of days or of weights is
shares = divisors.flatmap(
    lambda c: st.tuples(
        big_cents | edges.filter(lambda a: abs(a) < 10**15), st.integers(0, c), st.just(c)
    )
)


@settings(max_examples=60, deadline=None)
@given(st.lists(shares, min_size=1, max_size=20))
@example([(9 * 10**14, 14_000, 14_610), (-(10**15) + 1, 10**15 - 7, 10**15 - 3)])
def test_mul_div_is_exact_beyond_2_53(rows: list[tuple[int, int, int]]) -> None:
    # cents × days and cents × weight pass 2**53 (where a double stops holding the
    # integer) and int64: floor, remainder and half-up are still exact
    t = ibis.memtable(
        {"a": [r[0] for r in rows], "b": [r[1] for r in rows], "c": [r[2] for r in rows]},
        schema={"a": "int64", "b": "int64", "c": "int64"},
    )
    q, r = mul_divmod_floor(t.a, t.b, t.c)
    e = t.select(q=q, r=r, h=mul_div_half_up(t.a, t.b, t.c), d=div_half_up(t.a * 10, t.c + 9))
    got = [tuple(row.values()) for row in _BACKEND.to_arrow(e).to_pylist()]
    want = [
        (*divmod(a * b, c), _oracle_half_up(a * b, c), _oracle_half_up(a * 10, c + 9))
        for a, b, c in rows
    ]
    assert got == want


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.integers(min_value=2**53, max_value=10**18 - 1)
        | st.integers(min_value=-(10**18) + 1, max_value=-(2**53)),
        min_size=1,
        max_size=20,
    )
)
def test_totals_past_2_53_become_decimals_exactly(values: list[int]) -> None:
    # a period's total of ten deals just under ten trillion each is past 2**53 cents,
    # where dividing by 100 through a double drops cents
    t = ibis.memtable({"c": values}, schema={"c": "int64"})
    decimals = list(_run(from_cents(t.c).name("d")))
    assert decimals == [Decimal(v).scaleb(-2) for v in values]
