"""Revenue schedules: published examples and invariants (every schedule sums to its amount)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import ibis
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crossfoot.config import Reporting
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.periods import Calendar
from crossfoot.engine.ratable import ratable_schedule

_BACKEND = DuckDBBackend()


def schedule(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    rows = [
        {
            "deal_id": "D",
            "line_id": f"L{i}",
            "product_line": "P",
            "rule": "ratable",
            "term_months": 12,
            "close_date": line["start"],
            "service_start": line["start"],
            "service_end": line.get("end"),
            "alloc_cents": line["cents"],
            "convention": line.get("convention", "daily"),
        }
        for i, line in enumerate(lines)
    ]
    t = ibis.memtable(
        rows,
        schema={
            "deal_id": "string",
            "line_id": "string",
            "product_line": "string",
            "rule": "string",
            "term_months": "int64",
            "close_date": "date",
            "service_start": "date",
            "service_end": "date",
            "alloc_cents": "int64",
            "convention": "string",
        },
    )
    out = _BACKEND.to_arrow(
        ratable_schedule(t, Calendar.of(Reporting())).order_by(["line_id", "date"])
    )
    return out.to_pylist()


def test_monthly_convention_matches_published_erp_behaviour() -> None:
    # 1,000 over 12 months from 2017-01-07 under a monthly convention: the example
    # in the issue tracker, as open-source ERPs (e.g. Odoo's deferred revenue) compute it:
    # first month 67.20, then 83.33 x 11, last 16.17.
    rows = schedule(
        [
            {
                "start": date(2017, 1, 7),
                "end": date(2018, 1, 6),
                "cents": 100_000,
                "convention": "monthly",
            }
        ]
    )
    got = [Decimal(r["cents"]).scaleb(-2) for r in rows]
    assert got == [Decimal("67.20")] + [Decimal("83.33")] * 11 + [Decimal("16.17")]
    assert rows[0]["date"] == date(2017, 1, 1)
    assert rows[-1]["date"] == date(2018, 1, 1)


def test_daily_convention_counts_actual_days_both_ends_inclusive() -> None:
    # 365.00 over 2026-01-01..2026-12-31: exactly 1.00 a day
    rows = schedule([{"start": date(2026, 1, 1), "end": date(2026, 12, 31), "cents": 36_500}])
    days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert [r["cents"] for r in rows] == [d * 100 for d in days]


def test_daily_residue_goes_to_the_last_period() -> None:
    # 100.00 over 3 days across two months: 33.33 + 33.33 (Jan) and the residue 33.34 (Feb)
    rows = schedule([{"start": date(2026, 1, 30), "end": date(2026, 2, 1), "cents": 10_000}])
    assert [r["cents"] for r in rows] == [6_667, 3_333]


def _scheduled(
    lines: list[tuple[date, int, int, str]],
) -> list[tuple[dict[str, object], list[dict[str, object]]]]:
    """Each (start, days, cents, convention) line with its schedule rows."""
    spec = [
        {"start": s, "end": s + timedelta(days=n), "cents": c, "convention": conv}
        for s, n, c, conv in lines
    ]
    rows = schedule(spec)
    return [(line, [r for r in rows if r["line_id"] == f"L{i}"]) for i, line in enumerate(spec)]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
            st.integers(min_value=0, max_value=1200),
            st.integers(min_value=-(10**10), max_value=10**10),
            st.sampled_from(["daily", "monthly", "month30", "full_months"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_schedules_sum_exactly_and_stay_inside_the_term(
    lines: list[tuple[date, int, int, str]],
) -> None:
    for line, mine in _scheduled(lines):
        assert sum(r["cents"] for r in mine) == line["cents"]
        first = line["start"].replace(day=1)  # type: ignore[attr-defined]
        assert all(first <= r["date"] <= line["end"] for r in mine)


def test_full_months_snaps_the_start_to_the_first_of_its_month() -> None:
    # 1,000 over 12 months from 2017-01-07: Jan..Dec 2017 at 83.33, the residue in December
    rows = schedule(
        [{"start": date(2017, 1, 7), "end": date(2018, 1, 6), "cents": 100_000,
          "convention": "full_months"}]
    )  # fmt: skip
    assert [r["date"] for r in rows] == [date(2017, m, 1) for m in range(1, 13)]
    assert [r["cents"] for r in rows] == [8_333] * 11 + [8_337]


def test_month30_counts_every_month_as_30_days() -> None:
    # 1,000 from 2017-01-07 to 2018-01-06 on a 30/360 basis: January has 24 days
    # (7..30), eleven whole months 30 each, January 2018 six: 360 in all.
    # 1,000 x 24/360 = 66.67; 1,000 x 30/360 = 83.33; the residue 16.70 is last.
    rows = schedule(
        [{"start": date(2017, 1, 7), "end": date(2018, 1, 6), "cents": 100_000,
          "convention": "month30"}]
    )  # fmt: skip
    got = [Decimal(r["cents"]).scaleb(-2) for r in rows]
    assert got == [Decimal("66.67")] + [Decimal("83.33")] * 11 + [Decimal("16.70")]


def test_month30_gives_february_a_whole_month() -> None:
    # a quarter from 2026-01-01: 30 + 30 + 30 days, so 300.00 is 100.00 a month
    rows = schedule(
        [{"start": date(2026, 1, 1), "end": date(2026, 3, 31), "cents": 30_000,
          "convention": "month30"}]
    )  # fmt: skip
    assert [r["cents"] for r in rows] == [10_000, 10_000, 10_000]


def _month30_reference(start: date, end: date, cents: int) -> list[int]:
    """30/360 by hand: each month's days counted as the docs say, pieces half-up."""
    days: list[int] = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        month_start = date(y, m, 1)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        month_end = date(y, m, 1) - timedelta(days=1)
        lo, hi = max(start, month_start), min(end, month_end)
        d1 = min(lo.day, 30)
        d2 = 30 if hi == month_end else min(hi.day, 30)
        days.append(max(d2 - d1 + 1, 0))
    total = max(sum(days), 1)
    pieces = [_half_up(cents * d, total) for d in days[:-1]]
    return [*pieces, cents - sum(pieces)]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
            st.integers(min_value=0, max_value=800),
            st.integers(min_value=-(10**10), max_value=10**10),
        ),
        min_size=1,
        max_size=6,
    )
)
@example([(date(2026, 1, 31), 0, 100_000), (date(2026, 2, 28), 1, 99_999)])
@example([(date(2026, 1, 30), 31, 100_000), (date(2025, 12, 31), 425, -77_777)])
def test_month30_pieces_are_the_30_360_share_of_each_month(
    lines: list[tuple[date, int, int]],
) -> None:
    for line, mine in _scheduled([(s, n, c, "month30") for s, n, c in lines]):
        start, end, cents = line["start"], line["end"], line["cents"]
        assert isinstance(start, date) and isinstance(end, date) and isinstance(cents, int)
        assert [r["cents"] for r in mine] == _month30_reference(start, end, cents)


def test_daily_example_of_the_docs() -> None:
    # docs/definitions.md: 1,000 from 2017-01-07 under daily is 68.49 (25/365), ..., 16.46
    rows = schedule([{"start": date(2017, 1, 7), "end": date(2018, 1, 6), "cents": 100_000}])
    cents = [r["cents"] for r in rows]
    assert cents[0] == 6_849 and cents[1] == 7_671 and cents[-1] == 1_646
    assert max(cents[1:-1]) == 8_493 and sum(cents) == 100_000


def _half_up(numerator: int, denominator: int) -> int:
    q = (abs(numerator) * 2 + denominator) // (denominator * 2)
    return q if numerator >= 0 else -q


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
            # up to 40 years: cents × days passes 2**53 and then int64
            st.integers(min_value=0, max_value=14_600),
            # up to the largest amount the load accepts (< 10**13 whole units)
            st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1)
            | st.sampled_from([9 * 10**14, -(9 * 10**14), 10**15 - 1]),
            st.sampled_from(["daily", "monthly", "month30", "full_months"]),
        ),
        min_size=1,
        max_size=6,
    )
)
# where FLOOR(x / y) through a double rounds 2 × cents × days the wrong way
@example([(date(2026, 1, 1), 14_609, 966_356_136_347_534, "daily")])
@example([(date(2026, 1, 1), 7_304, 946_706_189_050_417, "daily")])
@example(
    [
        (date(2010, 1, 31), 3_000, 10**15 - 1, "daily"),
        (date(2010, 1, 1), 9_000, -(10**15) + 1, "month30"),
    ]
)
def test_schedules_of_huge_amounts_are_exact(lines: list[tuple[date, int, int, str]]) -> None:
    # a 9-trillion-unit line over decades: each daily piece is exactly the half-up
    # share of its days (no double rounding of cents × days), and every schedule sums
    for line, mine in _scheduled(lines):
        assert sum(r["cents"] for r in mine) == line["cents"]
        if line["convention"] != "daily":
            continue
        start, end, cents = line["start"], line["end"], line["cents"]
        total_days = (end - start).days + 1  # type: ignore[operator]
        for r in mine[:-1]:
            p_start = max(r["date"], start)
            next_month = (r["date"].replace(day=28) + timedelta(days=4)).replace(day=1)
            days = (min(next_month - timedelta(days=1), end) - p_start).days + 1
            assert r["cents"] == _half_up(cents * days, total_days)  # type: ignore[operator]
