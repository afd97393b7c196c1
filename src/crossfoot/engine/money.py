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
    """int64 cents → DECIMAL(18,2), exactly (for any value DECIMAL(18,2) holds).

    Below 2**53 (90 trillion) without 128-bit arithmetic; a total above it (the
    sum of a period's deals can be, each being below ten trillion) is multiplied
    by 0.01 in DECIMAL(38,x), which is exact and only taken by such rows.
    """
    magnitude = cents.abs()
    odd = magnitude % 100
    whole = _exact_quotient(magnitude - odd, 100).cast(MONEY)
    # int32, because Ibis drops a cast to int64 of what it takes for int64 already,
    # and a DuckDB sum is HUGEINT, which no list index accepts
    amount = (whole + _HUNDREDTHS[odd.cast("int32")]).cast(MONEY)
    small = ibis.ifelse(cents < 0, -amount, amount)
    wide = dt.Decimal(38, 2)
    big = cents.cast(wide) * ibis.literal(Decimal("0.01"), wide)
    return ibis.ifelse(magnitude < 2**53, small, big.cast(MONEY)).cast(MONEY)


def div_half_up(numerator: ir.IntegerValue, denominator: ir.IntegerValue | int) -> ir.IntegerValue:
    """Integer division rounded half away from zero (half-up on amounts), exactly.

    ``denominator`` must be positive. Exact for any int64 numerator whose
    quotient stays below 2**51 (every amount in cents): see ``mul_div_half_up``.
    """
    return mul_div_half_up(numerator, 1, denominator)


def mul_div_half_up(
    a: ir.IntegerValue, b: ir.IntegerValue | int, c: ir.IntegerValue | int
) -> ir.IntegerValue:
    """a × b ÷ c rounded half away from zero, exactly, without forming a × b in int64.

    ``b`` ≥ 0 and 0 < ``c`` < 2**62. Some backends compile integer division as FLOOR(x / y)
    through a double, exact only while |x| < 2**53, and a product like cents × days
    or cents × weight passes that (and int64) for large amounts. Small products take
    that path; the others are formed in DECIMAL(38,0) (exact on DuckDB and Spark)
    and divided by ``_big_floor_div``. Exact while the quotient is below 2**51:
    every amount in cents (below 10**15), shared by days or weights.
    """
    b_, c_ = _int(b), _int(c)
    small = _fits_a_double(a, b_, c_)
    fast = (a.abs() * b_ * 2 + c_) // (c_ * 2)
    big = _big_floor_div(a.abs().cast(_BIG) * b_.cast(_BIG) * 2 + c_.cast(_BIG), c_ * 2)
    # the sign as a factor: the magnitude's expression is written once in the SQL
    sign = ibis.ifelse(a < 0, -1, 1)
    return (ibis.ifelse(small, fast, big) * sign).cast("int64")


def mul_divmod_floor(
    a: ir.IntegerValue, b: ir.IntegerValue | int, c: ir.IntegerValue | int
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """floor(a × b ÷ c) and its remainder (0 ≤ r < c), exactly (as ``mul_div_half_up``)."""
    b_, c_ = _int(b), _int(c)
    small = _fits_a_double(a, b_, c_)
    fast_q = (a * b_) // c_
    fast_r = a * b_ - fast_q * c_
    product = a.abs().cast(_BIG) * b_.cast(_BIG)
    rest = (product % c_.cast(_BIG)).cast("int64")
    q = _big_floor_div(product, c_)
    # a negative product: floor(-x / c) = -ceil(x / c)
    up = (a < 0) & (rest > 0)
    big_q = ibis.cases((up, -q - 1), (a < 0, -q), else_=q)
    big_r = ibis.ifelse(up, c_ - rest, rest)
    quotient = ibis.ifelse(small, fast_q, big_q).cast("int64")
    return quotient, ibis.ifelse(small, fast_r, big_r).cast("int64")


def mul_div_floor(
    a: ir.IntegerValue, b: ir.IntegerValue | int, c: ir.IntegerValue | int
) -> ir.IntegerValue:
    """floor(a × b ÷ c), exactly (as ``mul_div_half_up``)."""
    return mul_divmod_floor(a, b, c)[0]


#: 38 digits hold any product of two int64 values
_BIG = dt.Decimal(38, 0)
#: below this a numerator, and the double it passes through, are the same integer
#: (2**52, a margin under 2**53 for the double that estimates the product)
_DOUBLE_EXACT = float(2**52)


def _int(value: ir.IntegerValue | int) -> ir.IntegerValue:
    return ibis.literal(value, "int64") if isinstance(value, int) else value


def _fits_a_double(a: ir.IntegerValue, b: ir.IntegerValue, c: ir.IntegerValue) -> ir.BooleanValue:
    """2·|a|·b + c below 2**52, judged in doubles (so nothing overflows)."""
    estimate = a.abs().cast("float64") * b.cast("float64") * 2 + c.cast("float64")
    return estimate < _DOUBLE_EXACT


def _big_floor_div(numerator: ir.DecimalValue, divisor: ir.IntegerValue) -> ir.IntegerValue:
    """floor(numerator ÷ divisor) for a DECIMAL(38,0) numerator ≥ 0 and divisor > 0.

    The remainder is exact decimal arithmetic; what is left is an exact multiple, and
    a double divides an exact multiple within half a unit while the quotient is
    below 2**51 and the divisor below 2**53 (a double holds it exactly; the
    multiple and the quotient are each rounded by a relative 2**-53 at most, so
    the error stays under q · 2**-52 < 1/2), and rounding recovers it. A larger
    divisor can leave it one off, which the exact remainder corrects.
    """
    d = divisor.cast(_BIG)
    multiple = numerator - numerator % d
    q = (multiple.cast("float64") / divisor.cast("float64")).round().cast("int64")
    # a divisor past 2**53 adds a third rounding: the estimate may then be one off
    # off is -d, 0 or d: its sign is the correction (one reference keeps the SQL small)
    off = multiple - q.cast(_BIG) * d
    return (q + off.sign().cast("int64")).cast("int64")


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
