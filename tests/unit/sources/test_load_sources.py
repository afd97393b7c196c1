"""The public entry point: exact canonical schemas, rejects, conservation, provenance, cleanup."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from source_fixtures import load

import crossfoot.sources
from crossfoot.model.schema import CANONICAL, REJECTS

ACME = Path(__file__).parents[2] / "fixtures" / "acme" / "crossfoot.yaml"


@pytest.fixture(scope="module")
def acme():
    loaded = load(ACME)
    yield loaded
    loaded.backend.close()


def test_public_names_are_exported_and_sorted():
    assert crossfoot.sources.__all__ == sorted(crossfoot.sources.__all__)
    for name in crossfoot.sources.__all__:
        assert hasattr(crossfoot.sources, name)
    assert {"salesforce", "hubspot"} <= set(crossfoot.sources.CRM_SOURCES)
    erps = {"netsuite", "quickbooks", "xero", "business_central"}
    assert erps <= set(crossfoot.sources.ERP_SOURCES)


def same_type(got, want):
    # DuckDB's TIMESTAMP is microseconds: Ibis reads it back as timestamp(6)
    if want.is_timestamp():
        return got.is_timestamp() and got.timezone == want.timezone
    return got == want


@pytest.mark.parametrize("table", sorted(CANONICAL))
def test_canonical_tables_have_exactly_the_schema(acme, table):
    got, want = acme.backend.table(table).schema(), CANONICAL[table]
    assert list(got.names) == list(want.names)
    assert all(same_type(got[n], want[n]) for n in want.names), (got, want)
    assert acme.rows(table), f"the acme fixture has rows for {table}"


def test_rejects_table_has_its_schema(acme):
    assert acme.backend.table("rejects").schema() == REJECTS


def test_every_file_is_counted_with_its_hash(acme):
    root = ACME.parent
    assert len(acme.files) == 15
    for f in acme.files:
        assert f.conserved, f
        assert f.sha256 == hashlib.sha256((root / f.path).read_bytes()).hexdigest()
    rows_read = sum(f.rows_read for f in acme.files)
    loaded = sum(f.rows_loaded for f in acme.files)
    assert rows_read == loaded + len(acme.rejects())


def test_every_canonical_row_has_provenance(acme):
    for table in CANONICAL:
        for row in acme.rows(table):
            assert row["source_system"] in ("salesforce", "netsuite", "fx")
            assert row["source_line"] >= 1
            assert (ACME.parent / row["source_file"]).is_file()


def test_line_numbers_survive_crlf_and_quoted_newlines(acme):
    deals = acme.by_id("deal", "deal_id")
    # the second deal's name spans two lines, so the third deal starts on line 5
    assert [deals[k]["source_line"] for k in sorted(deals)] == [2, 3, 5]
    (reject,) = [r for r in acme.rejects() if r["table"] == "Opportunity"]
    assert (reject["source_line"], reject["field"], reject["value"]) == (6, "AMOUNT", "N/A")


def test_temporary_tables_are_dropped(acme):
    leftovers = acme.backend.sql(
        "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '_cf_') "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE starts_with(view_name, '_cf_')"
    ).fetchall()
    assert leftovers == []


def test_loading_twice_into_one_backend_gives_the_same_tables(acme):
    from crossfoot.config import load_definitions

    before = {t: acme.rows(t) for t in [*CANONICAL, "rejects"]}
    files = crossfoot.sources.load_sources(load_definitions(ACME), acme.backend)
    assert files == acme.files
    assert {t: acme.rows(t) for t in [*CANONICAL, "rejects"]} == before
