"""python-quickbooks against a fake QuickBooks Online query endpoint (HTTPS, test CA).

Wire format: POST /v3/company/<realm>/query?minorversion=75, body ``SELECT * FROM
Invoice ... STARTPOSITION s MAXRESULTS n`` (application/text); answer
``{"QueryResponse": {"Invoice": [...], "startPosition", "maxResults"}, "time"}``
(https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries).
The fake is tests/unit/pull/vendors_more.py; the QuickBooks reader reads what is
pulled in tests/e2e/test_pull_tieout_more.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossfoot.config import Definitions, load_definitions
from crossfoot.errors import AuthError
from crossfoot.pull import RetryPolicy, pull
from crossfoot.pull.quickbooks import QueryPages
from tests.unit.pull.fake_http import FakeApi, serve
from tests.unit.pull.vendors_more import FakeQuickBooks

TOKEN = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0fakeQboAccessToken"
FAST = RetryPolicy(attempts=4, base=0.01, cap=10, timeout=0.5)
REALM = "4620816365000000000"


def _quickbooks() -> FakeQuickBooks:
    return FakeQuickBooks({
        "Invoice": [
            {"Id": str(i), "DocNumber": f"100{i}", "TxnDate": "2026-02-10", "TotalAmt": 1200.5,
             "CustomerRef": {"value": "7", "name": "Acme"},
             "MetaData": {"CreateTime": "2026-02-10T09:00:00-08:00",
                          "LastUpdatedTime": f"2026-03-01T1{i}:00:00-08:00"}}
            for i in range(5)
        ],
        "Customer": [{"Id": "7", "DisplayName": "Acme",
                      "MetaData": {"LastUpdatedTime": "2026-01-01T00:00:00-08:00"}}],
    }, TOKEN, REALM)  # fmt: skip


def _defs(tmp_path: Path, url: str) -> Definitions:
    config = tmp_path / "crossfoot.yaml"
    config.write_text(
        "crm: {system: salesforce, source: crm}\nerp:\n  system: quickbooks\n  source: api\n"
        f"  api: {{base_url: '{url}', realm_id: '{REALM}', page_size: 2, access_token_env: QB_TOKEN}}\n"
        "stages: {Won: won}\n"
    )
    return load_definitions(config)


@pytest.fixture
def qbo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeQuickBooks, FakeApi, Definitions]]:
    fake = _quickbooks()
    with serve(FakeApi(fake), tmp_path) as api:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
        yield fake, api, _defs(tmp_path, api.url)


def _rows(folder: Path, obj: str) -> list[dict[str, Any]]:
    pages = sorted(folder.glob(f"{obj}.*.json"), key=lambda p: int(p.name.split(".")[1]))
    return [r for p in pages for r in json.loads(p.read_bytes())["QueryResponse"].get(obj, [])]


def test_pages_faults_and_incremental_merge(
    qbo: tuple[FakeQuickBooks, FakeApi, Definitions],
) -> None:
    fake, api, defs = qbo
    api.faults = {1: "429", 3: "500", 5: "timeout", 7: "drop"}
    waits: list[float] = []
    pull(defs, env={"QB_TOKEN": TOKEN}, policy=FAST, sleep=waits.append)
    assert waits == [7, 0.01, 0.01, 0.01]
    folder = defs.pulled("quickbooks")
    assert [p.name for p in sorted(folder.glob("Invoice.*.json"))] == [
        "Invoice.1.json",
        "Invoice.2.json",
        "Invoice.3.json",
    ]
    assert [r["Id"] for r in _rows(folder, "Invoice")] == ["0", "1", "2", "3", "4"]
    assert "1200.5" in (folder / "Invoice.1.json").read_text()
    first = next(s for s in fake.selects if "FROM Invoice" in s)
    assert first == "SELECT * FROM Invoice ORDERBY Id STARTPOSITION 1 MAXRESULTS 2"
    fake.data["Invoice"][1]["TotalAmt"] = 999.99
    fake.data["Invoice"][1]["MetaData"]["LastUpdatedTime"] = "2026-03-02T08:00:00-08:00"
    report = pull(defs, env={"QB_TOKEN": TOKEN}, policy=FAST)
    inv = {r.object: r for r in report.objects}["Invoice"]
    assert inv.mode == "incremental" and inv.records == 5 and inv.fetched == 2  # 4 again, 1 changed
    last = [s for s in fake.selects if "FROM Invoice" in s][-1]
    assert re.search(r"WHERE MetaData\.LastUpdatedTime >= '2026-03-01T21:5[0-4]:\d\d\+00:00'", last)
    rows = _rows(folder, "Invoice")
    assert sorted(r["Id"] for r in rows) == ["0", "1", "2", "3", "4"]
    assert {r["Id"]: r["TotalAmt"] for r in rows}["1"] == 999.99


def test_expired_token_exits_3(qbo: tuple[FakeQuickBooks, FakeApi, Definitions]) -> None:
    _, api, defs = qbo
    with pytest.raises(AuthError) as info:
        pull(defs, env={"QB_TOKEN": "eyJ-expired-token-0123456789abcdef0123"}, policy=FAST)
    assert "quickbooks query Customer page 1" in str(info.value) and "HTTP 401" in str(info.value)
    assert "expired-token" not in str(info.value) and len(api.requests) == 1


def test_merged_pages_end_like_a_full_pull() -> None:
    """A merged object whose last page is full ends with the empty answer, as a full pull
    does: the QuickBooks reader refuses a set whose last page holds MAXRESULTS records."""
    rows = [{"Id": str(i)} for i in range(4)]
    pages = QueryPages(2).pages("Invoice", rows)
    assert [p["QueryResponse"].get("startPosition") for p in pages] == [1, 3, None]
    assert pages[-1] == {"QueryResponse": {}}
    assert len(QueryPages(2).pages("Invoice", rows[:3])) == 2
