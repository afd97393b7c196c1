"""Business Central API v2.0 pages -> customer, document, document_line (and invoice-line revenue).

Input: one file per OData page, exactly the response body of
``GET .../api/v2.0/companies({id})/salesInvoices`` (``{"@odata.context": ..., "value": [...],
"@odata.nextLink": ...}``), named ``salesInvoices.json`` or ``salesInvoices.1.json``,
``salesInvoices.2.json``...; likewise ``customers``, ``salesOrders`` and ``salesCreditMemos``
(https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/).

A document's lines come either ``$expand``-ed inside it (``salesInvoiceLines``...)
or as their own pages (``salesInvoiceLines.json``, with ``documentId``); both are
read. Dimension set lines (``dimensionSetLines``, nested in a line or a document
by ``$expand``, or their own pages with ``parentId``) give the product line:
``product_line: dimensionSetLines.<dimension code>`` in ``erp.fields`` (the
value's display name, else its code; a line's own dimension before its
document's).

- Line amount: ``netAmount`` (after line and invoice discounts, before tax),
  else ``amountExcludingTax``. Lines without an amount (``Comment``) are loaded,
  not revenue. Credit memo lines are revenue-negative.
- An empty ``currencyCode`` is the company's local currency: ``erp.local_currency``
  (default: the reporting currency). The API has no exchange rate: documents in
  another currency are converted with the rates file.
- ``Draft`` and ``In Review`` invoices and credit memos are documents, not revenue.
- Paging: a page with ``@odata.nextLink`` must be followed by the next page
  file; a set whose last page still has one is incomplete (InputError).
"""

from __future__ import annotations

from typing import Any, ClassVar

from crossfoot.config import ERP_MAPPABLE
from crossfoot.errors import InputError
from crossfoot.model.load import Check, lit, q
from crossfoot.model.mapping import F, ObjectSpec, SystemMap, TableMap
from crossfoot.sources import api_docs as api
from crossfoot.sources.base import LoadContext

SYSTEM = "business_central"
#: document object -> (doc_type, its lines, its date field)
DOC_OBJECTS = {
    "salesOrders": ("order", "salesOrderLines", "orderDate"),
    "salesInvoices": ("invoice", "salesInvoiceLines", "invoiceDate"),
    "salesCreditMemos": ("credit_memo", "salesCreditMemoLines", "creditMemoDate"),
}
LINE_OBJECTS = {lines: doc for doc, (_, lines, _) in DOC_OBJECTS.items()}
UNPOSTED = ("Draft", "In Review")
DIMENSIONS = "dimensionSetLines"
#: how the columns this reader adds are named in reject reasons
LABELS = {
    "_doc_id": "documentId",
    "_line_id": "id",
    "_object": "object",
    "_date": "invoiceDate/orderDate/creditMemoDate",
}
ALIASES = {
    **{d.lower(): "documents" for d in DOC_OBJECTS},
    **{ln.lower(): "lines" for ln in LINE_OBJECTS},
    "customers": "customers",
}

BUSINESS_CENTRAL = SystemMap(
    system=SYSTEM,
    objects=tuple(ObjectSpec(o, ()) for o in ("customers", "documents", "lines", DIMENSIONS)),
    relations={"lines": {"documents": ("_doc_id", "id")}},
    tables=(
        TableMap(
            "customer",
            "customers",
            (
                F("customer_id", ("customers.id",), "id", True),
                F("name", ("customers.displayName",)),
                F("domain", ("customers.website", "customers.email"), "domain"),
                F("country", ("customers.country", "customers.addressLine.countryLetterCode")),
                F("crm_account_ref", ()),
            ),
            ("customer_id",),
        ),
        TableMap(
            "document",
            "documents",
            (
                F("doc_id", ("documents.id",), "id", True),
                F("doc_type", ("documents._object",), "text", True),
                F("number", ("documents.number",)),
                F("customer_id", ("documents.customerId",), "id", True),
                F("date", ("documents._date", "documents.postingDate"), "date", True),
                F("currency", ("documents.currencyCode",), "currency"),
                F("exchange_rate", (), "rate"),
                F("crm_deal_ref", ()),
                F("status", ("documents.status",)),
                F("created_at", (), "datetime"),
                F("created_from", ("documents.orderId", "documents.invoiceId")),
            ),
            ("doc_id",),
        ),
        TableMap(
            "document_line",
            "lines",
            (
                F("doc_id", ("lines._doc_id",), "id", True),
                F("line_id", ("lines._line_id",), "id", True),
                F("item_code", ("lines.lineObjectNumber",)),
                F("product_line", ()),
                F("amount", ("lines.netAmount", "lines.amountExcludingTax"), "money"),
                F("rev_start", (), "date"),
                F("rev_end", (), "date"),
                F("fulfilled_on", ("lines.shipmentDate",), "date"),
                F("_object", ("lines._object",)),
                F("_doc", ("documents.id",)),
                F("_repeat", ("lines._repeat",)),
            ),
            ("doc_id", "line_id"),
        ),
        TableMap(
            "_dimension",
            DIMENSIONS,
            (
                F("parent_id", (f"{DIMENSIONS}.parentId",), "id", True),
                F("code", (f"{DIMENSIONS}.code",), "text", True),
                F("value", (f"{DIMENSIONS}.valueDisplayName", f"{DIMENSIONS}.valueCode")),
            ),
            ("parent_id", "code"),
        ),
    ),
)
DECLARED = {
    "customers": ("id", "displayname"),
    "documents": ("id", "_object", "number", "customerid", "_date", "currencycode", "status"),
    "lines": ("_doc_id", "_line_id", "_object", "netamount", "amountexcludingtax", "_repeat"),
    DIMENSIONS: ("parentid", "code", "valuecode"),
}
_LINE = "'line ''' || line_id || ''' of ' || _object || ' ''' || doc_id || ''''"
CHECKS = {
    "document_line": (
        Check(
            when="_doc IS NULL",
            field="documentId",
            value="doc_id",
            reason="CASE WHEN _object IS NULL THEN 'its document is not in the export' "
            "ELSE 'belongs to ' || _object || ' ''' || doc_id || ''', which is not loaded "
            "(rejected, or missing from the export)' END",
        ),
        Check(
            when="_repeat IS NOT NULL",
            field="id",
            value="line_id",
            reason="'duplicate ' || " + _LINE,
        ),
    ),
}
DUPLICATES = {"document_line": _LINE}


def _dimension_rows(items: Any, parent: str, labels: dict[str, str]) -> list[api.Flat]:
    rows = []
    for dim in api.as_list(items):
        row = api.flat(dim, labels)
        row.setdefault("parentid", parent)
        rows.append(row)
    return rows


def _line_row(
    line: dict[str, Any], doc_obj: str, doc_id: str | None, i: int, labels: dict[str, str]
) -> tuple[api.Flat, list[api.Flat]]:
    row = api.flat(line, labels)
    doc = doc_id or str(line.get("documentId") or "")
    line_id = str(line.get("id") or line.get("sequence") or f"#{i}")
    row.update({"_doc_id": doc, "_line_id": line_id, "_object": doc_obj})
    return row, _dimension_rows(line.get(DIMENSIONS), line_id, labels)


def split_document(obj: str, labels: dict[str, str]) -> api.Splitter:
    _, lines_key, date_key = DOC_OBJECTS[obj]

    def run(rec: dict[str, Any]) -> dict[str, list[api.Flat]]:
        row = api.flat(rec, labels)
        doc_id = str(rec.get("id") or "")
        date = rec.get(date_key)
        row.update({"_object": obj, "_date": None if date is None else str(date)})
        lines, dims = [], _dimension_rows(rec.get(DIMENSIONS), doc_id, labels)
        for i, line in enumerate(api.as_list(rec.get(lines_key)), start=1):
            line_row, line_dims = _line_row(line, obj, doc_id, i, labels)
            lines.append(line_row)
            dims += line_dims
        api.mark_repeats(lines)
        return {"documents": [row], "lines": lines, DIMENSIONS: dims}

    return run


def split_lines(obj: str, labels: dict[str, str]) -> api.Splitter:
    doc_obj = LINE_OBJECTS[obj]

    def run(rec: dict[str, Any]) -> dict[str, list[api.Flat]]:
        row, dims = _line_row(rec, doc_obj, None, 0, labels)
        return {"lines": [row], DIMENSIONS: dims}

    return run


def split_plain(obj: str, labels: dict[str, str]) -> api.Splitter:
    def run(rec: dict[str, Any]) -> dict[str, list[api.Flat]]:
        return {obj: [api.flat(rec, labels)]}

    return run


def _check_pages(pages: list[tuple[str, Any]]) -> None:
    for i, (rel, doc) in enumerate(pages):
        more = isinstance(doc, dict) and bool(doc.get("@odata.nextLink"))
        if i == len(pages) - 1 and more:
            raise InputError(
                "the last page has an @odata.nextLink: the next page is missing "
                "(export every page until one has no nextLink)",
                location=rel,
            )
        if i < len(pages) - 1 and not more:
            raise InputError("page has no @odata.nextLink but more pages follow", location=rel)


class BusinessCentral:
    system: ClassVar[str] = SYSTEM

    def load(self, ctx: LoadContext) -> None:
        erp = ctx.defs.erp
        api.revenue_source(ctx)
        folder = ctx.folder(erp.source, "erp.source")
        rows, labels = api.ApiRows(ctx, SYSTEM), dict(LABELS)
        splitters = {
            "customers": split_plain("customers", labels),
            **{o: split_document(o, labels) for o in DOC_OBJECTS},
            **{o: split_lines(o, labels) for o in LINE_OBJECTS},
            DIMENSIONS: split_plain(DIMENSIONS, labels),
        }
        documents = 0
        for obj, split in splitters.items():
            pages = []
            for path in api.locate_pages(ctx, folder, obj):
                rel = ctx.rel(path)
                doc, raw = api.parse_json(path, rel)
                records = api.records_of(doc, "value", rel)
                rows.add_page(obj, path, rel, raw, enumerate(records, start=1), split, labels)
                pages.append((rel, doc))
                documents += obj in DOC_OBJECTS
            if pages:
                _check_pages(pages)
        if not documents:
            raise InputError(
                "no salesInvoices.json, salesOrders.json or salesCreditMemos.json "
                "(or their pages .1.json...) in the folder",
                location=ctx.rel(folder) + "/",
            )
        rows.register(DECLARED)
        self._empty_dates(ctx)
        fields = api.translate_fields(erp.fields, ALIASES)
        dimension = None
        if (pl := fields.get("product_line", "")).lower().startswith(DIMENSIONS.lower() + "."):
            dimension = pl.partition(".")[2]
            del fields["product_line"]
        dates = "YYYY-MM-DD" if erp.date_format == "auto" else erp.date_format
        stg = ctx.stage_all(
            BUSINESS_CENTRAL, fields, ERP_MAPPABLE, "erp.fields", dates, CHECKS, DUPLICATES
        )
        product_line, joins = "l.product_line", ""
        if dimension:
            dims = f"(SELECT * FROM {q(stg['_dimension'])} WHERE upper(code) = {lit(dimension.upper())})"
            joins = (
                f"LEFT JOIN {dims} dl ON dl.parent_id = l.line_id "
                f"LEFT JOIN {dims} dd ON dd.parent_id = l.doc_id"
            )
            product_line = "coalesce(dl.value, dd.value, l.product_line)"
        sign = "CASE WHEN l._object = 'salesCreditMemos' THEN -1 ELSE 1 END"
        lines = f"""SELECT l.* REPLACE ({product_line} AS product_line, {sign} * l.amount AS amount),
                l.amount IS NOT NULL AS _revenue
            FROM {stg["document_line"]} l {joins}"""
        doc_type = " ".join(f"WHEN {lit(k)} THEN {lit(v[0])}" for k, v in DOC_OBJECTS.items())
        ctx.write("customer", f"SELECT * FROM {stg['customer']}", SYSTEM)
        docs = (
            f"(SELECT * REPLACE (CASE doc_type {doc_type} END AS doc_type, "
            f"nullif(currency, '') AS currency) FROM {stg['document']})"
        )
        api.write_documents(ctx, SYSTEM, docs, lines, "CAST(NULL AS DECIMAL(18,8))")
        api.write_revenue(ctx, SYSTEM, UNPOSTED)

    def _empty_dates(self, ctx: LoadContext) -> None:
        """Business Central writes an empty date as ``0001-01-01``: it means no date."""
        for name in ("documents", "lines"):
            raw = ctx.raw.get((SYSTEM, name))
            for col in raw.columns if raw else ():
                if raw is not None and (col.endswith("date") or col == "_date"):
                    ctx.sql(
                        f"UPDATE {q(raw.name)} SET {q(col)} = NULL WHERE {q(col)} = '0001-01-01'"
                    )
