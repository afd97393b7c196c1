"""Rates to the reporting currency, valid from their date until the next one."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.money import cents_to_decimal, convert_cents
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


#: converted cents stay below this: an amount below 10**13, the bound the load puts on
#: amounts, so the engine's integer cents (and their sums) stay exact
MAX_CENTS = 10**15
#: how an error says a converted amount is past ``MAX_CENTS``
OUT_OF_RANGE = f"out of range (an amount must be below {MAX_CENTS // 100:,} in size)"
#: where the first offending record of a check is looked for
RECORD_ORDER = ("source_file", "source_line")


def convert_in_range(cents: ir.IntegerValue, rate: ir.DecimalValue) -> ir.IntegerValue:
    """``convert_cents``, or null where the converted amount would be ten trillion or more.

    An absurd rate (a typo, a rate for the wrong unit) would overflow int64 in the
    conversion; the null is found by ``require_in_range``, which names the rate.
    Judged in doubles, which is exact enough for a bound this far from real money.
    """
    out_of_range = cents.abs().cast("float64") * rate.cast("float64") >= float(MAX_CENTS)
    return ibis.ifelse(out_of_range, ibis.null("int64"), convert_cents(cents, rate))


def require_in_range(
    backend: Backend,
    table: ir.Table,
    *,
    what: str,
    rate: str,
    on_date: str,
    defs: Definitions,
    own_rate: str | None = None,
) -> None:
    """Stop on the first row whose conversion ``convert_in_range`` left null.

    ``table`` has cents, rc_cents, currency, source_file, source_line and the
    ``rate`` and ``on_date`` columns. The error names where the rate came from:
    the rates file's line, or the record's own exchange rate (``own_rate``).
    """
    bad = table.filter(table.cents.notnull() & table[rate].notnull() & table.rc_cents.isnull())
    backend.stop_on_first_row(
        bad, RECORD_ORDER, partial(_out_of_range, backend, what, rate, on_date, defs, own_rate)
    )


def _out_of_range(
    backend: Backend,
    what: str,
    rate: str,
    on_date: str,
    defs: Definitions,
    own_rate: str | None,
    r: dict[str, Any],
) -> None:
    rc, currency = defs.reporting.currency, r["currency"]
    amount = cents_to_decimal(r["cents"])
    converted = f"{(amount * r[rate]).quantize(Decimal(1)):,} {rc}"
    record = f"{r['source_file']}:{r['source_line']}"
    if abs(r["cents"]) >= MAX_CENTS:  # a document's amount summed from its lines
        raise InputError(f"{what} amounts to {amount} {currency}: {OUT_OF_RANGE}", location=record)
    if own_rate is not None and r[own_rate] is not None:
        raise InputError(
            f"the exchange rate {r[rate]:f} of {what} converts {amount} {currency} to "
            f"{converted}: {OUT_OF_RANGE}",
            location=record,
        )
    line = _rate_line(backend, currency, rc, r[on_date])
    where = f"{line[0]}:{line[1]}" if line else defs.fx_rates or "fx_rates"
    raise InputError(
        f"field 'rate': {r[rate]:f} for {currency} to {rc} converts {what} of {amount} "
        f"{currency} ({record}) to {converted}: {OUT_OF_RANGE}",
        location=where,
    )


def _rate_line(
    backend: Backend, currency: str, reporting_currency: str, on: object
) -> tuple[str, int] | None:
    """The rates file's row in force for ``currency`` on ``on``: direct pair, else inverse."""
    fx = backend.table("fx_rate")
    direct = (fx.from_currency == currency) & (fx.to_currency == reporting_currency)
    inverse = (fx.from_currency == reporting_currency) & (fx.to_currency == currency)
    rows = fx.filter((direct | inverse) & (fx.date <= on)).order_by(
        [fx.date.desc(), ibis.ifelse(direct, 0, 1)]
    )
    found = backend.to_arrow(rows.select("source_file", "source_line").limit(1)).to_pylist()
    return (found[0]["source_file"], found[0]["source_line"]) if found else None


def require_rates(
    backend: Backend,
    table: ir.Table,
    *,
    what: str,
    currency: str,
    hint: str,
    rates_file: str | None,
) -> None:
    """Stop with the first row of a materialized ``table`` whose ``rate`` is null."""
    stop = partial(_no_rate, what, currency, hint, rates_file)
    backend.stop_on_first_row(table.filter(table.rate.isnull()), (), stop)


def _no_rate(
    what: str, currency: str, hint: str, rates_file: str | None, r: dict[str, Any]
) -> None:
    where = (
        f"the fx_rates file {rates_file}"
        if rates_file
        else "the fx_rates file (the definitions name none: add fx_rates)"
    )
    raise InputError(
        f"{what} in {r['currency']} on {r.get('date') or r.get('close_date')} {hint} "
        f"{r['currency']} to {currency} rate in {where} (a rate on or before that date is needed)",
        location=f"{r['source_file']}:{r['source_line']}",
    )
