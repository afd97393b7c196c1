"""The ERP side in the reporting currency, as the ERP books it (SPEC §6).

``doc_value``: every document with its amount converted at its own exchange
rate (the ERP's base currency is taken to be the reporting currency; a document
without a rate falls back to the rates file on its date).
``revenue_value``: every recognized-revenue row converted at its source
document's rate, with the deal and chain its document belongs to. A row that a
general ledger keeps in the home (reporting) currency while its document is in
another one also gets ``doc_cents``: the row in the document's currency (home
amount ÷ the document's rate, to the cent), which the rate effect needs.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.fx import (
    MAX_CENTS,
    OUT_OF_RANGE,
    RECORD_ORDER,
    convert_in_range,
    require_in_range,
    require_rates,
    with_conversion_rate,
)
from crossfoot.engine.money import cents_to_decimal, mul_div_half_up, to_cents
from crossfoot.errors import InputError

#: rates have 8 decimals (``model.schema.RATE``): rate × 10⁸ is an exact integer
_RATE_SCALE = 10**8


def doc_values(backend: Backend, defs: Definitions) -> ir.Table:
    rc = defs.reporting.currency
    doc = with_conversion_rate(
        backend.table("document"), backend.table("fx_ranges"), own_rate="exchange_rate",
        currency="currency", on_date="date", reporting_currency=rc, name="doc_rate",
    )  # fmt: skip
    rate = doc.doc_rate
    cents = to_cents(doc.amount)
    dd = backend.table("doc_deal")
    out = doc.mutate(cents=cents, rc_cents=convert_in_range(cents, rate)).join(
        dd.select("doc_id", "root_id", "root_type", "deal_id", "method"), "doc_id"
    )
    dv = backend.run_stage(
        "doc_value",
        out.select(
            "doc_id",
            "doc_type",
            "number",
            "customer_id",
            "date",
            "currency",
            "doc_rate",
            "crm_deal_ref",
            "created_at",
            "root_id",
            "root_type",
            "deal_id",
            "method",
            "cents",
            "rc_cents",
        ),
    )
    own = backend.table("document").select(
        "doc_id", "source_file", "source_line", own_rate="exchange_rate"
    )
    require_in_range(
        backend, dv.join(own, "doc_id"), what="the document", rate="doc_rate", on_date="date",
        defs=defs, own_rate="own_rate",
    )  # fmt: skip
    return dv


def revenue_values(backend: Backend, defs: Definitions) -> ir.Table:
    rc = defs.reporting.currency
    rev = backend.table("revenue")
    dv = backend.table("doc_value").select(
        r_doc="doc_id",
        r_rate="doc_rate",
        r_root="root_id",
        r_deal="deal_id",
        r_type="doc_type",
        r_customer="customer_id",
        r_currency="currency",
    )
    j = rev.left_join(dv, rev.doc_id == dv.r_doc)
    j = with_conversion_rate(
        j, backend.table("fx_ranges"), own_rate="r_rate", currency="currency", on_date="date",
        reporting_currency=rc,
    )  # fmt: skip
    rate = j.rate
    cents = to_cents(j.amount)
    in_home = (j.currency == rc) & (j.r_currency != rc) & j.r_rate.notnull() & (j.r_rate > 0)
    scaled_rate = (j.r_rate * _RATE_SCALE).cast("int64")
    # home amount ÷ the document's rate; a rate near zero would make it absurd (and
    # overflow int64): null here, and _require_doc_cents stops the run naming the rate
    absurd = cents.abs().cast("float64") * _RATE_SCALE >= scaled_rate.cast("float64") * MAX_CENTS
    back = ibis.ifelse(absurd, ibis.null("int64"), mul_div_half_up(cents, _RATE_SCALE, scaled_rate))
    doc_cents = ibis.ifelse(in_home.fill_null(False), back, cents)
    out = backend.run_stage(
        "revenue_value",
        j.select(
            date=j.date,
            product_line=j.product_line,
            currency=j.currency,
            doc_id=j.doc_id,
            doc_type=j.r_type,
            root_id=ibis.coalesce(j.r_root, j.doc_id),
            deal_id=j.r_deal,
            customer_id=ibis.coalesce(j.customer_id, j.r_customer),
            cents=cents,
            doc_cents=doc_cents,
            rc_cents=convert_in_range(cents, rate),
            rate=rate,
            source_file=j.source_file,
            source_line=j.source_line,
        ),
    )
    require_rates(
        backend, out, what="revenue", currency=rc, hint="has no source document rate and no",
        rates_file=defs.fx_rates,
    )  # fmt: skip
    own = backend.table("doc_value").select(o_doc="doc_id", own_rate="doc_rate")
    require_in_range(
        backend, out.left_join(own, out.doc_id == own.o_doc), what="revenue", rate="rate",
        on_date="date", defs=defs, own_rate="own_rate",
    )  # fmt: skip
    _require_doc_cents(backend, out)
    return out


def _require_doc_cents(backend: Backend, out: ir.Table) -> None:
    """Stop on a home-currency revenue row whose document's rate turns it out of range."""
    bad = out.filter(out.cents.notnull() & out.doc_cents.isnull())
    docs = backend.table("document").select(
        d_doc="doc_id", d_currency="currency", d_rate="exchange_rate",
        d_file="source_file", d_line="source_line",
    )  # fmt: skip
    backend.stop_on_first_row(bad.join(docs, bad.doc_id == docs.d_doc), RECORD_ORDER, _doc_rate)


def _doc_rate(r: dict[str, Any]) -> None:
    raise InputError(
        f"the exchange rate {r['d_rate']:f} of the document turns revenue of "
        f"{cents_to_decimal(r['cents'])} {r['currency']} ({r['source_file']}:{r['source_line']}) "
        f"into {r['d_currency']} {OUT_OF_RANGE}",
        location=f"{r['d_file']}:{r['d_line']}",
    )
