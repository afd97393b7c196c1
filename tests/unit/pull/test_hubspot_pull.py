"""hubspot-api-client against a fake HubSpot CRM v3 API (tests/unit/pull/vendors_more.py).

Wire format: GET /crm/v3/objects/{objectType} pages ``{"results", "paging": {"next":
{"after", "link"}}}`` with ``properties`` and ``associations`` query parameters
(https://developers.hubspot.com/docs/api/crm/understanding-the-crm); owners
GET /crm/v3/owners; pipelines GET /crm/v3/pipelines/deals ``{"results"}``; errors
``{status, message, correlationId, category}``. The pulled pages are read by the
HubSpot reader in tests/e2e/test_pull_tieout_more.py.
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
from tests.unit.pull.vendors_more import FakeHubSpot

TOKEN = "pat-na1-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
FAST = RetryPolicy(attempts=4, base=0.01, cap=10, timeout=0.5)


def _hubspot(n_deals: int) -> FakeHubSpot:
    deals = [
        {"id": str(1000 + i), "properties": {"dealname": f"Deal {i}", "amount": "1200.50",
         "dealstage": "closedwon", "delivery_status": "Delivered", "secret_notes": "internal",
         "hs_lastmodifieddate": f"2026-03-01T10:{i % 60:02d}:00.000Z"},
         "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-03-01T10:00:00.000Z",
         "archived": False,
         "associations": {"companies": {"results": [{"id": "77", "type": "deal_to_company"}]},
                          "line_items": {"results": [{"id": "9", "type": "deal_to_line_item"}]}}}
        for i in range(n_deals)
    ]  # fmt: skip
    companies = [
        {"id": "77", "properties": {"name": "Acme", "domain": "acme.com"}, "archived": False}
    ]
    owners = [{"id": str(70_000_000 + i), "email": f"rep{i}@acme.com", "firstName": "Rep",
               "lastName": str(i), "archived": False} for i in range(3)]  # fmt: skip
    pipelines = {"results": [{"id": "default", "label": "Sales Pipeline", "stages": [
        {"id": "closedwon", "label": "Closed Won", "metadata": {"probability": "1.0"}}]}]}  # fmt: skip
    objects = {"deals": deals, "companies": companies, "line_items": [], "products": []}
    return FakeHubSpot(objects, TOKEN, owners=owners, pipelines=pipelines)


def _defs(tmp_path: Path, url: str) -> Definitions:
    config = tmp_path / "crossfoot.yaml"
    config.write_text(
        "crm:\n  system: hubspot\n  source: api\n  fields: {delivery_status: deals.delivery_status}\n"
        f"  api: {{base_url: '{url}', access_token_env: HS_TOKEN}}\n"
        "erp: {system: netsuite, source: erp}\nstages: {closedwon: won}\n"
    )
    return load_definitions(config)


@pytest.fixture
def hubspot(tmp_path: Path) -> Iterator[tuple[FakeHubSpot, FakeApi, Definitions]]:
    fake = _hubspot(250)
    with serve(FakeApi(fake)) as api:
        yield fake, api, _defs(tmp_path, api.url)


def _results(folder: Path, obj: str) -> list[dict[str, Any]]:
    pages = sorted(folder.glob(f"{obj}.*.json"), key=lambda p: int(p.name.split(".")[1]))
    return [r for p in pages for r in json.loads(p.read_bytes())["results"]]


def test_pages_pipelines_and_faults(hubspot: tuple[FakeHubSpot, FakeApi, Definitions]) -> None:
    fake, api, defs = hubspot
    api.faults = {1: "429", 3: "500", 5: "timeout", 7: "drop"}
    waits: list[float] = []
    report = pull(defs, env={"HS_TOKEN": TOKEN}, policy=FAST, sleep=waits.append)
    assert waits == [7, 0.01, 0.01, 0.01]
    folder = defs.pulled("hubspot")
    assert [p.name for p in sorted(folder.glob("deals.*.json"))] == [
        "deals.1.json",
        "deals.2.json",
        "deals.3.json",
    ]
    deals = _results(folder, "deals")
    assert len(deals) == len({d["id"] for d in deals}) == 250
    assert deals[0]["associations"]["companies"]["results"][0]["id"] == "77"
    assert "secret_notes" not in deals[0]["properties"]  # only what the reader maps is asked
    owners = _results(folder, "owners")
    assert [o["lastName"] for o in owners] == ["0", "1", "2"]
    assert (
        json.loads((folder / "pipelines.json").read_bytes())["results"][0]["stages"][0]["id"]
        == "closedwon"
    )
    deal_calls = [c for c in fake.calls if c.path == "/crm/v3/objects/deals"]
    assert "delivery_status" in deal_calls[0].params["properties"]
    assert deal_calls[0].params["associations"] == ["companies", "line_items"]
    assert {r.object: r.records for r in report.objects}["deals"] == 250
    # a second pull replaces the object whole (no incremental for HubSpot)
    del fake.objects["deals"][-1]
    report = pull(defs, env={"HS_TOKEN": TOKEN}, policy=FAST)
    assert len(_results(folder, "deals")) == 249 and all(r.mode == "full" for r in report.objects)


def test_refused_token_exits_3_and_is_not_shown(
    hubspot: tuple[FakeHubSpot, FakeApi, Definitions],
) -> None:
    _, _, defs = hubspot
    wrong = "pat-na1-11111111-2222-3333-4444-555555555555"
    with pytest.raises(AuthError) as info:
        pull(defs, env={"HS_TOKEN": wrong}, policy=FAST)
    assert "INVALID_AUTHENTICATION" in str(info.value) and "hubspot companies page 1" in str(
        info.value
    )
    assert wrong not in str(info.value)
