"""simple-salesforce against a fake Salesforce REST Query resource (tests/unit/pull/vendors.py).

Wire format: https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query.md
and .../resources-query-more-results.md (``nextRecordsUrl`` until ``done``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crossfoot.api import check
from crossfoot.errors import RateLimited, SourceError
from crossfoot.pull import RetryPolicy, pull
from crossfoot.pull.framework import STATE_FILE
from tests.unit.pull.conftest import Workspace

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05, timeout=0.5)


def _only_salesforce(ws: Workspace) -> None:
    text = ws.config.read_text().replace(
        "  source: api\n  date_format", "  source: erp\n  date_format"
    )
    ws.config.write_text(text)
    (ws.root / "erp").mkdir(exist_ok=True)
    (ws.root / "erp" / "transaction.csv").write_text("id,type,entity,trandate\n")


def _records(folder: Path, obj: str) -> list[dict[str, object]]:
    pages = sorted(folder.glob(f"{obj}.*.json"), key=lambda p: int(p.name.split(".")[1]))
    return [r for p in pages for r in json.loads(p.read_bytes())["records"]]


def test_full_pull_stores_the_vendor_pages_and_the_cursor(workspace: Workspace) -> None:
    _only_salesforce(workspace)
    report = pull(workspace.config, policy=FAST)
    folder = workspace.pulled("salesforce")
    opp_pages = sorted(folder.glob("Opportunity.*.json"))
    assert [p.name for p in opp_pages] == [
        "Opportunity.1.json",
        "Opportunity.2.json",
        "Opportunity.3.json",
    ]
    first = json.loads(opp_pages[0].read_bytes())
    # the page as Salesforce sent it: locator, attributes, numbers, totals
    assert first["done"] is False and first["nextRecordsUrl"].startswith(
        "/services/data/v59.0/query/"
    )
    assert first["totalSize"] == 5 and first["records"][0]["attributes"]["type"] == "Opportunity"
    assert [r["Id"] for r in _records(folder, "Opportunity")] == [f"006{i}" for i in range(5)]
    soql = next(q for q in workspace.sf.soql if "FROM Opportunity" in q)
    assert "Delivery_Status__c" in soql and "SystemModstamp" in soql and "WHERE" not in soql
    state = json.loads((folder / STATE_FILE).read_text())["objects"]
    assert state["Opportunity"]["cursor"] == "2026-03-01T14:00:00.000+0000"
    assert state["Opportunity"]["records"] == 5 and state["Opportunity"]["pages"] == 3
    assert {r.object: r.records for r in report.objects}["OpportunityLineItem"] == 3
    # the reader reads what was pulled, every record loaded
    result = check(workspace.config)
    opp = [i for i in result.inputs if i.table == "Opportunity"]
    assert sum(i.rows_loaded for i in opp) == 5 and sum(i.rows_rejected for i in opp) == 0


def test_rate_limit_server_error_and_timeout_are_retried(workspace: Workspace) -> None:
    _only_salesforce(workspace)
    waits: list[float] = []
    # requests 1 (User), 3 (Account) and 5 (Opportunity page 1... ) fail once each
    workspace.sf_api.faults = {1: "429", 3: "500", 5: "timeout", 7: "truncate"}
    policy = RetryPolicy(attempts=4, base=0.01, cap=10, timeout=0.3)
    pull(workspace.config, policy=policy, sleep=waits.append)
    assert waits[0] == 7  # Retry-After: 7 of the 429
    assert waits[1:] == [0.01, 0.01, 0.01]  # first backoff step after each other failure
    folder = workspace.pulled("salesforce")
    assert [r["Id"] for r in _records(folder, "Opportunity")] == [f"006{i}" for i in range(5)]
    assert len(_records(folder, "Account")) == 3


def test_rate_limit_that_never_ends_exits_3_naming_the_call(workspace: Workspace) -> None:
    _only_salesforce(workspace)
    workspace.sf_api.faults = dict.fromkeys(range(1, 10), "429")
    with pytest.raises(RateLimited) as info:
        pull(workspace.config, policy=FAST, sleep=lambda s: None)
    assert info.value.exit_code == 3
    assert "salesforce query User page 1" in str(info.value) and "gave up after 4 tries" in str(
        info.value
    )


def test_broken_pull_resumes_without_loss_or_duplicates(workspace: Workspace) -> None:
    _only_salesforce(workspace)
    folder = workspace.pulled("salesforce")
    # User, Product2, Account (2 pages) go through; Opportunity page 2 breaks for good
    workspace.sf_api.faults = dict.fromkeys(range(6, 30), "drop")
    with pytest.raises(SourceError) as info:
        pull(workspace.config, policy=FAST, sleep=lambda s: None)
    assert "salesforce query Opportunity page 2" in str(info.value)
    assert info.value.exit_code == 3
    state = json.loads((folder / STATE_FILE).read_text())["objects"]
    assert set(state) == {"User", "Product2", "Account"}  # no cursor for what was not stored
    assert not list(folder.glob("Opportunity.*.json"))
    assert (folder / ".incoming" / "Opportunity" / "raw.1.json").exists()  # page 1 was stored
    # a record changes before the next pull; the connection is back
    workspace.sf.data["Account"][1]["Name"] = "Acme One Renamed"
    workspace.sf.data["Account"][1]["SystemModstamp"] = "2026-03-02T09:00:00.000+0000"
    workspace.sf_api.faults = {}
    pull(workspace.config, policy=FAST)
    assert not (folder / ".incoming" / "Opportunity").exists()
    assert [r["Id"] for r in _records(folder, "Opportunity")] == [f"006{i}" for i in range(5)]
    accounts = _records(folder, "Account")
    assert sorted(r["Id"] for r in accounts) == ["0010", "0011", "0012"]  # each once
    assert {r["Id"]: r["Name"] for r in accounts}["0011"] == "Acme One Renamed"
    # asked again from the cursor minus the lookback (the duration of the pull + 5 minutes)
    account_query = [q for q in workspace.sf.soql if "FROM Account" in q][-1]
    assert re.search(r"WHERE SystemModstamp >= 2026-03-01T09:5[0-4]:[0-9]{2}Z$", account_query)
    result = check(workspace.config)
    assert sum(i.rows_rejected for i in result.inputs) == 0


def test_incremental_pull_merges_latest_version_once(workspace: Workspace) -> None:
    _only_salesforce(workspace)
    pull(workspace.config, policy=FAST)
    opps = workspace.sf.data["Opportunity"]
    opps[2]["Amount"] = 9999.25
    opps[2]["SystemModstamp"] = "2026-03-05T08:00:00.000+0000"
    opps.append({**opps[0], "Id": "0069", "Name": "New deal",
                 "SystemModstamp": "2026-03-05T08:00:01.000+0000"})  # fmt: skip
    report = pull(workspace.config, policy=FAST)
    result = {r.object: r for r in report.objects}["Opportunity"]
    # SystemModstamp >= cursor - lookback: the last record of the first pull comes again, once
    assert result.mode == "incremental" and result.fetched == 3 and result.records == 6
    folder = workspace.pulled("salesforce")
    records = _records(folder, "Opportunity")
    assert sorted(r["Id"] for r in records) == ["0060", "0061", "0062", "0063", "0064", "0069"]
    assert {r["Id"]: r["Amount"] for r in records}["0062"] == 9999.25
    pages = [json.loads(p.read_bytes()) for p in sorted(folder.glob("Opportunity.*.json"))]
    assert pages[0]["totalSize"] == 6 and pages[-1]["done"] is True
    assert "9999.25" in (folder / "Opportunity.1.json").read_text()  # the vendor's digits
    from crossfoot.api import check as run_check

    assert (
        sum(i.rows_loaded for i in run_check(workspace.config).inputs if i.table == "Opportunity")
        == 6
    )
    state = json.loads((folder / STATE_FILE).read_text())["objects"]["Opportunity"]
    assert state["cursor"] == "2026-03-05T08:00:01.000+0000"


def test_full_flag_pulls_everything_again(workspace: Workspace) -> None:
    _only_salesforce(workspace)
    pull(workspace.config, policy=FAST)
    del workspace.sf.data["Opportunity"][4]  # deleted in Salesforce: only a full pull sees it
    report = pull(workspace.config, policy=FAST, full=True)
    assert {r.object: r.records for r in report.objects}["Opportunity"] == 4
    assert all(r.mode == "full" for r in report.objects)


def test_progress_reports_pages_and_records(workspace: Workspace) -> None:
    _only_salesforce(workspace)
    seen: list[tuple[str, str, int, int]] = []
    pull(workspace.config, policy=FAST, progress=lambda *a: seen.append(a))
    opp = [s for s in seen if s[1] == "Opportunity"]
    assert opp == [("salesforce", "Opportunity", 1, 2), ("salesforce", "Opportunity", 2, 4),
                   ("salesforce", "Opportunity", 3, 5)]  # fmt: skip


def test_pages_deleted_by_hand_mean_a_full_pull(workspace: Workspace) -> None:
    _only_salesforce(workspace)
    pull(workspace.config, policy=FAST)
    folder = workspace.pulled("salesforce")
    for page in folder.glob("Opportunity.*.json"):
        page.unlink()  # the cursor in .pull-state.json stays
    report = pull(workspace.config, policy=FAST)
    opp = {r.object: r for r in report.objects}["Opportunity"]
    assert opp.mode == "full" and opp.records == 5
    assert {r.object: r.mode for r in report.objects}["Account"] == "incremental"
