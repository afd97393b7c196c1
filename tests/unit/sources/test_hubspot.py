"""HubSpot CRM API v3 pages and UI export CSV -> account, deal, deal_line.

Page shapes follow the CRM objects API (``GET /crm/v3/objects/<object>``: results,
properties as strings, associations, paging.next.after) and the pipelines API
(``GET /crm/v3/pipelines/deals``), per
https://developers.hubspot.com/docs/api-reference/latest/crm/objects/line-items/guide
and https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/guide.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from crossfoot.errors import InputError

NONE: dict[str, str | None] = {"Opportunity.csv": None}  # no Salesforce default file


def deal(id_: str, props: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "id": id_, "properties": {"hs_object_id": id_, **props},
        "createdAt": "2026-01-05T10:00:00.000Z", "updatedAt": "2026-04-01T08:00:00.000Z",
        "archived": False, **extra,
    }  # fmt: skip


def assoc(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"results": [{"id": i, "type": t} for i, t in pairs]}


def page(results: list[dict[str, Any]], after: str | None = None) -> str:
    body: dict[str, Any] = {"results": results}
    if after:
        body["paging"] = {
            "next": {"after": after, "link": f"https://api.hubapi.com/x?after={after}"}
        }
    return json.dumps(body)


DEALS_1 = page(
    [
        deal(
            "9001",
            {
                "dealname": "Big deal",
                "dealstage": "closedwon",
                "pipeline": "default",
                "closedate": "2026-03-31T00:00:00Z",
                "amount": "1234.56",
                "deal_currency_code": "EUR",
                "hubspot_owner_id": "77",
                "delivery_status": "Delivered",
            },
            associations={
                "companies": assoc(
                    ("101", "deal_to_company_unlabeled"),
                    ("102", "deal_to_company"),
                    ("102", "deal_to_company_unlabeled"),
                ),
                "line items": assoc(("5003", "deal_to_line_item")),
            },
        ),
        deal(
            "9002",
            {
                "dealname": "Custom stage",
                "dealstage": "123456789",
                "pipeline": "987",
                "closedate": "1772236800000",
                "amount": "500",
                "hs_lastmodifieddate": "1773570600000",
            },
            associations={"line_items": assoc(("5004", "deal_to_line_item"))},
        ),
    ],
    after="2",
)
DEALS_2 = page(
    [
        deal(
            "9003",
            {"dealname": "Gone", "dealstage": "closedwon", "closedate": "not a date"},
            archived=True,  # rejected as deleted, not for its date
        ),
        deal("9004", {"dealname": "No date", "dealstage": "closedwon", "closedate": ""}),
    ]
)
COMPANIES = page(
    [
        deal("101", {"name": "Acme Corp", "domain": "acme.com", "country": "United States"}),
        deal("102", {"name": "Beta GmbH", "domain": "www.beta.de", "country": "Germany"}),
    ]
)
LINES = page(
    [
        deal(
            "5001",
            {
                "name": "Sub",
                "quantity": "2",
                "price": "500.00",
                "amount": "1000.00",
                "hs_product_id": "601",
                "hs_recurring_billing_period": "P12M",
                "hs_recurring_billing_start_date": "2026-04-01",
            },
            associations={"deals": assoc(("9001", "line_item_to_deal"))},
        ),
        deal(
            "5002",
            {"name": "Orphan", "amount": "1"},
            associations={"deals": assoc(("999", "line_item_to_deal"))},
        ),
        deal(
            "5003",
            {
                "name": "Listed on the deal",
                "amount": "234.56",
                "hs_sku": "HW-1",
                "hs_recurring_billing_period": "P1Y6M",
                "hs_recurring_billing_start_date": "1775001600000",
            },
        ),
        deal("5004", {"name": "Bad amount", "amount": "abc"}),
        deal(
            "5005",
            {"name": "Bad term", "amount": "5", "hs_recurring_billing_period": "forever"},
            associations={"deals": assoc(("9001", "line_item_to_deal"))},
        ),
    ]
)
PRODUCTS = page([deal("601", {"name": "Subscription", "hs_sku": "SUB-1",
                              "product_family": "Subscription"})])  # fmt: skip
PIPELINES = json.dumps(
    {
        "results": [
            {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
             "stages": [
                 {"id": "appointmentscheduled", "label": "Appointment Scheduled",
                  "metadata": {"isClosed": "false", "probability": "0.2"}, "archived": False},
                 {"id": "closedwon", "label": "Closed Won",
                  "metadata": {"isClosed": "true", "probability": "1.0"}, "archived": False},
             ]},
            {"id": "987", "label": "Renewals", "displayOrder": 1, "archived": False,
             "stages": [{"id": "123456789", "label": "Closed Won",
                         "metadata": {"isClosed": "true", "probability": "1.0"}}]},
        ]
    }
)  # fmt: skip
#: GET /crm/v3/owners (https://developers.hubspot.com/docs/api-reference/crm-crm-owners-v3/guide)
OWNERS = json.dumps(
    {
        "results": [
            {"id": "77", "email": "alice@example.com", "type": "PERSON", "firstName": "Alice",
             "lastName": "Rep", "userId": 9586504, "createdAt": "2019-12-25T13:01:35.228Z",
             "archived": False, "teams": [{"id": "1", "name": "EMEA", "primary": True}]},
        ]
    }
)  # fmt: skip
API = {
    **NONE, "deals.1.json": DEALS_1, "deals.2.json": DEALS_2, "companies.json": COMPANIES,
    "line_items.json": LINES, "products.json": PRODUCTS, "pipelines.json": PIPELINES,
    "owners.json": OWNERS,
}  # fmt: skip
FIELDS = {"product_line": "products.product_family", "delivery_status": "deals.delivery_status"}


def hubspot(**crm: Any) -> dict[str, Any]:
    return {"system": "hubspot", **crm}


def test_api_pages(build):
    loaded = build(sf=API, crm=hubspot(fields=FIELDS))
    deals = loaded.by_id("deal", "deal_id")
    assert set(deals) == {"9001", "9002"}
    a = deals["9001"]
    assert (a["account_id"], a["stage"], a["close_date"], a["amount"], a["currency"]) == (
        "102", "Closed Won", date(2026, 3, 31), Decimal("1234.56"), "EUR",
    )  # fmt: skip
    assert (a["owner"], a["delivery_status"], a["source_file"], a["source_line"]) == (
        "Alice Rep", "Delivered", "data/sf/deals.1.json", 1,
    )  # fmt: skip
    b = deals["9002"]  # epoch milliseconds; a custom pipeline's numeric stage id
    assert (b["stage"], b["close_date"], b["currency"]) == ("Closed Won", date(2026, 2, 28), "USD")
    assert b["last_modified"] == datetime(2026, 3, 15, 10, 30)
    assert b["account_id"] is None

    accounts = loaded.by_id("account", "account_id")
    assert accounts["102"]["domain"] == "beta.de"

    lines = loaded.by_id("deal_line", "line_id")
    assert set(lines) == {"5001", "5003"}
    sub = lines["5001"]
    assert (sub["deal_id"], sub["product_line"], sub["product_code"], sub["quantity"]) == (
        "9001", "Subscription", "SUB-1", Decimal("2"),
    )  # fmt: skip
    assert (sub["service_start"], sub["service_end"]) == (date(2026, 4, 1), date(2027, 3, 31))
    listed = lines["5003"]  # its deal lists it: associations on the deal's page
    assert (listed["deal_id"], listed["product_code"]) == ("9001", "HW-1")
    assert (listed["service_start"], listed["service_end"]) == (date(2026, 4, 1), date(2027, 9, 30))

    reasons = {(r["source_file"], r["source_line"]): r["reason"] for r in loaded.rejects()}
    assert reasons == {
        ("data/sf/deals.2.json", 1): "deleted in HubSpot (archived = true): excluded",
        ("data/sf/deals.2.json", 2): "field 'closedate' is empty",
        ("data/sf/line_items.json", 2): "associated deal '999' is not a loaded deal "
        "(missing from the deals export, deleted or rejected)",
        ("data/sf/line_items.json", 4): "field 'amount': 'abc' is not a number",
        ("data/sf/line_items.json", 5): "term 'forever' is not a period such as P12M or 12 months",
    }
    counts = {f.path: (f.rows_read, f.rows_loaded, f.rows_rejected) for f in loaded.files}
    assert counts["data/sf/deals.1.json"] == (2, 2, 0)
    assert counts["data/sf/deals.2.json"] == (2, 0, 2)
    assert counts["data/sf/line_items.json"] == (5, 2, 3)
    assert counts["data/sf/pipelines.json"] == (3, 3, 0)  # one row per stage
    assert counts["data/sf/owners.json"] == (1, 1, 0)
    assert all(f.conserved for f in loaded.files)


def test_without_pipelines_and_owners_stage_and_owner_are_kept_as_exported(build):
    loaded = build(sf={**API, "pipelines.json": None, "owners.json": None}, crm=hubspot())
    got = {r["deal_id"]: (r["stage"], r["owner"]) for r in loaded.rows("deal")}
    assert got == {"9001": ("closedwon", "77"), "9002": ("123456789", None)}


def test_a_missing_next_page_is_an_input_error_naming_the_page(build):
    with pytest.raises(InputError) as err:
        build(sf={**API, "deals.2.json": None}, crm=hubspot())
    assert err.value.exit_code == 2
    assert "data/sf/deals.1.json" in str(err.value)
    assert "paging.next" in str(err.value) and "deals.2.json" in str(err.value)


def test_a_page_without_next_before_the_last_is_an_input_error(build):
    with pytest.raises(InputError, match=r"no paging\.next but more pages follow"):
        build(sf={**API, "deals.1.json": page(json.loads(DEALS_1)["results"])}, crm=hubspot())


def test_a_page_that_is_not_a_results_body_is_an_input_error(build):
    with pytest.raises(InputError, match="'results'") as err:
        build(sf={**API, "companies.json": '{"records": []}'}, crm=hubspot())
    assert "data/sf/companies.json:1" in str(err.value)


# ---------------------------------------------------------------- UI export CSV

EXPORT_DEALS = """Record ID,Deal Name,Deal Stage,Close Date,Amount,Pipeline,Deal owner,Associated Company IDs,Currency,Delivery Status
9001,Big deal,Closed Won,2026-03-31 00:00,1234.56,Sales Pipeline,Alice Rep,102;101,EUR,Delivered
9002,Lost one,Closed Lost,2026-02-15,,Sales Pipeline,,,,
9003,No stage,,2026-02-15,10,Sales Pipeline,,101,,
"""
EXPORT_COMPANIES = """Record ID,Company name,Company Domain Name,Country/Region
101,Acme Corp,acme.com,United States
102,Beta GmbH,beta.de,Germany
"""
EXPORT_LINES = """Record ID,Associated Deal IDs,Name,Quantity,Unit price,Net price,Product ID,SKU,Term,Billing start date
5001,9001,Sub,2,500,1000,601,SUB-1,12 months,2026-04-01
5002,9003,Orphan,1,1,1,,,,
"""
EXPORT_PRODUCTS = "Record ID,Name,SKU,Product Family\n601,Subscription,SUB-1,Subscription\n"
EXPORT = {
    **NONE, "deals.csv": EXPORT_DEALS, "companies.csv": EXPORT_COMPANIES,
    "line_items.csv": EXPORT_LINES, "products.csv": EXPORT_PRODUCTS,
}  # fmt: skip


def test_ui_export_csv(build):
    loaded = build(sf=EXPORT, crm=hubspot(fields=FIELDS))
    deals = loaded.by_id("deal", "deal_id")
    assert set(deals) == {"9001", "9002"}
    a = deals["9001"]
    assert (a["account_id"], a["stage"], a["close_date"], a["owner"], a["delivery_status"]) == (
        "102", "Closed Won", date(2026, 3, 31), "Alice Rep", "Delivered",
    )  # fmt: skip
    assert (a["source_file"], a["source_line"]) == ("data/sf/deals.csv", 2)
    (line,) = loaded.rows("deal_line")
    assert (line["line_id"], line["deal_id"], line["product_line"], line["amount"]) == (
        "5001", "9001", "Subscription", Decimal("1000.00"),
    )  # fmt: skip
    assert (line["unit_price"], line["service_end"]) == (Decimal("500"), date(2027, 3, 31))
    reasons = {
        (r["source_file"], r["source_line"]): (r["field"], r["reason"]) for r in loaded.rejects()
    }
    assert reasons == {
        ("data/sf/deals.csv", 4): ("Deal Stage", "field 'Deal Stage' is empty"),
        ("data/sf/line_items.csv", 3): (
            "deal", "associated deal '9003' is not a loaded deal "
            "(missing from the deals export, deleted or rejected)",
        ),
    }  # fmt: skip
    assert all(f.conserved for f in loaded.files)


def test_ui_export_without_a_required_column_names_it(build):
    deals = EXPORT_DEALS.replace("Close Date", "Closing")
    with pytest.raises(InputError, match="missing required column 'Close Date'") as err:
        build(sf={**EXPORT, "deals.csv": deals}, crm=hubspot())
    assert "data/sf/deals.csv:1" in str(err.value)


def test_a_folder_without_deals_is_an_input_error(build):
    with pytest.raises(InputError, match="deals are required"):
        build(sf={**NONE, "companies.csv": EXPORT_COMPANIES}, crm=hubspot())


def test_a_custom_field_missing_from_an_export_names_the_key(build):
    with pytest.raises(InputError, match=r"crm\.fields\.erp_ref"):
        build(sf=EXPORT, crm=hubspot(fields={"erp_ref": "deals.netsuite_sales_order"}))


def test_api_pages_without_a_required_property_name_it(build):
    body = page([deal("1", {"dealname": "x", "closedate": "2026-01-01"})])
    with pytest.raises(InputError, match="missing required field 'dealstage'") as err:
        build(sf={**NONE, "deals.json": body}, crm=hubspot())
    assert "data/sf/deals.json" in str(err.value)


def test_a_line_whose_quantity_times_price_is_out_of_range_is_rejected(build):
    # HubSpot's price is the price book's: quantity × price prices the line under
    # relative SSP, in DECIMAL(18,2), which ten trillion or more overflowed
    lines = page(
        [
            deal(
                "5001",
                {
                    "name": "Huge",
                    "quantity": "100000000",
                    "price": "100000",
                    "amount": "1",
                    "hs_product_id": "601",
                },
                associations={"deals": assoc(("9001", "line_item_to_deal"))},
            ),
            deal(
                "5002",
                {
                    "name": "Fine",
                    "quantity": "99999999",
                    "price": "100000",
                    "amount": "1",
                    "hs_product_id": "601",
                },
                associations={"deals": assoc(("9001", "line_item_to_deal"))},
            ),
        ]
    )
    loaded = build(sf={**API, "line_items.json": lines}, crm=hubspot(fields=FIELDS))
    assert set(loaded.by_id("deal_line", "line_id")) == {"5002"}
    (reject,) = [r for r in loaded.rejects() if r["source_file"].endswith("line_items.json")]
    assert (reject["source_line"], reject["field"]) == (1, "quantity × price")
    assert reject["reason"] == (
        "quantity × price is 10000000000000.00000000, out of range "
        "(an amount must be below 10,000,000,000,000 in size)"
    )
