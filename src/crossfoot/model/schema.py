"""Canonical tables (SPEC §3) as Ibis schemas: the contract between readers and engine.

Money is DECIMAL(18,2) in the record's own currency, with the currency beside it;
rates and unit prices keep more places. Every table keeps its provenance:
``source_system``, ``source_file`` and ``source_line`` (for CSV the physical line
where the record starts, header = line 1; for JSON pages the record's 1-based
position in the page's ``items`` / ``records`` array).
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

MONEY = dt.Decimal(18, 2)
RATE = dt.Decimal(18, 8)
QUANTITY = dt.Decimal(18, 4)

PROVENANCE = {"source_system": "string", "source_file": "string", "source_line": "int64"}


def _schema(fields: dict[str, str | dt.DataType]) -> ibis.Schema:
    return ibis.schema({**fields, **PROVENANCE})


ACCOUNT = _schema(
    {
        "account_id": "string",
        "name": "string",
        "domain": "string",
        "country": "string",
        "erp_customer_ref": "string",
    }
)

DEAL = _schema(
    {
        "deal_id": "string",
        "account_id": "string",
        "name": "string",
        "stage": "string",
        "close_date": "date",
        "amount": MONEY,
        "currency": "string",
        "owner": "string",
        "delivery_status": "string",
        "delivery_date": "date",  # a mapped CRM delivery date field, when there is one
        "erp_ref": "string",
        "last_modified": "timestamp",
    }
)

DEAL_LINE = _schema(
    {
        "line_id": "string",
        "deal_id": "string",
        "product_code": "string",
        "product_line": "string",
        "quantity": QUANTITY,
        "unit_price": QUANTITY,  # the price sold at, per unit
        "list_price": QUANTITY,  # the price book's price per unit (an SSP source)
        "amount": MONEY,
        "service_start": "date",
        "service_end": "date",
    }
)

CUSTOMER = _schema(
    {
        "customer_id": "string",
        "name": "string",
        "domain": "string",
        "country": "string",
        "crm_account_ref": "string",
    }
)

#: doc_type is order | invoice | credit_memo. ``amount`` is the revenue amount
#: (lines, before tax) signed as revenue: positive on orders and invoices,
#: negative on credit memos. ``created_from`` is the document it was created from
#: (an invoice from its order, a credit memo from its invoice).
DOCUMENT = _schema(
    {
        "doc_id": "string",
        "doc_type": "string",
        "number": "string",
        "customer_id": "string",
        "date": "date",
        "currency": "string",
        "amount": MONEY,
        "exchange_rate": RATE,
        "crm_deal_ref": "string",
        "status": "string",
        "created_at": "timestamp",
        "created_from": "string",
    }
)

#: revenue lines only (no mainline, no tax lines); amount signed as revenue.
DOCUMENT_LINE = _schema(
    {
        "doc_id": "string",
        "line_id": "string",
        "item_code": "string",
        "product_line": "string",
        "amount": MONEY,
        "rev_start": "date",
        "rev_end": "date",
        "fulfilled_on": "date",
    }
)

#: recognized revenue postings; ``date`` is the posting date (or the first day of
#: the posting period); amount in ``currency`` (the source document's), positive
#: for revenue.
REVENUE = _schema(
    {
        "date": "date",
        "amount": MONEY,
        "currency": "string",
        "customer_id": "string",
        "doc_id": "string",
        "line_id": "string",
        "product_line": "string",
    }
)

FX_RATE = _schema(
    {"date": "date", "from_currency": "string", "to_currency": "string", "rate": RATE}
)

#: one row per input row that could not be loaded, and why.
REJECTS = ibis.schema(
    {
        "source_system": "string",
        "source_file": "string",
        "source_line": "int64",
        "table": "string",
        "field": "string",
        "value": "string",
        "reason": "string",
    }
)

#: changes to a deal after its close (SPEC §4; IFRS 15.18-21): the contract's amount (deal
#: currency) and service end before and after; a null end means the term did not change
DEAL_CHANGE = _schema(
    {
        "deal_id": "string",
        "changed_on": "date",
        "amount_before": MONEY,
        "amount_after": MONEY,
        "end_before": "date",
        "end_after": "date",
    }
)

#: milestone dates (rule ``milestones``): ``side`` crm keys them by deal_id, erp by doc_id
MILESTONE_EVENT = _schema(
    {"side": "string", "record_id": "string", "event": "string", "date": "date"}
)

CANONICAL: dict[str, ibis.Schema] = {
    "account": ACCOUNT,
    "deal": DEAL,
    "deal_line": DEAL_LINE,
    "customer": CUSTOMER,
    "document": DOCUMENT,
    "document_line": DOCUMENT_LINE,
    "revenue": REVENUE,
    "fx_rate": FX_RATE,
    "milestone_event": MILESTONE_EVENT,
    "deal_change": DEAL_CHANGE,
}

DOC_TYPES = ("order", "invoice", "credit_memo")
