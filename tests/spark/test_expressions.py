"""The engine's backend-sensitive expressions give the same, exact answers on Spark.

Each test runs one expression on DuckDB and on local Spark and compares both
with Python's own answer: period arithmetic over array literals and lambdas,
integer-cent money, sorted string aggregation, and the canonical tables'
round trip DuckDB → Spark → Arrow (decimals stay decimals, dates stay dates).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest

from crossfoot.config import Reporting, load_definitions
from crossfoot.demo import generate
from crossfoot.engine.backend import Backend, DuckDBBackend
from crossfoot.engine.money import (
    convert_cents,
    div_half_up,
    from_cents,
    mul_div_half_up,
    mul_divmod_floor,
    to_cents,
)
from crossfoot.engine.periods import Calendar
from crossfoot.engine.portable import sorted_join
from crossfoot.engine.spark import SparkBackend, to_spark
from crossfoot.model.schema import CANONICAL
from crossfoot.sources import load_sources

pytestmark = pytest.mark.slow


@pytest.fixture
def both(spark: Any) -> Iterator[tuple[DuckDBBackend, SparkBackend]]:
    duck, on_spark = DuckDBBackend(), SparkBackend(spark)
    yield duck, on_spark
    on_spark.close()
    duck.close()


def _on_both(
    both: tuple[DuckDBBackend, SparkBackend], data: pa.Table, build: Any, order: str
) -> list[list[dict[str, Any]]]:
    out = []
    backend: Backend
    for backend in both:
        t = backend.load_arrow(data, "t")
        out.append(backend.to_arrow(build(t).order_by(order)).to_pylist())
    return out


CALENDARS = {
    "calendar months": Reporting(),
    "fiscal quarters from October": Reporting(
        period="quarter", fiscal_year_start=date(2025, 10, 1)
    ),
    "4-4-5 periods": Reporting(fiscal_calendar="4-4-5", fiscal_year_start=date(2026, 1, 4)),
    "5-4-4 quarters, last Saturday": Reporting(
        fiscal_calendar="5-4-4",
        period="quarter",
        fiscal_year_start=date(2023, 10, 1),
        fiscal_year_end="last",
    ),
}


@pytest.mark.parametrize("reporting", CALENDARS.values(), ids=CALENDARS.keys())
def test_periods_agree_day_by_day(
    both: tuple[DuckDBBackend, SparkBackend], reporting: Reporting
) -> None:
    # three and a half years of days, across a 53-week year (FY2026 of 4-4-5 has one)
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(0, 1300)]
    cal = Calendar.of(reporting)

    def build(t: ibis.Table) -> ibis.Table:
        i = cal.index(t.d)
        return t.mutate(i=i, start=cal.start(i), label=cal.label(t.d))

    duck, on_spark = _on_both(both, pa.table({"d": pa.array(days, pa.date32())}), build, "d")
    assert on_spark == duck
    # a period starts on or before each of its days, and consecutive periods differ by one
    assert all(r["start"] <= r["d"] for r in duck)
    steps = {b["i"] - a["i"] for a, b in itertools.pairwise(duck)}
    assert steps == {0, 1}


def test_money_is_exact_integer_cents_on_both(both: tuple[DuckDBBackend, SparkBackend]) -> None:
    numerators = [5, -5, 15, -15, 4, -4, 0, 2**52 - 1, -(2**52 - 1), 123_456_789_012_345]
    rates = ["1.00000000", "0.92345678", "149.12345678", "0.00000001", "1.23456789"]
    amounts = ["0.01", "-0.01", "12345678901234.56", "-123.45", "0.00"]
    data = pa.table(
        {
            "k": pa.array(range(len(numerators)), pa.int64()),
            "n": pa.array(numerators, pa.int64()),
            "rate": pa.array([Decimal(rates[i % 5]) for i in range(10)], pa.decimal128(18, 8)),
            "amount": pa.array([Decimal(amounts[i % 5]) for i in range(10)], pa.decimal128(18, 2)),
        }
    )

    def build(t: ibis.Table) -> ibis.Table:
        cents = to_cents(t.amount)
        return t.select(
            "k",
            q=div_half_up(t.n, ibis.literal(10, "int64")),
            cents=cents,
            back=from_cents(cents),
            converted=convert_cents(t.n % 10**9, t.rate),
            # cents × days past 2**53: DECIMAL(38,0) on both, exact
            big_half_up=mul_div_half_up(t.n % 10**15, 36_000, 36_524),
            # a total past 2**53 cents
            big_back=from_cents(t.n * 200 + 1),
            big_floor=mul_divmod_floor(t.n % 10**15, 36_000, 36_524)[0],
            big_rest=mul_divmod_floor(t.n % 10**15, 36_000, 36_524)[1],
        )

    duck, on_spark = _on_both(both, data, build, "k")
    assert on_spark == duck
    for row, n, rate, amount in zip(
        duck, numerators, data["rate"].to_pylist(), data["amount"].to_pylist(), strict=True
    ):
        half_up = int((Decimal(abs(n)) / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert row["q"] == (half_up if n >= 0 else -half_up)
        assert row["cents"] == int(amount * 100) and row["back"] == amount
        # Spark's % keeps the dividend's sign like Python's math.fmod, not Python's %
        small = abs(n) % 10**9 * (1 if n >= 0 else -1)
        assert row["converted"] == int(
            (Decimal(small) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
        assert row["big_back"] == Decimal(n * 200 + 1).scaleb(-2)
        a = abs(n) % 10**15 * (1 if n >= 0 else -1)
        assert (row["big_floor"], row["big_rest"]) == divmod(a * 36_000, 36_524)
        big = int((Decimal(abs(a) * 36_000) / 36_524).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert row["big_half_up"] == (big if a >= 0 else -big)


def test_sorted_join_orders_bytewise_and_skips_nulls(
    both: tuple[DuckDBBackend, SparkBackend],
) -> None:
    data = pa.table(
        {
            "g": ["a", "a", "a", "a", "b", "c"],
            "v": ["b-2", None, "B-1", "a-3", None, "x"],
        }
    )

    def build(t: ibis.Table) -> ibis.Table:
        return t.group_by("g").aggregate(joined=sorted_join(t.v, ";"))

    duck, on_spark = _on_both(both, data, build, "g")
    assert (
        on_spark
        == duck
        == [
            {"g": "a", "joined": "B-1;a-3;b-2"},
            {"g": "b", "joined": None},
            {"g": "c", "joined": "x"},
        ]
    )


@pytest.mark.parametrize("staged", [False, True], ids=["arrow", "parquet staging"])
def test_canonical_tables_reach_spark_unchanged(spark: Any, tmp_path: Path, staged: bool) -> None:
    company = generate(tmp_path / "demo", seed=3, n_deals=150)
    duck = DuckDBBackend()
    on_spark = SparkBackend(spark)
    try:
        load_sources(load_definitions(company.definitions), duck)
        to_spark(duck, on_spark, tmp_path / "staging" if staged else None)
        for name, schema in CANONICAL.items():
            want = duck.to_arrow(duck.table(name).order_by(["source_file", "source_line"]))
            got = on_spark.to_arrow(on_spark.table(name).order_by(["source_file", "source_line"]))
            assert got.schema == want.schema == schema.to_pyarrow(), name
            assert got.equals(want), name
            if name in ("account", "deal", "deal_line", "customer", "document", "revenue"):
                assert want.num_rows > 0, name  # not a comparison of empty tables
        # the staged Parquet files are gone once Spark holds the data
        assert not staged or list((tmp_path / "staging").iterdir()) == []
    finally:
        on_spark.close()
        duck.close()
