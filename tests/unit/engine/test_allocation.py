"""Allocation of a deal's price over its lines by relative SSP: published examples and invariants."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crossfoot.engine.allocation import largest_remainder, line_values
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from tests.unit.engine import canonical
from tests.unit.engine.conftest import make_defs

DEAL_VALUE = pa.schema(
    [("deal_id", pa.string()), ("rc_cents", pa.int64()), ("rate", pa.decimal128(18, 8))]
)


def allocate(
    backend: DuckDBBackend,
    deal_cents: int,
    lines: list[dict[str, Any]],
    rate: str = "1",
    **defs: Any,
) -> dict[str, tuple[Decimal, str]]:
    rows = [
        {"line_id": f"L{i}", "deal_id": "D", "amount": Decimal("0"), **line}
        for i, line in enumerate(lines, start=1)
    ]
    canonical.load(backend, {"deal_line": rows})
    backend.load_arrow(
        pa.Table.from_pylist(
            [{"deal_id": "D", "rc_cents": deal_cents, "rate": Decimal(rate)}], schema=DEAL_VALUE
        ),
        "deal_value",
    )
    out = backend.to_arrow(line_values(backend, make_defs(**defs))).to_pylist()
    return {
        r["line_id"]: (Decimal(r["alloc_cents"]).scaleb(-2), r["ssp_source"])
        for r in sorted(out, key=lambda r: str(r["line_id"]))
    }


def whole_units(alloc: dict[str, tuple[Decimal, str]]) -> list[int]:
    return [int(v.quantize(Decimal(1), rounding="ROUND_HALF_UP")) for v, _ in alloc.values()]


def test_bundle_allocated_by_ssp_from_the_definitions(backend: DuckDBBackend) -> None:
    # EY, International GAAP 2019, chapter 28, example 28.53: a bundle sold for 100,000
    # whose SSPs are 75,000 / 14,000 / 20,000 allocates 68,807 / 12,844 / 18,349.
    alloc = allocate(
        backend,
        10_000_000,
        [
            {"product_code": "A", "amount": Decimal("100000.00")},
            {"product_code": "B"},
            {"product_code": "C"},
        ],
        allocation={"method": "relative_ssp", "ssp": {"A": 75000, "B": 14000, "C": 20000}},
    )
    assert whole_units(alloc) == [68_807, 12_844, 18_349]
    # exact to the cent, largest remainder: 68,807.34 / 12,844.04 / 18,348.62 = 100,000.00
    assert [v for v, _ in alloc.values()] == [
        Decimal("68807.34"), Decimal("12844.04"), Decimal("18348.62")
    ]  # fmt: skip
    assert {s for _, s in alloc.values()} == {"definitions"}


def test_discount_allocated_by_price_book_list_prices(backend: DuckDBBackend) -> None:
    # IFRS 15 Illustrative Example 34, Case A: products A, B, C with standalone selling
    # prices 40 / 55 / 45 sold together for 100 → 29 / 39 / 32 (IFRS 15.IE257).
    alloc = allocate(
        backend,
        10_000,
        [
            {"list_price": Decimal("40"), "quantity": Decimal(1), "amount": Decimal("40")},
            {"list_price": Decimal("55"), "quantity": Decimal(1), "amount": Decimal("30")},
            {"list_price": Decimal("45"), "quantity": Decimal(1), "amount": Decimal("30")},
        ],
        allocation={"method": "relative_ssp"},
    )
    assert whole_units(alloc) == [29, 39, 32]
    assert sum(v for v, _ in alloc.values()) == Decimal("100.00")
    assert {s for _, s in alloc.values()} == {"price_book"}


def test_ssp_as_a_percentage_of_list_price_and_quantities(backend: DuckDBBackend) -> None:
    # Support's SSP is 20% of its list price: 10 units x 50 list x 20% = 100; the
    # licence's price book SSP is 300. 1,000 splits 250 / 750.
    alloc = allocate(
        backend,
        100_000,
        [
            {"product_line": "Support", "list_price": Decimal(50), "quantity": Decimal(10)},
            {"product_line": "Services", "list_price": Decimal(300), "quantity": Decimal(1)},
        ],
        allocation={"method": "relative_ssp"},
        product_lines={
            "Support": {"rule": "ratable", "ssp_percent_of_list": 20},
            "Services": {"rule": "point_in_time"},
        },
    )
    assert alloc == {
        "L1": (Decimal("250.00"), "percent_of_list"),
        "L2": (Decimal("750.00"), "price_book"),
    }


def test_variable_consideration_stays_on_its_line(backend: DuckDBBackend) -> None:
    # IFRS 15 Illustrative Example 35 (IFRS 15.85): variable consideration that relates
    # only to one promise is allocated entirely to it. Usage estimated at 1,000 keeps
    # its 1,000; the fixed 2,000 is spread over the fixed lines by SSP (1,500 / 500).
    alloc = allocate(
        backend,
        300_000,
        [
            {"product_line": "Usage", "amount": Decimal(1000), "list_price": Decimal(5000)},
            {"product_code": "LIC", "amount": Decimal(1800)},
            {"product_code": "SUP", "amount": Decimal(200)},
        ],
        allocation={"method": "relative_ssp", "ssp": {"LIC": "3000", "SUP": "1000"}},
        product_lines={"Usage": {"rule": "point_in_time", "variable_consideration": True}},
    )
    assert alloc == {
        "L1": (Decimal("1000.00"), "variable"),
        "L2": (Decimal("1500.00"), "definitions"),
        "L3": (Decimal("500.00"), "definitions"),
    }


def test_without_ssp_each_line_keeps_its_price_converted(backend: DuckDBBackend) -> None:
    # line_amount (the default): EUR 60 + 40 at a rate of 1.1 → the USD 110.00 deal splits 66 / 44
    alloc = allocate(
        backend,
        11_000,
        [{"amount": Decimal(60), "list_price": Decimal(500)}, {"amount": Decimal(40)}],
        rate="1.1",
    )
    assert alloc == {"L1": (Decimal("66.00"), "own_price"), "L2": (Decimal("44.00"), "own_price")}


def test_a_line_without_any_ssp_is_weighted_by_its_own_price(backend: DuckDBBackend) -> None:
    alloc = allocate(
        backend,
        10_000,
        [{"product_code": "A", "amount": Decimal(50)}, {"amount": Decimal(50)}],
        allocation={"method": "relative_ssp", "ssp": {"A": 150}},
    )
    assert alloc == {"L1": (Decimal("75.00"), "definitions"), "L2": (Decimal("25.00"), "own_price")}


def test_allocation_is_rejected_for_a_non_positive_ssp() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        make_defs(allocation={"method": "relative_ssp", "ssp": {"A": 0}})


_BACKEND = DuckDBBackend()


@pytest.mark.parametrize(
    ("line", "rate", "allocation", "named"),
    [
        (  # a definitions SSP times an absurd quantity
            {"product_code": "A", "quantity": Decimal("99999999")}, "1",
            {"method": "relative_ssp", "ssp": {"A": 999_999_999_999}},
            "allocation.ssp 'A' (999999999999) times quantity 99999999",
        ),
        (  # a list price times an absurd quantity
            {"list_price": Decimal("9999999"), "quantity": Decimal("9999999")}, "1",
            {"method": "relative_ssp"}, "list price 9999999.0000 times quantity 9999999",
        ),
        (  # a plausible list price at an absurd exchange rate
            {"list_price": Decimal("5000"), "quantity": Decimal(2)}, "9999999999",
            {"method": "relative_ssp"}, "at the deal's exchange rate 9999999999",
        ),
    ],
)  # fmt: skip
def test_an_ssp_out_of_range_stops_the_run_naming_the_line(
    backend: DuckDBBackend, line: dict[str, Any], rate: str, allocation: dict[str, Any], named: str
) -> None:
    lines = [{"product_code": "OK", "quantity": Decimal(1), "amount": Decimal("10.00")}, line]
    with pytest.raises(InputError) as caught:
        allocate(backend, 10_000, lines, rate=rate, allocation=allocation)
    assert named in str(caught.value)
    assert "out of range (an amount must be below 10,000,000,000,000 in size)" in str(caught.value)
    assert caught.value.location == "deal_line.csv:3"  # the second line


def _allocate(groups: list[tuple[int, list[int]]]) -> dict[str, list[dict[str, Any]]]:
    """Group ``G<i>`` (total, weights) split by ``largest_remainder``: its rows by line."""
    rows = [
        {"g": f"G{i}", "line_id": f"L{j}", "total": total, "w": w}
        for i, (total, weights) in enumerate(groups)
        for j, w in enumerate(weights)
    ]
    t = ibis.memtable(
        rows, schema={"g": "string", "line_id": "string", "total": "int64", "w": "int64"}
    )
    out = _BACKEND.to_arrow(largest_remainder(t, group="g", total="total", weight="w", out="a"))
    got: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(out.to_pylist(), key=lambda r: int(r["line_id"][1:])):
        got.setdefault(r["g"], []).append(r)
    return got


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-(10**9), max_value=10**9),
            st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_largest_remainder_sums_exactly_and_stays_near_the_share(
    groups: list[tuple[int, list[int]]],
) -> None:
    got = _allocate(groups)
    for i, (total, weights) in enumerate(groups):
        mine = got[f"G{i}"]
        assert sum(r["a"] for r in mine) == total
        tw = sum(weights)
        for r in mine:
            exact = Decimal(total * r["w"]) / tw if tw else Decimal(total) / len(weights)
            assert abs(r["a"] - exact) < 1


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
            st.lists(st.integers(min_value=0, max_value=10**15 - 1), min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=4,
    )
)
@example([(9 * 10**14, [3 * 10**14, 6 * 10**14 + 1, 7])])
def test_largest_remainder_of_huge_amounts_by_huge_weights(
    groups: list[tuple[int, list[int]]],
) -> None:
    # total × weight is cents × cents: far past int64 (which DuckDB refuses with an
    # overflow error) for a deal of a few million; still exact, still summing
    got = _allocate(groups)
    for i, (total, weights) in enumerate(groups):
        mine = got[f"G{i}"]
        assert sum(r["a"] for r in mine) == total
        tw = sum(weights)
        for r, w in zip(mine, weights, strict=True):
            floor = (total * w) // tw if tw else total // len(weights)
            assert r["a"] - floor in (0, 1)
