"""A deal's price over its lines (ASC 606 / IFRS 15 step 4), exact to the cent.

``line_values`` first spreads each deal's reporting-currency amount over its lines
in proportion to the lines' own prices, so the lines sum to the deal. Under
``allocation.method: relative_ssp`` the fixed price (every line except those
carrying variable consideration) is then re-spread by relative standalone
selling price. A line's SSP comes from, in order: ``allocation.ssp`` for its
product code × quantity; its product line's ``ssp_percent_of_list`` × list price
× quantity; the price book (list price × quantity); its own price. Cents are
distributed by largest remainder (ties to the lower line id), so every
allocation sums exactly to what it allocates.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.fx import MAX_CENTS, OUT_OF_RANGE, RECORD_ORDER, convert_in_range
from crossfoot.engine.money import mul_div_half_up, mul_divmod_floor, to_cents
from crossfoot.errors import InputError
from crossfoot.model.schema import MONEY


def largest_remainder(
    t: ir.Table, *, group: str, total: str, weight: str, out: str, order: str = "line_id"
) -> ir.Table:
    """Add ``out``: ``total`` (int cents, equal within ``group``) split by ``weight``.

    Each row gets floor(total × weight / Σweight); the cents left over go one
    each to the rows with the largest remainders. All-zero weights share equally.
    """
    g = ibis.window(group_by=t[group])
    total_w = t[weight].sum().over(g)
    # the weights as columns first: the exact division refers to each input several
    # times, and an expression inlined there grew Spark's plan past its heap
    t = t.mutate(
        _w=ibis.ifelse(total_w == 0, ibis.literal(1, "int64"), t[weight]),
        _tw=ibis.ifelse(total_w == 0, t.count().over(g), total_w),
    )
    # exact however large total × weight grows (cents × cents passes int64)
    floor_share, rem = mul_divmod_floor(t[total], t._w, t._tw)
    step = t.mutate(_floor=floor_share, _rem=rem).drop("_w", "_tw")
    g2 = ibis.window(group_by=step[group])
    short = step[total] - step._floor.sum().over(g2)
    rank = ibis.row_number().over(group_by=step[group], order_by=[step._rem.desc(), step[order]])
    return step.mutate(**{out: step._floor + ibis.ifelse(rank < short, 1, 0)}).drop(
        "_floor", "_rem"
    )


def _by_product_line(
    t: ir.Table, defs: Definitions, attr: str, default: object, type_: dt.DataType
) -> ir.Value:
    values = {
        name: ibis.literal(getattr(rule, attr), type_)
        for name, rule in defs.product_lines.items()
        if getattr(rule, attr) not in (None, default)
    }
    fallback = ibis.literal(default, type_)
    return t.product_line.substitute(values, else_=fallback) if values else fallback


def _ssp_cents(
    t: ir.Table, defs: Definitions
) -> tuple[ir.IntegerValue, ir.StringValue, ir.BooleanValue]:
    """Each line's SSP weight in reporting-currency cents, where it came from, and
    whether it is out of range (``require_ssp_in_range`` names the line)."""
    qty = t.quantity.fill_null(Decimal(1))
    ssp_table = defs.allocation.ssp
    unit = dt.Decimal(18, 4)
    unit_ssp = (
        t.product_code.substitute(
            {k: ibis.literal(v, unit) for k, v in ssp_table.items()}, else_=ibis.null(unit)
        )
        if ssp_table
        else ibis.null(unit)
    )
    # a unit price times an absurd quantity would overflow the money type: judged in
    # doubles first (exact enough this far from real money), computed only below it
    code_over = _at_least(unit_ssp, qty, MAX_CENTS // 100)
    list_over = _at_least(t.list_price, qty, MAX_CENTS // 100)
    by_code = ibis.ifelse(
        code_over, ibis.null("int64"), to_cents((unit_ssp * qty).round(2).cast(MONEY))
    )
    # percent in hundredths (config allows two decimals), so the arithmetic stays integer
    hundredths = {
        name: int(rule.ssp_percent_of_list * 100)
        for name, rule in defs.product_lines.items()
        if rule.ssp_percent_of_list is not None
    }
    percent = (
        t.product_line.substitute(hundredths, else_=ibis.null("int64"))
        if hundredths
        else ibis.null("int64")
    )
    list_total = ibis.ifelse(
        list_over, ibis.null("int64"), to_cents((t.list_price * qty).round(2).cast(MONEY))
    )
    price_book = convert_in_range(list_total, t.rate)
    of_list = convert_in_range(mul_div_half_up(list_total, percent, 10_000), t.rate)
    from_list = ibis.ifelse(percent.isnull(), price_book, of_list)
    cents = ibis.coalesce(by_code, from_list, t.alloc_own)
    source = ibis.cases(
        (unit_ssp.notnull(), "definitions"),
        (percent.notnull() & t.list_price.notnull(), "percent_of_list"),
        (t.list_price.notnull(), "price_book"),
        else_="own_price",
    )
    out_of_range = ibis.ifelse(
        unit_ssp.notnull(), code_over, t.list_price.notnull() & from_list.isnull()
    )
    return cents.abs(), source, out_of_range


def _at_least(price: ir.DecimalValue, qty: ir.DecimalValue, bound: int) -> ir.BooleanValue:
    product = price.cast("float64").abs() * qty.cast("float64").abs()
    return (product >= float(bound)).fill_null(False)


def require_ssp_in_range(backend: Backend, line_ssp: ir.Table, defs: Definitions) -> None:
    """Stop (exit 2) on the first deal line whose standalone selling price is out of range."""
    bad = line_ssp.filter(line_ssp.ssp_out_of_range)
    lines = backend.table("deal_line").select("line_id", *RECORD_ORDER)
    backend.stop_on_first_row(bad.join(lines, "line_id"), RECORD_ORDER, partial(_ssp_error, defs))


def _ssp_error(defs: Definitions, r: dict[str, Any]) -> None:
    qty = r["quantity"] if r["quantity"] is not None else Decimal(1)
    if r["ssp_source"] == "definitions":
        unit = defs.allocation.ssp[r["product_code"]]
        what = f"allocation.ssp {r['product_code']!r} ({unit:f}) times quantity {qty:f}"
    else:
        what = (
            f"list price {r['list_price']:f} times quantity {qty:f}, at the deal's exchange "
            f"rate {r['rate']:f},"
        )
    raise InputError(
        f"the standalone selling price of deal line {r['line_id']!r}, {what} is {OUT_OF_RANGE}",
        location=f"{r['source_file']}:{r['source_line']}",
    )


def line_values(backend: Backend, defs: Definitions) -> ir.Table:
    dv = backend.table("deal_value")
    lines = backend.table("deal_line")
    real = lines.join(dv.select("deal_id"), "deal_id").select(
        "deal_id", "line_id", "product_code", "product_line", "quantity", "list_price",
        "service_start", "service_end", weight=to_cents(lines.amount).abs(),
    )  # fmt: skip
    bare = dv.filter(~dv.deal_id.isin(lines.deal_id)).select(
        deal_id=dv.deal_id,
        line_id=dv.deal_id,
        product_code=ibis.null("string"),
        product_line=ibis.null("string"),
        quantity=ibis.null(dt.Decimal(18, 4)),
        list_price=ibis.null(dt.Decimal(18, 4)),
        service_start=ibis.null("date"),
        service_end=ibis.null("date"),
        weight=ibis.literal(1, "int64"),
    )
    all_lines = real.union(bare).join(dv.select("deal_id", "rc_cents", "rate"), "deal_id")
    own = largest_remainder(
        all_lines, group="deal_id", total="rc_cents", weight="weight", out="alloc_own"
    )
    keep = ["deal_id", "line_id", "product_line", "service_start", "service_end"]
    if defs.allocation.method == "line_amount":
        return backend.run_stage(
            "line_value",
            own.select(*keep, alloc_cents=own.alloc_own, ssp_cents=own.alloc_own,
                       ssp_source=ibis.literal("own_price")),
        )  # fmt: skip
    variable = _by_product_line(own, defs, "variable_consideration", False, dt.boolean)
    ssp, source, out_of_range = _ssp_cents(own, defs)
    # a stage of its own: the SSP weight is a large expression, and Spark inlined it
    # into every use of the weight in the exact division below (out of heap)
    t = backend.run_stage(
        "line_ssp",
        own.mutate(
            variable=variable, ssp_cents=ssp, ssp_source=source, ssp_out_of_range=out_of_range
        ),
    )
    require_ssp_in_range(backend, t, defs)
    fixed = t.filter(~t.variable)
    fixed = fixed.mutate(pool=fixed.alloc_own.sum().over(group_by=fixed.deal_id))
    fixed = largest_remainder(
        fixed, group="deal_id", total="pool", weight="ssp_cents", out="alloc_cents"
    )
    var = t.filter(t.variable).mutate(alloc_cents=t.alloc_own, ssp_source=ibis.literal("variable"))
    cols = [*keep, "alloc_cents", "ssp_cents", "ssp_source"]
    return backend.run_stage("line_value", fixed.select(*cols).union(var.select(*cols)))
