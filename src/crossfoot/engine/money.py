"""Exact money arithmetic as table expressions.

The engine computes in integer cents (int64): sums, allocations and schedules
are exact and behave the same on every backend, where decimal division would
fall back to binary floating point on some. Decimals come in from the canonical
tables and go out to the outputs; nothing in between is ever a float.
"""

from __future__ import annotations

from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from crossfoot.model.schema import MONEY

#: 0.00 ... 0.99: the cents of an amount, looked up rather than multiplied, so no
#: value passes through DECIMAL(38,x) (128-bit arithmetic and a rounding cast back
#: to 18 digits took DuckDB 130 times as long as this)
_HUNDREDTHS = ibis.literal([Decimal(i).scaleb(-2) for i in range(100)], type=dt.Array(MONEY))
#: a rate's fraction in units of 1e-8 (rates have 8 places)
_RATE_UNIT = 100_000_000


def to_cents(amount: ir.DecimalValue) -> ir.IntegerValue:
    """DECIMAL(18,2) → int64 cents (exact)."""
    return (amount.cast(MONEY) * 100).cast("int64")


def from_cents(cents: ir.IntegerValue) -> ir.DecimalValue:
    """int64 cents → DECIMAL(18,2), exactly (for |cents| below 2**53, 90 trillion)."""
    magnitude = cents.abs()
    odd = magnitude % 100
    whole = _exact_quotient(magnitude - odd, 100).cast(MONEY)
    # int32, because Ibis drops a cast to int64 of what it takes for int64 already,
    # and a DuckDB sum is HUGEINT, which no list index accepts
    amount = (whole + _HUNDREDTHS[odd.cast("int32")]).cast(MONEY)
    return ibis.ifelse(cents < 0, -amount, amount).cast(MONEY)


def div_half_up(numerator: ir.IntegerValue, denominator: ir.IntegerValue) -> ir.IntegerValue:
    """Integer division rounded half away from zero (half-up on amounts).

    ``denominator`` must be positive. Some backends compile integer division as
    FLOOR(a / b) through a double, which is exact while |2·numerator| < 2**53:
    for a schedule (cents × days) that is a line of up to about 12 billion.
    """
    magnitude = (numerator.abs() * 2 + denominator) // (denominator * 2)
    return ibis.ifelse(numerator < 0, -magnitude, magnitude).cast("int64")


def convert_cents(cents: ir.IntegerValue, rate: ir.DecimalValue) -> ir.IntegerValue:
    """cents × rate (≥ 0, 8 places), rounded half away from zero to the cent, exactly.

    In 64-bit integers, because DECIMAL(38,8) products and their ROUND took DuckDB
    28 times as long. With rate = whole + frac / 10**8 and |cents| = hi · 10**8 + lo:

        |cents| × rate = |cents| · whole + hi · frac + lo · frac / 10**8

    and only the last term has a fraction. Backends divide integers through a
    double (exact below 2**53), so that term is split once more, by frac = fh · 10**4
    + fl: lo · fh = q · 10**4 + r, and lo · frac / 10**8 = q + (r · 10**4 + lo · fl) / 10**8,
    whose numerator stays below 2**41. Exact for |cents| below 2**53 (90 trillion).
    """
    whole = rate.floor().cast("int64")
    frac = ((rate - rate.floor()) * _RATE_UNIT).cast("int64")
    magnitude = cents.abs()
    lo = magnitude % _RATE_UNIT
    hi = _exact_quotient(magnitude - lo, _RATE_UNIT)
    fl = frac % 10_000
    fh = _exact_quotient(frac - fl, 10_000)
    r = (lo * fh) % 10_000
    q = _exact_quotient(lo * fh - r, 10_000)
    rest = div_half_up(r * 10_000 + lo * fl, ibis.literal(_RATE_UNIT, "int64"))
    exact = magnitude * whole + hi * frac + q + rest
    return ibis.ifelse(cents < 0, -exact, exact).cast("int64")


def _exact_quotient(multiple: ir.IntegerValue, divisor: int) -> ir.IntegerValue:
    """``multiple`` / ``divisor`` for an exact multiple below 2**53: a double divides it exactly."""
    return (multiple / divisor).round().cast("int64")


def cents_to_decimal(cents: int) -> Decimal:
    """For the Python side (outputs, tests): int cents → Decimal with 2 places."""
    return Decimal(cents).scaleb(-2)
