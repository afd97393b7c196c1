"""Write the demo company as the files of docs/inputs.md.

Salesforce: Data Loader CSV (API names as headers, ``yyyy-MM-dd`` dates, CRLF).
NetSuite: SuiteQL REST pages ``<table>.<n>.json`` of 1000 items, every value a
string and null values left out (as SuiteQL returns them), dates ``M/D/YYYY``,
booleans ``T``/``F``; or the same columns as ``<table>.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from json.encoder import encode_basestring as _quote  # C-accelerated
from pathlib import Path

from crossfoot.demo.catalog import PRODUCT_LINES, PRODUCTS, USERS, FxRates
from crossfoot.demo.names import COUNTRIES
from crossfoot.demo.records import Account, Customer, Deal, Revenue, Txn

Row = Sequence[str | None]
PAGE_SIZE = 1000
CLASS_IDS = {name: str(i) for i, name in enumerate(PRODUCT_LINES, start=1)}

SALESFORCE_COLUMNS = {
    "Account": (
        "Id",
        "Name",
        "Type",
        "Website",
        "BillingCountry",
        "CurrencyIsoCode",
        "OwnerId",
        "NetSuite_Customer_Id__c",
        "CreatedDate",
    ),
    "Opportunity": (
        "Id",
        "AccountId",
        "Name",
        "StageName",
        "CloseDate",
        "Amount",
        "CurrencyIsoCode",
        "Probability",
        "IsClosed",
        "IsWon",
        "OwnerId",
        "Type",
        "Delivery_Status__c",
        "NetSuite_Sales_Order__c",
        "CreatedDate",
        "LastModifiedDate",
    ),
    "OpportunityLineItem": (
        "Id",
        "OpportunityId",
        "Product2Id",
        "ProductCode",
        "Name",
        "Quantity",
        "UnitPrice",
        "TotalPrice",
        "ServiceDate",
        "Service_End_Date__c",
    ),
    "Product2": ("Id", "Name", "ProductCode", "Family", "IsActive"),
    "User": ("Id", "Name", "Email", "IsActive"),
}
NETSUITE_COLUMNS = {
    "customer": (
        "id",
        "entityid",
        "companyname",
        "email",
        "url",
        "country",
        "custentity_sf_account_id",
    ),
    "transaction": (
        "id",
        "tranid",
        "type",
        "trandate",
        "entity",
        "currency",
        "exchangerate",
        "status",
        "createddate",
        "createdfrom",
        "memo",
        "custbody_sf_opportunity_id",
    ),
    "transactionline": (
        "id",
        "transaction",
        "mainline",
        "taxline",
        "item",
        "class",
        "netamount",
        "createdfrom",
        "actualshipdate",
        "custcol_rev_start",
        "custcol_rev_end",
    ),
    "item": ("id", "itemid", "displayname", "itemtype"),
    "classification": ("id", "name"),
    "revenue": (
        "trandate",
        "amount",
        "transaction",
        "transactionline",
        "entity",
        "currency",
        "class",
    ),
}
_PROBABILITY = {"Closed Won": "100", "Closed Won - Pending Signature": "90", "Closed Lost": "0"}


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Row], crlf: bool) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    return count


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def write_salesforce(folder: Path, accounts: list[Account], deals: list[Deal]) -> dict[str, int]:
    acc_rows = (
        (
            a.sf_id,
            a.company.salesforce,
            "Customer",
            a.website,
            COUNTRIES[a.company.country][0],
            a.currency,
            a.owner.sf_id,
            str(a.customer.ns_id) if a.linked else "",
            f"{a.created.isoformat()}T09:00:00.000+0000",
        )
        for a in accounts
    )

    def opp(d: Deal) -> Row:
        so = d.sales_order
        closed = d.stage.startswith("Closed")
        won = d.stage.startswith("Closed Won")
        return (
            d.sf_id,
            d.account.sf_id,
            d.name,
            d.stage,
            d.close.isoformat(),
            f"{d.amount:.2f}",
            d.account.currency,
            _PROBABILITY.get(d.stage, "40"),
            str(closed).lower(),
            str(won).lower(),
            d.owner.sf_id,
            "New Business",
            d.delivery_status,
            str(so.id) if so else "",
            d.created_at,
            d.modified_at,
        )

    line_rows = (
        (
            x.sf_id,
            d.sf_id,
            x.product.sf_id,
            x.product.code,
            x.product.name,
            str(x.quantity),
            f"{x.unit_price:.2f}",
            f"{x.amount:.2f}",
            _iso(x.start),
            _iso(x.end),
        )
        for d in deals
        for x in d.lines
    )
    tables: dict[str, Iterable[Row]] = {
        "Account": acc_rows,
        "Opportunity": (opp(d) for d in deals),
        "OpportunityLineItem": line_rows,
        "Product2": ((p.sf_id, p.name, p.code, p.family, "true") for p in PRODUCTS),
        "User": ((u.sf_id, u.name, u.email, "true") for u in USERS),
    }
    return {
        f"salesforce/{name}": _write_csv(
            folder / f"{name}.csv", SALESFORCE_COLUMNS[name], rows, crlf=True
        )
        for name, rows in tables.items()
    }


class _NetSuiteDates:
    """``M/D/YYYY``, cached: the same few hundred dates are written a million times."""

    def __init__(self) -> None:
        self._cache: dict[date, str] = {}

    def __call__(self, d: date | None) -> str | None:
        if d is None:
            return None
        s = self._cache.get(d)
        if s is None:
            s = self._cache[d] = f"{d.month}/{d.day}/{d.year}"
        return s


def netsuite_tables(
    customers: list[Customer], txns: list[Txn], revenue: list[Revenue]
) -> dict[str, Iterable[Row]]:
    day = _NetSuiteDates()
    cust_rows = (
        (str(c.ns_id), f"C{c.ns_id}", c.name, c.email, c.url, c.country, c.account_ref)
        for c in customers
    )
    entity = {id(c): str(c.ns_id) for c in customers}
    txn_rows = (
        (
            t.ref,
            t.tranid,
            t.type,
            day(t.trandate),
            entity[id(t.customer)],
            t.currency,
            str(t.rate),
            t.status,
            day(t.created),
            t.created_from.ref if t.created_from else None,
            t.memo or None,
            t.opportunity,
        )
        for t in txns
    )
    class_ids: dict[str | None, str | None] = {None: None}
    class_ids.update(CLASS_IDS)
    line_rows = (
        (
            x.ref,
            t.ref,
            "T" if x.kind == "main" else "F",
            "T" if x.kind == "tax" else "F",
            x.item.ns_ref if x.item else None,
            class_ids[x.product_line],
            f"{x.netamount:.2f}",
            x.created_from.ref if x.created_from else None,
            day(x.ship),
            day(x.rev_start),
            day(x.rev_end),
        )
        for t in txns
        for x in t.lines
    )
    rev_rows = (
        (
            day(r.month),
            f"{r.amount:.2f}",
            r.txn.ref,
            r.line.ref,
            entity[id(r.txn.customer)],
            r.txn.currency,
            class_ids[r.line.product_line],
        )
        for r in revenue
    )
    return {
        "customer": cust_rows,
        "transaction": txn_rows,
        "transactionline": line_rows,
        "item": ((str(p.ns_id), p.code, p.name, p.item_type) for p in PRODUCTS),
        "classification": ((CLASS_IDS[n], n) for n in PRODUCT_LINES),
        "revenue": rev_rows,
    }


def _write_pages(folder: Path, table: str, header: Sequence[str], rows: list[Row]) -> int:
    """SuiteQL REST pages: ``{"links", "count", "hasMore", "items", "offset", "totalResults"}``.

    The JSON is assembled from escaped strings (what ``json.dumps`` would write,
    compact, non-ASCII kept): a million items a second instead of a third of that.
    """
    keys = [f'"{name}":' for name in header]
    total = len(rows)
    for page, offset in enumerate(range(0, max(total, 1), PAGE_SIZE), start=1):
        chunk = rows[offset : offset + PAGE_SIZE]
        items = ",".join(
            [
                "{"
                + ",".join([k + _quote(v) for k, v in zip(keys, row, strict=True) if v is not None])
                + "}"
                for row in chunk
            ]
        )
        more = "true" if offset + PAGE_SIZE < total else "false"
        text = (
            f'{{"links":[],"count":{len(chunk)},"hasMore":{more},"items":[{items}],'
            f'"offset":{offset},"totalResults":{total}}}'
        )
        (folder / f"{table}.{page}.json").write_text(text, encoding="utf-8")
    return total


def write_netsuite(
    folder: Path,
    erp_format: str,
    customers: list[Customer],
    txns: list[Txn],
    revenue: list[Revenue],
) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table, rows in netsuite_tables(customers, txns, revenue).items():
        header = NETSUITE_COLUMNS[table]
        if erp_format == "json":
            n = _write_pages(folder, table, header, list(rows))
        else:
            n = _write_csv(folder / f"{table}.csv", header, rows, crlf=False)
        counts[f"netsuite/{table}"] = n
    return counts


def write_fx(path: Path, fx: FxRates) -> int:
    return _write_csv(path, ("date", "from_currency", "to_currency", "rate"), fx.rows, crlf=False)


DEFINITIONS = """\
# The agreed definitions of the demo company (generated by crossfoot.demo).
company: Acme Robotics (demo)
reporting:
  currency: USD
  period: month
  fiscal_calendar: calendar
  fiscal_year_start: 2026-01-01
  as_of: 2026-12-31
crm:
  system: salesforce
  source: data/salesforce
  fields:
    product_line: Product2.Family
    delivery_status: Opportunity.Delivery_Status__c
    erp_ref: Opportunity.NetSuite_Sales_Order__c
    erp_customer_ref: Account.NetSuite_Customer_Id__c
    service_start: OpportunityLineItem.ServiceDate
    service_end: OpportunityLineItem.Service_End_Date__c
erp:
  system: netsuite
  source: data/netsuite
  date_format: M/D/YYYY
  fields:
    crm_deal_ref: transaction.custbody_sf_opportunity_id
    crm_account_ref: customer.custentity_sf_account_id
    product_line: transactionline.class
    rev_start: transactionline.custcol_rev_start
    rev_end: transactionline.custcol_rev_end
    fulfilled_on: transactionline.actualshipdate
fx_rates: data/fx_rates.csv
stages:
  Closed Won: won
  Closed Won - Pending Signature: won_not_booked
  Closed Lost: lost
  Prospecting: open
  Negotiation: open
  "*": open
# "Data Add-on" is sold but has no rule yet (finance has not agreed one).
# Support says daily; the ERP's revenue rule for it is monthly (definition drift).
product_lines:
  Subscription: {rule: ratable, convention: daily}
  Support: {rule: ratable, convention: daily}
  Hardware: {rule: point_in_time, at: delivery}
  Services: {rule: point_in_time, at: close}
tolerances:
  amount_abs: 1.00
  amount_rel: 0.005
  match_window_days: 45
  sync_lag_days: 7
"""
