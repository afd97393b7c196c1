"""The demo company's recognized revenue as general-ledger postings, for the ERPs without
revenue schedules (QuickBooks Online, Xero, Business Central).

NetSuite's revenue rows (``Ledger.revenue``: one per order line and month, and the
credit memos' reversals) become postings to the income accounts, exactly as many and
for exactly the same money: what NetSuite recognizes on an order, these ledgers
recognize in the same month, through the deferral (or accrual) journals their
accountants post. The differences are the ledgers', not the company's:

* a posting is in the **home currency** (USD): every GL of these three keeps its
  entries in the home currency, converted at the document's rate (NetSuite converts
  its revenue rows at the order's rate too, so every posting is the same cents);
* a posting names the **document it is booked against**: the invoice that billed the
  order line by the posting's month (else the order's first invoice: the deferral
  schedule starts with the service, before the bill), a credit memo its own number;
  an order not billed at all is accrued by a journal naming the order (Business
  Central) or, where the ERP has no orders (QuickBooks, Xero), its stand-in invoice
  (the duplicate a sync that ran twice wrote) or else no document at all: a journal
  naming only the customer (goods not shipped by the as-of date, whose services and
  support were recognized on schedule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossfoot.demo import schedule_oracle as oracle
from crossfoot.demo.records import Customer, Revenue, Txn, TxnLine

#: the income accounts of the demo's chart: (number, name)
INCOME_ACCOUNTS = {
    "Subscription": ("4000", "Subscription Revenue"),
    "Support": ("4100", "Support Revenue"),
    "Hardware": ("4200", "Hardware Sales"),
    "Services": ("4300", "Services Revenue"),
    "Data Add-on": ("4400", "Data Revenue"),
}
#: where a line without a product line posts
OTHER_INCOME_ACCOUNT = ("4900", "Sales - Other")
#: the balance-sheet accounts on the other side of the postings
RECEIVABLE_ACCOUNT = ("1200", "Accounts Receivable")
DEFERRED_ACCOUNT = ("2400", "Deferred Revenue")


def income_account(line: TxnLine) -> tuple[str, str]:
    return INCOME_ACCOUNTS.get(line.product_line or "", OTHER_INCOME_ACCOUNT)


@dataclass(frozen=True, slots=True)
class Posting:
    """One credit (or, reversed, debit) to an income account."""

    on: date  # the document's date when it is its own posting, else the month's first day
    home: Decimal  # revenue-signed, in the home currency (a credit is positive)
    doc: Txn | None  # the invoice, credit memo or (unbilled) order it is booked against
    line: TxnLine  # the source line (its item and product line)
    customer: Customer
    own: bool  # posted by the invoice or credit memo itself (else by a journal)


def postings(
    revenue: list[Revenue],
    transactions: list[Txn],
    *,
    has_orders: bool,
    stand_ins: Mapping[int, Txn],
) -> list[Posting]:
    """The income-account postings of ``revenue`` (NetSuite's rows), in date order.

    ``stand_ins`` maps ``id(order)`` to the invoice that stands for an order never billed
    in an ERP without orders (``invoice_only.adapt``).
    """
    copies = {id(t) for t in stand_ins.values()}
    billed: dict[int, list[Txn]] = {}
    for t in transactions:
        if t.type == "CustInvc" and t.created_from is not None and id(t) not in copies:
            billed.setdefault(id(t.created_from), []).append(t)
    for invoices in billed.values():
        invoices.sort(key=lambda t: (t.trandate, t.seq))
    out: list[Posting] = []
    for r in sorted(revenue, key=lambda r: (r.month, r.txn.seq, r.line.id)):
        doc = _booked_against(r, billed.get(id(r.txn), []), has_orders, stand_ins)
        own = (
            doc is not None
            and doc.type != "SalesOrd"
            and oracle.month_start(doc.trandate) == r.month
        )
        on = doc.trandate if own and doc is not None else r.month
        home = oracle.round_cent(r.amount * r.txn.rate)
        out.append(Posting(on, home, doc, r.line, r.txn.customer, own))
    return out


def _booked_against(
    r: Revenue, invoices: list[Txn], has_orders: bool, stand_ins: Mapping[int, Txn]
) -> Txn | None:
    if r.txn.type != "SalesOrd":
        return r.txn
    if invoices:
        until = oracle.month_end(r.month)
        billed = [t for t in invoices if t.trandate <= until]
        return billed[-1] if billed else invoices[0]
    if has_orders:
        return r.txn
    return stand_ins.get(id(r.txn))


# ------------------------------------------------------------ the ledgers' exports

_GUID = "00000000-0000-4000-8000-{:012d}"
_CHART = [RECEIVABLE_ACCOUNT, DEFERRED_ACCOUNT, *INCOME_ACCOUNTS.values(), OTHER_INCOME_ACCOUNT]


def _is_income(account: tuple[str, str]) -> bool:
    return account[0].startswith("4")


def _kind(doc: Txn | None) -> str:
    return {"CustInvc": "invoice", "CustCred": "credit_memo"}.get(doc.type if doc else "", "")


def _journals(posts: list[Posting]) -> list[tuple[Posting, list[Posting]]]:
    """Postings grouped as their ledger posts them: a document's own postings together,
    and one journal per document (or customer) and date for the rest."""
    groups: dict[tuple[int, date, bool], list[Posting]] = {}
    for p in posts:
        key = (id(p.doc) if p.doc is not None else -id(p.customer), p.on, p.own)
        groups.setdefault(key, []).append(p)
    return [(g[0], g) for g in groups.values()]


def write_business_central_gl(folder: Path, posts: list[Posting]) -> dict[str, int]:
    """``accounts`` and ``generalLedgerEntries`` API v2.0 pages (``$expand=dimensionSetLines``):
    each posting and its deferred-revenue side, in the home currency."""
    from crossfoot.demo.erp_writers import DIMENSION, _pages
    from crossfoot.demo.erp_writers import bc_page as wrap

    ids = {number: _GUID.format(i) for i, (number, _) in enumerate(_CHART, start=1)}
    categories = {"1": "Assets", "2": "Liabilities", "4": "Income"}
    accounts = [{"id": ids[n], "number": n, "displayName": name, "category": categories[n[0]],
                 "blocked": False, "accountType": "Posting", "directPosting": True}
                for n, name in _CHART]  # fmt: skip
    doc_types = {"invoice": "Invoice", "credit_memo": "Credit_x0020_Memo"}
    entries: list[dict[str, Any]] = []

    def entry(p: Posting, account: tuple[str, str], amount: Decimal) -> dict[str, Any]:
        n = len(entries) + 1
        doc = p.doc
        dims = []
        if _is_income(account) and p.line.product_line:
            dims = [{"id": _GUID.format(10**6 + n), "code": DIMENSION, "parentId": _GUID.format(n),
                     "valueCode": p.line.product_line.upper(),
                     "valueDisplayName": p.line.product_line}]  # fmt: skip
        item = p.line.item.code if p.line.item else "line"
        return {"id": _GUID.format(n), "entryNumber": n, "postingDate": p.on.isoformat(),
                "documentNumber": doc.tranid if doc else "",
                "documentType": doc_types.get(_kind(doc), " "),
                "accountId": ids[account[0]], "accountNumber": account[0],
                "description": f"{doc.tranid if doc else 'Accrual'} {item}"[:100],
                "debitAmount": max(-amount, Decimal("0.00")),
                "creditAmount": max(amount, Decimal("0.00")),
                "dimensionSetLines": dims}  # fmt: skip

    for p in posts:
        entries.append(entry(p, income_account(p.line), p.home))
        entries.append(entry(p, RECEIVABLE_ACCOUNT if p.own else DEFERRED_ACCOUNT, -p.home))
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "business_central/accounts": _pages(folder, "accounts", accounts, 1000, wrap("accounts"),
                                            empty_after_full=False),
        "business_central/generalLedgerEntries": _pages(
            folder, "generalLedgerEntries", entries, 1000, wrap("generalLedgerEntries"),
            empty_after_full=False),
    }  # fmt: skip


def write_xero_journals(folder: Path, posts: list[Posting]) -> dict[str, int]:
    """``Journals`` pages: an invoice's or credit note's own journal (ACCREC, ACCRECCREDIT),
    else a manual journal whose lines name the document number."""
    from crossfoot.demo.erp_writers import _ms_date, _pages

    journals = []
    for n, (first, group) in enumerate(_journals(posts), start=1):
        doc = first.doc
        source = {"invoice": "ACCREC", "credit_memo": "ACCRECCREDIT"}.get(_kind(doc))
        own = first.own and source is not None
        lines = []
        for i, p in enumerate(group, start=1):
            code, name = income_account(p.line)
            tracking = ([{"Name": "Product Line", "Option": p.line.product_line}]
                        if p.line.product_line else [])  # fmt: skip
            lines.append({"JournalLineID": _GUID.format(n * 100 + i), "AccountID": _GUID.format(int(code)),
                          "AccountCode": code, "AccountType": "REVENUE", "AccountName": name,
                          "Description": (p.line.item.name if p.line.item else "") if own
                          else (doc.tranid if doc else "Accrued revenue"),
                          "NetAmount": -p.home, "GrossAmount": -p.home,
                          "TaxAmount": Decimal("0.00"), "TrackingCategories": tracking})  # fmt: skip
        other = RECEIVABLE_ACCOUNT if own else DEFERRED_ACCOUNT
        total = sum((p.home for p in group), Decimal(0))
        lines.append({"JournalLineID": _GUID.format(n * 100), "AccountID": _GUID.format(int(other[0])),
                      "AccountCode": other[0], "AccountType": "CURRENT" if own else "CURRLIAB",
                      "AccountName": other[1], "Description": "", "NetAmount": total,
                      "GrossAmount": total, "TaxAmount": Decimal("0.00"),
                      "TrackingCategories": []})  # fmt: skip
        journals.append({"JournalID": _GUID.format(n), "JournalDate": _ms_date(first.on),
                         "JournalNumber": n, "CreatedDateUTC": _ms_date(first.on),
                         "Reference": (doc.opportunity or "") if own and doc else "Revenue recognition",
                         "SourceID": doc.ref if own and doc else _GUID.format(5 * 10**7 + n),
                         "SourceType": source if own else "MANJOURNAL",
                         "JournalLines": lines})  # fmt: skip

    def wrap(chunk: list[Any], _start: int, _more: bool) -> Any:
        return {"Id": "demo", "Status": "OK", "ProviderName": "crossfoot demo", "Journals": chunk}

    folder.mkdir(parents=True, exist_ok=True)
    return {"xero/Journals": _pages(folder, "Journals", journals, 100, wrap, empty_after_full=True)}


def write_quickbooks_gl(folder: Path, posts: list[Posting]) -> dict[str, int]:
    """The ``GeneralLedger`` report (Reports API JSON) of the income and deferred-revenue
    accounts, and the ``Account`` query page."""
    from crossfoot.demo.erp_writers import _dumps
    from crossfoot.demo.writers import CLASS_IDS

    ids = {number: str(30 + i) for i, (number, _) in enumerate(_CHART, start=1)}
    types = {"1": ("Accounts Receivable", "Asset"), "2": ("Other Current Liability", "Liability"),
             "4": ("Income", "Revenue")}  # fmt: skip
    accounts = [{"Id": ids[n], "Name": name, "AcctNum": n, "AccountType": types[n[0]][0],
                 "Classification": types[n[0]][1], "Active": True} for n, name in _CHART]  # fmt: skip
    columns = (("Date", "tx_date", "Date"), ("Transaction Type", "txn_type", "String"),
               ("Num", "doc_num", "String"), ("Name", "name", "String"),
               ("Memo/Description", "memo", "String"), ("Class", "klass_name", "String"),
               ("Amount", "subt_nat_home_amount", "Money"))  # fmt: skip
    by_account: dict[str, list[list[dict[str, str]]]] = {n: [] for n, _ in _CHART}
    for j, (first, group) in enumerate(_journals(posts), start=1):
        doc, own = first.doc, first.own
        kind = {"invoice": "Invoice", "credit_memo": "Credit Memo"}.get(_kind(doc)) if own else None
        txn = {"value": kind or "Journal Entry", "id": doc.ref if kind and doc else str(90000 + j)}
        number = doc.tranid if doc else f"ACCR-{j}"
        for p in group:
            pl = p.line.product_line
            by_account[income_account(p.line)[0]].append([
                {"value": p.on.isoformat()}, txn, {"value": number},
                {"value": p.customer.name, "id": str(p.customer.ns_id)},
                {"value": p.line.item.name if p.line.item else ""},
                {"value": pl, "id": CLASS_IDS[pl]} if pl else {"value": ""},
                {"value": f"{p.home:.2f}"},
            ])  # fmt: skip
        if not own:  # the journal's other side: the deferred (or accrued) revenue
            total = sum((p.home for p in group), Decimal(0))
            by_account[DEFERRED_ACCOUNT[0]].append([
                {"value": first.on.isoformat()}, txn, {"value": number},
                {"value": first.customer.name, "id": str(first.customer.ns_id)},
                {"value": "Revenue recognition"}, {"value": ""}, {"value": f"{-total:.2f}"},
            ])  # fmt: skip
    sections = []
    for n, name in _CHART:
        rows = by_account[n]
        if not rows:
            continue
        total = sum((Decimal(r[-1]["value"]) for r in rows), Decimal(0))
        blank = [{"value": ""}] * (len(columns) - 1)
        sections.append({
            "Header": {"ColData": [{"value": f"{n} {name}", "id": ids[n]}, *blank]},
            "Rows": {"Row": [{"ColData": r, "type": "Data"} for r in rows]},
            "Summary": {"ColData": [{"value": f"Total for {n} {name}"}, *blank[:-1],
                                    {"value": f"{total:.2f}"}]},
            "type": "Section",
        })  # fmt: skip
    report = {
        "Header": {"Time": "2027-01-02T09:00:00-08:00", "ReportName": "GeneralLedger",
                   "ReportBasis": "Accrual", "StartPeriod": "2026-01-01",
                   "EndPeriod": "2026-12-31", "Currency": "USD",
                   "Option": [{"Name": "NoReportData", "Value": "false"}]},
        "Columns": {"Column": [{"ColTitle": t, "ColType": ct,
                                "MetaData": [{"Name": "ColKey", "Value": k}]}
                               for t, k, ct in columns]},
        "Rows": {"Row": sections},
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "GeneralLedger.json").write_text(_dumps(report), encoding="utf-8")
    page = {"QueryResponse": {"Account": accounts, "startPosition": 1,
                              "maxResults": len(accounts)},
            "time": "2027-01-02T09:00:00.000-08:00"}  # fmt: skip
    (folder / "Account.json").write_text(_dumps(page), encoding="utf-8")
    count = sum(len(r) for r in by_account.values())
    return {"quickbooks/GeneralLedger": count, "quickbooks/Account": len(accounts)}


GL_WRITERS: dict[str, Callable[[Path, list[Posting]], dict[str, int]]] = {
    "quickbooks": write_quickbooks_gl,
    "xero": write_xero_journals,
    "business_central": write_business_central_gl,
}
