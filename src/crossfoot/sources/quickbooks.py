"""QuickBooks Online: query API pages (or an Airbyte JSONL export) -> customer, document, lines.

Input: one file per query page, exactly the response body of
``GET /v3/company/<realm>/query?query=select * from Invoice STARTPOSITION 1 MAXRESULTS 1000``:
``{"QueryResponse": {"Invoice": [...], "startPosition": 1, "maxResults": 2}, "time": ...}``
named ``Invoice.json`` or ``Invoice.1.json``, ``Invoice.2.json``...; likewise
``CreditMemo``, ``Customer``, ``Item``, ``Class``, ``Department``
(https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries).
A warehouse export in Airbyte's layout (``*.jsonl``, one ``{"stream", "data"}``
record a line; streams ``invoices``, ``credit_memos``, ``customers``, ``items``,
``classes``, ``departments``) is read the same way; records of other streams
are rejected with their stream named.

Lines (``Line[]``, by ``DetailType``):

- ``SalesItemLineDetail``: a revenue line (``Amount`` is before tax: QuickBooks
  keeps tax in ``TxnTaxDetail``); ``ClassRef`` is the product line (resolved to
  the class name through ``Class``), ``ServiceDate`` the fulfilment date.
- ``GroupLineDetail``: a bundle; its nested ``GroupLineDetail.Line[]`` are the
  revenue lines, the group line itself is loaded but not revenue (it would
  count the bundle twice).
- ``DiscountLineDetail``: kept as its own negative revenue line (class: its own
  ``ClassRef``, else the document's). QuickBooks books a discount as one
  posting to the discount account, so its P&L by class shows it this way; an
  allocation across the lines would invent a split QuickBooks does not have.
- ``SubTotalLineDetail`` (repeats the lines above it) and ``DescriptionOnly``
  are loaded, not revenue. Any other detail type is rejected with its name.

Credit memo lines are revenue-negative. ``Invoice``/``CreditMemo`` ids share one
sequence in a company, so they are one document table keyed by ``Id``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from crossfoot.config import ERP_MAPPABLE
from crossfoot.errors import InputError
from crossfoot.model.load import Check, lit, q
from crossfoot.model.mapping import F, ObjectSpec, SystemMap, TableMap
from crossfoot.sources import api_docs as api
from crossfoot.sources.base import LoadContext

SYSTEM = "quickbooks"
DOC_OBJECTS = {"Invoice": "invoice", "CreditMemo": "credit_memo"}
LOOKUPS = ("Customer", "Item", "Class", "Department")
STREAMS = {
    "invoices": "Invoice",
    "credit_memos": "CreditMemo",
    "customers": "Customer",
    "items": "Item",
    "classes": "Class",
    "departments": "Department",
}
REVENUE_KINDS = ("SalesItemLineDetail", "DiscountLineDetail")
LOADED_KINDS = ("SubTotalLineDetail", "DescriptionOnly", "GroupLineDetail")
#: the most a query page returns: a last page this full may have a next one
MAX_PAGE = 1000
#: how the columns this reader adds are named in reject reasons
LABELS = {"_doc_id": "Id", "_line_id": "Line.Id", "_type": "object"}
#: vendor object names in ``erp.fields`` -> the raw table holding them
ALIASES = {"invoice": "Transaction", "creditmemo": "Transaction", "line": "Line"}

QUICKBOOKS = SystemMap(
    system=SYSTEM,
    objects=tuple(ObjectSpec(o, ("Id",)) for o in (*LOOKUPS, "Transaction", "Line")),
    relations={"Line": {"Transaction": ("_doc_id", "Id"), "Item": ("ItemRef.value", "Id")}},
    tables=(
        TableMap(
            "_class",
            "Class",
            (F("id", ("Class.Id",), "id", True), F("name", ("Class.Name",))),
            ("id",),
        ),
        TableMap(
            "_department",
            "Department",
            (F("id", ("Department.Id",), "id", True), F("name", ("Department.Name",))),
            ("id",),
        ),
        TableMap(
            "_item", "Item", (F("id", ("Item.Id",), "id", True), F("name", ("Item.Name",))), ("id",)
        ),
        TableMap(
            "customer",
            "Customer",
            (
                F("customer_id", ("Customer.Id",), "id", True),
                # a sub-customer (job) is named after its job; the company is the customer
                F("name", ("Customer.CompanyName", "Customer.DisplayName")),
                F(
                    "domain",
                    ("Customer.WebAddr.URI", "Customer.PrimaryEmailAddr.Address"),
                    "domain",
                ),
                F("country", ("Customer.BillAddr.Country",)),
                F("crm_account_ref", ()),
            ),
            ("customer_id",),
        ),
        TableMap(
            "document",
            "Transaction",
            (
                F("doc_id", ("Transaction.Id",), "id", True),
                F("doc_type", ("Transaction._type",), "text", True),
                F("number", ("Transaction.DocNumber",)),
                F("customer_id", ("Transaction.CustomerRef.value",), "id", True),
                F("date", ("Transaction.TxnDate",), "date", True),
                F("currency", ("Transaction.CurrencyRef.value",), "currency"),
                F("exchange_rate", ("Transaction.ExchangeRate",), "rate"),
                F("crm_deal_ref", ()),
                F("status", ()),
                F("created_at", ("Transaction.MetaData.CreateTime",), "datetime"),
                F("created_from", ()),
            ),
            ("doc_id",),
        ),
        TableMap(
            "document_line",
            "Line",
            (
                F("doc_id", ("Line._doc_id",), "id", True),
                F("line_id", ("Line._line_id",), "id", True),
                F("item_code", ("Item.Name", "Line.ItemRef.name", "Line.ItemRef.value")),
                F("product_line", ("Line.ClassRef.value", "Transaction.ClassRef.value")),
                F("amount", ("Line.Amount",), "money"),
                F("rev_start", (), "date"),
                F("rev_end", (), "date"),
                F("fulfilled_on", ("Line.ServiceDate",), "date"),
                F("_kind", ("Line.DetailType",)),
                F("_type", ("Line._type",)),
                F("_class_name", ("Line.ClassRef.name", "Transaction.ClassRef.name")),
                F("_doc", ("Transaction.Id",)),
                F("_repeat", ("Line._repeat",)),
            ),
            ("doc_id", "line_id"),
        ),
    ),
)
DECLARED = {
    "Transaction": ("id", "_type", "docnumber", "customerref.value", "txndate"),
    "Line": ("_doc_id", "_line_id", "_type", "detailtype", "amount", "classref.value", "_repeat"),
}

LINE = "'line ''' || line_id || ''' of ' || _type || ' ''' || doc_id || ''''"
_KNOWN = "[" + ", ".join(lit(k) for k in (*REVENUE_KINDS, *LOADED_KINDS)) + "]"
CHECKS = {
    "document_line": (
        Check(
            when="_doc IS NULL",
            field="Line",
            value="doc_id",
            reason="'belongs to ' || _type || ' ''' || doc_id || ''', which was rejected'",
        ),
        Check(
            when=f"NOT list_contains({_KNOWN}, coalesce(_kind, ''))",
            field="DetailType",
            value="_kind",
            reason="'line DetailType ''' || coalesce(_kind, '') || ''' is not a sales line "
            f"(read: {', '.join((*REVENUE_KINDS, *LOADED_KINDS))})'",
        ),
        Check(
            when="_repeat IS NOT NULL",
            field="Id",
            value="line_id",
            reason="'duplicate ' || " + LINE,
        ),
    ),
}
DUPLICATES = {"document_line": LINE}


def _line_rows(
    rec: dict[str, Any], doc_id: str, obj: str, labels: dict[str, str]
) -> list[api.Flat]:
    """One row per line; a group's nested lines follow it (``_line_id`` group.n when unnamed)."""
    rows: list[api.Flat] = []

    def add(line: dict[str, Any], line_id: str) -> None:
        kind = line.get("DetailType")
        row = api.flat({k: v for k, v in line.items() if k != kind}, labels)
        detail = line.get(kind) if isinstance(kind, str) else None
        if isinstance(detail, dict):  # the detail's fields as the line's own (ClassRef.value)
            row.update(api.flat({k: v for k, v in detail.items() if k != "Line"}, labels))
        row.update({"_doc_id": doc_id, "_line_id": line_id, "_type": obj})
        rows.append(row)

    for i, line in enumerate(api.as_list(rec.get("Line")), start=1):
        line_id = str(line.get("Id") or f"#{i}")
        add(line, line_id)
        group = line.get("GroupLineDetail")
        if line.get("DetailType") == "GroupLineDetail" and isinstance(group, dict):
            for j, sub in enumerate(api.as_list(group.get("Line")), start=1):
                add(sub, str(sub.get("Id") or f"{line_id}.{j}"))
    api.mark_repeats(rows)
    return rows


def split(obj: str, labels: dict[str, str]) -> api.Splitter:
    def run(rec: dict[str, Any]) -> dict[str, list[api.Flat]]:
        row = api.flat(rec, labels)
        api.custom_fields(rec, row, labels, "CustomField", "Name", lambda f: f.get("StringValue"))
        if obj not in DOC_OBJECTS:
            return {obj: [row]}
        row["_type"] = obj
        doc_id = str(rec.get("Id") or "")
        return {"Transaction": [row], "Line": _line_rows(rec, doc_id, obj, labels)}

    return run


def _check_pages(pages: list[tuple[str, Any, int]], obj: str) -> None:
    """Each page starts where the previous ended; a last page of MAX_PAGE records may have more."""
    expected = 1
    for i, (rel, doc, n) in enumerate(pages):
        start = doc["QueryResponse"].get("startPosition")
        if isinstance(start, str) and start.isdigit() and n and int(start) != expected:
            message = (
                f"page starts at record {start}, expected {expected}: a page is missing or repeated"
            )
            raise InputError(message, location=rel)
        expected += n
        if i == len(pages) - 1 and n >= MAX_PAGE:
            message = (
                f"the last {obj} page is full ({n} records, the query API's maximum): "
                f"there may be more; export the next page (STARTPOSITION {expected}) "
                "even if it comes back empty"
            )
            raise InputError(message, location=rel)


def read_pages(rows: api.ApiRows, ctx: LoadContext, folder: Path, labels: dict[str, str]) -> bool:
    found = False
    for obj in (*LOOKUPS, *DOC_OBJECTS):
        paths = api.locate_pages(ctx, folder, obj)
        pages = []
        for path in paths:
            rel = ctx.rel(path)
            doc, raw = api.parse_json(path, rel)
            response = doc.get("QueryResponse") if isinstance(doc, dict) else None
            if not isinstance(response, dict):
                raise InputError(
                    'expected a QuickBooks query response: {"QueryResponse": {...}}',
                    location=f"{rel}:1",
                )
            records = api.records_of(response, obj, rel) if obj in response else []
            pages.append((rel, doc, len(records)))
            rows.add_page(
                obj, path, rel, raw, enumerate(records, start=1), split(obj, labels), labels
            )
            found = True
        if pages:
            _check_pages(pages, obj)
    return found


def read_airbyte(rows: api.ApiRows, ctx: LoadContext, folder: Path, labels: dict[str, str]) -> bool:
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".jsonl")
    splitters = {o: split(o, labels) for o in STREAMS.values()}
    for path in paths:
        rel = ctx.rel(path)
        records, raw = api.parse_jsonl(path, rel)

        def envelope(rec: dict[str, Any], rel: str = rel) -> dict[str, list[api.Flat]]:
            obj = STREAMS.get(str(rec.get("stream")))
            data = rec.get("data")
            if obj is None or not isinstance(data, dict):
                what = str(rec.get("stream") or "")
                rows.reject_other(
                    rel,
                    rec["_line"],
                    what,
                    f"stream '{what}' is not read (read: {', '.join(STREAMS)})",
                )
                return {}
            return splitters[obj](data)

        for no, rec in records:
            if not isinstance(rec, dict):
                raise InputError(
                    'expected an Airbyte record {"stream", "data"}', location=f"{rel}:{no}"
                )
            rec["_line"] = no
        rows.add_page("airbyte", path, rel, raw, ((n, r) for n, r in records), envelope, labels)
    return bool(paths)


def _resolve_product_line(configured: str | None) -> tuple[str, str]:
    """(joins, SQL) giving a line's product line from the staged value ``l.product_line``."""
    low = (configured or "line.classref.value").lower()
    if low.endswith("departmentref.value"):
        return "LEFT JOIN {dept} k ON k.id = l.product_line", "coalesce(k.name, l.product_line)"
    if low.endswith("classref.value"):
        return (
            "LEFT JOIN {cls} k ON k.id = l.product_line",
            "coalesce(k.name, l._class_name, l.product_line)",
        )
    return "", "l.product_line"


class QuickBooks:
    system: ClassVar[str] = SYSTEM

    def load(self, ctx: LoadContext) -> None:
        erp = ctx.defs.erp
        api.revenue_source(ctx)
        folder = ctx.folder(erp.source, "erp.source")
        rows, labels = api.ApiRows(ctx, SYSTEM), dict(LABELS)
        pages = read_pages(rows, ctx, folder, labels)
        jsonl = read_airbyte(rows, ctx, folder, labels)
        if not (pages or jsonl):
            raise InputError(
                "no Invoice.json (or Invoice.1.json...), CreditMemo.json or Airbyte "
                "*.jsonl export in the folder",
                location=ctx.rel(folder) + "/",
            )
        rows.register(DECLARED)
        fields = api.translate_fields(erp.fields, ALIASES)
        dates = "YYYY-MM-DD" if erp.date_format == "auto" else erp.date_format
        stg = ctx.stage_all(
            QUICKBOOKS,
            fields,
            ERP_MAPPABLE,
            "erp.fields",
            dates,
            CHECKS,
            DUPLICATES,
            {"document_line": api.same_record_doc(ctx, SYSTEM, "Transaction")},
        )
        doc_type = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in DOC_OBJECTS.items())
        join, product_line = _resolve_product_line(fields.get("product_line"))
        join = join.format(dept=q(stg["_department"]), cls=q(stg["_class"]))
        sign = (
            "CASE WHEN l._kind = 'DiscountLineDetail' THEN -1 ELSE 1 END * "
            "CASE WHEN l._type = 'CreditMemo' THEN -1 ELSE 1 END"
        )
        lines = f"""SELECT l.* REPLACE ({product_line} AS product_line, {sign} * l.amount AS amount),
                list_contains({_revenue_kinds()}, l._kind) AND l.amount IS NOT NULL AS _revenue
            FROM {stg["document_line"]} l {join}"""
        ctx.write("customer", f"SELECT * FROM {stg['customer']}", SYSTEM)
        docs = (
            f"(SELECT * REPLACE (CASE doc_type {doc_type} END AS doc_type) FROM {stg['document']})"
        )
        api.write_documents(ctx, SYSTEM, docs, lines, "t.exchange_rate")
        api.write_revenue(ctx, SYSTEM)


def _revenue_kinds() -> str:
    return "[" + ", ".join(lit(k) for k in REVENUE_KINDS) + "]"
