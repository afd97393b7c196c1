"""xero-python against a fake Xero Accounting API serving a real Invoices page.

Wire format: GET /api.xro/2.0/Invoices?page=n&pageSize=s with ``xero-tenant-id``
and ``If-Modified-Since``; ``{"Id", "Status", "ProviderName", "DateTimeUTC",
"pagination", "Invoices": [...]}`` (https://developer.xero.com/documentation/api/accounting/invoices).
The invoices are the real demo-company page in /work/shared/fixtures/real
(see SOURCES.txt); the fake is tests/unit/pull/vendors_more.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossfoot.config import Definitions, load_definitions
from crossfoot.errors import AuthError
from crossfoot.pull import RetryPolicy, pull
from tests.unit.pull.fake_http import FakeApi, serve
from tests.unit.pull.vendors_more import FakeXero, xero_ms

FIXTURE = Path("/work/shared/fixtures/real/xero_invoices_page1_demo_company.json")
TENANT = "45e4708e-d862-4111-ab3a-dd8cd03913e1"
TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjFDQUY4RTY2fakeXeroToken0123456789"
FAST = RetryPolicy(attempts=4, base=0.01, cap=10, timeout=0.5)


def _xero() -> FakeXero:
    page = json.loads(FIXTURE.read_text())
    contact = {"ContactID": "9b9ba9e5-e907-4b4e-8210-54d82b0aa479", "Name": "PowerDirect",
               "UpdatedDateUTC": "/Date(1588633397422+0000)/"}  # fmt: skip
    data = {"Invoices": page["Invoices"], "Contacts": [contact], "CreditNotes": []}
    return FakeXero(data, TOKEN, TENANT)


@pytest.fixture
def xero(tmp_path: Path) -> Iterator[tuple[FakeXero, FakeApi, Definitions]]:
    fake = _xero()
    with serve(FakeApi(fake)) as api:
        config = tmp_path / "crossfoot.yaml"
        config.write_text(
            "crm: {system: salesforce, source: crm}\nerp:\n  system: xero\n  source: api\n"
            f"  api: {{base_url: '{api.url}/api.xro/2.0', tenant_id: {TENANT}, page_size: 30,"
            " access_token_env: XERO_TOKEN}\nstages: {Won: won}\n"
        )
        yield fake, api, load_definitions(config)


def _rows(folder: Path, obj: str) -> list[dict[str, Any]]:
    pages = sorted(folder.glob(f"{obj}.*.json"), key=lambda p: int(p.name.split(".")[1]))
    return [r for p in pages for r in json.loads(p.read_bytes())[obj]]


def test_pages_faults_incremental(xero: tuple[FakeXero, FakeApi, Definitions]) -> None:
    fake, api, defs = xero
    api.faults = {2: "429", 4: "500", 6: "drop", 8: "timeout"}
    waits: list[float] = []
    pull(defs, env={"XERO_TOKEN": TOKEN}, policy=FAST, sleep=waits.append)
    assert waits == [7, 0.01, 0.01, 0.01]
    folder = defs.pulled("xero")
    assert [p.name for p in sorted(folder.glob("Invoices.*.json"))] == [
        "Invoices.1.json",
        "Invoices.2.json",
        "Invoices.3.json",
    ]
    invoices = _rows(folder, "Invoices")
    assert len(invoices) == len({i["InvoiceID"] for i in invoices}) == 79
    assert (
        json.loads((folder / "Invoices.1.json").read_bytes())["ProviderName"] == "crossfoot"
    )  # as sent
    newest = max(fake.data["Invoices"], key=lambda r: xero_ms(r["UpdatedDateUTC"]))
    changed = fake.data["Invoices"][0]
    changed["Status"] = "PAID"
    changed["UpdatedDateUTC"] = f"/Date({xero_ms(newest['UpdatedDateUTC']) + 3_600_000}+0000)/"
    report = pull(defs, env={"XERO_TOKEN": TOKEN}, policy=FAST)
    inv = {r.object: r for r in report.objects}["Invoices"]
    assert inv.mode == "incremental" and inv.records == 79 and 1 <= inv.fetched < 79
    assert "if-modified-since" in fake.seen[-4].headers or any(
        "if-modified-since" in r.headers for r in fake.seen[-6:]
    )
    rows = {r["InvoiceID"]: r for r in _rows(folder, "Invoices")}
    assert len(rows) == 79 and rows[changed["InvoiceID"]]["Status"] == "PAID"
    # the merged pages say where the set ends, as Xero's own pages do (the reader checks it)
    last = json.loads((folder / "Invoices.3.json").read_bytes())["pagination"]
    assert last == {"page": 3, "pageSize": 30, "pageCount": 3, "itemCount": 79}


def test_page_count_ends_the_pages(xero: tuple[FakeXero, FakeApi, Definitions]) -> None:
    fake, _, defs = xero
    fake.data["Invoices"] = fake.data["Invoices"][:60]  # two full pages of 30
    pull(defs, env={"XERO_TOKEN": TOKEN}, policy=FAST)
    asked = [r.query["page"] for r in fake.seen if r.path.endswith("/Invoices")]
    assert asked == ["1", "2"]  # pageCount 2: no third request for an empty page


def test_refused_token(xero: tuple[FakeXero, FakeApi, Definitions]) -> None:
    _, _, defs = xero
    with pytest.raises(AuthError) as info:
        pull(defs, env={"XERO_TOKEN": "eyJ-wrong-0123456789abcdef0123456789"}, policy=FAST)
    assert "xero Contacts page 1" in str(info.value) and "AuthenticationUnsuccessful" in str(
        info.value
    )
    assert "wrong" not in str(info.value)
