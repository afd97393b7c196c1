"""The schedule oracle: recognized revenue per calendar month, computed the plain way.

This module is deliberately small and written without the engine (no tables, no
SQL): the demo company uses it to post the ERP's ``revenue`` rows, and the
engine's tests use it as an independent oracle for the recognition rules of
SPEC §4. Every schedule is a list of ``(first day of the month, amount)`` in
calendar order and sums exactly to the amount it spreads.

Rules:

* point in time: the whole amount in the month of the date (close or delivery).
* ratable, convention ``daily``: the term ``start..end`` with both ends
  inclusive has ``N`` days; each calendar month that overlaps the term gets
  ``amount * overlap_days / N`` rounded half-up to the cent, except the last
  month of the term, which gets the residue ``amount - sum(earlier pieces)``.
* ratable, convention ``monthly``: the term is ``M`` whole months from the
  start (``start .. add_months(start, M) - 1 day``). A full calendar month gets
  ``round_half_up(amount / M)``; a partial first month gets
  ``round_half_up(amount / M * days_of_the_term_in_that_month / days_in_that_month)``;
  the last month of the term gets the residue. Example: 1,000.00 over 12
  months from 2017-01-07 gives 67.20, then 83.33 eleven times, then 16.17.

Rounding is ``Decimal.quantize(Decimal("0.01"), ROUND_HALF_UP)`` (half away
from zero, so negative amounts mirror positive ones). Money is never a float.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

Schedule = list[tuple[date, Decimal]]


def round_cent(value: Decimal) -> Decimal:
    """Round half-up (away from zero) to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def month_start(d: date) -> date:
    return d.replace(day=1)


def days_in_month(d: date) -> int:
    if d.month == 2:
        return 29 if calendar.isleap(d.year) else 28
    return _DAYS[d.month - 1]


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def month_end(d: date) -> date:
    return d.replace(day=days_in_month(d))


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months; the day is clamped to the end of a shorter month."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    first = date(year, month0 + 1, 1)
    return first if d.day == 1 else first.replace(day=min(d.day, days_in_month(first)))


def term_end(start: date, months: int) -> date:
    """The last day of a term of ``months`` whole months from ``start``."""
    return add_months(start, months) - timedelta(days=1)


def term_months(start: date, end: date) -> int:
    """The number of whole months ``M`` with ``term_end(start, M) == end``.

    Raises ValueError when ``start..end`` is not a whole number of months.
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    for m in (months, months + 1):
        if m > 0 and term_end(start, m) == end:
            return m
    raise ValueError(f"{start}..{end} is not a whole number of months from {start}")


def _months(start: date, end: date) -> list[date]:
    """First days of the calendar months that overlap ``start..end``."""
    if end < start:
        raise ValueError(f"the term ends ({end}) before it starts ({start})")
    first = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(first, last + 1)]


def point_in_time(amount: Decimal, on: date) -> Schedule:
    """The whole amount in the month of ``on``."""
    return [(month_start(on), amount)]


def daily(amount: Decimal, start: date, end: date) -> Schedule:
    """Ratable by actual days, ``start..end`` inclusive; residue in the last month."""
    total_days = (end - start).days + 1
    months = _months(start, end)
    out: Schedule = []
    allocated = Decimal(0)
    for m in months[:-1]:
        overlap = (min(month_end(m), end) - max(m, start)).days + 1
        piece = round_cent(amount * overlap / total_days)
        out.append((m, piece))
        allocated += piece
    out.append((months[-1], amount - allocated))
    return out


def monthly(amount: Decimal, start: date, end: date) -> Schedule:
    """Equal amount per whole month; a partial first month by its days; residue last."""
    m_count = term_months(start, end)
    full = round_cent(amount / m_count)
    months = _months(start, end)
    out: Schedule = []
    allocated = Decimal(0)
    for m in months[:-1]:
        if m >= start:  # a whole calendar month inside the term
            piece = full
        else:  # the partial first month
            days = days_in_month(m) - start.day + 1
            piece = round_cent(amount * days / (m_count * days_in_month(m)))
        out.append((m, piece))
        allocated += piece
    out.append((months[-1], amount - allocated))
    return out


def until(schedule: Schedule, as_of: date) -> Schedule:
    """The part of a schedule posted in months that start on or before ``as_of``."""
    return [(m, a) for m, a in schedule if m <= as_of]
