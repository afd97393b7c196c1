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


def with_conversion_rate(
    table: ir.Table,
    ranges: ir.Table,
    *,
    currency: str,
    on_date: str,
    reporting_currency: str,
    own_rate: str | None = None,
    name: str = "rate",
) -> ir.Table:
    """Add ``name``: the rate to the reporting currency of each row.

    1 for the reporting currency; else the row's own rate (``own_rate``, e.g. a
    document's exchange rate) when it has one; else the rates file on
    ``on_date`` (null when it has none). The range join is the expensive part,
    so only the rows that need it take it.
    """
    own = table[own_rate] if own_rate else ibis.null(RATE)
    needs = (table[currency] != reporting_currency) & own.isnull()
    from_file = with_rate(
        table.filter(needs), ranges, currency=currency, on_date=on_date,
        reporting_currency=reporting_currency, name=name,
    )  # fmt: skip
    one = ibis.literal(Decimal(1), type=RATE)
    rest = table.filter(~needs.fill_null(False))
    rest = rest.mutate(**{name: ibis.ifelse(rest[currency] == reporting_currency, one, own)})
    return rest.union(from_file.select(*rest.columns))


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
