"""Pulled from (fake) APIs, the demo company reconciles exactly as from its export files.

The demo's Salesforce CSVs and NetSuite SuiteQL pages are served by the fake
Salesforce REST and NetSuite SuiteQL endpoints of tests/unit/pull/vendors.py;
``crossfoot pull`` stores them, ``crossfoot run`` reads the pulled folders.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from crossfoot.api import run
from crossfoot.demo import generate
from crossfoot.pull import RetryPolicy, pull
from tests.unit.pull.conftest import ENV, NS_SECRETS, SF_TOKEN
from tests.unit.pull.fake_http import FakeApi, serve
from tests.unit.pull.vendors import FakeNetSuite, FakeSalesforce


def _salesforce(folder: Path) -> dict[str, list[dict[str, Any]]]:
    data = {}
    for path in folder.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(fh)]
        for r in rows:
            r["SystemModstamp"] = "2026-11-01T00:00:00.000+0000"
        data[path.stem] = rows
    return data


def _netsuite(folder: Path) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(
        folder.glob("*.json"), key=lambda p: (p.name.split(".")[0], int(p.name.split(".")[1]))
    ):
        tables.setdefault(path.name.split(".")[0], []).extend(
            json.loads(path.read_bytes())["items"]
        )
    return tables


def test_pulled_demo_gives_the_same_bridge_as_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    company = generate(tmp_path / "demo", seed=11, n_deals=150)
    from_files = run(company.definitions, None, workspace=tmp_path / "files.duckdb")
    data = company.root / "data"
    sf = FakeSalesforce(_salesforce(data / "salesforce"), SF_TOKEN, page_size=60)
    ns = FakeNetSuite(
        _netsuite(data / "netsuite"),
        consumer=(NS_SECRETS["NS_CK"], NS_SECRETS["NS_CS"]),
        token=(NS_SECRETS["NS_TID"], NS_SECRETS["NS_TS"]),
        realm="7654321",
    )
    tls = tmp_path / "tls"
    tls.mkdir()
    with serve(FakeApi(sf), tls) as sf_api, serve(FakeApi(ns)) as ns_api:
        ns.url = ns_api.url
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls / "ca.pem"))
        text = company.definitions.read_text()
        text = text.replace(
            "  source: data/salesforce\n",
            f"  source: api\n  api:\n    instance_url: {sf_api.url}\n    access_token_env: SF_TOKEN\n"
            "    multi_currency: true\n",  # the demo org sells in several currencies
        )
        text = text.replace(
            "  source: data/netsuite\n",
            f"  source: api\n  api:\n    account_id: '7654321'\n    base_url: {ns_api.url}\n    page_size: 300\n"
            "    consumer_key_env: NS_CK\n    consumer_secret_env: NS_CS\n"
            "    token_id_env: NS_TID\n    token_secret_env: NS_TS\n",
        )
        config = company.root / "pulled.yaml"
        config.write_text(text)
        report = pull(config, env=ENV, policy=RetryPolicy(attempts=2, base=0.01))
    counts = {r.object: r.records for r in report.objects}
    assert counts["Opportunity"] == len(sf.data["Opportunity"]) == 150
    assert counts["transactionline"] == len(ns.tables["transactionline"])
    assert report.objects[-1].object == "revenue" and report.objects[-1].pages > 1
    from_api = run(config, None, workspace=tmp_path / "api.duckdb")
    assert from_api.bridge.num_rows > 0
    assert from_api.bridge.equals(from_files.bridge)

    def causes(result: Any) -> list[tuple[str, str, str]]:
        cols = ("cause", "crm_record_id", "erp_record_id")
        return sorted(tuple(str(r[c]) for c in cols) for r in result.exceptions.to_pylist())

    assert causes(from_api) == causes(from_files) != []
