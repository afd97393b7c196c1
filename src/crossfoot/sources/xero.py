"""Xero Accounting API pages -> customer, document, document_line (and invoice-line revenue).

Input: one file per page, exactly the response body of ``GET /api.xro/2.0/Invoices?page=N``
(``{"Invoices": [...]}``), ``CreditNotes?page=N`` (``{"CreditNotes": [...]}``) and
``Contacts?page=N`` (``{"Contacts": [...]}``), named ``Invoices.json`` or
``Invoices.1.json``, ``Invoices.2.json``... (https://developer.xero.com/documentation/api/accounting/invoices).

- ``Type``: ``ACCREC`` invoices and ``ACCRECCREDIT`` credit notes are sales
  documents; ``ACCPAY`` / ``ACCPAYCREDIT`` are bills and supplier credits:
  rejected, counted, with the reason. ``VOIDED`` and ``DELETED`` documents are
  rejected too (they never posted); ``DRAFT`` and ``SUBMITTED`` ones are loaded
  (a document that is not yet approved) but are not revenue.
- Dates are ``/Date(1518685950940+0000)/``: milliseconds since 1970 (UTC) and
  the organisation's offset; the date is the local one.
- ``LineAmountTypes``: ``Inclusive`` line amounts include tax, so revenue is
  ``LineAmount - TaxAmount``; ``Exclusive`` and ``NoTax`` amounts are revenue as
  they are. ``LineAmount`` is already after the line's discount.
- ``Tracking`` (up to two categories a line) becomes one column per category:
  ``product_line: Tracking.Product Line`` in ``erp.fields`` names the category.
- ``CurrencyRate`` is units of the document currency per unit of the
  organisation's currency, so the document's rate to the home currency is its
  inverse.

Paging: a page holds at most ``pageSize`` records (100 unless the request set
it). A last page that is full cannot tell whether more exist, so it is an
InputError: export the next page too (an empty one proves the end). When the
response has Xero's ``pagination`` object, its ``pageCount`` decides.
"""

from __future__ import annotations

from typing import Any, ClassVar

from crossfoot.config import ERP_MAPPABLE
from crossfoot.errors import InputError
from crossfoot.model.load import Check, lit, q
from crossfoot.model.mapping import F, ObjectSpec, SystemMap, TableMap
from crossfoot.sources import api_docs as api
from crossfoot.sources.base import LoadContext

SYSTEM = "xero"
DOC_OBJECTS = {"Invoices": "InvoiceID", "CreditNotes": "CreditNoteID"}
DOC_TYPES = {"ACCREC": "invoice", "ACCRECCREDIT": "credit_memo"}
BILLS = ("ACCPAY", "ACCPAYCREDIT")
NEVER_POSTED = ("VOIDED", "DELETED")
UNPOSTED = ("DRAFT", "SUBMITTED")
PAGE_SIZE = 100
#: how the columns this reader adds are named in reject reasons
LABELS = {
    "_id": "InvoiceID/CreditNoteID",
    "_number": "InvoiceNumber/CreditNoteNumber",
    "_doc_id": "InvoiceID/CreditNoteID",
    "_line_id": "LineItemID",
    "_object": "object",
}
DATE_COLUMNS = ("date", "duedate", "updateddateutc", "fullypaidondate")
ALIASES = {
    "invoices": "Invoices",
    "creditnotes": "Invoices",
    "invoice": "Invoices",
    "lineitems": "LineItems",
    "contacts": "Contacts",
}

XERO = SystemMap(
    system=SYSTEM,
    objects=tuple(ObjectSpec(o, ()) for o in ("Contacts", "Invoices", "LineItems")),
    relations={"LineItems": {"Invoices": ("_doc_id", "_id")}},
    tables=(
        TableMap(
            "customer",
            "Contacts",
            (
                F("customer_id", ("Contacts.ContactID",), "id", True),
                F("name", ("Contacts.Name",)),
                F("domain", ("Contacts.Website", "Contacts.EmailAddress"), "domain"),
                F("country", ("Contacts._country",)),
                F("crm_account_ref", ()),
            ),
            ("customer_id",),
        ),
        TableMap(
            "document",
            "Invoices",
            (
                F("doc_id", ("Invoices._id",), "id", True),
                F("doc_type", ("Invoices.Type",), "text", True),
                F("number", ("Invoices._number",)),
                F("customer_id", ("Invoices.Contact.ContactID",), "id", True),
                F("date", ("Invoices.Date", "Invoices.DateString"), "date", True),
                F("currency", ("Invoices.CurrencyCode",), "currency"),
                F("exchange_rate", ("Invoices.CurrencyRate",), "rate"),
                F("crm_deal_ref", ()),
                F("status", ("Invoices.Status",)),
                F("created_at", (), "datetime"),
                F("created_from", ()),
                F("_object", ("Invoices._object",)),
            ),
            ("doc_id",),
        ),
        TableMap(
            "document_line",
            "LineItems",
            (
                F("doc_id", ("LineItems._doc_id",), "id", True),
                F("line_id", ("LineItems._line_id",), "id", True),
                F("item_code", ("LineItems.ItemCode",)),
                F("product_line", ()),
                F("amount", ("LineItems.LineAmount",), "money", True),
                F("rev_start", (), "date"),
                F("rev_end", (), "date"),
                F("fulfilled_on", (), "date"),
                F("_tax", ("LineItems.TaxAmount",), "money"),
                F("_amount_types", ("LineItems._amount_types",)),
                F("_object", ("LineItems._object",)),
                F("_doc", ("Invoices._id",)),
                F("_repeat", ("LineItems._repeat",)),
            ),
            ("doc_id", "line_id"),
        ),
    ),
)
DECLARED = {
    "Invoices": (
        "_id",
        "_number",
        "_object",
        "type",
        "status",
        "date",
        "currencycode",
        "currencyrate",
        "contact.contactid",
    ),
    "LineItems": (
        "_doc_id",
        "_line_id",
        "_object",
        "_amount_types",
        "_repeat",
        "lineamount",
        "taxamount",
        "itemcode",
    ),
    "Contacts": ("contactid", "name", "_country"),
}

_SALES = "[" + ", ".join(lit(t) for t in DOC_TYPES) + "]"
_LINE = "'line ''' || line_id || ''' of ' || _object || ' ''' || doc_id || ''''"
CHECKS = {
    "document": (
        Check(
            when=f"list_contains([{', '.join(lit(b) for b in BILLS)}], upper(doc_type))",
            field="Type",
            value="doc_type",
            reason="'Type ''' || doc_type || ''' is a bill or supplier credit (accounts payable), "
            "not a sales document (ACCREC, ACCRECCREDIT)'",
        ),
        Check(
            when=f"NOT list_contains({_SALES}, upper(doc_type)) "
            f"AND NOT list_contains([{', '.join(lit(b) for b in BILLS)}], upper(doc_type))",
            field="Type",
            value="doc_type",
            reason="'Type ''' || doc_type || ''' is not a sales document (ACCREC, ACCRECCREDIT)'",
        ),
        Check(
            when=f"list_contains([{', '.join(lit(s) for s in NEVER_POSTED)}], upper(status))",
            field="Status",
            value="status",
            reason="'Status ''' || status || ''': the document never posted, no revenue'",
        ),
    ),
    "document_line": (
        Check(
            when="_doc IS NULL",
            field="LineItems",
            value="doc_id",
            reason="'belongs to ' || _object || ' ''' || doc_id || ''', which was rejected'",
        ),
        Check(
            when="_repeat IS NOT NULL",
            field="LineItemID",
            value="line_id",
            reason="'duplicate ' || " + _LINE,
        ),
    ),
}
DUPLICATES = {"document_line": _LINE}


def _country(rec: dict[str, Any]) -> str | None:
    for address in api.as_list(rec.get("Addresses")):
        if isinstance(address.get("Country"), str) and address["Country"].strip():
            return str(address["Country"])
    return None


def split(obj: str, rel: str, labels: dict[str, str]) -> api.Splitter:
    def run(rec: dict[str, Any]) -> dict[str, list[api.Flat]]:
        row = api.flat(rec, labels)
        if obj == "Contacts":
            row["_country"] = _country(rec)
            return {"Contacts": [row]}
        if "LineItems" not in rec:
            raise InputError(
                f"{obj} without LineItems: export them page by page ({obj}?page=1, 2...); "
                "without page= Xero leaves the lines out",
                location=rel,
            )
        doc_id = str(rec.get(DOC_OBJECTS[obj]) or "")
        number = rec.get("InvoiceNumber" if obj == "Invoices" else "CreditNoteNumber")
        row.update(
            {"_id": doc_id, "_number": None if number is None else str(number), "_object": obj}
        )
        lines = []
        for i, item in enumerate(api.as_list(rec.get("LineItems")), start=1):
            line = api.flat(item, labels)
            api.custom_fields(item, line, labels, "Tracking", "Name", lambda t: t.get("Option"))
            line.update(
                {
                    "_doc_id": doc_id,
                    "_line_id": str(item.get("LineItemID") or f"#{i}"),
                    "_object": obj,
                    "_amount_types": str(rec.get("LineAmountTypes") or ""),
                }
            )
            lines.append(line)
        api.mark_repeats(lines)
        return {"Invoices": [row], "LineItems": lines}

    return run


def _check_pages(pages: list[tuple[str, Any, int]], obj: str) -> None:
    rel, doc, n = pages[-1]
    paging = doc.get("pagination") if isinstance(doc, dict) else None
    if isinstance(paging, dict):
        page, count = paging.get("page"), paging.get("pageCount")
        if isinstance(page, str) and isinstance(count, str) and int(page) < int(count):
            raise InputError(
                f"the last page is page {page} of {count}: export the others", location=rel
            )
        size = paging.get("pageSize")
        full = int(size) if isinstance(size, str) and size.isdigit() else PAGE_SIZE
        if isinstance(count, str):
            return
    else:
        full = PAGE_SIZE
    if n >= full:
        message = (
            f"the last {obj} page is full ({n} records): Xero may have more; export the "
            f"next page too (page={len(pages) + 1}), even if it comes back empty"
        )
        raise InputError(message, location=rel)


#: /Date(1518685950940+0000)/ -> local ISO date-time with its offset (set-based, in SQL)
_MS = r"'^/Date\((-?[0-9]+)([+-][0-9]{4})?\)/$'"
MS_DATE = f"""CREATE OR REPLACE TEMP MACRO cf_ms_date(s) AS CASE
    WHEN regexp_full_match(s, {_MS}) THEN strftime(
        make_timestamp(CAST(regexp_extract(s, {_MS}, 1) AS BIGINT) * 1000)
        + to_minutes(CASE WHEN regexp_extract(s, {_MS}, 2) = '' THEN 0
            ELSE (CASE WHEN left(regexp_extract(s, {_MS}, 2), 1) = '-' THEN -1 ELSE 1 END)
                * (CAST(substr(regexp_extract(s, {_MS}, 2), 2, 2) AS INT) * 60
                   + CAST(substr(regexp_extract(s, {_MS}, 2), 4, 2) AS INT)) END),
        '%Y-%m-%dT%H:%M:%S')
        || CASE WHEN regexp_extract(s, {_MS}, 2) = '' THEN 'Z'
            ELSE substr(regexp_extract(s, {_MS}, 2), 1, 3) || ':'
                || substr(regexp_extract(s, {_MS}, 2), 4, 2) END
    ELSE s END"""


class Xero:
    system: ClassVar[str] = SYSTEM

    def load(self, ctx: LoadContext) -> None:
        erp = ctx.defs.erp
        api.revenue_source(ctx)
        folder = ctx.folder(erp.source, "erp.source")
        rows, labels = api.ApiRows(ctx, SYSTEM), dict(LABELS)
        for obj in ("Contacts", *DOC_OBJECTS):
            pages = []
            for path in api.locate_pages(ctx, folder, obj):
                rel = ctx.rel(path)
                doc, raw = api.parse_json(path, rel)
                records = api.records_of(doc, obj, rel)
                rows.add_page(
                    obj,
                    path,
                    rel,
                    raw,
                    enumerate(records, start=1),
                    split(obj, rel, labels),
                    labels,
                )
                pages.append((rel, doc, len(records)))
            if pages:
                _check_pages(pages, obj)
        if not any(o == "Invoices" and s == SYSTEM for s, o, _ in ctx.files):
            raise InputError(
                "no Invoices.json (or Invoices.1.json...) in the folder: Invoices is required",
                location=ctx.rel(folder) + "/",
            )
        rows.register(DECLARED)
        self._dates(ctx)
        fields = api.translate_fields(erp.fields, ALIASES)
        if product_line := fields.get("product_line"):
            obj, _, col = product_line.partition(".")
            if obj.lower() not in ("tracking", "lineitems"):
                raise InputError(
                    f"{product_line}: Xero keeps product lines in a tracking "
                    "category (Tracking.<category>) or a line field (LineItems.X)",
                    location="erp.fields.product_line",
                )
            column = col.lower() if obj.lower() == "lineitems" else f"tracking.{col.lower()}"
            api.require_column(
                ctx,
                ctx.raw.get((SYSTEM, "LineItems")),
                column,
                "erp.fields.product_line",
                product_line,
            )
        dates = "YYYY-MM-DD" if erp.date_format == "auto" else erp.date_format
        stg = ctx.stage_all(
            XERO,
            fields,
            ERP_MAPPABLE,
            "erp.fields",
            dates,
            CHECKS,
            DUPLICATES,
            {"document_line": api.same_record_doc(ctx, SYSTEM, "Invoices")},
        )
        doc_type = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in DOC_TYPES.items())
        amount = (
            "(l.amount - CASE WHEN lower(l._amount_types) = 'inclusive' "
            "THEN coalesce(l._tax, 0) ELSE 0 END) "
            "* CASE WHEN l._object = 'CreditNotes' THEN -1 ELSE 1 END"
        )
        lines = f"""SELECT l.* REPLACE ({amount} AS amount), true AS _revenue
            FROM {stg["document_line"]} l"""
        ctx.write("customer", f"SELECT * FROM {stg['customer']}", SYSTEM)
        docs = (
            f"(SELECT * REPLACE (CASE upper(doc_type) {doc_type} END AS doc_type) "
            f"FROM {stg['document']})"
        )
        rate = "CASE WHEN t.exchange_rate > 0 THEN round(1 / t.exchange_rate, 8) END"
        api.write_documents(ctx, SYSTEM, docs, lines, rate)
        api.write_revenue(ctx, SYSTEM, UNPOSTED)

    def _dates(self, ctx: LoadContext) -> None:
        """Xero's ``/Date(ms+hhmm)/`` as ISO text in the raw tables, before typing."""
        ctx.sql(MS_DATE)
        for name in ("Invoices", "LineItems", "Contacts"):
            raw = ctx.raw.get((SYSTEM, name))
            for col in DATE_COLUMNS if raw else ():
                if raw is not None and raw.has(col):
                    ctx.sql(
                        f"UPDATE {q(raw.name)} SET {q(col)} = cf_ms_date({q(col)}) "
                        f"WHERE starts_with({q(col)}, '/Date(')"
                    )
