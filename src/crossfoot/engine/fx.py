"""Rates to the reporting currency, valid from their date until the next one."""

from __future__ import annotations

from decimal import Decimal

import ibis
import ibis.expr.types as ir

from crossfoot.engine.backend import Backend
from crossfoot.errors import InputError
from crossfoot.model.schema import RATE


def rate_ranges(fx: ir.Table, reporting_currency: str) -> ir.Table:
    """currency, valid_from, valid_to (exclusive, null = open), rate to the reporting currency.

    A direct pair X→RC wins over the inverse RC→X on the same date; an inverse
    rate is 1/r to eight places.
    """
    direct = fx.filter(fx.to_currency == reporting_currency).select(
        currency=fx.from_currency, date=fx.date, rate=fx.rate.cast(RATE), preference=ibis.literal(0)
    )
    inverse = fx.filter((fx.from_currency == reporting_currency) & (fx.rate > 0)).select(
        currency=fx.to_currency,
        date=fx.date,
        rate=(ibis.literal(Decimal(1), type=RATE) / fx.rate).round(8).cast(RATE),
        preference=ibis.literal(1),
    )
    both = direct.union(inverse)
    best = both.mutate(
        rank=ibis.row_number().over(group_by=[both.currency, both.date], order_by=both.preference)
    ).filter(lambda t: t["rank"] == 0)
    w = ibis.window(group_by=best.currency, order_by=best.date)
    return best.select(
        currency=best.currency,
        valid_from=best.date,
        valid_to=best.date.lead().over(w),
        rate=best.rate,
    )


def with_rate(
    table: ir.Table,
    ranges: ir.Table,
    *,
    currency: str,
    on_date: str,
    reporting_currency: str,
    name: str = "rate",
) -> ir.Table:
    """Add column ``name``: the rate of ``currency`` to the reporting currency on ``on_date``.

    1 for the reporting currency; null when no rate is known on or before the date.
    """
    r = ranges.select(
        _cur=ranges.currency, _from=ranges.valid_from, _to=ranges.valid_to, _rate=ranges.rate
    )
    cond = [
        table[currency] == r._cur,
        table[on_date] >= r._from,
        r._to.isnull() | (table[on_date] < r._to),
    ]
    joined = table.left_join(r, cond)
    rate = ibis.ifelse(
        joined[currency] == reporting_currency, ibis.literal(Decimal(1), type=RATE), joined._rate
    )
    return joined.mutate(**{name: rate}).drop("_cur", "_from", "_to", "_rate")


def with_fallback_rate(
    table: ir.Table,
    ranges: ir.Table,
    *,
    own_rate: str,
    currency: str,
    on_date: str,
    reporting_currency: str,
) -> ir.Table:
    """Add ``file_rate`` only where a foreign-currency row lacks its own rate.

    The range join is the expensive part of a conversion; documents almost
    always carry their own rate, so only the few rows without one take it.
    """
    needs = (table[currency] != reporting_currency) & table[own_rate].isnull()
    fallback = with_rate(
        table.filter(needs), ranges, currency=currency, on_date=on_date,
        reporting_currency=reporting_currency, name="file_rate",
    )  # fmt: skip
    rest = table.filter(~needs.fill_null(False)).mutate(file_rate=ibis.null(RATE))
    return rest.union(fallback.select(*rest.columns))


def require_rates(
    backend: Backend, table: ir.Table, *, what: str, currency: str, hint: str
) -> None:
    """Stop with the first row of a materialized ``table`` whose ``rate`` is null."""
    missing = table.filter(table.rate.isnull())
    if backend.scalar(missing.count()) == 0:
        return
    r = backend.to_arrow(missing.limit(1)).to_pylist()[0]
    raise InputError(
        f"{what} in {r['currency']} on {r.get('date') or r.get('close_date')} {hint} "
        f"{currency} rate in the fx_rates file (a rate on or before that date is needed)",
        location=f"{r['source_file']}:{r['source_line']}",
    )
