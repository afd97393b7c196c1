"""Xero Accounting API pages -> customer, document, lines, revenue.

Shapes: https://developer.xero.com/documentation/api/accounting/invoices (``Invoices``,
``Type`` ACCREC / ACCPAY, ``LineAmountTypes``, ``LineItems[].Tracking``, ``/Date(ms+hhmm)/``)
and https://developer.xero.com/documentation/api/accounting/creditnotes.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from api_fixtures import conserved

from crossfoot.errors import InputError

REAL = Path("/work/shared/fixtures/real/xero_invoices_page1_demo_company.json")


def item(line_id: str, amount: str, tax: str = "0.00", **tracking: str) -> dict:
    return {
        "LineItemID": line_id,
        "ItemCode": "SUB",
        "Quantity": 1.0,
        "UnitAmount": amount,
        "LineAmount": amount,
        "TaxAmount": tax,
        "Tracking": [{"Name": k.replace("_", " "), "Option": v} for k, v in tracking.items()],
    }


def doc(
    doc_id: str, lines: list[dict], kind: str = "ACCREC", types: str = "Exclusive", **extra
) -> dict:
    key = "CreditNoteID" if kind.endswith("CREDIT") else "InvoiceID"
    number = "CreditNoteNumber" if kind.endswith("CREDIT") else "InvoiceNumber"
    return {
        key: doc_id,
        number: f"N-{doc_id}",
        "Type": kind,
        "Status": "AUTHORISED",
        "Contact": {"ContactID": "c1", "Name": "Acme"},
        "Date": "/Date(1773878400000+0000)/",
        "DateString": "2026-03-19T00:00:00",
        "LineAmountTypes": types,
        "LineItems": lines,
        "CurrencyCode": "USD",
        "CurrencyRate": 1.0,
        **extra,
    }


@pytest.mark.skipif(not REAL.exists(), reason="shared real fixtures not mounted")
def test_real_demo_company_page(build_erp):
    """A real Invoices?page=1 response of Xero's demo company (NZD, Inclusive, ACCREC+ACCPAY)."""
    loaded = build_erp(
        "xero",
        {"Invoices.1.json": REAL.read_text(encoding="utf-8")},
        local_currency="NZD",
        fields={"product_line": "Tracking.Region"},
    )
    docs = loaded.by_id("document", "doc_id")
    assert len(docs) == 38  # the ACCREC invoices; the 41 bills are rejected
    inv = docs["254591b2-68c7-403f-91af-e3584f9577fe"]
    assert (inv["number"], inv["date"], inv["currency"], inv["status"]) == (
        "INV-0016",
        date(2020, 1, 31),
        "NZD",
        "PAID",
    )
    # Inclusive: LineAmount 541.25 includes 70.60 GST
    assert inv["amount"] == Decimal("470.65")
    (line,) = [r for r in loaded.rows("document_line") if r["doc_id"] == inv["doc_id"]]
    assert (line["product_line"], line["item_code"]) == ("North", "Support-M")
    rejects = loaded.rejects()
    bills = [r for r in rejects if r["field"] == "Type"]
    assert len(bills) == 41
    assert bills[0]["reason"] == (
        "Type 'ACCPAY' is a bill or supplier credit (accounts payable), "
        "not a sales document (ACCREC, ACCRECCREDIT)"
    )
    # every line of a bill is rejected with it
    assert {r["reason"].split("'")[0] for r in rejects if r["table"] == "LineItems"} == {
        "belongs to Invoices "
    }
    ((name, read, ok, bad),) = conserved(loaded)
    assert (name, read, ok, bad) == ("Invoices.1.json", 79 + 92, 38 + 50, 41 + 42)
    # DRAFT invoices are documents but not revenue
    drafts = {d for d, r in docs.items() if r["status"] == "DRAFT"}
    assert len(drafts) == 2
    assert not drafts & {r["doc_id"] for r in loaded.rows("revenue")}


def test_tax_modes_credit_notes_dates_and_rates(build_erp):
    invoices = {
        "Invoices": [
            doc(
                "i1",
                [item("l1", "115.00", "15.00", Product_Line="Subscription")],
                types="Inclusive",
            ),
            doc(
                "i2",
                [item("l1", "100.00", "15.00", Product_Line="Hardware")],
                types="Exclusive",
                CurrencyCode="EUR",
                CurrencyRate="0.92",
                Date="/Date(1773932400000+1300)/",
            ),
            doc("i3", [item("l1", "40.00")], types="NoTax"),
            doc("b1", [item("l1", "99.00")], kind="ACCPAY"),
            doc("v1", [item("l1", "5.00")], Status="VOIDED"),
        ]
    }
    credits = {
        "CreditNotes": [
            doc("c1", [item("l1", "23.00", "3.00")], kind="ACCRECCREDIT", types="Inclusive")
        ]
    }
    contacts = {
        "Contacts": [
            {
                "ContactID": "c1",
                "Name": "Acme",
                "EmailAddress": "ap@acme.io",
                "Addresses": [{"AddressType": "STREET", "Country": "NZ"}],
            }
        ]
    }
    loaded = build_erp(
        "xero",
        {"Invoices.json": invoices, "CreditNotes.json": credits, "Contacts.json": contacts},
        fields={"product_line": "Tracking.Product Line", "crm_deal_ref": "Invoices.Reference"},
    )
    docs = loaded.by_id("document", "doc_id")
    assert sorted(docs) == ["c1", "i1", "i2", "i3"]
    assert [docs[d]["amount"] for d in ("i1", "i2", "i3", "c1")] == [
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("40.00"),
        Decimal("-20.00"),
    ]
    assert docs["c1"]["doc_type"] == "credit_memo"
    # 1773932400000 ms = 2026-03-19T15:00Z; at +13:00 it is already the 20th (local)
    assert docs["i2"]["date"] == date(2026, 3, 20)
    # 0.92 EUR per USD: the rate to the home currency is its inverse
    assert docs["i2"]["exchange_rate"] == Decimal("1.08695652")
    assert [(r["doc_id"], r["product_line"], r["amount"]) for r in loaded.rows("revenue")] == [
        ("c1", None, Decimal("-20.00")),
        ("i1", "Subscription", Decimal("100.00")),
        ("i2", "Hardware", Decimal("100.00")),
        ("i3", None, Decimal("40.00")),
    ]
    customer = loaded.rows("customer")[0]
    assert (customer["domain"], customer["country"]) == ("acme.io", "NZ")
    reasons = {r["value"]: r["reason"] for r in loaded.rejects() if r["table"] == "Invoices"}
    assert reasons["VOIDED"] == "Status 'VOIDED': the document never posted, no revenue"
    assert conserved(loaded) == [
        ("Contacts.json", 1, 1, 0),
        ("Invoices.json", 10, 6, 4),
        ("CreditNotes.json", 2, 2, 0),
    ]


def test_multi_page_set_and_a_full_last_page(build_erp):
    full = {"Invoices": [doc(f"p{i}", [item("l1", "1.00")]) for i in range(100)]}
    with pytest.raises(InputError, match=r"last Invoices page is full \(100 records\)") as err:
        build_erp("xero", {"Invoices.1.json": full})
    assert "Invoices.1.json" in str(err.value)
    rest = {"Invoices": [doc("q1", [item("l1", "2.00")])]}
    loaded = build_erp("xero", {"Invoices.1.json": full, "Invoices.2.json": rest})
    assert len(loaded.rows("document")) == 101
    assert conserved(loaded) == [("Invoices.1.json", 200, 200, 0), ("Invoices.2.json", 2, 2, 0)]


def test_pagination_object_decides(build_erp):
    page = {
        "pagination": {"page": 1, "pageSize": 2, "pageCount": 2, "itemCount": 3},
        "Invoices": [doc("a", []), doc("b", [])],
    }
    with pytest.raises(InputError, match="the last page is page 1 of 2"):
        build_erp("xero", {"Invoices.1.json": page})


def test_lines_left_out_and_missing_tracking_category(build_erp):
    summary = {"Invoices": [{k: v for k, v in doc("a", []).items() if k != "LineItems"}]}
    with pytest.raises(InputError, match="Invoices without LineItems: export them page by page"):
        build_erp("xero", {"Invoices.json": summary})
    page = {"Invoices": [doc("a", [item("l1", "1.00", Region="North")])]}
    with pytest.raises(
        InputError,
        match=r"names Tracking.Product Line, which no record carries "
        r"\(found: Region\)",
    ):
        build_erp("xero", {"Invoices.json": page}, fields={"product_line": "Tracking.Product Line"})


def test_bad_values_are_rejected(build_erp):
    page = {
        "Invoices": [
            doc("a", [item("l1", "abc"), item("l2", "3.00"), item("l2", "4.00")]),
            doc("b", [item("l1", "1.00")], Date="/Date(nope)/", DateString=None),
        ]
    }
    loaded = build_erp("xero", {"Invoices.json": json.dumps(page)})
    assert sorted((r["source_line"], r["field"], r["reason"]) for r in loaded.rejects()) == [
        (1, "LineAmount", "field 'LineAmount': 'abc' is not a number"),
        (1, "LineItemID", "duplicate line 'l2' of Invoices 'a'"),
        (2, "Date", "field 'Date': '/Date(nope)/' is not a valid date (expected YYYY-MM-DD)"),
        (2, "LineItems", "belongs to Invoices 'b', which was rejected"),
    ]
    assert conserved(loaded) == [("Invoices.json", 6, 2, 4)]
