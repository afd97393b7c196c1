"""HubSpot through Fivetran: the real seed tables of fivetran/dbt_hubspot_source
(``deal_data.csv`` with ``property_*`` columns, ``deal_company_data.csv``,
``deal_pipeline_stage_data.csv``, ``company_data.csv``; see tests/fixtures/SOURCES.txt)."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from source_fixtures import load

from crossfoot.errors import InputError

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "hubspot_fivetran"


def company(root: Path, extra_deals: str = "") -> Path:
    hs, ns = root / "data" / "hs", root / "data" / "ns"
    shutil.copytree(REAL, hs)
    ns.mkdir(parents=True)
    (ns / "transaction.csv").write_text("id,type,entity,trandate\n")
    if extra_deals:
        with (hs / "deal_data.csv").open("a", encoding="utf-8") as fh:
            fh.write("\n" + extra_deals)
    path = root / "crossfoot.yaml"
    path.write_text(
        "crm: {system: hubspot, source: data/hs}\nerp: {system: netsuite, source: data/ns}\n"
        "stages: {Closed Won: won}\n"
    )
    return path


@pytest.fixture
def real(tmp_path: Path) -> Path:
    return tmp_path


def test_the_real_seed_tables_load_every_row_or_reject_it(real):
    loaded = load(company(real))
    try:
        counts = {f.path: (f.rows_read, f.rows_loaded, f.rows_rejected) for f in loaded.files}
        assert counts["data/hs/company_data.csv"] == (24, 24, 0)
        # the seed's deals carry no stage, close date or amount: none can be a deal
        assert counts["data/hs/deal_data.csv"] == (44, 0, 44)
        # two stages are _fivetran_deleted
        assert counts["data/hs/deal_pipeline_stage_data.csv"] == (71, 69, 2)
        assert counts["data/hs/deal_company_data.csv"] == (2, 2, 0)
        assert all(f.conserved for f in loaded.files)
        reasons = {(r["source_file"], r["reason"]) for r in loaded.rejects()}
        assert reasons == {
            ("data/hs/deal_data.csv", "field 'deal_pipeline_stage_id' is empty"),
            (
                "data/hs/deal_pipeline_stage_data.csv",
                "deleted in HubSpot (_fivetran_deleted = true): excluded",
            ),
        }
        accounts = loaded.by_id("account", "account_id")
        assert accounts["2182162682"]["name"] == "4b2c13cca3eb58ee49bbddcf00417130"
        assert accounts["2182162682"]["country"] == "United States"
        assert "hs_all_funky_a9384_syntax" not in accounts["2182162682"]
    finally:
        loaded.backend.close()


def test_seed_deals_with_stages_resolve_labels_companies_and_deletions(real):
    extra = (
        "6789,false,wh+Wm18D0z1D4E+PE252gg==,/n0+plNHbWErNq8Ek+NM3g==,35252170,4727653,"
        "Enriched,,2500.00,2021-01-15 00:00:00,2021-01-01 00:00:00\n"
        "1234,true,wh+Wm18D0z1D4E+PE252gg==,/n0+plNHbWErNq8Ek+NM3g==,35252170,4727653,"
        "Deleted,,10,2021-01-15 00:00:00,2021-01-01 00:00:00\n"
    )
    loaded = load(company(real, extra))
    try:
        (deal,) = loaded.rows("deal")
        assert (deal["deal_id"], deal["account_id"], deal["stage"]) == (
            "6789", "12345", "HloNyGJEOLMWtXLjmapLQw==",
        )  # fmt: skip
        assert (deal["amount"], deal["close_date"], deal["owner"]) == (
            Decimal("2500.00"), date(2021, 1, 15), "35252170",
        )  # fmt: skip
        (deleted,) = [r for r in loaded.rejects() if r["source_line"] == 47]
        assert deleted["reason"] == "deleted in HubSpot (is_deleted = true): excluded"
        assert all(f.conserved for f in loaded.files)
    finally:
        loaded.backend.close()


def test_a_seed_without_the_close_date_property_names_its_column(real):
    path = company(real)
    deals = real / "data" / "hs" / "deal_data.csv"
    deals.write_text(deals.read_text().replace("property_closedate", "property_other"))
    with pytest.raises(InputError, match="missing required column 'property_closedate'"):
        load(path)
