"""Salesforce exports -> account, deal, deal_line: CSV (any header case) and REST JSON."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from source_fixtures import opportunity

from crossfoot.errors import ConfigError, InputError

FIELDS = {
    "delivery_status": "Opportunity.Delivery_Status__c",
    "erp_ref": "Opportunity.NetSuite_Sales_Order__c",
    "erp_customer_ref": "Account.NetSuite_Customer_Id__c",
    "service_end": "OpportunityLineItem.Service_End_Date__c",
}
ACCOUNTS = """ID,NAME,WEBSITE,BILLINGCOUNTRY,NETSUITE_CUSTOMER_ID__C
001A,Acme Corp,https://www.acme.com/about,US,101
001B,"Beta, Inc.",beta.io,DE,
"""
OPPORTUNITIES = """ID,ACCOUNTID,NAME,STAGENAME,CLOSEDATE,AMOUNT,CURRENCYISOCODE,OWNERID,LASTMODIFIEDDATE,DELIVERY_STATUS__C,NETSUITE_SALES_ORDER__C
006A,001A,Big deal,Closed Won,2026-03-31,"1,234.56",USD,005A,2026-03-31T12:00:00.000+0000,Delivered,SO-1
006B,001B,Euro deal,Closed Won,2026-02-15,500,eur,005X,2026-02-16T08:30:00.000Z,,
006C,001B,No amount,Prospecting,2026-05-01,,,,,,
"""
USERS = "ID,NAME\n005A,Alice Rep\n"
PRODUCTS = (
    "ID,NAME,PRODUCTCODE,FAMILY\n01tA,Widget,W-1,Hardware\n01tB,Subscription,S-1,Subscription\n"
)
LINES = """ID,OPPORTUNITYID,PRODUCT2ID,PRODUCTCODE,QUANTITY,UNITPRICE,TOTALPRICE,SERVICEDATE,SERVICE_END_DATE__C
00kA,006A,01tA,,2,500,1000,,
00kB,006A,01tB,OVR,1,234.56,234.56,2026-04-01,2027-03-31
00kC,006Z,01tB,,1,1,1,,
00kD,006B,,,1,500,500,,
"""
DATA_LOADER = {
    "Account.csv": ACCOUNTS, "Opportunity.csv": OPPORTUNITIES, "User.csv": USERS,
    "Product2.csv": PRODUCTS, "OpportunityLineItem.csv": LINES,
}  # fmt: skip


def test_data_loader_exports(build):
    loaded = build(sf=DATA_LOADER, crm={"fields": FIELDS})
    accounts = loaded.by_id("account", "account_id")
    assert accounts["001A"] == {
        "account_id": "001A", "name": "Acme Corp", "domain": "acme.com", "country": "US",
        "erp_customer_ref": "101", "source_system": "salesforce", "source_file": "data/sf/Account.csv",
        "source_line": 2,
    }  # fmt: skip
    assert (accounts["001B"]["name"], accounts["001B"]["erp_customer_ref"]) == ("Beta, Inc.", None)

    deals = loaded.by_id("deal", "deal_id")
    a = deals["006A"]
    assert (a["amount"], a["currency"], a["owner"], a["close_date"]) == (
        Decimal("1234.56"), "USD", "Alice Rep", date(2026, 3, 31),
    )  # fmt: skip
    assert (a["delivery_status"], a["erp_ref"], a["last_modified"]) == (
        "Delivered",
        "SO-1",
        datetime(2026, 3, 31, 12),
    )
    b = deals["006B"]
    assert (b["currency"], b["owner"], b["delivery_status"]) == (
        "EUR",
        "005X",
        None,
    )  # unknown user: the id
    c = deals["006C"]
    assert (c["amount"], c["currency"], c["owner"]) == (
        None,
        "USD",
        None,
    )  # reporting currency by default

    lines = loaded.by_id("deal_line", "line_id")
    assert (lines["00kA"]["product_code"], lines["00kA"]["product_line"]) == ("W-1", "Hardware")
    assert lines["00kA"]["quantity"] == Decimal("2") and lines["00kA"]["amount"] == Decimal(
        "1000.00"
    )
    assert lines["00kB"]["product_code"] == "OVR"  # the line's own code wins
    assert (lines["00kB"]["service_start"], lines["00kB"]["service_end"]) == (
        date(2026, 4, 1),
        date(2027, 3, 31),
    )
    assert lines["00kD"]["product_line"] is None
    (orphan,) = loaded.rejects()
    assert (orphan["source_line"], orphan["field"], orphan["value"]) == (4, "OpportunityId", "006Z")
    assert "'006Z' is not a loaded opportunity" in orphan["reason"]
    for f in loaded.files:
        assert f.conserved
    assert loaded.file("OpportunityLineItem.csv").rows_rejected == 1


def test_custom_fields_through_relationships(build):
    sf = dict(DATA_LOADER)
    sf["Opportunity.csv"] = opportunity(
        "006A,001A,A,Closed Won,2026-03-31,10,Services,2026-04-15,005A",
        header="Id,AccountId,Name,StageName,CloseDate,Amount,Product_Line__c,Contract_Signed__c,OwnerId",
    )
    sf["OpportunityLineItem.csv"] = "Id,OpportunityId,TotalPrice\n00kA,006A,10\n"
    fields = {"product_line": "Opportunity.Product_Line__c", "close_date": "Opportunity.Contract_Signed__c",
              "owner": "User.Name", "domain": "Account.Website"}  # fmt: skip
    loaded = build(sf=sf, crm={"fields": fields})
    (deal,) = loaded.rows("deal")
    assert (deal["close_date"], deal["owner"]) == (date(2026, 4, 15), "Alice Rep")
    assert loaded.by_id("account", "account_id")["001A"]["domain"] == "acme.com"
    (line,) = loaded.rows("deal_line")
    assert line["product_line"] == "Services"


def test_a_mapped_field_needs_its_relationship_column(build):
    with pytest.raises(InputError) as err:
        build(sf={"User.csv": USERS}, crm={"fields": {"owner": "User.Name"}})
    assert err.value.location == "data/sf/Opportunity.csv:1"
    assert (
        "missing required column 'OwnerId' (crm.fields.owner names User.Name)" in err.value.message
    )


def test_a_mapped_column_missing_from_the_export_is_named(build):
    sf = {"Opportunity.csv": opportunity("006A,001A,A,Closed Won,2026-03-31,10")}
    with pytest.raises(InputError) as err:
        build(sf=sf, crm={"fields": {"delivery_status": "Opportunity.Delivery_Status__c"}})
    assert err.value.location == "data/sf/Opportunity.csv:1"
    assert (
        "'Delivery_Status__c'" in err.value.message
        and "crm.fields.delivery_status" in err.value.message
    )


def test_a_mapped_object_without_export_is_named(build):
    message = "crm.fields.product_line names Product2.Family but there is no Product2"
    with pytest.raises(InputError, match=re.escape(message)):
        build(sf={"OpportunityLineItem.csv": "Id,OpportunityId,Product2Id,TotalPrice\n"},
              crm={"fields": {"product_line": "Product2.Family"}})  # fmt: skip


def test_an_unreachable_object_is_a_definitions_error(build):
    with pytest.raises(ConfigError) as err:
        build(
            sf={"Account.csv": "Id,Name\n"},
            crm={"fields": {"erp_customer_ref": "Opportunity.Customer__c"}},
        )
    assert err.value.location == "crm.fields.erp_customer_ref"
    assert "cannot be reached from Account" in err.value.message


def page(records, *, done=True, total=None, next_url=None):
    return json.dumps({
        "totalSize": len(records) if total is None else total, "done": done,
        **({"nextRecordsUrl": next_url} if next_url else {}), "records": records,
    })  # fmt: skip


def sf_record(obj, **fields):
    return {
        "attributes": {
            "type": obj,
            "url": f"/services/data/v60.0/sobjects/{obj}/{fields.get('Id')}",
        },
        **fields,
    }


def test_rest_api_pages(build):
    opp = [
        sf_record("Opportunity", Id="006A", AccountId="001A", Name="A", StageName="Closed Won",
                  CloseDate="2026-03-31", Amount=1234.5, Owner={"attributes": {"type": "User"}, "Name": "Alice"},
                  Account={"attributes": {"type": "Account"}, "Name": "Acme"}, IsWon=True,
                  OpportunityLineItems={"totalSize": 1, "done": True, "records": []}),
        sf_record("Opportunity", Id="006B", AccountId=None, Name="B", StageName="Closed Won",
                  CloseDate="2026-04-01", Amount=99),
    ]  # fmt: skip
    opp2 = [sf_record("Opportunity", Id="006C", AccountId="001A", Name="C", StageName="Closed Lost",
                      CloseDate="2026-04-02", Amount="N/A")]  # fmt: skip
    lines = [
        sf_record(
            "OpportunityLineItem",
            Id="00kA",
            OpportunityId="006A",
            TotalPrice=1234.5,
            Product2={
                "attributes": {"type": "Product2"},
                "ProductCode": "W-1",
                "Family": "Hardware",
            },
        )
    ]
    sf = {
        "Opportunity.1.json": page(
            opp, done=False, total=3, next_url="/services/data/v60.0/query/01g-2000"
        ),
        "Opportunity.2.json": page(opp2, total=3),
        "OpportunityLineItem.json": page(lines),
    }
    loaded = build(sf=sf)
    deals = loaded.by_id("deal", "deal_id")
    assert deals["006A"]["amount"] == Decimal("1234.50") and deals["006A"]["owner"] == "Alice"
    assert (deals["006A"]["source_file"], deals["006A"]["source_line"]) == (
        "data/sf/Opportunity.1.json",
        1,
    )
    assert (deals["006B"]["source_line"], deals["006B"]["account_id"]) == (2, None)
    (reject,) = loaded.rejects()
    assert (reject["source_file"], reject["source_line"]) == ("data/sf/Opportunity.2.json", 1)
    assert reject["reason"] == "field 'Amount': 'N/A' is not a number"
    (line,) = loaded.rows("deal_line")
    assert (line["product_code"], line["product_line"]) == ("W-1", "Hardware")
    pages = [
        (f.path, f.rows_read, f.rows_loaded, f.rows_rejected)
        for f in loaded.files
        if f.system == "salesforce"
    ]
    assert pages == [
        ("data/sf/Opportunity.1.json", 2, 2, 0),
        ("data/sf/Opportunity.2.json", 1, 0, 1),
        ("data/sf/OpportunityLineItem.json", 1, 1, 0),
    ]


def test_rest_page_set_that_is_not_done(build):
    with pytest.raises(InputError) as err:
        build(sf={"Opportunity.1.json": page([], done=False, next_url="/next")})
    assert err.value.location == "data/sf/Opportunity.1.json"
    assert "done: false" in err.value.message


def test_rest_total_size_must_match(build):
    with pytest.raises(
        InputError, match="the pages hold 0 records but the first page says there are 5"
    ):
        build(sf={"Opportunity.json": page([], total=5)})


def test_malformed_json_names_the_line(build):
    with pytest.raises(InputError) as err:
        build(sf={"Opportunity.json": '{"records": [\n  {"Id": "006A",}\n]}'})
    assert err.value.location == "data/sf/Opportunity.json:2"
    assert err.value.message.startswith("not valid JSON")


def test_a_json_record_that_is_not_an_object(build):
    with pytest.raises(InputError) as err:
        build(sf={"Opportunity.json": page([sf_record("Opportunity", Id="1"), "oops"])})
    assert err.value.location == "data/sf/Opportunity.json:2"


def test_json_records_missing_a_required_field(build):
    with pytest.raises(InputError) as err:
        build(sf={"Opportunity.json": page([sf_record("Opportunity", Id="006A", Name="A")])})
    assert err.value.location == "data/sf/Opportunity.json:1"
    assert "missing required field 'AccountId'" in err.value.message


def test_empty_json_page_is_fine(build):
    loaded = build(sf={"Opportunity.json": page([])})
    assert loaded.rows("deal") == []
    assert loaded.file("Opportunity.json").rows_read == 0


def test_json_numbers_keep_their_exact_value(build):
    text = (
        '{"totalSize": 4, "done": true, "records": ['
        '{"Id": "006A", "AccountId": "001A", "Name": "A", "StageName": "Closed Won", '
        '"CloseDate": "2026-03-31", "Amount": 9999999999999.99, "IsWon": true},'
        '{"Id": "006B", "AccountId": "001A", "Name": "B", "StageName": "Closed Won", '
        '"CloseDate": "2026-03-31", "Amount": 0.1, "IsWon": false},'
        '{"Id": "006C", "AccountId": "001A", "Name": "C", "StageName": "Closed Won", '
        '"CloseDate": "2026-03-31", "Amount": 1.5e3},'
        '{"Id": "006D", "AccountId": "001A", "Name": "D", "StageName": "Closed Won", '
        '"CloseDate": "2026-03-31", "Amount": NaN}]}'
    )
    loaded = build(sf={"Opportunity.json": text})
    amounts = {d["deal_id"]: d["amount"] for d in loaded.rows("deal")}
    assert amounts == {
        "006A": Decimal("9999999999999.99"),
        "006B": Decimal("0.10"),
        "006C": Decimal("1500.00"),
    }
    (reject,) = loaded.rejects()
    assert (reject["source_line"], reject["reason"]) == (4, "field 'Amount': 'NaN' is not a number")


def test_opportunity_history_gives_the_amount_changes_after_the_close(build):
    # OpportunityHistory: one row per change of stage, amount or close date
    history = (
        "Id,OpportunityId,StageName,Amount,CreatedDate\n"
        "008A,006A,Negotiation,1000.00,2026-03-01T09:00:00.000+0000\n"  # before the close
        "008B,006A,Closed Won,1234.56,2026-03-31T12:00:00.000+0000\n"
        "008C,006A,Closed Won,1234.56,2026-04-20T12:00:00.000+0000\n"  # a stage-only change
        "008D,006A,Closed Won,1100.00,2026-05-10T08:00:00.000Z\n"  # a credit reflected
        "008E,006B,Closed Won,,2026-06-01T08:00:00.000Z\n"  # no amount: not a change
    )
    loaded = build(sf={**DATA_LOADER, "OpportunityHistory.csv": history}, crm={"fields": FIELDS})
    (change,) = loaded.rows("deal_change")
    assert (change["deal_id"], change["changed_on"]) == ("006A", date(2026, 5, 10))
    assert (change["amount_before"], change["amount_after"]) == (
        Decimal("1234.56"), Decimal("1100.00")
    )  # fmt: skip
    assert change["end_after"] is None and change["source_line"] == 5


def test_a_line_whose_quantity_times_price_is_out_of_range_is_rejected(build):
    # each field is in range, their product is ten trillion or more: the engine
    # prices lines by quantity × list price and would overflow there
    sf = dict(DATA_LOADER)
    sf["OpportunityLineItem.csv"] = (
        "ID,OPPORTUNITYID,QUANTITY,UNITPRICE,LISTPRICE,TOTALPRICE,SERVICE_END_DATE__C\n"
        "00kA,006A,2,500,600,1000,\n"
        "00kB,006A,100000000,100000,1,1,\n"
        "00kC,006A,-100000000,1,100000.5,1,\n"
        "00kD,006A,99999999,100000,1,1,\n"
    )
    loaded = build(sf=sf, crm={"fields": FIELDS})
    assert sorted(loaded.by_id("deal_line", "line_id")) == ["00kA", "00kD"]
    rejects = {r["source_line"]: r for r in loaded.rejects()}
    assert sorted(rejects) == [3, 4]
    assert (rejects[3]["field"], rejects[3]["value"]) == (
        "Quantity × UnitPrice",
        "100000000.0000 × 100000.0000",
    )
    assert rejects[3]["reason"] == (
        "Quantity × UnitPrice is 10000000000000.00000000, out of range "
        "(an amount must be below 10,000,000,000,000 in size)"
    )
    assert rejects[4]["field"] == "Quantity × ListPrice"
    assert loaded.file("OpportunityLineItem.csv").conserved
