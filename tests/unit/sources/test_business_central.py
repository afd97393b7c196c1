"""Business Central API v2.0 OData pages -> customer, document, lines, revenue.

Shapes: https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/api/dynamics_salesinvoice_get
(``salesInvoices`` with ``$expand=salesInvoiceLines``), .../dynamics_salesinvoiceline_get
(``documentId``, ``sequence``, ``lineObjectNumber``, ``netAmount``) and
.../resources/dynamics_dimensionsetline (``code``, ``parentId``, ``valueCode``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from api_fixtures import conserved

from crossfoot.errors import InputError

CONTEXT = "https://api.businesscentral.dynamics.com/v2.0/prod/api/v2.0/$metadata#companies(1)/"
CUSTOMER = "f3a5738a-44e3-ea11-bb43-000d3a2feca1"


def odata(obj: str, records: list[dict], next_page: int | None = None) -> dict:
    body = {"@odata.context": CONTEXT + obj, "value": records}
    if next_page:
        body["@odata.nextLink"] = (
            f"https://api.businesscentral.dynamics.com/...{obj}?$skiptoken={next_page}"
        )
    return body


def line(line_id: str, amount: str | None, doc_id: str | None = None, **extra) -> dict:
    out = {
        "id": line_id,
        "sequence": 10000,
        "lineType": "Item" if amount else "Comment",
        "lineObjectNumber": "1928-S" if amount else "",
        "description": "AMSTERDAM Lamp",
        "quantity": 3,
        "unitPrice": 54.9,
        "amountExcludingTax": amount,
        "netAmount": amount,
        "shipmentDate": "2026-03-18",
        **extra,
    }
    if doc_id:
        out["documentId"] = doc_id
    return out


def dims(code: str, value: str, parent: str | None = None) -> dict:
    out = {
        "id": "d-" + code,
        "code": code,
        "displayName": code.title(),
        "valueCode": value.upper(),
        "valueDisplayName": value,
    }
    if parent:
        out["parentId"] = parent
    return out


def invoice(doc_id: str, lines: list[dict] | None = None, **extra) -> dict:
    out = {
        "id": doc_id,
        "number": f"PS-INV{doc_id}",
        "externalDocumentNumber": "006AAA",
        "invoiceDate": "2026-03-15",
        "postingDate": "2026-03-15",
        "customerId": CUSTOMER,
        "customerNumber": "20000",
        "currencyCode": "",
        "status": "Open",
        "totalAmountExcludingTax": 100,
    }
    if lines is not None:
        out["salesInvoiceLines"] = lines
    return {**out, **extra}


def test_expanded_lines_dimensions_and_local_currency(build_erp):
    lines = [
        line("l1", "164.70", dimensionSetLines=[dims("PRODUCTLINE", "Hardware")]),
        line("l2", None),
        line("l3", "35.30"),
    ]
    page = odata(
        "salesInvoices",
        [
            invoice("i1", lines, dimensionSetLines=[dims("PRODUCTLINE", "Services")]),
            invoice("i2", [line("l1", "50.00")], currencyCode="EUR", status="Draft"),
        ],
    )
    memo = odata(
        "salesCreditMemos",
        [
            {
                "id": "c1",
                "number": "CM1",
                "creditMemoDate": "2026-03-20",
                "customerId": CUSTOMER,
                "currencyCode": "",
                "invoiceId": "i1",
                "status": "Open",
                "salesCreditMemoLines": [line("m1", "10.00")],
            }
        ],
    )
    order = odata(
        "salesOrders",
        [
            {
                "id": "o1",
                "number": "S-ORD1",
                "orderDate": "2026-03-01",
                "customerId": CUSTOMER,
                "currencyCode": "",
                "status": "Open",
                "salesOrderLines": [line("s1", "200.00")],
            }
        ],
    )
    customers = odata(
        "customers",
        [
            {
                "id": CUSTOMER,
                "number": "20000",
                "displayName": "Trey Research",
                "email": "ap@treyresearch.net",
                "country": "US",
            }
        ],
    )
    loaded = build_erp(
        "business_central",
        {
            "salesInvoices.json": page,
            "salesCreditMemos.json": memo,
            "salesOrders.json": order,
            "customers.json": customers,
        },
        local_currency="USD",
        fields={
            "product_line": "dimensionSetLines.PRODUCTLINE",
            "crm_deal_ref": "salesInvoices.externalDocumentNumber",
        },
    )
    docs = loaded.by_id("document", "doc_id")
    assert {d: (r["doc_type"], r["amount"]) for d, r in docs.items()} == {
        "i1": ("invoice", Decimal("200.00")),
        "i2": ("invoice", Decimal("50.00")),
        "c1": ("credit_memo", Decimal("-10.00")),
        "o1": ("order", Decimal("200.00")),
    }
    # an empty currencyCode is the local currency; the API has no rate: the rates file converts
    assert (docs["i1"]["currency"], docs["i1"]["exchange_rate"]) == ("USD", Decimal("1"))
    assert (docs["i2"]["currency"], docs["i2"]["exchange_rate"]) == ("EUR", None)
    assert (docs["c1"]["created_from"], docs["i1"]["crm_deal_ref"]) == ("i1", "006AAA")
    assert docs["i1"]["date"] == date(2026, 3, 15)
    got = {
        (r["doc_id"], r["line_id"]): (r["product_line"], r["item_code"])
        for r in loaded.rows("document_line")
    }
    # the line's own dimension, else its document's; a comment line is not a document line
    assert got[("i1", "l1")] == ("Hardware", "1928-S")
    assert got[("i1", "l3")] == ("Services", "1928-S")
    assert ("i1", "l2") not in got
    # revenue: posted invoices and credit memos only (no order, no draft)
    assert sorted((r["doc_id"], r["amount"], r["date"]) for r in loaded.rows("revenue")) == [
        ("c1", Decimal("-10.00"), date(2026, 3, 20)),
        ("i1", Decimal("35.30"), date(2026, 3, 15)),
        ("i1", Decimal("164.70"), date(2026, 3, 15)),
    ]
    assert loaded.rows("customer")[0]["domain"] == "treyresearch.net"
    assert conserved(loaded) == [
        ("customers.json", 1, 1, 0),
        ("salesOrders.json", 2, 2, 0),
        ("salesInvoices.json", 8, 8, 0),  # 2 invoices, 4 lines, 2 dimension set lines
        ("salesCreditMemos.json", 2, 2, 0),
    ]


def test_separate_line_and_dimension_pages_across_pages(build_erp):
    files = {
        "salesInvoices.1.json": odata("salesInvoices", [invoice("i1")], next_page=2),
        "salesInvoices.2.json": odata("salesInvoices", [invoice("i2")]),
        "salesInvoiceLines.json": odata(
            "salesInvoiceLines",
            [
                line("l1", "10.00", "i1"),
                line("l2", "20.00", "i2"),
                line("l3", "5.00", "i9"),
                line("l1", "11.00", "i1"),
            ],
        ),
        "dimensionSetLines.json": odata(
            "dimensionSetLines",
            [
                dims("PRODUCTLINE", "Subscription", "l1"),
                dims("PRODUCTLINE", "Hardware", "i2"),
            ],
        ),
    }
    loaded = build_erp(
        "business_central", files, fields={"product_line": "dimensionSetLines.productline"}
    )
    assert [
        (
            r["doc_id"],
            r["line_id"],
            r["amount"],
            r["product_line"],
            r["source_file"],
            r["source_line"],
        )
        for r in loaded.rows("document_line")
    ] == [
        ("i1", "l1", Decimal("10.00"), "Subscription", "data/erp/salesInvoiceLines.json", 1),
        ("i2", "l2", Decimal("20.00"), "Hardware", "data/erp/salesInvoiceLines.json", 2),
    ]
    assert [(r["source_line"], r["field"], r["reason"]) for r in loaded.rejects()] == [
        (
            3,
            "documentId",
            "belongs to salesInvoices 'i9', which is not loaded "
            "(rejected, or missing from the export)",
        ),
        (4, "documentId", "duplicate line 'l1' of salesInvoices 'i1', first at line 1"),
    ]
    assert conserved(loaded) == [
        ("salesInvoices.1.json", 1, 1, 0),
        ("salesInvoices.2.json", 1, 1, 0),
        ("salesInvoiceLines.json", 4, 2, 2),
        ("dimensionSetLines.json", 2, 2, 0),
    ]


def test_a_next_link_without_its_page_is_an_input_error(build_erp):
    with pytest.raises(InputError, match=r"the last page has an @odata\.nextLink") as err:
        build_erp(
            "business_central",
            {"salesInvoices.1.json": odata("salesInvoices", [invoice("i1", [])], next_page=2)},
        )
    assert "salesInvoices.1.json" in str(err.value)
    with pytest.raises(InputError, match=r"no @odata\.nextLink but more pages follow"):
        build_erp(
            "business_central",
            {
                "salesInvoices.1.json": odata("salesInvoices", [invoice("i1", [])]),
                "salesInvoices.2.json": odata("salesInvoices", [invoice("i2", [])]),
            },
        )


def test_bad_rows_and_bad_pages(build_erp):
    page = odata(
        "salesInvoices",
        [
            invoice("i1", [line("l1", "1,0.0.0")]),
            invoice("i2", [line("l1", "5.00")], invoiceDate="15.13.2026", postingDate=None),
            invoice("i3", [line("l1", "5.00")], currencyCode="Euro"),
        ],
    )
    loaded = build_erp("business_central", {"salesInvoices.json": page})
    assert [(r["source_line"], r["field"], r["reason"]) for r in loaded.rejects()] == [
        (1, "netAmount", "field 'netAmount': '1,0.0.0' is not a number"),
        (
            2,
            "invoiceDate/orderDate/creditMemoDate",
            "field 'invoiceDate/orderDate/creditMemoDate': '15.13.2026' is not a valid date (expected YYYY-MM-DD)",
        ),
        (
            2,
            "documentId",
            "belongs to salesInvoices 'i2', which is not loaded "
            "(rejected, or missing from the export)",
        ),
        (3, "currencyCode", "field 'currencyCode': 'Euro' is not a three-letter currency code"),
        (
            3,
            "documentId",
            "belongs to salesInvoices 'i3', which is not loaded "
            "(rejected, or missing from the export)",
        ),
    ]
    assert conserved(loaded) == [("salesInvoices.json", 6, 1, 5)]
    with pytest.raises(InputError, match="expected a JSON object with 'value'"):
        build_erp("business_central", {"salesInvoices.json": {"items": []}})
