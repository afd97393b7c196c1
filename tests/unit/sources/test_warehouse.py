"""Warehouse tables read in place: the real Fivetran seeds (Salesforce, NetSuite2,
HubSpot; tests/fixtures/SOURCES.txt) in a DuckDB file and as Parquet, and
Airbyte-landed Salesforce tables with the destinations-v2 columns
(https://docs.airbyte.com/understanding-airbyte/airbyte-metadata-fields)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from source_fixtures import Loaded, load
from warehouse_fixtures import definitions, duckdb_file, parquet_folder

from crossfoot.config import load_definitions
from crossfoot.errors import AuthError, ConfigError, InputError
from crossfoot.sources.warehouse import snake

SF = {"system": "salesforce", "source": {"warehouse": "duckdb", "path": "wh.duckdb",
                                         "schema": "salesforce"}}  # fmt: skip
UNDELETE = "UPDATE salesforce.opportunity SET is_deleted = false"


def counts(loaded: Loaded) -> dict[str, tuple[int, int, int]]:
    assert all(f.conserved for f in loaded.files)
    return {f.path: (f.rows_read, f.rows_loaded, f.rows_rejected) for f in loaded.files}


def reasons(loaded: Loaded, table: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in loaded.rejects():
        if r["source_file"] == table:
            out[r["reason"]] = out.get(r["reason"], 0) + 1
    return out


@pytest.fixture
def opened():
    loads: list[Loaded] = []
    yield loads
    for loaded in loads:
        loaded.backend.close()


def run(opened: list[Loaded], defs: Path) -> Loaded:
    opened.append(load(defs))
    return opened[-1]


def test_the_real_salesforce_seeds_are_deleted_records_and_are_rejected_as_such(tmp_path, opened):
    duckdb_file(tmp_path / "wh.duckdb")
    loaded = run(opened, definitions(tmp_path, SF))
    c = counts(loaded)
    # every seed opportunity is is_deleted (in the recycle bin); one account is not
    assert c["warehouse:salesforce.opportunity"] == (10, 0, 10)
    assert c["warehouse:salesforce.account"] == (10, 1, 9)
    assert c["warehouse:salesforce.product_2"] == (2, 2, 0)
    assert reasons(loaded, "warehouse:salesforce.opportunity") == {
        "deleted in salesforce (is_deleted = true): excluded": 10
    }
    assert loaded.rows("deal") == []


def test_fivetran_columns_go_through_the_salesforce_map_and_history_mode_keeps_the_active(
    tmp_path, opened
):
    duckdb_file(tmp_path / "wh.duckdb", UNDELETE)
    loaded = run(opened, definitions(tmp_path, SF))
    assert counts(loaded)["warehouse:salesforce.opportunity"] == (10, 8, 2)
    assert reasons(loaded, "warehouse:salesforce.opportunity") == {
        "a past version (Fivetran history mode, _fivetran_active = false): "
        "only the active version is kept": 2
    }
    deals = loaded.by_id("deal", "deal_id")
    big = deals["006q000000HddohAAB"]  # account_id, stage_name, close_date, amount: snake_case
    assert big["amount"] == Decimal("24120000.00")
    assert big["account_id"] == "9CcfAt8qtZvCTwFvwOFLcg=="
    assert str(big["close_date"]) == "2018-12-19"
    assert big["name"] == "$1m deal"
    assert big["source_system"] == "salesforce"
    assert big["source_file"] == "warehouse:salesforce.opportunity"
    # rows are numbered in key order: the same data gets the same lines on every run
    lines = [d["source_line"] for d in sorted(deals.values(), key=lambda d: d["deal_id"])]
    assert lines == sorted(lines)
    again = run(opened, definitions(tmp_path, SF))
    assert again.rows("deal") == loaded.rows("deal")


def test_line_items_amounts_are_exact_and_products_join_through_product_2_id(tmp_path, opened):
    undelete = "UPDATE salesforce.opportunity SET is_deleted = false, id = '0061G00000HhviAQAR' " \
               "WHERE id = '006q000000HK8jdAAD'"  # fmt: skip
    duckdb_file(tmp_path / "wh.duckdb", undelete)
    loaded = run(opened, definitions(tmp_path, SF))
    lines = [r for r in loaded.rows("deal_line") if r["deal_id"] == "0061G00000HhviAQAR"]
    assert sorted(r["amount"] for r in lines) == [Decimal(x) for x in (
        "0.00", "4000.00", "5100.00", "38093.00", "84250.32", "162000.00")]  # fmt: skip
    assert counts(loaded)["warehouse:salesforce.opportunity_line_item"] == (10, 6, 4)


def test_parquet_tables_load_the_same_rows_as_the_duckdb_file(tmp_path, opened):
    db = duckdb_file(tmp_path / "wh.duckdb", UNDELETE)
    parquet_folder(db, "salesforce", tmp_path / "lake" / "salesforce")
    from_db = run(opened, definitions(tmp_path, SF))
    pq = {"system": "salesforce", "source": {"warehouse": "parquet", "path": "lake/salesforce"}}
    from_pq = run(opened, definitions(tmp_path, pq))

    def strip(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "source_file"} for r in rows]

    for table in ("account", "deal", "deal_line"):
        assert strip(from_pq.rows(table)) == strip(from_db.rows(table))
    assert counts(from_pq)["warehouse:salesforce.opportunity"] == (10, 8, 2)


def test_the_real_netsuite2_seeds_load_from_the_netsuite2_schema(tmp_path, opened):
    duckdb_file(tmp_path / "wh.duckdb")
    ns = {"system": "netsuite", "source": {"warehouse": "duckdb", "path": "wh.duckdb",
                                           "schema": "netsuite2"}}  # fmt: skip
    sf = {"system": "salesforce", "source": {"warehouse": "duckdb", "path": "wh.duckdb"}}
    loaded = run(opened, definitions(tmp_path, sf, ns))
    c = counts(loaded)
    assert c["warehouse:netsuite2.customer"] == (5, 5, 0)
    assert c["warehouse:netsuite2.item"] == (3, 3, 0)  # NetSuite2's item has fullname, no itemid
    assert c["warehouse:netsuite2.transaction"] == (3, 0, 3)
    assert c["warehouse:netsuite2.transactionline"] == (5, 0, 5)
    why = reasons(loaded, "warehouse:netsuite2.transactionline")
    assert why == {f"transaction '{t}' is not in the transaction export": 1
                   for t in ("613", "725", "2187", "2248", "2542")}  # fmt: skip
    customers = loaded.by_id("customer", "customer_id")
    assert customers["1409"]["source_file"] == "warehouse:netsuite2.customer"


def test_netsuite2_sales_documents_load_with_their_lines(tmp_path, opened):
    """The seed's VendBills turned into an invoice whose lines are in the seed."""
    duckdb_file(
        tmp_path / "wh.duckdb",
        "UPDATE netsuite2.transaction SET type = 'CustInvc', currency = 4, id = 2542 "
        "WHERE id = 5914",
        "UPDATE netsuite2.transactionline SET _fivetran_deleted = true WHERE transaction = 2187",
        "UPDATE netsuite2.transactionline SET netamount = -1234.56, item = 640 WHERE transaction = 2542",
    )
    ns = {"system": "netsuite", "source": {"warehouse": "duckdb", "path": "wh.duckdb",
                                           "schema": "netsuite2"}}  # fmt: skip
    loaded = run(opened, definitions(tmp_path, SF, ns))
    doc = loaded.by_id("document", "doc_id")["2542"]
    assert (doc["doc_type"], doc["currency"]) == ("invoice", "EUR")
    assert doc["amount"] == Decimal("1234.56")  # revenue-signed: -netamount
    line = loaded.rows("document_line")
    assert [(r["doc_id"], r["item_code"], r["source_file"]) for r in line] == [
        ("2542", "This", "warehouse:netsuite2.transactionline")  # item 640: its fullname
    ]
    why = reasons(loaded, "warehouse:netsuite2.transactionline")
    assert why["deleted in the source (_fivetran_deleted = true): excluded"] == 1
    assert "transaction '2187' is not in the transaction export" not in why


def test_the_real_hubspot_seeds_load_as_the_fivetran_csv_layout_does(tmp_path, opened):
    duckdb_file(tmp_path / "wh.duckdb")
    hs = {"system": "hubspot", "source": {"warehouse": "duckdb", "path": "wh.duckdb"}}
    loaded = run(opened, definitions(tmp_path, hs))
    c = counts(loaded)
    assert c["warehouse:hubspot.company"] == (24, 24, 0)
    assert c["warehouse:hubspot.deal"] == (44, 0, 44)  # no stage, close date or amount
    assert c["warehouse:hubspot.deal_pipeline_stage"] == (71, 69, 2)
    assert c["warehouse:hubspot.deal_company"] == (2, 2, 0)
    assert reasons(loaded, "warehouse:hubspot.deal_pipeline_stage") == {
        "deleted in the source (_fivetran_deleted = true): excluded": 2
    }


AIRBYTE = """
CREATE SCHEMA sfdc;
CREATE TABLE sfdc."Opportunity" ("Id" VARCHAR, "AccountId" VARCHAR, "Name" VARCHAR,
    "StageName" VARCHAR, "CloseDate" DATE, "Amount" DECIMAL(18,2), "IsDeleted" BOOLEAN,
    "Delivery_Status__c" VARCHAR, "_airbyte_raw_id" VARCHAR,
    "_airbyte_extracted_at" TIMESTAMPTZ, "_airbyte_meta" JSON);
INSERT INTO sfdc."Opportunity" VALUES
  ('006A', '001A', 'Old', 'Prospecting', '2026-01-31', 100.00, false, NULL, 'r1',
   '2026-02-01 00:00:00+00', '{"sync_id": 1, "changes": []}'),
  ('006A', '001A', 'New', 'Closed Won', '2026-01-31', 120.50, false, 'Delivered', 'r2',
   '2026-02-02 00:00:00+00', '{"sync_id": 2, "changes": []}'),
  ('006B', '001A', 'Nulled', 'Closed Won', '2026-01-31', NULL, false, NULL, 'r3',
   '2026-02-02 00:00:00+00', '{"sync_id": 2, "changes": [{"field": "Amount",
   "change": "NULLED", "reason": "DESTINATION_SERIALIZATION_ERROR"}]}'),
  ('006C', '001A', 'Other field', 'Closed Won', '2026-01-31', 5.00, false, NULL, 'r4',
   '2026-02-02 00:00:00+00', '{"sync_id": 2, "changes": [{"field": "Description",
   "change": "TRUNCATED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"}]}'),
  ('006D', '001A', 'Binned', 'Closed Won', '2026-01-31', 7.00, true, NULL, 'r5',
   '2026-02-02 00:00:00+00', '{"sync_id": 2, "changes": []}');
"""


def test_airbyte_keeps_the_latest_version_and_rejects_deleted_and_nulled_rows(tmp_path, opened):
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(AIRBYTE)
    crm = {"system": "salesforce", "fields": {"delivery_status": "Opportunity.Delivery_Status__c"},
           "source": {"warehouse": "duckdb", "path": "wh.duckdb", "schema": "sfdc",
                      "loader": "airbyte"}}  # fmt: skip
    loaded = run(opened, definitions(tmp_path, crm))
    assert counts(loaded)["warehouse:sfdc.Opportunity"] == (5, 2, 3)
    assert reasons(loaded, "warehouse:sfdc.Opportunity") == {
        "an older version of the record (Airbyte append sync): the latest extracted version "
        "is kept (_airbyte_extracted_at)": 1,
        "Airbyte changed field 'Amount' (NULLED: DESTINATION_SERIALIZATION_ERROR): "
        "the value is not the source's": 1,
        "deleted in salesforce (IsDeleted = true): excluded": 1,
    }
    deals = loaded.by_id("deal", "deal_id")
    assert (deals["006A"]["name"], deals["006A"]["amount"]) == ("New", Decimal("120.50"))
    assert deals["006A"]["delivery_status"] == "Delivered"
    assert deals["006C"]["amount"] == Decimal("5.00")  # a change to a field not read


def test_a_custom_field_is_found_under_fivetran_s_spelling(tmp_path, opened):
    duckdb_file(
        tmp_path / "wh.duckdb",
        UNDELETE,
        "ALTER TABLE salesforce.opportunity ADD COLUMN delivery_status_c VARCHAR DEFAULT 'Shipped'",
    )
    crm = {**SF, "fields": {"delivery_status": "Opportunity.Delivery_Status__c"}}
    loaded = run(opened, definitions(tmp_path, crm))
    assert {d["delivery_status"] for d in loaded.rows("deal")} == {"Shipped"}
    crm = {**SF, "fields": {"delivery_status": "Opportunity.Nope__c"}}
    with pytest.raises(InputError, match="Nope__c") as err:
        run(opened, definitions(tmp_path, crm))
    assert "warehouse:salesforce.opportunity" in str(err.value)


def test_a_missing_core_table_or_column_is_an_input_error(tmp_path, opened):
    duckdb_file(tmp_path / "wh.duckdb", "DROP TABLE salesforce.opportunity_history",
                "DROP TABLE salesforce.opportunity")  # fmt: skip
    with pytest.raises(InputError, match=r"no table for Opportunity .* opportunity"):
        run(opened, definitions(tmp_path, SF))
    duckdb_file(tmp_path / "wh2.duckdb", "ALTER TABLE salesforce.opportunity DROP stage_name")
    crm = {"system": "salesforce", "source": {**SF["source"], "path": "wh2.duckdb"}}  # type: ignore[dict-item]
    with pytest.raises(InputError, match="missing required column 'stage_name'"):
        run(opened, definitions(tmp_path, crm))


def test_history_table_is_read_when_it_is_the_only_one(tmp_path, opened):
    duckdb_file(tmp_path / "wh.duckdb", "DROP TABLE salesforce.opportunity",
                "UPDATE salesforce.opportunity_history SET is_deleted = false")  # fmt: skip
    loaded = run(opened, definitions(tmp_path, SF))
    assert counts(loaded)["warehouse:salesforce.opportunity_history"] == (10, 8, 2)
    why = reasons(loaded, "warehouse:salesforce.opportunity_history")
    assert why["a past version (Fivetran history mode, _fivetran_active = false): "
               "only the active version is kept"] == 2  # fmt: skip


def test_definitions_name_what_a_warehouse_source_needs(tmp_path):
    cases = [
        ({"warehouse": "postgres", "path": "x"}, "needs dsn_env"),
        ({"warehouse": "duckdb"}, "needs path"),
        ({"warehouse": "parquet", "path": "x", "schema": "s"}, "has no schema"),
        ({"warehouse": "duckdb", "path": "x", "loader": "stitch"}, "stitch"),
        ({"warehouse": "postgres", "dsn_env": "not a name"}, "not an environment variable name"),
    ]
    for source, message in cases:
        path = definitions(tmp_path, {"system": "salesforce", "source": source})
        with pytest.raises(ConfigError, match=message) as err:
            load_definitions(path)
        assert "crossfoot.yaml:" in str(err.value)
    erp = {"system": "quickbooks", "source": {"warehouse": "duckdb", "path": "x"}}
    with pytest.raises(ConfigError, match="not quickbooks"):
        load_definitions(definitions(tmp_path, SF, erp))
    hs = {"system": "hubspot", "source": {"warehouse": "duckdb", "path": "x", "loader": "airbyte"}}
    with pytest.raises(ConfigError, match="salesforce only"):
        load_definitions(definitions(tmp_path, hs))


def test_postgres_without_its_environment_variable_is_an_auth_error(tmp_path, monkeypatch):
    monkeypatch.delenv("CF_TEST_WAREHOUSE_DSN", raising=False)
    crm = {"system": "salesforce",
           "source": {"warehouse": "postgres", "dsn_env": "CF_TEST_WAREHOUSE_DSN"}}  # fmt: skip
    with pytest.raises(AuthError, match="CF_TEST_WAREHOUSE_DSN"):
        load(definitions(tmp_path, crm))


def test_fivetran_spelling_of_salesforce_names():
    assert snake("Product2Id") == "product_2_id"
    assert snake("CurrencyIsoCode") == "currency_iso_code"
    assert snake("Delivery_Status__c") == "delivery_status_c"
    assert snake("OpportunityLineItem") == "opportunity_line_item"


def test_salesforce_s_opportunity_history_object_is_not_a_history_mode_copy(tmp_path, opened):
    """Fivetran lands the OpportunityHistory object as opportunity_history, the same name
    the dbt package gives a history-mode copy of opportunity (which has _fivetran_start)."""
    duckdb_file(tmp_path / "wh.duckdb", UNDELETE)
    loaded = run(opened, definitions(tmp_path, SF))
    assert "warehouse:salesforce.opportunity_history" not in counts(loaded)
    duckdb_file(
        tmp_path / "wh2.duckdb",
        UNDELETE,
        "DROP TABLE salesforce.opportunity_history",
        "CREATE TABLE salesforce.opportunity_history AS SELECT * FROM (VALUES "
        "('008A', '006q000000HddohAAB', 24000000.00, TIMESTAMP '2019-01-05 10:00:00', false)) "
        "v(id, opportunity_id, amount, created_date, is_deleted)",
    )
    crm = {"system": "salesforce", "source": {**SF["source"], "path": "wh2.duckdb"}}  # type: ignore[dict-item]
    loaded = run(opened, definitions(tmp_path, crm))
    assert counts(loaded)["warehouse:salesforce.opportunity_history"] == (1, 1, 0)
