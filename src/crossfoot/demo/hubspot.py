"""Write the demo company's CRM side as HubSpot CRM API v3 pages (or UI export CSV).

The same accounts, deals and lines as :func:`crossfoot.demo.writers.write_salesforce`,
as ``GET /crm/v3/objects/<object>`` response bodies (``companies``, ``deals``,
``line_items``, ``products``; 100 records a page, the API's largest, each page but
the last with ``paging.next``) and ``pipelines.json`` (``GET /crm/v3/pipelines/deals``).
Deal stages are internal ids (``closedwon``, a numeric id for the custom stage)
that the pipelines resolve to the labels of the definitions. Record ids are
HubSpot-style numbers; :class:`HubSpotIds` translates the Salesforce ids the
generator keeps, so NetSuite's cross-references and ``labels.csv`` carry them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossfoot.demo.catalog import PRODUCTS, USERS
from crossfoot.demo.names import COUNTRIES
from crossfoot.demo.records import Account, Customer, Deal, Txn
from crossfoot.demo.writers import _write_csv

PAGE_SIZE = 100  # the CRM objects list endpoint returns at most 100 records a page
BASE = "https://api.hubapi.com/crm/v3/objects"

#: stage label (as the generator names it) -> internal stage id in the pipeline
STAGE_IDS = {
    "Prospecting": "appointmentscheduled",
    "Qualification": "qualifiedtobuy",
    "Negotiation": "contractsent",
    "Closed Won - Pending Signature": "1040563012",  # a custom stage: numeric id
    "Closed Won": "closedwon",
    "Closed Lost": "closedlost",
}
_PROBABILITY = {"closedwon": "1.0", "closedlost": "0.0", "1040563012": "0.9"}


@dataclass
class HubSpotIds:
    """Salesforce id (as the generator keeps it) -> HubSpot record id."""

    ids: dict[str, str] = field(default_factory=dict)

    def of(self, sf_id: str | None) -> str | None:
        return None if sf_id is None else self.ids.get(sf_id, sf_id)

    @classmethod
    def assign(cls, accounts: list[Account], deals: list[Deal]) -> HubSpotIds:
        ids = {a.sf_id: str(21_000_000_000 + a.index) for a in accounts}
        ids.update({d.sf_id: str(31_000_000_000 + d.index) for d in deals})
        lines = (x for d in deals for x in d.lines)
        ids.update({x.sf_id: str(41_000_000_000 + i) for i, x in enumerate(lines, start=1)})
        ids.update({p.sf_id: str(51_000_000 + i) for i, p in enumerate(PRODUCTS, start=1)})
        return cls(ids)

    def relink(self, customers: Iterable[Customer], txns: Iterable[Txn]) -> None:
        """Point NetSuite's CRM references at the HubSpot ids."""
        for c in customers:
            c.account_ref = self.of(c.account_ref)
        for t in txns:
            t.opportunity = self.of(t.opportunity)


#: association type per associated object, as the API labels the default (primary) one
_ASSOCIATION = {"companies": "deal_to_company", "line_items": "deal_to_line_item",
                "deals": "line_item_to_deal"}  # fmt: skip


def _record(id_: str, props: dict[str, str | None], stamp: str, **assoc: list[str]) -> Any:
    rec: dict[str, Any] = {
        "id": id_,
        "properties": {"hs_object_id": id_, **{k: v for k, v in props.items() if v is not None}},
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }
    if assoc:
        rec["associations"] = {
            obj: {"results": [{"id": i, "type": _ASSOCIATION[obj]} for i in linked]}
            for obj, linked in assoc.items()
            if linked
        }
    return rec


def _pages(folder: Path, obj: str, records: list[Any]) -> int:
    """Write ``obj.1.json``, ``obj.2.json``... exactly as the API pages them."""
    for n, start in enumerate(range(0, max(len(records), 1), PAGE_SIZE), start=1):
        body: dict[str, Any] = {"results": records[start : start + PAGE_SIZE]}
        after = start + PAGE_SIZE
        if after < len(records):
            link = f"{BASE}/{obj}?limit={PAGE_SIZE}&after={after}"
            body["paging"] = {"next": {"after": str(after), "link": link}}
        (folder / f"{obj}.{n}.json").write_text(json.dumps(body), encoding="utf-8")
    return len(records)


def _stamp(sf_datetime: str) -> str:
    """Salesforce ``2026-03-31T12:00:00.000+0000`` -> HubSpot ``2026-03-31T12:00:00.000Z``."""
    return sf_datetime.replace("+0000", "Z") if sf_datetime else ""


def _domain(website: str) -> str:
    return website.split("//")[-1].removeprefix("www.").split("/")[0]


def write_hubspot(
    folder: Path, accounts: list[Account], deals: list[Deal], ids: HubSpotIds, fmt: str = "json"
) -> dict[str, int]:
    """API pages (``fmt="json"``) or UI export CSV files (``fmt="csv"``)."""
    folder.mkdir(parents=True, exist_ok=True)
    companies = [
        _record(
            str(ids.of(a.sf_id)),
            {
                "name": a.company.salesforce,
                "domain": _domain(a.website),
                "country": COUNTRIES[a.company.country][0],
                "netsuite_customer_id": str(a.customer.ns_id) if a.linked else None,
            },
            f"{a.created.isoformat()}T09:00:00.000Z",
        )
        for a in accounts
    ]
    owners = {u.sf_id: str(70_000_001 + i) for i, u in enumerate(USERS)}
    deal_records = []
    line_records = []
    for d in deals:
        so = d.sales_order
        lines = [str(ids.of(x.sf_id)) for x in d.lines]
        props: dict[str, str | None] = {
            "dealname": d.name,
            "dealstage": STAGE_IDS[d.stage],
            "pipeline": "default",
            "closedate": f"{d.close.isoformat()}T00:00:00Z",
            "amount": f"{d.amount:.2f}",
            "deal_currency_code": d.account.currency,
            "hubspot_owner_id": owners[d.owner.sf_id],
            "delivery_status": d.delivery_status or None,
            "netsuite_sales_order": str(so.id) if so else None,
            "createdate": _stamp(d.created_at),
            "hs_lastmodifieddate": _stamp(d.modified_at),
        }
        company = str(ids.of(d.account.sf_id))
        deal_id = str(ids.of(d.sf_id))
        deal_records.append(
            _record(deal_id, props, _stamp(d.modified_at), companies=[company], line_items=lines)
        )
        for x, line_id in zip(d.lines, lines, strict=True):
            line_props: dict[str, str | None] = {
                "name": x.product.name,
                "quantity": str(x.quantity),
                "price": f"{x.unit_price:.2f}",
                "amount": f"{x.amount:.2f}",
                "hs_product_id": ids.of(x.product.sf_id),
                "hs_sku": x.product.code,
                "hs_recurring_billing_period": "P12M" if x.start else None,
                "hs_recurring_billing_start_date": x.start.isoformat() if x.start else None,
            }
            line_records.append(
                _record(line_id, line_props, _stamp(d.modified_at), deals=[deal_id])
            )
    products = [
        _record(
            str(ids.of(p.sf_id)),
            {"name": p.name, "hs_sku": p.code, "product_family": p.family},
            "2025-01-01T00:00:00.000Z",
        )
        for p in PRODUCTS
    ]
    objects = (
        ("companies", companies),
        ("deals", deal_records),
        ("line_items", line_records),
        ("products", products),
    )
    if fmt == "csv":
        names = {owners[u.sf_id]: u.name for u in USERS}
        return {f"hubspot/{obj}": _export(folder, obj, records, names) for obj, records in objects}
    counts = {f"hubspot/{obj}": _pages(folder, obj, records) for obj, records in objects}
    people = [  # GET /crm/v3/owners: the owner's own fields, no properties
        {"id": owners[u.sf_id], "email": u.email, "type": "PERSON",
         "firstName": u.name.split(" ", 1)[0], "lastName": u.name.split(" ", 1)[1],
         "userId": 9_000_001 + i, "createdAt": "2025-01-02T09:00:00.000Z",
         "updatedAt": "2025-01-02T09:00:00.000Z", "archived": False}
        for i, u in enumerate(USERS)
    ]  # fmt: skip
    counts["hubspot/owners"] = _pages(folder, "owners", people)
    stages = [
        {"id": sid, "label": label, "displayOrder": i, "archived": False,
         "metadata": {"isClosed": str(label.startswith("Closed")).lower(),
                      "probability": _PROBABILITY.get(sid, "0.4")}}
        for i, (label, sid) in enumerate(STAGE_IDS.items())
    ]  # fmt: skip
    pipelines = {
        "results": [
            {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
             "stages": stages}
        ]
    }  # fmt: skip
    (folder / "pipelines.json").write_text(json.dumps(pipelines), encoding="utf-8")
    counts["hubspot/pipelines"] = len(stages)
    return counts


#: UI export headers (display labels) -> property, or ``@object`` for associated ids
EXPORT_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "companies": (
        ("Record ID", "id"), ("Company name", "name"), ("Company Domain Name", "domain"),
        ("Country/Region", "country"), ("NetSuite Customer ID", "netsuite_customer_id"),
    ),
    "deals": (
        ("Record ID", "id"), ("Deal Name", "dealname"), ("Deal Stage", "dealstage"),
        ("Pipeline", "pipeline"), ("Close Date", "closedate"), ("Amount", "amount"),
        ("Currency", "deal_currency_code"), ("Deal owner", "hubspot_owner_id"),
        ("Associated Company IDs (Primary)", "@companies"), ("Delivery Status", "delivery_status"),
        ("NetSuite Sales Order", "netsuite_sales_order"), ("Create Date", "createdate"),
        ("Last Modified Date", "hs_lastmodifieddate"),
    ),
    "line_items": (
        ("Record ID", "id"), ("Associated Deal IDs", "@deals"), ("Name", "name"),
        ("Quantity", "quantity"), ("Unit price", "price"), ("Net price", "amount"),
        ("Product ID", "hs_product_id"), ("SKU", "hs_sku"), ("Term", "hs_recurring_billing_period"),
        ("Billing start date", "hs_recurring_billing_start_date"),
    ),
    "products": (("Record ID", "id"), ("Name", "name"), ("SKU", "hs_sku"),
                 ("Product Family", "product_family")),
}  # fmt: skip
_STAGE_LABELS = {sid: label for label, sid in STAGE_IDS.items()}


def _shown(prop: str, value: str, owners: dict[str, str]) -> str:
    """A property value as the UI shows (and exports) it."""
    if prop == "dealstage":
        return _STAGE_LABELS[value]
    if prop == "pipeline":
        return "Sales Pipeline"
    if prop == "hubspot_owner_id":
        return owners[value]
    if prop == "closedate":
        return value[:10]
    if prop in ("createdate", "hs_lastmodifieddate"):
        return value[:10] + " " + value[11:16]
    if prop == "hs_recurring_billing_period":
        return value.removeprefix("P").removesuffix("M") + " months"
    return value


def _export(folder: Path, obj: str, records: list[Any], owners: dict[str, str]) -> int:
    """``obj.csv`` as CRM > <object> > Export writes it: display-label headers."""

    def row(rec: Any) -> list[str | None]:
        props, out = rec["properties"], []
        for _, prop in EXPORT_COLUMNS[obj]:
            if prop == "id":
                out.append(rec["id"])
            elif prop.startswith("@"):
                linked = rec.get("associations", {}).get(prop[1:], {}).get("results", [])
                out.append(";".join(x["id"] for x in linked))
            else:
                value = props.get(prop)
                out.append(None if value is None else _shown(prop, value, owners))
        return out

    header = [label for label, _ in EXPORT_COLUMNS[obj]]
    return _write_csv(folder / f"{obj}.csv", header, (row(r) for r in records), crlf=False)


CRM_DEFINITIONS = """\
crm:
  system: hubspot
  source: data/hubspot
  fields:
    product_line: products.product_family
    delivery_status: deals.delivery_status
    erp_ref: deals.netsuite_sales_order
    erp_customer_ref: companies.netsuite_customer_id
"""
