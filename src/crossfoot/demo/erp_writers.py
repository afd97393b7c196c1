"""The demo company's ERP side as QuickBooks Online, Xero or Business Central API pages.

The same customers and transactions as the NetSuite files, in each vendor's
response shape and the file names the readers take: QuickBooks query pages
of 1000, Xero pages of 100, Business Central OData pages of 1000 with the lines
``$expand``-ed. QuickBooks and Xero have no sales orders: only invoices and credit
memos are written, and the deals are booked in the ERP by their invoices.
None of them has revenue schedules: the recognized revenue is their GL export
(``gl.py``), read with ``erp.revenue: gl``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossfoot.demo.catalog import PRODUCT_LINES, PRODUCTS
from crossfoot.demo.records import Customer, Txn, TxnLine
from crossfoot.demo.writers import CLASS_IDS, DEFINITIONS

ERPS = ("netsuite", "quickbooks", "xero", "business_central")
DIMENSION = "PRODUCTLINE"


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))


_NUMBER = "\u0001num:"


def _dumps(body: Any) -> str:
    """JSON with every Decimal written as an exact JSON number (never through a float)."""

    def walk(v: Any) -> Any:
        if isinstance(v, Decimal):
            return _NUMBER + format(v, "f")
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    text = json.dumps(walk(body), ensure_ascii=False)
    return re.sub(r'"\\u0001num:(-?[0-9.]+)"', r"\1", text)


def _pages(folder: Path, stem: str, records: list[Any], size: int,
           wrap: Callable[[list[Any], int, bool], Any], *, empty_after_full: bool) -> int:  # fmt: skip
    """``stem.1.json``, ``stem.2.json``...; an empty last page when the last one is full."""
    chunks = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
    if empty_after_full and len(chunks[-1]) == size:
        chunks.append([])
    for n, chunk in enumerate(chunks, start=1):
        body = wrap(chunk, (n - 1) * size + 1, n < len(chunks))
        (folder / f"{stem}.{n}.json").write_text(_dumps(body), encoding="utf-8")
    return len(records)


def _items(t: Txn) -> list[TxnLine]:
    return [x for x in t.lines if x.kind == "item"]


def _unsigned(t: Txn, x: TxnLine) -> Decimal:
    """Vendors write credit memo lines as positive amounts."""
    return _money(-x.amount if t.type == "CustCred" else x.amount)


# ------------------------------------------------------------------ QuickBooks


def write_quickbooks(folder: Path, customers: list[Customer], txns: list[Txn]) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)

    def query(obj: str) -> Callable[[list[Any], int, bool], Any]:
        def wrap(chunk: list[Any], start: int, more: bool) -> Any:
            if not chunk:
                return {"QueryResponse": {}, "time": "2027-01-02T09:00:00.000-08:00"}
            response = {obj: chunk, "startPosition": start, "maxResults": len(chunk)}
            return {"QueryResponse": response, "time": "2027-01-02T09:00:00.000-08:00"}

        return wrap

    entity = {id(c): str(c.ns_id) for c in customers}
    cust = [
        {"Id": str(c.ns_id), "DisplayName": c.name, "CompanyName": c.name,
         "PrimaryEmailAddr": {"Address": c.email}, "WebAddr": {"URI": c.url},
         "BillAddr": {"Country": c.country}, "Notes": c.account_ref or "", "Active": True}
        for c in customers
    ]  # fmt: skip

    def shipped(t: Txn, x: TxnLine) -> date | None:
        """Without orders, the invoice line carries the shipment date (its ServiceDate)."""
        order = t.created_from if t.type == "CustInvc" else None
        if x.ship or order is None or order.type != "SalesOrd":
            return x.ship
        return next((o.ship for o in order.items if o.item is x.item and o.ship), None)

    def line(t: Txn, x: TxnLine) -> dict[str, Any]:
        detail: dict[str, Any] = {"Qty": 1, "UnitPrice": _unsigned(t, x)}
        if x.item:
            detail["ItemRef"] = {"value": x.item.ns_ref, "name": x.item.code}
        if x.product_line:
            detail["ClassRef"] = {"value": CLASS_IDS[x.product_line], "name": x.product_line}
        if ship := shipped(t, x):
            detail["ServiceDate"] = ship.isoformat()
        return {"Id": x.ref, "Amount": _unsigned(t, x), "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": detail}  # fmt: skip

    def doc(t: Txn) -> dict[str, Any]:
        lines = [line(t, x) for x in _items(t)]
        total = sum((ln["Amount"] for ln in lines), Decimal(0))
        lines.append(
            {"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
        )
        return {"Id": t.ref, "DocNumber": t.tranid, "TxnDate": t.trandate.isoformat(),
                "CurrencyRef": {"value": t.currency}, "ExchangeRate": t.rate,
                "CustomerRef": {"value": entity[id(t.customer)], "name": t.customer.name},
                "PrivateNote": t.opportunity or "",
                "MetaData": {"CreateTime": f"{t.created.isoformat()}T09:00:00-08:00"},
                "Line": lines, "TotalAmt": total}  # fmt: skip

    counts = {"quickbooks/Customer": _pages(folder, "Customer", cust, 1000, query("Customer"),
                                            empty_after_full=True)}  # fmt: skip
    for obj, kind in (("Invoice", "CustInvc"), ("CreditMemo", "CustCred")):
        docs = [doc(t) for t in txns if t.type == kind]
        counts[f"quickbooks/{obj}"] = _pages(folder, obj, docs, 1000, query(obj),
                                             empty_after_full=True)  # fmt: skip
    classes = [{"Id": CLASS_IDS[n], "Name": n} for n in PRODUCT_LINES]
    items = [{"Id": p.ns_ref, "Name": p.code, "Description": p.name} for p in PRODUCTS]
    counts["quickbooks/Class"] = _pages(folder, "Class", classes, 1000, query("Class"),
                                        empty_after_full=True)  # fmt: skip
    counts["quickbooks/Item"] = _pages(folder, "Item", items, 1000, query("Item"),
                                       empty_after_full=True)  # fmt: skip
    return counts


# ------------------------------------------------------------------ Xero


def _ms_date(d: date) -> str:
    ms = int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) * 1000
    return f"/Date({ms}+0000)/"


def write_xero(folder: Path, customers: list[Customer], txns: list[Txn]) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)

    def wrap(key: str) -> Callable[[list[Any], int, bool], Any]:
        return lambda chunk, _start, _more: {"Id": "demo", "Status": "OK",
                                             "ProviderName": "crossfoot demo", key: chunk}  # fmt: skip

    contacts = [
        {"ContactID": str(c.ns_id), "Name": c.name, "EmailAddress": c.email, "Website": c.url,
         "AccountNumber": c.account_ref or "", "IsCustomer": True,
         "Addresses": [{"AddressType": "STREET", "Country": c.country}]}
        for c in customers
    ]  # fmt: skip

    def doc(t: Txn, kind: str, key: str, number: str) -> dict[str, Any]:
        lines = [
            {"LineItemID": x.ref, "ItemCode": x.item.code if x.item else None,
             "Quantity": 1, "UnitAmount": _unsigned(t, x), "LineAmount": _unsigned(t, x),
             "TaxAmount": Decimal("0.00"),
             "Tracking": [{"Name": "Product Line", "Option": x.product_line}] if x.product_line else []}
            for x in _items(t)
        ]  # fmt: skip
        # CurrencyRate: units of the document currency per unit of the base currency
        rate = (Decimal(1) / t.rate).quantize(Decimal("0.00000001")) if t.rate else Decimal(1)
        return {"Type": kind, key: t.ref, number: t.tranid, "Reference": t.opportunity or "",
                "Contact": {"ContactID": str(t.customer.ns_id), "Name": t.customer.name},
                "Date": _ms_date(t.trandate), "DateString": f"{t.trandate.isoformat()}T00:00:00",
                "Status": "AUTHORISED", "LineAmountTypes": "Exclusive", "LineItems": lines,
                "CurrencyCode": t.currency, "CurrencyRate": rate}  # fmt: skip

    invoices = [
        doc(t, "ACCREC", "InvoiceID", "InvoiceNumber") for t in txns if t.type == "CustInvc"
    ]
    credits = [doc(t, "ACCRECCREDIT", "CreditNoteID", "CreditNoteNumber") for t in txns
               if t.type == "CustCred"]  # fmt: skip
    return {
        "xero/Contacts": _pages(folder, "Contacts", contacts, 100, wrap("Contacts"),
                                empty_after_full=True),
        "xero/Invoices": _pages(folder, "Invoices", invoices, 100, wrap("Invoices"),
                                empty_after_full=True),
        "xero/CreditNotes": _pages(folder, "CreditNotes", credits, 100, wrap("CreditNotes"),
                                   empty_after_full=True),
    }  # fmt: skip


# ------------------------------------------------------------------ Business Central

BC_URL = "https://api.businesscentral.dynamics.com/v2.0/demo/production/api/v2.0/companies(demo)/"
BC_DOCS = {
    "SalesOrd": ("salesOrders", "salesOrderLines", "orderDate"),
    "CustInvc": ("salesInvoices", "salesInvoiceLines", "invoiceDate"),
    "CustCred": ("salesCreditMemos", "salesCreditMemoLines", "creditMemoDate"),
}


def bc_page(stem: str) -> Callable[[list[Any], int, bool], Any]:
    """A Business Central API v2.0 page body: ``value`` and, when more follow, ``@odata.nextLink``."""

    def body(chunk: list[Any], start: int, more: bool) -> Any:
        page: dict[str, Any] = {"@odata.context": f"{BC_URL}$metadata#{stem}", "value": chunk}
        if more:
            page["@odata.nextLink"] = f"{BC_URL}{stem}?$skiptoken={start + len(chunk)}"
        return page

    return body


def write_business_central(folder: Path, customers: list[Customer], txns: list[Txn],
                           local_currency: str = "USD") -> dict[str, int]:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    wrap = bc_page
    cust = [{"id": str(c.ns_id), "number": f"C{c.ns_id}", "displayName": c.name,
             "email": c.email, "website": c.url, "country": c.country} for c in customers]  # fmt: skip

    def doc(t: Txn) -> dict[str, Any]:
        _, lines_key, date_key = BC_DOCS[t.type]
        lines = []
        for seq, x in enumerate(_items(t), start=1):
            dims = ([{"code": DIMENSION, "valueCode": x.product_line.upper(),
                      "valueDisplayName": x.product_line}] if x.product_line else [])  # fmt: skip
            lines.append({"id": x.ref, "documentId": t.ref, "sequence": seq * 10000,
                          "lineType": "Item", "lineObjectNumber": x.item.code if x.item else "",
                          "quantity": 1, "netAmount": _unsigned(t, x),
                          "amountExcludingTax": _unsigned(t, x),
                          "shipmentDate": x.ship.isoformat() if x.ship else "0001-01-01",
                          "dimensionSetLines": dims})  # fmt: skip
        out: dict[str, Any] = {
            "id": t.ref, "number": t.tranid, "externalDocumentNumber": t.opportunity or "",
            date_key: t.trandate.isoformat(), "postingDate": t.trandate.isoformat(),
            "customerId": str(t.customer.ns_id), "customerName": t.customer.name,
            "currencyCode": "" if t.currency == local_currency else t.currency,
            "status": "Open", lines_key: lines,
        }  # fmt: skip
        if t.created_from is not None:
            out["orderId" if t.type == "CustInvc" else "invoiceId"] = t.created_from.ref
        return out

    counts = {"business_central/customers": _pages(folder, "customers", cust, 1000,
                                                   wrap("customers"), empty_after_full=False)}  # fmt: skip
    for kind, (obj, _, _) in BC_DOCS.items():
        docs = [doc(t) for t in txns if t.type == kind]
        counts[f"business_central/{obj}"] = _pages(folder, obj, docs, 1000, wrap(obj),
                                                   empty_after_full=False)  # fmt: skip
    return counts


ERP_WRITERS: dict[str, Callable[[Path, list[Customer], list[Txn]], dict[str, int]]] = {
    "quickbooks": write_quickbooks,
    "xero": write_xero,
    "business_central": write_business_central,
}


def demo_definitions(erp: str) -> str:
    """The demo's crossfoot.yaml: NetSuite's, with the ``erp:`` section of ``erp``."""
    if erp == "netsuite":
        return DEFINITIONS
    head, _, rest = DEFINITIONS.partition("erp:\n")
    tail = rest[rest.index("fx_rates:") :]
    return head + erp_definitions(erp) + tail


def erp_definitions(erp: str) -> str:
    """The ``erp:`` section of the demo's crossfoot.yaml for ``erp``."""
    fields = {
        "quickbooks": ("crm_deal_ref: Invoice.PrivateNote", "crm_account_ref: Customer.Notes",
                       "product_line: Line.ClassRef.value", "fulfilled_on: Line.ServiceDate"),
        "xero": ("crm_deal_ref: Invoices.Reference", "crm_account_ref: Contacts.AccountNumber",
                 "product_line: Tracking.Product Line", "fulfilled_on: Invoices.Date"),
        "business_central": ("crm_deal_ref: salesInvoices.externalDocumentNumber",
                             f"product_line: dimensionSetLines.{DIMENSION}"),
    }[erp]  # fmt: skip
    lines = [f"  system: {erp}", f"  source: data/{erp}", "  revenue: gl",
             "  local_currency: USD", "  fields:", *(f"    {f}" for f in fields)]  # fmt: skip
    return "erp:\n" + "\n".join(lines) + "\n"
