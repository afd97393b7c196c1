"""Fiscal calendars: 4-4-5 / 4-5-4 / 5-4-4 with 53-week years, fiscal quarters, period labels."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import pytest

from crossfoot.calendars import PATTERNS
from crossfoot.config import Reporting
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.periods import Calendar
from crossfoot.engine.ratable import ratable_schedule

_BACKEND = DuckDBBackend()


def labels(reporting: Reporting, days: list[date]) -> list[str]:
    t = ibis.memtable({"d": days}, schema={"d": "date"})
    cal = Calendar.of(reporting)
    out = _BACKEND.to_arrow(t.mutate(p=cal.label(t.d)).order_by("d"))
    return [str(p) for p in out.column("p").to_pylist()]


def week_445(**kw: Any) -> Reporting:
    return Reporting(fiscal_calendar="4-4-5", fiscal_year_start=date(2026, 1, 4), **kw)


def test_445_periods_are_four_four_and_five_weeks() -> None:
    # FY2026 starts Sunday 2026-01-04 (the year ends on the Saturday nearest 31 December)
    got = labels(
        week_445(),
        [date(2026, 1, 4), date(2026, 1, 31), date(2026, 2, 1), date(2026, 3, 1),
         date(2026, 4, 4), date(2026, 4, 5)],
    )  # fmt: skip
    assert got == [
        "FY2026-P01",
        "FY2026-P01",
        "FY2026-P02",
        "FY2026-P03",
        "FY2026-P03",
        "FY2026-P04",
    ]


def test_the_53rd_week_goes_to_the_last_period() -> None:
    # The Saturday nearest 31 Dec 2024 is 28 Dec 2024 and the one nearest 31 Dec 2025 is
    # 3 Jan 2026, so FY2025 runs 2024-12-29..2026-01-03: 371 days, 53 weeks.
    cal = Calendar.of(week_445())
    assert date(2024, 12, 29) in cal.year_starts
    assert date(2026, 1, 4) - date(2024, 12, 29) == timedelta(weeks=53)
    got = labels(week_445(), [date(2025, 11, 30), date(2025, 12, 27), date(2026, 1, 3)])
    assert got == ["FY2025-P12", "FY2025-P12", "FY2025-P12"]
    assert labels(week_445(period="quarter"), [date(2026, 1, 3), date(2026, 1, 4)]) == [
        "FY2025-Q4", "FY2026-Q1"
    ]  # fmt: skip


def test_retail_454_calendar_matches_the_nrf_calendar() -> None:
    # NRF 4-5-4 retail calendar: years end on the Saturday nearest 31 January; fiscal 2023
    # was a 53-week year (2023-01-29..2024-02-03); fiscal 2024 began 2024-02-04 and fiscal
    # 2025 on 2025-02-02 (https://nrf.com/resources/4-5-4-calendar).
    r = Reporting(fiscal_calendar="4-5-4", fiscal_year_start=date(2025, 2, 2))
    starts = Calendar.of(r).year_starts
    assert {date(2023, 1, 29), date(2024, 2, 4), date(2025, 2, 2)} <= set(starts)
    got = labels(r, [date(2025, 3, 1), date(2025, 3, 2), date(2025, 4, 5), date(2025, 4, 6)])
    assert got == ["FY2025-P01", "FY2025-P02", "FY2025-P02", "FY2025-P03"]


def test_a_year_ending_on_the_last_saturday_of_september() -> None:
    # Apple's fiscal 2024 ran 2023-10-01..2024-09-28 (the last Saturday of September).
    r = Reporting(
        fiscal_calendar="5-4-4", fiscal_year_start=date(2023, 10, 1), fiscal_year_end="last",
        period="quarter",
    )  # fmt: skip
    assert date(2024, 9, 29) in Calendar.of(r).year_starts
    assert labels(r, [date(2023, 10, 1), date(2024, 9, 28), date(2024, 9, 29)]) == [
        "FY2024-Q1", "FY2024-Q4", "FY2025-Q1"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2025, 10, 1), [date(2025, 10, 15), date(2026, 1, 1), date(2026, 9, 30)],
         ["FY2026-Q1", "FY2026-Q2", "FY2026-Q4"]),
        (date(2026, 2, 1), [date(2026, 2, 1), date(2026, 5, 1), date(2027, 1, 31)],
         ["FY2026-Q1", "FY2026-Q2", "FY2026-Q4"]),
        (date(2026, 1, 1), [date(2026, 3, 31), date(2026, 4, 1)], ["2026-Q1", "2026-Q2"]),
    ],
)  # fmt: skip
def test_calendar_month_fiscal_quarters(start: date, days: list[date], expected: list[str]) -> None:
    assert labels(Reporting(period="quarter", fiscal_year_start=start), days) == expected


def test_month_labels_stay_calendar_months() -> None:
    r = Reporting(fiscal_year_start=date(2025, 10, 1))
    assert labels(r, [date(2025, 10, 15)]) == ["2025-10"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"fiscal_calendar": "4-4-5"}, "needs fiscal_year_start"),
        ({"fiscal_calendar": "4-4-5", "fiscal_year_start": date(2026, 1, 5)},
         "2026-01-05 does not start a 52-53-week fiscal year: the day before it must be the "
         "nearest Sunday to the end of a month"),
        ({"fiscal_year_start": date(2026, 1, 15)}, "must be the first day of a month"),
    ],
)  # fmt: skip
def test_impossible_fiscal_years_are_rejected(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Reporting(**kw)


def test_ratable_daily_schedule_follows_the_445_periods() -> None:
    # 364.00 over FY2026 (2026-01-04..2027-01-02) under daily: 1.00 a day, so the
    # periods get 28 / 28 / 35 days' worth, each dated on its first day.
    t = ibis.memtable(
        [{"deal_id": "D", "line_id": "L", "product_line": "P", "rule": "ratable",
          "term_months": 12, "close_date": date(2026, 1, 4), "service_start": date(2026, 1, 4),
          "service_end": date(2027, 1, 2), "alloc_cents": 36_400, "convention": "daily"}],
    )  # fmt: skip
    out = _BACKEND.to_arrow(ratable_schedule(t, Calendar.of(week_445())).order_by("date"))
    rows = out.to_pylist()
    assert [r["cents"] for r in rows] == [2_800, 2_800, 3_500] * 4
    assert [r["date"] for r in rows[:4]] == [
        date(2026, 1, 4), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 5)
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["4-4-5", "4-5-4", "5-4-4"])
def test_every_day_of_a_decade_falls_in_one_period_of_four_five_or_six_weeks(kind: str) -> None:
    cal = Calendar.of(Reporting(fiscal_calendar=kind, fiscal_year_start=date(2026, 1, 4)))
    days = [date(2020, 1, 1) + timedelta(days=i) for i in range(3_700)]
    t = ibis.memtable({"d": days}, schema={"d": "date"})
    i = cal.index(t.d)
    out = _BACKEND.to_arrow(
        t.mutate(i=i, start=cal.start(i), next_start=cal.start(i + 1)).order_by("d")
    ).to_pylist()
    lengths: dict[int, int] = {}
    for r in out:
        assert r["start"] <= r["d"] < r["next_start"]
        lengths[r["i"]] = (r["next_start"] - r["start"]).days
    indices = sorted(lengths)
    assert indices == list(range(indices[0], indices[-1] + 1))
    weeks = PATTERNS[kind] * 4
    assert any(n == 7 * weeks[11] + 7 for i, n in lengths.items() if i % 12 == 11)  # 53-week years
    for idx, n in lengths.items():
        extra = 7 if idx % 12 == 11 and n == 7 * weeks[11] + 7 else 0  # a 53rd week
        assert n == 7 * weeks[idx % 12] + extra
