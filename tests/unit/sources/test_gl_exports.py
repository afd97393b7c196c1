"""``erp.revenue: gl`` from each ledger's own GL export, in the ERP's source folder.

Shapes:
- QuickBooks Online ``GeneralLedger`` report (Reports API: ``Header``, ``Columns.Column[]``
  with ``MetaData`` ColKey, ``Rows.Row[]`` sections with ``Header``/``Rows``/``Summary``,
  data rows of ``ColData`` with ``value``/``id``), and ``Account`` query pages
  (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/generalledger);
- Xero ``Journals`` (``JournalDate`` ``/Date(ms+0000)/``, ``SourceID``/``SourceType``,
  ``JournalLines[]`` with ``AccountType``, ``NetAmount`` debit-positive, ``TrackingCategories``)
  (https://developer.xero.com/documentation/api/accounting/journals);
- Business Central API v2.0 ``generalLedgerEntries`` (``postingDate``, ``documentNumber``,
  ``documentType``, ``accountNumber``, ``debitAmount``, ``creditAmount``,
  ``dimensionSetLines``) and ``accounts`` (``number``, ``category``)
  (https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_generalledgerentry).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from api_fixtures import conserved
from test_business_central import CUSTOMER, invoice, line, odata
from test_quickbooks import CLASSES, page, sales
from test_quickbooks import invoice as qbo_invoice
from test_xero import doc as xero_doc
from test_xero import item

from crossfoot.errors import InputError

COLUMNS = ("tx_date", "txn_type", "doc_num", "name", "klass_name", "subt_nat_home_amount")


def report(sections: list[tuple[str, str, list[list[dict]]]]) -> dict:
    """A GeneralLedger report: (account id, name, data rows) sections."""
    blank = [{"value": ""}] * (len(COLUMNS) - 1)
    return {
        "Header": {"ReportName": "GeneralLedger", "ReportBasis": "Accrual",
                   "StartPeriod": "2026-01-01", "EndPeriod": "2026-12-31", "Currency": "USD"},
        "Columns": {"Column": [{"ColTitle": k, "ColType": "String",
                                "MetaData": [{"Name": "ColKey", "Value": k}]} for k in COLUMNS]},
        "Rows": {"Row": [
            {"type": "Section", "Header": {"ColData": [{"value": name, "id": acct}, *blank]},
             "Rows": {"Row": [{"type": "Data", "ColData": r} for r in rows]},
             "Summary": {"ColData": [{"value": f"Total for {name}"}, *blank]}}
            for acct, name, rows in sections
        ]},
    }  # fmt: skip


def row(day: str, txn: str, txn_id: str, num: str, amount: str, cls: str = "") -> list[dict]:
    return [{"value": day}, {"value": txn, "id": txn_id}, {"value": num},
            {"value": "Acme", "id": "7"}, {"value": cls}, {"value": amount}]  # fmt: skip


QBO_ACCOUNTS = page("Account", [
    {"Id": "40", "Name": "Sales", "AccountType": "Income"},
    {"Id": "50", "Name": "Deferred Revenue", "AccountType": "Other Current Liability"},
])  # fmt: skip


def _revenue(loaded) -> list[tuple]:
    return [
        (r["date"], r["amount"], r["currency"], r["doc_id"], r["product_line"], r["source_line"])
        for r in loaded.rows("revenue")
    ]


def test_quickbooks_general_ledger_report(build_erp):
    """Invoice rows by their transaction id, journal entries by their number; the deferred
    revenue account and the beginning balance are loaded, not revenue."""
    gl = report([
        ("40", "Sales", [
            [{"value": "Beginning Balance"}, *[{"value": ""}] * 5],
            row("2026-03-15", "Invoice", "41", "INV-41", "100.00", "Subscription"),
            row("2026-04-01", "Journal Entry", "900", "INV-41", "50.00", "Subscription"),
            row("2026-04-01", "Journal Entry", "901", "JE-7", "-5.00"),
        ]),
        ("50", "Deferred Revenue", [row("2026-04-01", "Journal Entry", "900", "INV-41", "-50.00")]),
    ])  # fmt: skip
    files = {
        "Invoice.json": page("Invoice", [qbo_invoice("41", [sales("1", "150.00", "1", "100")])]),
        "Class.json": CLASSES,
        "GeneralLedger.json": gl,
        "Account.json": QBO_ACCOUNTS,
    }
    loaded = build_erp("quickbooks", files, revenue="gl", local_currency="USD")
    assert _revenue(loaded) == [
        (date(2026, 3, 15), Decimal("100.00"), "USD", "41", "Subscription", 2),
        (date(2026, 4, 1), Decimal("50.00"), "USD", "41", "Subscription", 3),
        (date(2026, 4, 1), Decimal("-5.00"), "USD", "901", None, 4),
    ]
    customers = {r["customer_id"] for r in loaded.rows("revenue")}
    assert customers == {"7"}
    assert ("GeneralLedger.json", 5, 5, 0) in conserved(loaded)
    assert ("Account.json", 2, 2, 0) in conserved(loaded)


def test_quickbooks_gl_needs_the_report_the_chart_and_every_account_in_it(build_erp):
    """(The company folder keeps the files of the calls before.)"""
    docs = page("Invoice", [qbo_invoice("41", [sales("1", "150.00")])])
    with pytest.raises(InputError, match=r"no GeneralLedger\.json"):
        build_erp("quickbooks", {"Invoice.json": docs}, revenue="gl")
    gl = report([("77", "Other", [row("2026-03-15", "Invoice", "41", "INV-41", "100.00")])])
    with pytest.raises(InputError, match=r"no Account\.json in the folder"):
        build_erp("quickbooks", {"GeneralLedger.json": gl}, revenue="gl")
    with pytest.raises(InputError, match="account 77 is not in the chart of accounts") as err:
        build_erp("quickbooks", {"Account.json": QBO_ACCOUNTS}, revenue="gl")
    assert err.value.location == "data/erp/GeneralLedger.json:1"


def journal(n: int, source: str, source_id: str, lines: list[dict], reference: str = "") -> dict:
    return {"JournalID": f"j{n}", "JournalDate": "/Date(1773878400000+0000)/", "JournalNumber": n,
            "Reference": reference, "SourceID": source_id, "SourceType": source,
            "JournalLines": lines}  # fmt: skip


def jline(
    line_id: str, code: str, kind: str, net: str, description: str = "", pl: str = ""
) -> dict:
    tracking = [{"Name": "Product Line", "Option": pl}] if pl else []
    return {"JournalLineID": line_id, "AccountCode": code, "AccountType": kind,
            "Description": description, "NetAmount": net, "TrackingCategories": tracking}  # fmt: skip


def test_xero_journals(build_erp):
    """An invoice's journal by SourceID; manual journals by the number in a line's
    Description, else the journal's Reference; only REVENUE and SALES lines are revenue."""
    invoices = {"Invoices": [xero_doc("inv-1", [item("l1", "150.00", Product_Line="Support")])]}
    journals = {"Journals": [
        journal(1, "ACCREC", "inv-1", [jline("a", "610", "CURRENT", "100.00"),
                                       jline("b", "200", "REVENUE", "-100.00", pl="Support")]),
        journal(2, "MANJOURNAL", "m-2", [jline("c", "200", "REVENUE", "-30.00", "N-inv-1"),
                                         jline("d", "820", "CURRLIAB", "30.00")]),
        journal(3, "MANJOURNAL", "m-3", [jline("e", "260", "SALES", "-20.00")], "N-inv-1"),
        journal(4, "MANJOURNAL", "m-4", [jline("f", "270", "OTHERINCOME", "-9.00"),
                                         jline("g", "200", "REVENUE", "4.00", "accrual")]),
    ]}  # fmt: skip
    loaded = build_erp(
        "xero",
        {"Invoices.json": invoices, "Journals.json": journals},
        revenue="gl",
        fields={"product_line": "Tracking.Product Line"},
    )
    day = date(2026, 3, 19)
    assert _revenue(loaded) == [
        (day, Decimal("100.00"), "USD", "inv-1", "Support", 1),
        (day, Decimal("30.00"), "USD", "inv-1", None, 2),
        (day, Decimal("20.00"), "USD", "inv-1", None, 3),
        (day, Decimal("-4.00"), "USD", "m-4", None, 4),
    ]
    assert ("Journals.json", 7, 7, 0) in conserved(loaded)


def test_xero_journals_a_full_last_page_may_have_more(build_erp):
    invoices = {"Invoices": [xero_doc("inv-1", [item("l1", "1.00")])]}
    full = {"Journals": [journal(n, "MANJOURNAL", f"m{n}", []) for n in range(1, 101)]}
    with pytest.raises(InputError, match="the last Journals page is full"):
        build_erp("xero", {"Invoices.json": invoices, "Journals.1.json": full}, revenue="gl")


def test_business_central_general_ledger_entries(build_erp):
    """Income by the account's category; the document by number and type; the product line
    from the entry's dimension; an accrual keyed with an order's number ties to the order."""

    def entry(n: int, account: str, number: str, kind: str, debit: str, credit: str,
              pl: str | None = None) -> dict:  # fmt: skip
        dims = (
            [{"code": "PRODUCTLINE", "valueCode": pl.upper(), "valueDisplayName": pl}] if pl else []
        )
        return {"id": f"e{n}", "entryNumber": n, "postingDate": "2026-03-31",
                "documentNumber": number, "documentType": kind, "accountNumber": account,
                "description": "x", "debitAmount": debit, "creditAmount": credit,
                "dimensionSetLines": dims}  # fmt: skip

    order = {"id": "o1", "number": "SO1", "orderDate": "2026-03-01", "customerId": CUSTOMER,
             "currencyCode": "", "status": "Open", "salesOrderLines": [line("s1", "90.00")]}  # fmt: skip
    memo = {"id": "c1", "number": "PS-INVi1", "creditMemoDate": "2026-03-20",
            "customerId": CUSTOMER, "currencyCode": "", "status": "Open",
            "salesCreditMemoLines": [line("m1", "10.00")]}  # fmt: skip
    entries = [
        entry(1, "40100", "PS-INVi1", "Invoice", "0", "100", "Hardware"),
        entry(2, "13100", "PS-INVi1", "Invoice", "100", "0"),
        entry(3, "40100", "PS-INVi1", "Credit_x0020_Memo", "10", "0"),  # same number, a memo
        entry(4, "40200", "SO1", " ", "0", "25.5", "Services"),
        entry(5, "40200", "", " ", "0", "1"),
    ]
    accounts = [{"id": "a1", "number": "40100", "category": "Income"},
                {"id": "a2", "number": "40200", "category": "Income"},
                {"id": "a3", "number": "13100", "category": "Assets"}]  # fmt: skip
    files = {
        "salesInvoices.json": odata("salesInvoices", [invoice("i1", [line("l1", "100.00")])]),
        "salesCreditMemos.json": odata("salesCreditMemos", [memo]),
        "salesOrders.json": odata("salesOrders", [order]),
        "generalLedgerEntries.json": odata("generalLedgerEntries", entries),
        "accounts.json": odata("accounts", accounts),
    }
    loaded = build_erp(
        "business_central",
        files,
        revenue="gl",
        local_currency="EUR",
        fields={"product_line": "dimensionSetLines.PRODUCTLINE"},
    )
    day = date(2026, 3, 31)
    assert _revenue(loaded) == [
        (day, Decimal("100.00"), "EUR", "i1", "Hardware", 1),
        (day, Decimal("-10.00"), "EUR", "c1", None, 3),
        (day, Decimal("25.50"), "EUR", "o1", "Services", 4),
        (day, Decimal("1.00"), "EUR", "G/L entry 5", None, 5),
    ]
    assert ("generalLedgerEntries.json", 5, 5, 0) in conserved(loaded)


def test_a_bad_amount_is_a_reject_naming_the_field(build_erp):
    entries = [{"id": "e1", "entryNumber": 1, "postingDate": "2026-03-31", "documentNumber": "",
                "documentType": " ", "accountNumber": "40100", "debitAmount": "0",
                "creditAmount": "ten"}]  # fmt: skip
    files = {
        "salesInvoices.json": odata("salesInvoices", [invoice("i1", [line("l1", "100.00")])]),
        "generalLedgerEntries.json": odata("generalLedgerEntries", entries),
        "accounts.json": odata("accounts", [{"number": "40100", "category": "Income"}]),
    }
    loaded = build_erp("business_central", files, revenue="gl")
    assert loaded.rows("revenue") == []
    (reject,) = loaded.rejects()
    assert (reject["source_file"], reject["source_line"], reject["field"]) == (
        "data/erp/generalLedgerEntries.json",
        1,
        "credit",
    )
    assert ("generalLedgerEntries.json", 1, 0, 1) in conserved(loaded)


def test_business_central_gl_pages_must_be_whole(build_erp):
    files = {
        "salesInvoices.json": odata("salesInvoices", [invoice("i1", [line("l1", "100.00")])]),
        "generalLedgerEntries.1.json": odata("generalLedgerEntries", [], next_page=2),
        "accounts.json": odata("accounts", [{"number": "40100", "category": "Income"}]),
    }
    with pytest.raises(InputError, match=r"the last page has an @odata\.nextLink") as err:
        build_erp("business_central", files, revenue="gl")
    assert err.value.location == "data/erp/generalLedgerEntries.1.json"
