"""QuickBooks Online query API pages and Airbyte JSONL -> customer, document, lines, revenue.

Shapes: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
(``Line[]`` with ``DetailType`` SalesItemLineDetail / GroupLineDetail / DiscountLineDetail /
SubTotalLineDetail / DescriptionOnly) and the query response envelope
``{"QueryResponse": {"Invoice": [...], "startPosition", "maxResults"}, "time"}``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from api_fixtures import conserved

from crossfoot.errors import InputError

REAL = Path("/work/shared/fixtures/real/qbo_airbyte_expected_records_subset.jsonl")


def page(obj: str, records: list[dict], start: int = 1) -> dict:
    return {
        "QueryResponse": {obj: records, "startPosition": start, "maxResults": len(records)},
        "time": "2026-04-01T10:00:00.000-07:00",
    }


def sales(line_id: str, amount: str, item: str = "1", cls: str | None = None, **extra) -> dict:
    detail = {"ItemRef": {"value": item, "name": f"Item {item}"}, "Qty": 1, "UnitPrice": amount}
    if cls:
        detail["ClassRef"] = {"value": cls, "name": f"class {cls}"}
    detail.update(extra)
    return {
        "Id": line_id,
        "Amount": amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": detail,
    }


def invoice(doc_id: str, lines: list[dict], **extra) -> dict:
    return {
        "Id": doc_id,
        "DocNumber": f"INV-{doc_id}",
        "TxnDate": "2026-03-15",
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "CustomerRef": {"value": "7", "name": "Acme"},
        "Line": lines,
        **extra,
    }


CLASSES = page("Class", [{"Id": "100", "Name": "Subscription"}, {"Id": "200", "Name": "Hardware"}])


@pytest.mark.skipif(not REAL.exists(), reason="shared real fixtures not mounted")
def test_airbyte_export_of_a_real_sandbox_loads(build_erp, tmp_path):
    """Airbyte's expected records of its QuickBooks connector (real sandbox entities)."""
    loaded = build_erp("quickbooks", {"qbo.jsonl": REAL.read_text(encoding="utf-8")})
    docs = loaded.by_id("document", "doc_id")
    assert sorted(docs) == ["12", "129", "130", "73"]
    inv = docs["12"]
    assert (inv["doc_type"], inv["number"], inv["customer_id"], inv["date"], inv["currency"]) == (
        "invoice",
        "1004",
        "3",
        date(2023, 2, 6),
        "USD",
    )
    # before tax (TotalAmt 2369.52 includes 175.52 tax); the SubTotalLine is not counted twice
    assert inv["amount"] == Decimal("2194.00")
    assert (docs["73"]["doc_type"], docs["73"]["amount"]) == ("credit_memo", Decimal("-100.00"))
    assert (inv["source_file"], inv["source_line"]) == ("data/erp/qbo.jsonl", 1)
    lines = [
        (r["doc_id"], r["line_id"], r["item_code"], r["amount"])
        for r in loaded.rows("document_line")
    ]
    # the lines of one document share its source_line: their order is not kept
    assert sorted(x for x in lines if x[0] == "12") == [
        ("12", "1", "Sprinkler Heads", Decimal("20.00")),
        ("12", "2", "Sprinkler Pipes", Decimal("24.00")),
        ("12", "3", "Sod", Decimal("1750.00")),
        ("12", "4", "Services", Decimal("400.00")),
    ]
    customers = loaded.by_id("customer", "customer_id")
    # a job (sub-customer) is named after its company, not the job
    assert customers["8"]["name"] == "Freeman Sporting Goods"
    assert customers["8"]["domain"] == "sportinggoods.intuit.com"
    revenue = loaded.rows("revenue")
    assert sum(r["amount"] for r in revenue) == Decimal("2194.00") + Decimal("477.50") + Decimal(
        "335.25"
    ) - Decimal("100.00")
    # 6 records + 18 lines (4 sales + subtotal, 5 + subtotal, 3 + subtotal, 1 + subtotal... )
    ((name, read, ok, bad),) = conserved(loaded)
    assert (name, ok, bad) == ("qbo.jsonl", read, 0)
    assert read == 6 + 17


def test_other_airbyte_streams_are_rejected_and_counted(build_erp):
    text = (
        '{"stream": "invoices", "data": ' + json.dumps(invoice("5", [sales("1", "10.00")])) + "}\n"
        '\n{"stream": "payments", "data": {"Id": "9"}}\n'
    )
    loaded = build_erp("quickbooks", {"export.jsonl": text})
    (reject,) = loaded.rejects()
    assert (reject["source_line"], reject["field"], reject["value"]) == (3, "stream", "payments")
    assert reject["reason"].startswith(
        "stream 'payments' is not read (read: invoices, credit_memos"
    )
    assert conserved(loaded) == [("export.jsonl", 3, 2, 1)]


def test_pages_group_discount_subtotal_and_classes(build_erp):
    group = {
        "Id": "3",
        "DetailType": "GroupLineDetail",
        "Amount": "300.00",
        "GroupLineDetail": {
            "GroupItemRef": {"value": "50", "name": "Starter kit"},
            "Quantity": 1,
            "Line": [sales("4", "200.00", "2", "200"), sales("5", "100.00", "3", "100")],
        },
    }
    discount = {
        "Id": "6",
        "DetailType": "DiscountLineDetail",
        "Amount": "50.00",
        "DiscountLineDetail": {
            "PercentBased": False,
            "ClassRef": {"value": "100", "name": "Subscription"},
        },
    }
    subtotal = {"Amount": "1300.00", "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    note = {
        "Id": "7",
        "DetailType": "DescriptionOnly",
        "Description": "thanks",
        "DescriptionLineDetail": {},
    }
    lines = [
        sales("1", "1000.00", "1", "100", ServiceDate="2026-03-20"),
        group,
        discount,
        subtotal,
        note,
    ]
    first = page("Invoice", [invoice("11", lines, PrivateNote="006AAA")])
    second = page(
        "Invoice",
        [
            invoice(
                "12",
                [sales("1", "80.00")],
                ClassRef={"value": "200"},
                CurrencyRef={"value": "EUR"},
                ExchangeRate="1.0825",
            )
        ],
        start=2,
    )
    memo = page("CreditMemo", [invoice("13", [sales("1", "25.00", "1", "100")])])
    loaded = build_erp(
        "quickbooks",
        {
            "Invoice.1.json": first,
            "Invoice.2.json": second,
            "CreditMemo.json": memo,
            "Class.json": CLASSES,
        },
        fields={"crm_deal_ref": "Invoice.PrivateNote"},
    )
    lines_out = {(r["doc_id"], r["line_id"]): r for r in loaded.rows("document_line")}
    assert sorted(lines_out) == [
        ("11", "1"),
        ("11", "4"),
        ("11", "5"),
        ("11", "6"),
        ("12", "1"),
        ("13", "1"),
    ]
    assert [(lines_out[k]["amount"], lines_out[k]["product_line"]) for k in sorted(lines_out)] == [
        (Decimal("1000.00"), "Subscription"),
        (Decimal("200.00"), "Hardware"),  # the bundle's lines, not the group line
        (Decimal("100.00"), "Subscription"),
        (Decimal("-50.00"), "Subscription"),  # the discount: a negative line
        (Decimal("80.00"), "Hardware"),  # the transaction's class
        (Decimal("-25.00"), "Subscription"),  # credit memo: revenue-negative
    ]
    assert lines_out[("11", "1")]["fulfilled_on"] == date(2026, 3, 20)
    docs = loaded.by_id("document", "doc_id")
    assert docs["11"]["amount"] == Decimal("1250.00")
    assert docs["11"]["crm_deal_ref"] == "006AAA"
    assert (docs["12"]["currency"], docs["12"]["exchange_rate"]) == ("EUR", Decimal("1.0825"))
    assert (docs["12"]["source_file"], docs["12"]["source_line"]) == ("data/erp/Invoice.2.json", 1)
    assert conserved(loaded) == [
        ("Class.json", 2, 2, 0),
        ("Invoice.1.json", 8, 8, 0),
        ("Invoice.2.json", 2, 2, 0),
        ("CreditMemo.json", 2, 2, 0),
    ]


def test_bad_rows_are_rejected_with_reasons(build_erp):
    bad_amount = invoice("21", [sales("1", "ten")])
    no_date = invoice("22", [sales("1", "5.00")], TxnDate="31/31/2026")
    odd = invoice(
        "23",
        [
            {"Id": "1", "Amount": "5.00", "DetailType": "TDSLineDetail", "TDSLineDetail": {}},
            sales("2", "7.00"),
            sales("2", "8.00"),
        ],
    )
    loaded = build_erp("quickbooks", {"Invoice.json": page("Invoice", [bad_amount, no_date, odd])})
    reasons = [(r["source_line"], r["field"], r["reason"]) for r in loaded.rejects()]
    assert sorted(reasons) == [
        (1, "Amount", "field 'Amount': 'ten' is not a number"),
        (2, "Line", "belongs to Invoice '22', which was rejected"),
        (2, "TxnDate", "field 'TxnDate': '31/31/2026' is not a valid date (expected YYYY-MM-DD)"),
        (
            3,
            "DetailType",
            "line DetailType 'TDSLineDetail' is not a sales line (read: "
            "SalesItemLineDetail, DiscountLineDetail, SubTotalLineDetail, "
            "DescriptionOnly, GroupLineDetail)",
        ),
        (3, "Id", "duplicate line '2' of Invoice '23'"),
    ]
    assert conserved(loaded) == [("Invoice.json", 8, 3, 5)]
    assert [r["amount"] for r in loaded.rows("revenue")] == [Decimal("7.00")]


def test_a_gap_in_the_pages_is_an_input_error(build_erp):
    first = page("Invoice", [invoice("1", [sales("1", "1.00")])])
    third = page("Invoice", [invoice("3", [sales("1", "1.00")])], start=3)
    with pytest.raises(InputError, match=r"page starts at record 3, expected 2") as err:
        build_erp("quickbooks", {"Invoice.1.json": first, "Invoice.2.json": third})
    assert "Invoice.2.json" in str(err.value)


def test_a_full_last_page_is_an_input_error(build_erp):
    full = page("Invoice", [invoice(str(i), []) for i in range(1, 1001)])
    with pytest.raises(InputError, match=r"last Invoice page is full \(1000 records"):
        build_erp("quickbooks", {"Invoice.1.json": full})
    # the next page, empty, proves the set complete
    empty = {"QueryResponse": {}, "time": "2026-04-01T10:00:00.000-07:00"}
    loaded = build_erp("quickbooks", {"Invoice.1.json": full, "Invoice.2.json": empty})
    assert len(loaded.rows("document")) == 1000


def test_not_a_query_response(build_erp):
    with pytest.raises(InputError, match="expected a QuickBooks query response"):
        build_erp("quickbooks", {"Invoice.json": {"Invoice": []}})


def test_revenue_from_a_gl_export(build_erp):
    """``erp.revenue: gl``: the income-account postings, linked to documents by number."""
    docs = page("Invoice", [invoice("41", [sales("1", "1200.00", "1", "100")])])
    gl = (
        "date,account,amount,currency,customer,document_number,line_ref,product_line\n"
        "2026-03-31,4000 Subscription revenue,100.00,,,INV-41,1,\n"
        "2026-04-30,4000 Subscription revenue,100.00,USD,7,INV-41,1,Support\n"
        "2026-04-30,4100 Other income,5.00,,,,,\n"
        "2026-04-31,4000 Subscription revenue,100.00,,,INV-41,1,\n"
    )
    loaded = build_erp(
        "quickbooks", {"Invoice.json": docs, "gl.csv": gl}, revenue="gl", gl="data/erp/gl.csv"
    )
    rows = [
        (
            r["date"],
            r["amount"],
            r["currency"],
            r["customer_id"],
            r["doc_id"],
            r["line_id"],
            r["product_line"],
            r["source_line"],
        )
        for r in loaded.rows("revenue")
    ]
    assert rows == [
        (date(2026, 3, 31), Decimal("100.00"), "USD", "7", "41", "1", "class 100", 2),
        (date(2026, 4, 30), Decimal("100.00"), "USD", "7", "41", "1", "Support", 3),
        (date(2026, 4, 30), Decimal("5.00"), "USD", None, None, None, None, 4),
    ]
    (reject,) = loaded.rejects()
    assert (reject["source_file"], reject["source_line"], reject["field"]) == (
        "data/erp/gl.csv",
        5,
        "date",
    )
    assert conserved(loaded) == [("Invoice.json", 2, 2, 0), ("gl.csv", 4, 3, 1)]
    # without erp.gl: the ledger's own export (tests/unit/sources/test_gl_exports.py)
    with pytest.raises(InputError, match=r"erp.revenue is gl: no GeneralLedger\.json"):
        build_erp("quickbooks", {"Invoice.json": docs}, revenue="gl")


def test_custom_field_as_deal_ref(build_erp):
    custom = [
        {"DefinitionId": "2", "Name": "Deal ID", "Type": "StringType", "StringValue": "006XYZ"}
    ]
    doc = invoice("31", [sales("1", "9.00")], CustomField=custom)
    loaded = build_erp(
        "quickbooks",
        {"Invoice.json": page("Invoice", [doc])},
        fields={"crm_deal_ref": "CustomField.Deal ID"},
    )
    assert loaded.rows("document")[0]["crm_deal_ref"] == "006XYZ"


def test_lines_of_a_duplicate_invoice_go_with_it(build_erp):
    first = invoice("51", [sales("1", "10.00")])
    again = invoice("51", [sales("2", "99.00")])  # the same Id exported twice, other lines
    loaded = build_erp("quickbooks", {"Invoice.json": page("Invoice", [first, again])})
    assert [(r["line_id"], r["amount"]) for r in loaded.rows("document_line")] == [
        ("1", Decimal("10.00"))
    ]
    assert sorted((r["source_line"], r["reason"]) for r in loaded.rejects()) == [
        (2, "belongs to Invoice '51', which was rejected"),
        (2, "duplicate id '51', first at line 1"),
    ]
    assert loaded.rows("document")[0]["amount"] == Decimal("10.00")


def test_product_line_from_the_department(build_erp):
    """QuickBooks locations (Department) can carry the product line instead of classes."""
    departments = page("Department", [{"Id": "3", "Name": "Hardware"}])
    doc = invoice("61", [sales("1", "40.00", "1", "100")], DepartmentRef={"value": "3"})
    loaded = build_erp(
        "quickbooks",
        {
            "Invoice.json": page("Invoice", [doc]),
            "Department.json": departments,
            "Class.json": CLASSES,
        },
        fields={"product_line": "Invoice.DepartmentRef.value"},
    )
    assert [r["product_line"] for r in loaded.rows("document_line")] == ["Hardware"]
