"""NetSuite SuiteQL results -> customer, document, document_line, revenue."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from source_fixtures import load

from crossfoot.errors import InputError

FIXTURES = Path(__file__).parents[2] / "fixtures"


@pytest.fixture(scope="module")
def acme():
    loaded = load(FIXTURES / "acme" / "crossfoot.yaml")
    yield loaded
    loaded.backend.close()


def test_documents_from_suiteql_pages(acme):
    docs = acme.by_id("document", "doc_id")
    assert sorted(docs) == ["501", "502", "503", "601"]
    so = docs["501"]
    assert (so["doc_type"], so["number"], so["customer_id"], so["date"]) == (
        "order",
        "SO-501",
        "1001",
        date(2026, 3, 31),
    )
    assert (so["currency"], so["exchange_rate"], so["crm_deal_ref"]) == (
        "USD",
        Decimal("1"),
        "006000000000001AAA",
    )
    assert so["created_at"] == datetime(2026, 4, 1, 9, 15)
    assert (so["source_file"], so["source_line"]) == ("netsuite/transaction.1.json", 1)
    # revenue lines only, revenue-signed: tax and main lines are not in the amount
    assert (so["amount"], docs["502"]["amount"], docs["503"]["amount"]) == (
        Decimal("34000.00"), Decimal("34000.00"), Decimal("-1000.00"),
    )  # fmt: skip
    assert docs["502"]["created_from"] == "501"  # from its lines
    assert docs["503"]["created_from"] == "502"  # its own column
    assert (docs["503"]["doc_type"], docs["601"]["doc_type"]) == ("credit_memo", "invoice")
    assert (docs["601"]["currency"], docs["601"]["exchange_rate"]) == ("EUR", Decimal("1.0825"))
    assert (docs["601"]["source_file"], docs["601"]["source_line"]) == (
        "netsuite/transaction.2.json",
        1,
    )


def test_lines_are_revenue_signed_and_resolved(acme):
    lines = {(r["doc_id"], r["line_id"]): r for r in acme.rows("document_line")}
    assert sorted(lines) == [
        ("501", "1"),
        ("501", "2"),
        ("502", "1"),
        ("502", "2"),
        ("503", "1"),
        ("601", "1"),
    ]
    arm = lines[("502", "1")]
    assert (arm["amount"], arm["item_code"], arm["product_line"]) == (
        Decimal("20000.00"),
        "HW-ARM",
        "Hardware",
    )
    assert arm["fulfilled_on"] == date(2026, 4, 10)
    assert lines[("503", "1")]["amount"] == Decimal("-1000.00")  # credit memo: positive netamount
    assert arm["source_line"] == 6


def test_revenue_falls_back_to_its_document(acme):
    rev = acme.rows("revenue")
    assert [
        (r["doc_id"], r["amount"], r["currency"], r["customer_id"], r["product_line"]) for r in rev
    ] == [
        ("502", Decimal("20000.00"), "USD", "1001", "Hardware"),
        ("502", Decimal("1150.68"), "USD", "1001", "Subscription"),
        ("503", Decimal("-1000.00"), "USD", "1001", "Hardware"),
        ("601", Decimal("1019.18"), "EUR", "1002", "Subscription"),
    ]
    assert rev[0]["date"] == date(2026, 4, 30)


def test_customers(acme):
    customers = acme.by_id("customer", "customer_id")
    assert customers["1001"]["domain"] == "acmerobotics.com"  # from the e-mail
    assert customers["1002"]["domain"] == "globex.de"  # from the url
    assert customers["1003"]["name"] == "Initech"  # no companyname: the entityid
    assert customers["1001"]["crm_account_ref"] == "001000000000001AAA"


def test_other_types_and_their_lines_are_rejected_and_counted(acme):
    rejects = [(r["source_file"], r["source_line"], r["field"], r["reason"]) for r in acme.rejects()
               if r["source_system"] == "netsuite"]  # fmt: skip
    assert rejects == [
        ("netsuite/transaction.2.json", 2, "type",
         "transaction type 'VendBill' is not a sales document (SalesOrd, CustInvc, CustCred)"),
        ("netsuite/transactionline.csv", 13, "transaction",
         "belongs to transaction '701' of type 'VendBill', not a sales document"),
    ]  # fmt: skip
    lines = acme.file("transactionline.csv")
    # main and tax lines are valid rows (loaded) but not document lines
    assert (lines.rows_read, lines.rows_loaded, lines.rows_rejected) == (12, 11, 1)
    pages = [
        (f.rows_read, f.rows_loaded, f.rows_rejected)
        for f in acme.files
        if f.table == "transaction"
    ]
    assert pages == [(3, 3, 0), (2, 1, 1)]


TX = "id,type,entity,trandate,currency,exchangerate,tranid"
LINES = "id,transaction,netamount,mainline,taxline,iscogs,class,item"


def test_currency_ids_need_the_currency_table(build):
    loaded = build(ns={
        "transaction.csv": f"{TX}\n1,CustInvc,9,1/31/2026,7,,I1\n2,CustInvc,9,1/31/2026,,,I2\n3,CustInvc,9,1/31/2026,gbp,,I3\n",
    })  # fmt: skip
    docs = loaded.by_id("document", "doc_id")
    assert (docs["2"]["currency"], docs["2"]["exchange_rate"]) == ("USD", Decimal("1"))  # defaults
    assert docs["3"]["currency"] == "GBP"
    (reject,) = loaded.rejects()
    assert (
        reject["reason"]
        == "field 'currency': '7' is not a three-letter currency code or an id in the currency export"
    )


def test_non_revenue_lines_and_duplicates(build):
    lines = "\n".join([
        LINES, "0,1,,T,F,F,,", "1,1,-100.00,F,F,F,5,", "2,1,-7.00,F,T,F,,", "3,1,40.00,F,F,T,,",
        "4,1,,F,F,F,,", "1,1,-1.00,F,F,F,,", "1,2,(50.00),F,F,F,,", "5,3,-1,F,F,F,,", "6,1,-1,X,F,F,,",
    ]) + "\n"  # fmt: skip
    tx = f"{TX}\n1,SalesOrd,9,1/31/2026,,,S1\n2,CustCred,9,2/1/2026,,,C1\n"
    loaded = build(ns={"transaction.csv": tx, "transactionline.csv": lines})
    assert [
        (r["doc_id"], r["line_id"], r["amount"], r["product_line"])
        for r in loaded.rows("document_line")
    ] == [
        ("1", "1", Decimal("100.00"), "5"),  # no classification table: the raw class
        ("2", "1", Decimal("50.00"), None),  # credit memo line with a negative netamount
    ]
    assert [(r["source_line"], r["reason"]) for r in loaded.rejects()] == [
        (7, "duplicate line '1' of transaction '1', first at line 3"),
        (9, "transaction '3' is not in the transaction export"),
        (10, "field 'mainline': 'X' is not T/F or true/false"),
    ]
    f = loaded.file("transactionline.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (9, 6, 3)
    assert loaded.by_id("document", "doc_id")["1"]["amount"] == Decimal("100.00")


def test_lines_of_a_rejected_transaction(build):
    tx = f"{TX}\n1,CustInvc,9,2/30/2026,,,I1\n"
    loaded = build(ns={"transaction.csv": tx, "transactionline.csv": f"{LINES}\n1,1,-5,F,F,F,,\n"})
    assert [r["reason"] for r in loaded.rejects()] == [
        "field 'trandate': '2/30/2026' is not a valid date (expected M/D/YYYY)",
        "belongs to transaction '1', which was rejected",
    ]


def test_day_first_accounts_are_detected_or_set(build, tmp_path):
    tx = f"{TX}\n1,CustInvc,9,31/1/2026,,,I1\n2,CustInvc,9,2/1/2026,,,I2\n"
    loaded = build(ns={"transaction.csv": tx})
    assert {d["doc_id"]: d["date"] for d in loaded.rows("document")} == {
        "1": date(2026, 1, 31),
        "2": date(2026, 1, 2),
    }
    loaded = build(
        ns={"transaction.csv": f"{TX}\n1,CustInvc,9,2/1/2026,,,I1\n"},
        erp={"date_format": "D/M/YYYY"},
    )
    assert loaded.rows("document")[0]["date"] == date(2026, 1, 2)


def suiteql(items, *, has_more, offset, total):
    return json.dumps({"links": [], "count": len(items), "hasMore": has_more, "offset": offset,
                       "totalResults": total, "items": items})  # fmt: skip


def tx_item(i):
    return {"links": [{"rel": "self", "href": f"https://x/record/v1/invoice/{i}"}], "id": str(i),
            "type": "CustInvc", "entity": "9", "trandate": "2026-01-31", "exchangerate": 1.25}  # fmt: skip


def test_multi_page_suiteql(build):
    pages = {f"transaction.{n + 1}.json": suiteql([tx_item(2 * n + 1), tx_item(2 * n + 2)], has_more=n < 2,
                                                   offset=2 * n, total=6) for n in range(3)}  # fmt: skip
    loaded = build(ns=pages)
    docs = loaded.rows("document", "doc_id")
    assert [(d["doc_id"], d["source_file"], d["source_line"]) for d in docs][:3] == [
        ("1", "data/ns/transaction.1.json", 1), ("2", "data/ns/transaction.1.json", 2),
        ("3", "data/ns/transaction.2.json", 1),
    ]  # fmt: skip
    assert docs[0]["exchange_rate"] == Decimal("1.25") and docs[0]["date"] == date(2026, 1, 31)
    pages = [(f.path, f.rows_read, f.rows_loaded) for f in loaded.files if f.table == "transaction"]
    assert pages == [(f"data/ns/transaction.{n}.json", 2, 2) for n in (1, 2, 3)]


def test_last_page_with_has_more_stops_the_run(build):
    with pytest.raises(InputError) as err:
        build(ns={"transaction.1.json": suiteql([tx_item(1)], has_more=True, offset=0, total=2)})
    assert err.value.location == "data/ns/transaction.1.json"
    assert "hasMore: true" in err.value.message and "next page is missing" in err.value.message


def test_a_missing_middle_page_stops_the_run(build):
    one = suiteql([tx_item(1)], has_more=True, offset=0, total=3)
    three = suiteql([tx_item(3)], has_more=False, offset=2, total=3)
    with pytest.raises(InputError, match=r"page 2 \(transaction\.2\.json\) is missing"):
        build(ns={"transaction.1.json": one, "transaction.3.json": three})


def test_page_offsets_and_totals_are_checked(build):
    one = suiteql([tx_item(1)], has_more=True, offset=0, total=2)
    two = suiteql([tx_item(2)], has_more=False, offset=5, total=2)
    with pytest.raises(InputError, match="page offset is 5, expected 1"):
        build(ns={"transaction.1.json": one, "transaction.2.json": two})


def test_fivetran_netsuite2_seed_rows(tmp_path):
    """Real NetSuite2 rows (Fivetran seeds): dates like 2017-05-07 0:00:00, VendBill, orphan lines."""
    ns = tmp_path / "ns"
    shutil.copytree(FIXTURES / "netsuite_fivetran", ns)
    (tmp_path / "sf").mkdir()
    (tmp_path / "sf" / "Opportunity.csv").write_text(
        "Id,AccountId,Name,StageName,CloseDate,Amount\n"
    )
    defs = tmp_path / "crossfoot.yaml"
    defs.write_text("crm: {system: salesforce, source: sf}\nerp: {system: netsuite, source: ns}\n"
                    "stages: {Closed Won: won}\n")  # fmt: skip
    loaded = load(defs)
    assert all(f.conserved for f in loaded.files)
    rejects = loaded.rejects()
    tx = [r for r in rejects if r["table"] == "transaction"]
    # the seed's currency table lacks id 1 (the base currency): the first problem of each row
    assert [r["reason"] for r in tx] == [
        "field 'currency': '1' is not a three-letter currency code or an id in the currency export"
    ] * 3
    lines = [r for r in rejects if r["table"] == "transactionline"]
    assert len(lines) == 5 and all("is not in the transaction export" in r["reason"] for r in lines)
    customers = loaded.by_id("customer", "customer_id")
    assert {c["name"] for c in customers.values()} == {"CCS"} and customers["1440"][
        "domain"
    ] == "fake.com"
    assert loaded.by_id("customer", "customer_id")["1409"]["source_line"] == 2
    # the seeds' dates (2017-05-07 0:00:00) parse: no reason is about a date
    assert not any("date" in r["reason"] for r in rejects)
    (ns / "currency.csv").write_text("id,symbol\n1,USD\n")
    loaded = load(defs)
    tx = [r["reason"] for r in loaded.rejects() if r["table"] == "transaction"]
    assert (
        tx
        == ["transaction type 'VendBill' is not a sales document (SalesOrd, CustInvc, CustCred)"]
        * 3
    )


def test_display_names_mapped_fields_and_fallback_columns(build):
    tx = (
        "id,type,entity,trandate,shipdate,custbody_sf\n1,Sales Order,9,2026-01-31,2026-02-03,006A\n"
    )
    tx += "2,Credit Memo,9,2026-02-01,,\n"
    lines = "id,transaction,netamount,custcol_start\n1,1,-10,2026-02-01\n1,2,4,\n"
    revenue = "postingperiod,amount,transaction,entity,currency\n2026-01-31,10,1,,eur\n"
    customers = "id,companyname,altname,billcountry\n9,,Jane Doe,FR\n"
    fields = {
        "fulfilled_on": "transaction.shipdate",
        "rev_start": "transactionline.custcol_start",
        "crm_deal_ref": "transaction.custbody_sf",
    }
    loaded = build(
        ns={"transaction.csv": tx, "transactionline.csv": lines, "revenue.csv": revenue,
            "customer.csv": customers},
        erp={"fields": fields},
    )  # fmt: skip
    docs = loaded.by_id("document", "doc_id")
    assert (docs["1"]["doc_type"], docs["2"]["doc_type"]) == ("order", "credit_memo")
    assert (docs["1"]["crm_deal_ref"], docs["2"]["amount"]) == ("006A", Decimal("-4.00"))
    first = loaded.rows("document_line")[0]
    assert (first["fulfilled_on"], first["rev_start"]) == (date(2026, 2, 3), date(2026, 2, 1))
    (rev,) = loaded.rows("revenue")
    assert (rev["date"], rev["currency"], rev["customer_id"]) == (date(2026, 1, 31), "EUR", "9")
    (customer,) = loaded.rows("customer")
    assert (customer["name"], customer["country"]) == ("Jane Doe", "FR")
