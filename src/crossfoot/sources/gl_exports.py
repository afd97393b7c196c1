"""``erp.revenue: gl`` read from the ERP's own general-ledger export, in the ``erp.source``
folder next to its documents (QuickBooks Online, Xero, Business Central).

Each of these ledgers keeps its entries in the company's **home currency**
(``erp.local_currency``), so every revenue row is in it. A row is a posting to an
**income account**; the other postings of the export (receivables, deferred
revenue, tax) are loaded and are not revenue. A posting is tied to the document it
was booked against by the document's id where the export names it, else by the
document number in its reference (give a deferral or accrual journal the number of
the invoice it releases); one that names none stays revenue without a document.

- Business Central, API v2.0 ``generalLedgerEntries`` pages
  (``$expand=dimensionSetLines``) with the ``accounts`` pages: an income account has
  ``category`` Income; revenue is ``creditAmount − debitAmount``; the document is the
  entry's ``documentNumber`` (an invoice's or credit memo's by ``documentType``);
  the product line is the entry's dimension named in ``erp.fields.product_line``
  (https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_generalledgerentry).
- Xero, Accounting API ``Journals`` pages: a line of an account whose
  ``AccountType`` is REVENUE or SALES; revenue is ``−NetAmount`` (debits are
  positive); a journal from an invoice or credit note (``SourceType`` ACCREC /
  ACCRECCREDIT) is tied to it by ``SourceID``, a manual journal by the document
  number in the line's ``Description``, else the journal's ``Reference``; the
  product line is the line's tracking option
  (https://developer.xero.com/documentation/api/accounting/journals).
- QuickBooks Online, the ``GeneralLedger`` report (Reports API, JSON) with the
  ``Account`` query pages: a data row under an account whose ``AccountType`` is
  Income; revenue is ``subt_nat_home_amount`` (else ``subt_nat_amount``: income is
  credit-positive in the report), else ``credit − debit``; an Invoice or Credit Memo
  row is tied to it by the transaction id, any other (a Journal Entry) by its
  ``doc_num``; the product line is ``klass_name`` (``dept_name`` when the product
  line is the location)
  (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/generalledger).

Lineage: ``source_line`` is the entry's (journal's, report data row's) 1-based
position in its page; a page's rows read are the postings taken from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossfoot.errors import InputError
from crossfoot.model.load import lit, q
from crossfoot.model.mapping import F, ObjectSpec, SystemMap, TableMap
from crossfoot.sources import api_docs as api
from crossfoot.sources.base import LoadContext

POSTINGS = "_gl"
ACCOUNTS = "_glaccounts"
#: columns every posting row carries (some empty)
POSTING_COLUMNS = ("_date", "_credit", "_debit", "_account", "_account_type", "_doc_id",
                   "_doc_type", "_number", "_alt_number", "_ref", "_product_line",
                   "_customer", "_kind", "_key")  # fmt: skip
LABELS = {
    "_date": "date", "_credit": "credit", "_debit": "debit", "_account": "account",
    "_account_type": "account type", "_doc_id": "document id", "_number": "document number",
    "_key": "entry id",
}  # fmt: skip
XERO_INCOME = ("REVENUE", "SALES")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


Records = Callable[[Any, str], Iterator[tuple[int, dict[str, Any]]]]


@dataclass(frozen=True)
class Export:
    """One ledger's GL export: its pages, how a record splits into postings, and the SQL
    telling an income account (on the staged posting ``g`` and its account ``a``)."""

    stem: str  # file stem in the source folder
    records: Records
    split: Callable[[dict[str, Any]], list[api.Flat]]
    income: str
    page_size: int | None = None  # a last page this full may have a next one
    #: checks a page set is whole: [(file, page)]
    whole: Callable[[list[tuple[str, Any]]], None] | None = None
    #: the chart of accounts, where the postings do not say an account's type
    accounts: tuple[str, Records, Callable[[dict[str, Any]], api.Flat]] | None = None


# ------------------------------------------------------------ Business Central

_BC_TYPES = {"invoice": "invoice", "credit memo": "credit_memo", "credit_x0020_memo": "credit_memo"}


def _odata(doc: Any, rel: str) -> Iterator[tuple[int, dict[str, Any]]]:
    return enumerate(api.records_of(doc, "value", rel), start=1)


def _bc_entry(rec: dict[str, Any], dimension: str | None) -> list[api.Flat]:
    product_line = None
    for dim in api.as_list(rec.get("dimensionSetLines")):
        if dimension and str(dim.get("code") or "").upper() == dimension.upper():
            product_line = _text(dim.get("valueDisplayName")) or _text(dim.get("valueCode"))
    number = _text(rec.get("documentNumber"))
    entry = _text(rec.get("entryNumber"))
    return [{
        "_date": _text(rec.get("postingDate")), "_credit": _text(rec.get("creditAmount")),
        "_debit": _text(rec.get("debitAmount")), "_account": _text(rec.get("accountNumber")),
        "_number": number, "_doc_type": _BC_TYPES.get(str(rec.get("documentType") or "").lower()),
        "_ref": number or (f"G/L entry {entry}" if entry else None),
        "_product_line": product_line, "_key": _text(rec.get("id")) or entry,
    }]  # fmt: skip


def _bc_account(rec: dict[str, Any]) -> api.Flat:
    return {"_account": _text(rec.get("number")), "_account_type": _text(rec.get("category"))}


# ------------------------------------------------------------ Xero


def _xero_journals(doc: Any, rel: str) -> Iterator[tuple[int, dict[str, Any]]]:
    return enumerate(api.records_of(doc, "Journals", rel), start=1)


def _xero_journal(rec: dict[str, Any], category: str | None) -> list[api.Flat]:
    source = str(rec.get("SourceType") or "").upper()
    doc_type = {"ACCREC": "invoice", "ACCRECCREDIT": "credit_memo"}.get(source)
    source_id = _text(rec.get("SourceID"))
    rows = []
    for line in api.as_list(rec.get("JournalLines")):
        option = None
        for t in api.as_list(line.get("TrackingCategories")):
            if category and str(t.get("Name") or "").strip().lower() == category.lower():
                option = _text(t.get("Option"))
        rows.append({
            "_date": _text(rec.get("JournalDate")), "_debit": _text(line.get("NetAmount")),
            "_account": _text(line.get("AccountCode")),
            "_account_type": _text(line.get("AccountType")),
            "_doc_id": source_id if doc_type else None, "_doc_type": doc_type,
            "_number": None if doc_type else _text(line.get("Description")),
            "_alt_number": None if doc_type else _text(rec.get("Reference")),
            "_ref": source_id or _text(rec.get("JournalID")), "_product_line": option,
            "_key": _text(line.get("JournalLineID")),
        })  # fmt: skip
    return rows


# ------------------------------------------------------------ QuickBooks Online

_QBO_DOCS = {"invoice": "invoice", "credit memo": "credit_memo"}


def _qbo_report(doc: Any, rel: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The report's data rows in order, each as {column key: cell} plus its account."""
    if not isinstance(doc, dict) or not isinstance(doc.get("Header"), dict):
        raise InputError('expected a QuickBooks report: {"Header", "Columns", "Rows"}',
                         location=f"{rel}:1")  # fmt: skip
    columns = []
    for col in api.as_list((doc.get("Columns") or {}).get("Column")):
        keys = [
            m.get("Value") for m in api.as_list(col.get("MetaData")) if m.get("Name") == "ColKey"
        ]
        columns.append(str(keys[0] if keys else col.get("ColType") or col.get("ColTitle") or ""))
    start = _text(doc["Header"].get("StartPeriod"))
    out: list[tuple[int, dict[str, Any]]] = []

    def walk(rows: Any, account: str | None) -> None:
        for row in api.as_list((rows or {}).get("Row") if isinstance(rows, dict) else None):
            header = row.get("Header")
            cells = api.as_list(header.get("ColData") if isinstance(header, dict) else None)
            section = _text(cells[0].get("id")) if cells else None
            if isinstance(row.get("Rows"), dict):
                walk(row["Rows"], section or account)
            data = api.as_list(row.get("ColData"))
            if data:
                rec: dict[str, Any] = dict(zip(columns, data, strict=False))
                rec["_section_account"] = account
                rec["_start"] = start
                out.append((len(out) + 1, rec))

    walk(doc.get("Rows"), None)
    return iter(out)


def _cell(rec: dict[str, Any], key: str, part: str = "value") -> str | None:
    cell = rec.get(key)
    return _text(cell.get(part)) if isinstance(cell, dict) else None


def _qbo_row(rec: dict[str, Any], product_column: str | None) -> list[api.Flat]:
    txn = (_cell(rec, "txn_type") or "").lower()
    date = _cell(rec, "tx_date")
    balance = txn == "" and (date is None or not date[:1].isdigit())  # "Beginning Balance"
    doc_type = _QBO_DOCS.get(txn)
    credit = _cell(rec, "subt_nat_home_amount") or _cell(rec, "subt_nat_amount")
    debit = None
    if credit is None:
        credit = _cell(rec, "credit_home_amt") or _cell(rec, "credit_amt")
        debit = _cell(rec, "debt_home_amt") or _cell(rec, "debt_amt")
    return [{
        "_date": rec["_start"] if balance else date, "_credit": credit, "_debit": debit,
        "_account": _cell(rec, "account_name", "id") or rec["_section_account"],
        "_doc_id": _cell(rec, "txn_type", "id") if doc_type else None, "_doc_type": doc_type,
        "_number": None if doc_type else _cell(rec, "doc_num"),
        "_ref": _cell(rec, "txn_type", "id") or _cell(rec, "doc_num"),
        "_product_line": _cell(rec, product_column) if product_column else None,
        "_customer": _cell(rec, "name", "id"), "_kind": "balance" if balance else None,
    }]  # fmt: skip


def _qbo_account(rec: dict[str, Any]) -> api.Flat:
    return {"_account": _text(rec.get("Id")), "_account_type": _text(rec.get("AccountType"))}


def _qbo_accounts(doc: Any, rel: str) -> Iterator[tuple[int, dict[str, Any]]]:
    response = doc.get("QueryResponse") if isinstance(doc, dict) else None
    if not isinstance(response, dict):
        raise InputError('expected a QuickBooks query response: {"QueryResponse": {...}}',
                         location=f"{rel}:1")  # fmt: skip
    records = api.records_of(response, "Account", rel) if "Account" in response else []
    return enumerate(records, start=1)


# ------------------------------------------------------------ reading


def _export(ctx: LoadContext, system: str) -> Export:
    configured = ctx.defs.erp.fields.get("product_line", "")
    obj, _, column = configured.partition(".")
    if system == "business_central":
        dim = column if obj.lower() == "dimensionsetlines" else None
        from crossfoot.sources.business_central import _check_pages

        return Export("generalLedgerEntries", _odata, lambda r: _bc_entry(r, dim),
                      "lower(a.account_type) = 'income'", whole=_check_pages,
                      accounts=("accounts", _odata, _bc_account))  # fmt: skip
    if system == "xero":
        cat = column if obj.lower() == "tracking" else None
        income = "upper(g.account_type) IN (" + ", ".join(lit(t) for t in XERO_INCOME) + ")"
        return Export("Journals", _xero_journals, lambda r: _xero_journal(r, cat), income,
                      page_size=100)  # fmt: skip
    if system == "quickbooks":
        col = "dept_name" if "departmentref" in configured.lower() else "klass_name"
        return Export("GeneralLedger", _qbo_report, lambda r: _qbo_row(r, col),
                      "lower(a.account_type) = 'income'",
                      accounts=("Account", _qbo_accounts, _qbo_account))  # fmt: skip
    raise InputError(f"erp.revenue: gl reads no GL export of {system}", location="erp.revenue")


def _read(ctx: LoadContext, rows: api.ApiRows, folder: Path, stem: str, records: Records,
          split: api.Splitter, export: Export | None = None) -> list[Path]:  # fmt: skip
    paths = api.locate_pages(ctx, folder, stem)
    pages = []
    for i, path in enumerate(paths):
        rel = ctx.rel(path)
        doc, raw = api.parse_json(path, rel)
        found = list(records(doc, rel))
        rows.add_page(stem, path, rel, raw, found, split, LABELS)
        pages.append((rel, doc))
        size = export.page_size if export else None
        if size and i == len(paths) - 1 and len(found) >= size:
            raise InputError(
                f"the last {stem} page is full ({len(found)} records): there may be more; "
                "export the next page too, even if it comes back empty",
                location=rel,
            )
    if export and export.whole and pages:
        export.whole(pages)
    return paths


def _map(system: str, with_accounts: bool) -> SystemMap:
    p = POSTINGS
    postings = TableMap("_glx", p, (
        F("date", (f"{p}._date",), "date", True), F("credit", (f"{p}._credit",), "money"),
        F("debit", (f"{p}._debit",), "money"), F("account", (f"{p}._account",)),
        F("account_type", (f"{p}._account_type",)), F("doc_id", (f"{p}._doc_id",), "id"),
        F("doc_type", (f"{p}._doc_type",)), F("number", (f"{p}._number",)),
        F("alt_number", (f"{p}._alt_number",)), F("ref", (f"{p}._ref",)),
        F("product_line", (f"{p}._product_line",)), F("customer_id", (f"{p}._customer",), "id"),
        F("kind", (f"{p}._kind",)), F("key", (f"{p}._key",)),
    ), ("key",))  # fmt: skip
    tables = [postings]
    objects = [ObjectSpec(p, ())]
    if with_accounts:
        a = ACCOUNTS
        tables.insert(0, TableMap("_glacct", a, (
            F("account", (f"{a}._account",), "text", True), F("account_type", (f"{a}._account_type",)),
        ), ("account",)))  # fmt: skip
        objects.append(ObjectSpec(a, ()))
    return SystemMap(system=system, objects=tuple(objects), relations={}, tables=tuple(tables))


def write_revenue_from_export(ctx: LoadContext, system: str) -> None:
    """The ``revenue`` table from the ledger's GL export in the ``erp.source`` folder."""
    erp = ctx.defs.erp
    export = _export(ctx, system)
    folder = ctx.folder(erp.source, "erp.source")
    rows = api.ApiRows(ctx, system)
    split = export.split
    if not _read(ctx, rows, folder, export.stem, export.records,
                 lambda r: {POSTINGS: split(r)}, export):  # fmt: skip
        raise InputError(
            f"erp.revenue is gl: no {export.stem}.json (or {export.stem}.1.json...) in the "
            f"folder: export the general ledger (docs/systems/{system}.md)",
            location=ctx.rel(folder) + "/",
        )
    if export.accounts:
        stem, records, account = export.accounts
        if not _read(ctx, rows, folder, stem, records, lambda r: {ACCOUNTS: [account(r)]}):
            raise InputError(
                f"erp.revenue is gl: no {stem}.json in the folder: the chart of accounts "
                "tells which postings are to income accounts",
                location=ctx.rel(folder) + "/",
            )
    rows.register({POSTINGS: POSTING_COLUMNS, ACCOUNTS: ("_account", "_account_type")})
    if (system, POSTINGS) not in ctx.raw:
        return  # pages without postings: no revenue
    if export.accounts and (system, ACCOUNTS) not in ctx.raw:
        raise InputError(f"{export.accounts[0]} holds no accounts: export the chart of accounts",
                         location=ctx.rel(folder) + "/")  # fmt: skip
    if system == "xero":
        from crossfoot.sources.xero import MS_DATE

        ctx.sql(MS_DATE)
        raw = ctx.raw[(system, POSTINGS)].name
        ctx.sql(f"UPDATE {q(raw)} SET _date = cf_ms_date(_date) WHERE starts_with(_date, '/Date(')")
    dates = "YYYY-MM-DD" if erp.date_format == "auto" else erp.date_format
    smap = _map(system, export.accounts is not None)
    stg = ctx.stage_all(smap, {}, {}, "erp.revenue", dates, {})
    accounts = (f"LEFT JOIN {q(stg['_glacct'])} a ON a.account = g.account"
                if "_glacct" in stg else "")  # fmt: skip
    if export.accounts:
        _require_accounts(ctx, stg["_glx"], stg["_glacct"], export.accounts[0])
    home = lit(api.local_currency(ctx))
    typed = "(SELECT number, doc_type, min(doc_id) AS doc_id FROM document " \
            "WHERE number IS NOT NULL GROUP BY ALL)"  # fmt: skip
    untyped = "(SELECT number, min(doc_id) AS doc_id FROM document " \
              "WHERE number IS NOT NULL GROUP BY ALL)"  # fmt: skip
    ctx.write(
        "revenue",
        f"""SELECT g.date, coalesce(g.credit, 0) - coalesce(g.debit, 0) AS amount,
                {home} AS currency, coalesce(g.customer_id, d.customer_id) AS customer_id,
                coalesce(d.doc_id, g.ref) AS doc_id, CAST(NULL AS VARCHAR) AS line_id,
                g.product_line, g.source_file, g.source_line
        FROM (SELECT g.*, coalesce(g.doc_id, nt.doc_id, nu.doc_id, na.doc_id) AS _doc
              FROM {q(stg["_glx"])} g {accounts}
              LEFT JOIN {typed} nt ON nt.number = g.number AND nt.doc_type = g.doc_type
              LEFT JOIN {untyped} nu ON nu.number = g.number AND g.doc_type IS NULL
              LEFT JOIN {untyped} na ON na.number = g.alt_number
              WHERE g.kind IS NULL AND ({export.income})) g
        LEFT JOIN document d ON d.doc_id = g._doc""",
        system,
    )


def _require_accounts(ctx: LoadContext, postings: str, accounts: str, stem: str) -> None:
    """Every posting's account must be in the chart, else income cannot be told."""
    missing = ctx.sql(
        f"SELECT g.account, g.source_file, g.source_line FROM {q(postings)} g "
        f"ANTI JOIN {q(accounts)} a ON a.account = g.account "
        "WHERE g.account IS NOT NULL ORDER BY g.source_file, g.source_line LIMIT 1"
    ).fetchone()
    if missing:
        account, rel, line = missing
        raise InputError(
            f"account {account} is not in the chart of accounts ({stem}.json): export all "
            "of it (it tells which postings are to income accounts)",
            location=f"{rel}:{line}",
        )
