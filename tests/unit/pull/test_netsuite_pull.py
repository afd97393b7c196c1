"""requests + requests-oauthlib (OAuth 1.0a HMAC-SHA256) against a fake SuiteQL REST endpoint.

Wire format: https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_157909186990.html
(POST /services/rest/query/v1/suiteql, ``Prefer: transient``, limit/offset paging) and
error bodies .../section_156570709583.html. The fake verifies each request's signature.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crossfoot.api import check
from crossfoot.errors import AuthError, SourceError
from crossfoot.pull import RetryPolicy, pull
from crossfoot.pull.framework import STATE_FILE
from tests.unit.pull.conftest import Workspace
from tests.unit.pull.fake_http import Reply, Request

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05, timeout=0.5)


def _only_netsuite(ws: Workspace) -> None:
    text = ws.config.read_text().replace(
        "  system: salesforce\n  source: api", "  system: salesforce\n  source: crm"
    )
    ws.config.write_text(text)
    (ws.root / "crm").mkdir(exist_ok=True)
    (ws.root / "crm" / "Opportunity.csv").write_text(
        "Id,AccountId,Name,StageName,CloseDate,Amount,Delivery_Status__c\n"
    )


def _items(folder: Path, table: str) -> list[dict[str, object]]:
    pages = sorted(folder.glob(f"{table}.*.json"), key=lambda p: int(p.name.split(".")[1]))
    return [r for p in pages for r in json.loads(p.read_bytes())["items"]]


def test_full_pull_pages_signed_requests_and_reader(workspace: Workspace) -> None:
    _only_netsuite(workspace)
    report = pull(workspace.config, policy=FAST)
    folder = workspace.pulled("netsuite")
    assert [p.name for p in sorted(folder.glob("transactionline.*.json"))] == [
        f"transactionline.{n}.json" for n in range(1, 6)
    ]
    first = json.loads((folder / "transactionline.1.json").read_bytes())
    assert (
        first["hasMore"] is True
        and first["totalResults"] == 9
        and first["links"][0]["rel"] == "self"
    )
    lines = _items(folder, "transactionline")
    assert len({(r["transaction"], r["id"]) for r in lines}) == 9 == len(lines)
    queries = workspace.ns.queries
    tl = next(q for q in queries if "FROM transactionline" in q)
    assert "ORDER BY tl.transaction, tl.id" in tl and "TO_CHAR(t.lastmodifieddate" in tl
    assert any("FROM revenueplanplannedrevenue" in q for q in queries)
    assert all(r.headers["prefer"] == "transient" for r in workspace.ns_api.requests)
    assert {r.object: r.records for r in report.objects}["transaction"] == 3
    state = json.loads((folder / STATE_FILE).read_text())["objects"]
    assert (
        state["transaction"]["cursor"] == "2026-03-01 12:00:00"
        and state["revenue"]["cursor"] is None
    )
    result = check(workspace.config)
    ns = [i for i in result.inputs if i.system == "netsuite"]
    assert sum(i.rows_rejected for i in ns) == 0
    assert sum(i.rows_loaded for i in ns if i.table == "transactionline") == 9


def test_concurrency_limit_429_and_500_are_retried(workspace: Workspace) -> None:
    _only_netsuite(workspace)
    calls = {"n": 0}
    route = workspace.ns_api.route

    def concurrency_once(req: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 2:  # NetSuite's concurrency governance error as REST returns it
            return workspace.ns._error(400, "SSS_REQUEST_LIMIT_EXCEEDED", "Request limit exceeded")
        return route(req)

    workspace.ns_api.route = concurrency_once
    workspace.ns_api.faults = {4: "429", 6: "500", 8: "drop"}
    waits: list[float] = []
    pull(
        workspace.config,
        policy=RetryPolicy(attempts=4, base=0.01, cap=10, timeout=1),
        sleep=waits.append,
    )
    assert waits == [0.01, 7, 0.01, 0.01]
    assert len(_items(workspace.pulled("netsuite"), "transactionline")) == 9


def test_bad_credentials_exit_3_without_retrying(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_netsuite(workspace)
    monkeypatch.setenv("NS_TS", "a-wrong-token-secret-0123456789")
    with pytest.raises(AuthError) as info:
        pull(workspace.config, policy=FAST)
    assert info.value.exit_code == 3 and "INVALID_LOGIN" in str(info.value)
    assert len(workspace.ns_api.requests) == 1


def test_a_failing_query_is_not_retried(workspace: Workspace) -> None:
    _only_netsuite(workspace)
    workspace.ns_api.route = lambda req: workspace.ns._error(
        400, "INVALID_PARAMETER", "Invalid search query. Detailed unprocessed description follows."
    )
    with pytest.raises(SourceError) as info:
        pull(workspace.config, policy=FAST)
    assert "netsuite suiteql currency page 1 (offset 0)" in str(info.value)
    assert "INVALID_PARAMETER" in str(info.value) and len(workspace.ns_api.requests) == 1


def test_incremental_lines_replace_a_changed_transaction(workspace: Workspace) -> None:
    _only_netsuite(workspace)
    pull(workspace.config, policy=FAST)
    tables = workspace.ns.tables
    later = "2026-03-04 12:30:00"
    tables["transaction"][1]["lastmodified_at"] = later
    tables["transaction"][1]["status"] = "Paid In Full"
    # transaction 101 lost its line 2 and line 1 changed
    tables["transactionline"] = [
        {**r, "lastmodified_at": later, "netamount": "-300.00"}
        if (r["transaction"], r["id"]) == ("101", "1")
        else r
        for r in tables["transactionline"]
        if (r["transaction"], r["id"]) != ("101", "2")
    ]
    for r in tables["transactionline"]:
        if r["transaction"] == "101":
            r["lastmodified_at"] = later
    report = pull(workspace.config, policy=FAST)
    by = {r.object: r for r in report.objects}
    assert by["transactionline"].mode == "incremental"
    # lastmodifieddate >= cursor - lookback - 1 h: transactions 101 and 102 come again
    assert by["transactionline"].fetched == 5 and by["transactionline"].records == 8
    assert by["revenue"].mode == "full"
    q = [q for q in workspace.ns.queries if "FROM transactionline" in q][-1]
    since = r"TO_TIMESTAMP\('2026-03-01 10:5[0-4]:[0-9]{2}', 'YYYY-MM-DD HH24:MI:SS'\)"
    assert re.search(r"t\.lastmodifieddate >= " + since, q)
    folder = workspace.pulled("netsuite")
    lines = {(r["transaction"], r["id"]): r for r in _items(folder, "transactionline")}
    assert ("101", "2") not in lines and lines[("101", "1")]["netamount"] == "-300.00"
    assert len(lines) == 8
    pages = [json.loads(p.read_bytes()) for p in sorted(folder.glob("transactionline.*.json"))]
    assert [p["offset"] for p in pages] == [0, 2, 4, 6] and pages[-1]["hasMore"] is False
    assert all(p["totalResults"] == 8 for p in pages)
    txns = {r["id"]: r for r in _items(folder, "transaction")}
    assert len(txns) == 3 and txns["101"]["status"] == "Paid In Full"
    result = check(workspace.config)
    assert sum(i.rows_rejected for i in result.inputs) == 0


def test_tables_beyond_the_row_cap_are_read_in_windows(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SuiteQL over REST stops at 100,000 rows per query: past it, a new query per window."""
    from crossfoot.pull import netsuite

    _only_netsuite(workspace)
    monkeypatch.setattr(netsuite, "MAX_ROWS", 4)
    pull(workspace.config, policy=FAST)
    # one query per window (the fake logs a query per page)
    line_queries = list(
        dict.fromkeys(q for q in workspace.ns.queries if "FROM transactionline" in q)
    )
    assert len(line_queries) == 3
    assert "(tl.transaction > 101 OR (tl.transaction = 101 AND tl.id > 0))" in line_queries[1]
    folder = workspace.pulled("netsuite")
    pages = [json.loads(p.read_bytes()) for p in sorted(folder.glob("transactionline.*.json"))]
    assert [p["offset"] for p in pages] == [0, 2, 4, 6, 8]  # one consistent page set again
    assert all(p["totalResults"] == 9 for p in pages) and pages[-1]["hasMore"] is False
    lines = _items(folder, "transactionline")
    assert len({(r["transaction"], r["id"]) for r in lines}) == 9 == len(lines)
    result = check(workspace.config)
    assert sum(i.rows_loaded for i in result.inputs if i.table == "transactionline") == 9
