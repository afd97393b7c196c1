"""Accounting periods and reporting labels, as table expressions.

Every calendar is a sequence of accounting periods ("months") numbered by a
global index, so schedules can step from one period to the next and the
bridge can label any date:

- ``calendar``: calendar months; index = year × 12 + month − 1. A fiscal year
  may start on the first of any month (``fiscal_year_start``); quarters then
  follow the fiscal year and are labelled ``FY2026-Q1``.
- ``4-4-5`` / ``4-5-4`` / ``5-4-4``: 52–53-week fiscal years that end on the
  same weekday each year, the one nearest to (or the last one before) the end
  of the same month; each quarter is 13 weeks split by the pattern, and a
  53rd week goes to the last period. Periods are labelled ``FY2026-P01`` and
  quarters ``FY2026-Q1``; a fiscal year is named after the calendar year that
  holds most of its days.

Week-based years are computed in Python for 60 years either side of
``fiscal_year_start`` and enter the expressions as small array literals, so the
same expressions run on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import ibis
import ibis.expr.types as ir

from crossfoot.calendars import PATTERNS, week_year_starts
from crossfoot.config import Definitions, Reporting

EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Calendar:
    kind: str
    period: str
    first_month: int  # calendar: the month a fiscal year starts in
    year_starts: tuple[date, ...] = ()  # week-based: every fiscal year's first day
    rule: str = "nearest"

    @staticmethod
    @cache
    def of(reporting: Reporting) -> Calendar:
        start = reporting.fiscal_year_start
        if reporting.fiscal_calendar == "calendar":
            return Calendar("calendar", reporting.period, start.month if start else 1)
        assert start is not None  # the config requires it for week-based calendars
        starts = tuple(week_year_starts(start, reporting.fiscal_year_end))
        return Calendar(
            reporting.fiscal_calendar, reporting.period, 1, starts, reporting.fiscal_year_end
        )

    # ------------------------------------------------------------ week-based helpers
    # Dates enter as day numbers and the year starts as an int array literal: each
    # lookup appears once in the expression, which keeps the compiled SQL small.

    @property
    def _cum_weeks(self) -> list[int]:
        """Weeks before each of the 12 periods of a year."""
        weeks = PATTERNS[self.kind] * 4
        return [sum(weeks[:i]) for i in range(12)]

    def _starts(self) -> ir.ArrayValue:
        return ibis.literal([(s - EPOCH).days for s in self.year_starts], type="array<int64>")

    def _year_names(self) -> ir.ArrayValue:
        names = [(s + timedelta(days=182)).year for s in self.year_starts]
        return ibis.literal(names, type="array<int64>")

    # ------------------------------------------------------------ expressions

    def index(self, d: ir.DateValue) -> ir.IntegerValue:
        """Global number of the accounting period holding ``d`` (consecutive periods differ by 1)."""
        if self.kind == "calendar":
            return (d.year() * 12 + d.month() - 1).cast("int64")
        day = d.delta(ibis.literal(EPOCH), unit="day")
        since = self._starts().map(lambda s: day - s).filter(lambda x: x >= 0)
        year, offset = since.length() - 1, since.mins()
        cum = ibis.literal(self._cum_weeks[1:], type="array<int64>")
        within = cum.filter(lambda c: c * 7 <= offset).length()
        return (year * 12 + within).cast("int64")

    def start(self, index: ir.IntegerValue) -> ir.DateValue:
        """First day of accounting period ``index``."""
        if self.kind == "calendar":
            return ibis.date(index // 12, index % 12 + 1, ibis.literal(1))
        cum = ibis.literal(self._cum_weeks, type="array<int64>")
        # array subscripts are int32 on Spark (element_at); period numbers fit easily
        year, within = (index // 12).cast("int32"), (index % 12).cast("int32")
        day = self._starts()[year] + cum[within] * 7
        return ibis.literal(EPOCH) + day.as_interval("D")

    def label(self, d: ir.DateValue) -> ir.StringValue:
        """The reporting period of ``d``: 2026-03, 2026-Q1, FY2026-Q1 or FY2026-P03."""
        if self.kind == "calendar":
            if self.period == "month":
                return d.strftime("%Y-%m")
            shifted = d.year() * 12 + d.month() - self.first_month  # months since a fiscal Jan
            quarter = ((shifted % 12) // 3 + 1).cast("string")
            if self.first_month == 1:
                return d.year().cast("string") + "-Q" + quarter
            fiscal_year = shifted // 12 + (1 if self.first_month > 7 else 0)
            return "FY" + fiscal_year.cast("string") + "-Q" + quarter
        i = self.index(d)
        year = "FY" + self._year_names()[(i // 12).cast("int32")].cast("string")
        if self.period == "quarter":
            return year + "-Q" + ((i % 12) // 3 + 1).cast("string")
        return year + "-P" + (i % 12 + 1).cast("string").lpad(2, "0")


def period_of(d: ir.DateValue, defs: Definitions) -> ir.StringValue:
    return Calendar.of(defs.reporting).label(d)
