"""52-53-week fiscal years (4-4-5, 4-5-4, 5-4-4) in plain Python.

The definitions validate ``fiscal_year_start`` with these rules and the engine
(:mod:`crossfoot.engine.periods`) turns the year starts into expressions.
"""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta

PATTERNS = {"4-4-5": (4, 4, 5), "4-5-4": (4, 5, 4), "5-4-4": (5, 4, 4)}
YEARS_AROUND = 60


def _month_end(year: int, month: int) -> date:
    return date(year, month, _cal.monthrange(year, month)[1])


def week_year_end(year: int, month: int, weekday: int, rule: str) -> date:
    """The ``weekday`` nearest to (or the last one on or before) the end of ``month``."""
    end = _month_end(year, month)
    if rule == "last":
        return end - timedelta(days=(end.weekday() - weekday) % 7)
    offset = (weekday - end.weekday()) % 7
    return end + timedelta(days=offset - 7 if offset > 3 else offset)


def week_year_starts(anchor: date, rule: str) -> list[date]:
    """Fiscal year starts around ``anchor`` (itself a fiscal year start); ValueError if it is not."""
    last_day = anchor - timedelta(days=1)
    this_end = _month_end(last_day.year, last_day.month)
    prev_end = last_day.replace(day=1) - timedelta(days=1)
    ref = this_end if rule == "last" or (this_end - last_day).days <= 3 else prev_end
    weekday = last_day.weekday()
    starts = [
        week_year_end(y, ref.month, weekday, rule) + timedelta(days=1)
        for y in range(ref.year - YEARS_AROUND, ref.year + YEARS_AROUND + 1)
    ]
    if anchor not in starts:
        raise ValueError(
            f"{anchor} does not start a 52-53-week fiscal year: the day before it must be the "
            f"{'last' if rule == 'last' else 'nearest'} {_cal.day_name[weekday]} "
            f"{'of' if rule == 'last' else 'to the end of'} a month"
        )
    return starts
