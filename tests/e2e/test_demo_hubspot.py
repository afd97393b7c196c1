"""The demo company with its CRM side in HubSpot's format (CRM API v3 pages): the same
bridge to the cent as the Salesforce demo, and every injected cause found."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from crossfoot.api import run
from crossfoot.causes import CAUSE_CODES
from crossfoot.demo import generate
from tests.e2e.conftest import DemoRun
from tests.e2e.test_demo_tieout import _key


@pytest.fixture(scope="module")
def hubspot_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    folder = tmp_path_factory.mktemp("demo_hubspot")
    company = generate(folder, seed=7, crm="hubspot")
    out = folder / "out"
    result = run(company.definitions, out)
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as fh:
        labels = list(csv.DictReader(fh))
    return DemoRun(folder, out, result, labels)


def test_the_crm_side_is_hubspot_api_pages(hubspot_run: DemoRun) -> None:
    data = hubspot_run.folder / "data" / "hubspot"
    assert (data / "deals.1.json").is_file() and (data / "pipelines.json").is_file()
    assert not (hubspot_run.folder / "data" / "salesforce").exists()
    systems = {f.system for f in hubspot_run.result.inputs}
    assert "hubspot" in systems and "salesforce" not in systems


def test_bridge_csv_equals_the_salesforce_demo(hubspot_run: DemoRun, demo_run: DemoRun) -> None:
    def text(out: Path) -> str:
        return (out / "bridge.csv").read_text(encoding="utf-8")

    assert text(hubspot_run.out) == text(demo_run.out)


def test_labels_carry_hubspot_record_ids(hubspot_run: DemoRun, demo_run: DemoRun) -> None:
    crm_ids = {r["crm_record_id"] for r in hubspot_run.labels if r["crm_record_id"]}
    assert crm_ids and all(i.isdigit() for i in crm_ids)
    assert len(hubspot_run.labels) == len(demo_run.labels)


@pytest.mark.parametrize("cause", CAUSE_CODES)
def test_each_injected_cause_is_found_with_precision_and_recall(
    hubspot_run: DemoRun, cause: str
) -> None:
    truth = {_key(r) for r in hubspot_run.labels if r["cause"] == cause}
    found = {
        _key({k: (v or "") for k, v in r.items()})
        for r in hubspot_run.result.exceptions.to_pylist()
        if r["cause"] == cause
    }
    assert truth, f"the demo injects no {cause}"
    hits = truth & found
    assert len(hits) / len(truth) >= 0.95, f"{cause}: missed {sorted(truth - found)}"
    assert len(hits) / len(found) >= 0.95, f"{cause}: spurious {sorted(found - truth)}"


def test_every_input_file_conserves_rows(hubspot_run: DemoRun) -> None:
    assert all(f.conserved for f in hubspot_run.result.inputs)
    assert not any(f.rows_rejected for f in hubspot_run.result.inputs)


@pytest.mark.slow
def test_ui_export_csv_ties_out_exactly_like_the_api_pages(
    hubspot_run: DemoRun, demo_run: DemoRun, tmp_path: Path
) -> None:
    company = generate(tmp_path / "csv", seed=7, crm="hubspot", crm_format="csv")
    assert (company.root / "data" / "hubspot" / "deals.csv").is_file()
    result = run(company.definitions, tmp_path / "out")
    assert (tmp_path / "out" / "bridge.csv").read_text() == (demo_run.out / "bridge.csv").read_text()
    ids = sorted(r["exception_id"] for r in result.exceptions.to_pylist())
    assert ids == sorted(r["exception_id"] for r in hubspot_run.result.exceptions.to_pylist())
    assert all(f.conserved and not f.rows_rejected for f in result.inputs)
