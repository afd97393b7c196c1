"""The write-back loop on the demo company: plan from a run, apply to a local Salesforce
REST server holding the demo's records, export them again, run again: the exceptions the
plan addressed are resolved; applying again changes nothing; only CRM records are written."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossfoot.api import run
from crossfoot.config import load_definitions
from crossfoot.demo import generate
from crossfoot.store import open_store, rows
from crossfoot.sync.apply import ALREADY, APPLIED, apply_plan
from crossfoot.sync.config import SalesforceTarget
from crossfoot.sync.plan import make_plan
from crossfoot.sync.salesforce import SalesforceWriter
from tests.unit.sync.fake_salesforce import TOKEN, fake_salesforce

pytestmark = pytest.mark.slow


def read(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_plan_apply_export_run_resolves_the_exceptions(tmp_path: Path) -> None:
    company = generate(tmp_path / "co", seed=7, n_deals=150, erp_format="json")
    config = company.definitions
    sf_dir = config.parent / "data" / "salesforce"
    first = run(config, config.parent / "out")
    defs = load_definitions(config)
    with open_store(config.parent / ".crossfoot" / "crossfoot.duckdb") as backend:
        plan = make_plan(backend, defs)
    assert {c.object for c in plan.changes} == {"Opportunity", "Account"}  # the CRM only
    assert {c.canonical_field for c in plan.changes} >= {"amount", "delivery_status", "erp_customer_ref"}
    targeted = {c.exception_id for c in plan.changes if c.exception_id}
    first_ids = set(first.exceptions.column("exception_id").to_pylist())
    assert targeted and targeted <= first_ids

    records: dict[tuple[str, str], dict[str, Any]] = {}
    tables = {}
    for obj in ("Opportunity", "Account"):
        header, data = read(sf_dir / f"{obj}.csv")
        tables[obj] = (header, data)
        for r in data:
            rec: dict[str, Any] = {k: (v or None) for k, v in r.items()}
            if obj == "Opportunity":
                rec["Amount"] = Decimal(r["Amount"])
            records[(obj, r["Id"])] = rec

    with fake_salesforce(records, tmp_path) as sf:
        target = SalesforceTarget(instance_url=sf.url, access_token_env="SF_TOKEN")
        writer = SalesforceWriter(target, {"SF_TOKEN": TOKEN}, session=sf.session)
        with open_store(config.parent / ".crossfoot" / "crossfoot.duckdb") as backend:
            outcomes = apply_plan(plan, writer, apply=True, backend=backend, actor="test")
            assert {o.outcome for o in outcomes} == {APPLIED}
            patched = len(sf.patches)
            assert patched == len({(c.object, c.record_id) for c in plan.changes})
            again = apply_plan(plan, writer, apply=True, backend=backend, actor="test")
            assert {o.outcome for o in again} == {ALREADY}
            assert len(sf.patches) == patched  # the second apply wrote nothing

    # a new export of the CRM (what `crossfoot pull` would fetch), then a new run
    for obj, (header, data) in tables.items():
        with (sf_dir / f"{obj}.csv").open("w", newline="", encoding="utf-8") as fh:
            out = csv.DictWriter(fh, header)
            out.writeheader()
            for r in data:
                rec = records[(obj, r["Id"])]
                out.writerow({k: ("" if rec.get(k) is None else f"{rec[k]:.2f}" if k == "Amount" else rec[k])
                              for k in header})  # fmt: skip
    second = run(config, config.parent / "out")
    still = targeted & set(second.exceptions.column("exception_id").to_pylist())
    assert still == set(), f"still found after the write-back: {sorted(still)}"
    with open_store(config.parent / ".crossfoot" / "crossfoot.duckdb") as backend:
        states = rows(backend, "select exception_id, status, resolution from exception_state "
                               "where exception_id in (select unnest(?))", [sorted(targeted)])  # fmt: skip
    assert {(s["status"], s["resolution"]) for s in states} == {("resolved", "no longer found")}
    # nothing else got worse: no new exceptions from the write-back
    new = [r for r in second.exceptions.to_pylist() if r["exception_id"] not in first_ids]
    assert new == [], [(r["cause"], r["explanation"]) for r in new]
