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

_CENT = ibis.literal(Decimal("0.01"), type=dt.Decimal(38, 2))


def to_cents(amount: ir.DecimalValue) -> ir.IntegerValue:
    """DECIMAL(18,2) → int64 cents (exact)."""
    return (amount.cast(MONEY) * 100).cast("int64")


def from_cents(cents: ir.IntegerValue) -> ir.DecimalValue:
    """int64 cents → DECIMAL(18,2) (exact)."""
    return (cents.cast(dt.Decimal(38, 2)) * _CENT).cast(MONEY)


def div_half_up(numerator: ir.IntegerValue, denominator: ir.IntegerValue) -> ir.IntegerValue:
    """Integer division rounded half away from zero (half-up on amounts).

    ``denominator`` must be positive. Some backends compile integer division as
    FLOOR(a / b) through a double, which is exact while |2·numerator| < 2**53:
    for a schedule (cents × days) that is a line of up to about 12 billion.
    """
    magnitude = (numerator.abs() * 2 + denominator) // (denominator * 2)
    return ibis.ifelse(numerator < 0, -magnitude, magnitude).cast("int64")


def convert_cents(cents: ir.IntegerValue, rate: ir.DecimalValue) -> ir.IntegerValue:
    """cents × rate, rounded half away from zero to the cent, in exact decimal."""
    product = from_cents(cents).cast(dt.Decimal(38, 2)) * rate.cast(dt.Decimal(38, 8))
    return to_cents(product.round(2).cast(MONEY))


def cents_to_decimal(cents: int) -> Decimal:
    """For the Python side (outputs, tests): int cents → Decimal with 2 places."""
    return Decimal(cents).scaleb(-2)
