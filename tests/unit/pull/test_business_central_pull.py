"""msal + httpx against a fake Entra ID token endpoint (HTTPS) and a fake Business Central API v2.0.

Token: the client-credentials grant at the tenant's OpenID configuration's
``token_endpoint``. API: OData pages ``{"@odata.context", "value",
"@odata.nextLink"}`` with ``$expand`` and ``$filter=lastModifiedDateTime ge ...``
(https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/api/dynamics_salesinvoice_get).
The fakes are in tests/unit/pull/vendors_more.py.
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
from tests.unit.pull.fake_http import FakeApi, serve
from tests.unit.pull.vendors_more import FakeBusinessCentral, FakeLogin

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
COMPANY = "9e0f5c9c-44e3-ea11-bb43-000d3a2feca1"
CLIENT_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
SECRET = "Qx8Q~fakeClientSecretValue0123456789abcdEF"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fakeBusinessCentralAccessToken"
FAST = RetryPolicy(attempts=4, base=0.01, cap=10, timeout=0.5)


def _business_central() -> FakeBusinessCentral:
    data = {
        "customers": [{"id": f"c{i}", "number": f"1000{i}", "displayName": f"Customer {i}",
                       "lastModifiedDateTime": "2026-01-05T10:00:00.000Z"} for i in range(3)],
        "salesInvoices": [
            {"id": f"inv{i}", "number": f"PS-INV10{i}", "invoiceDate": "2026-02-10",
             "totalAmountExcludingTax": 1000.5, "lastModifiedDateTime": f"2026-03-01T1{i}:00:00.000Z",
             "salesInvoiceLines": [{"id": f"l{i}", "amountExcludingTax": 1000.5,
                                    "dimensionSetLines": [{"code": "PRODUCT", "valueCode": "HW"}]}],
             "dimensionSetLines": [{"code": "REGION", "valueCode": "EU"}]}
            for i in range(5)
        ],
        "salesOrders": [], "salesCreditMemos": [],
    }  # fmt: skip
    return FakeBusinessCentral(data, TOKEN, TENANT, COMPANY)


@pytest.fixture
def bc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeLogin, FakeBusinessCentral, FakeApi, Definitions]]:
    login, api = FakeLogin(TENANT, SECRET, TOKEN), _business_central()
    with serve(FakeApi(login), tmp_path) as login_api, serve(FakeApi(api)) as bc_api:
        login.url, api.url = login_api.url, bc_api.url
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))  # msal speaks requests
        config = tmp_path / "crossfoot.yaml"
        config.write_text(
            "crm: {system: salesforce, source: crm}\nerp:\n  system: business_central\n  source: api\n"
            f"  api: {{base_url: '{bc_api.url}', authority: '{login_api.url}', tenant_id: {TENANT},"
            f" company_id: {COMPANY}, client_id_env: BC_ID, client_secret_env: BC_SECRET}}\nstages: {{Won: won}}\n"
        )
        yield login, api, bc_api, load_definitions(config)


def _rows(folder: Path, obj: str) -> list[dict[str, Any]]:
    pages = sorted(folder.glob(f"{obj}.*.json"), key=lambda p: int(p.name.split(".")[1]))
    return [r for p in pages for r in json.loads(p.read_bytes())["value"]]


def test_pages_faults_and_incremental(
    bc: tuple[FakeLogin, FakeBusinessCentral, FakeApi, Definitions],
) -> None:
    login, api, bc_api, defs = bc
    env = {"BC_ID": CLIENT_ID, "BC_SECRET": SECRET}
    bc_api.faults = {1: "429", 3: "500", 5: "timeout", 7: "drop"}
    waits: list[float] = []
    pull(defs, env=env, policy=FAST, sleep=waits.append)
    assert waits == [7, 0.01, 0.01, 0.01]
    assert len(login.grants) == 1  # one token for the whole pull
    folder = defs.pulled("business_central")
    assert [p.name for p in sorted(folder.glob("salesInvoices.*.json"))] == [
        f"salesInvoices.{n}.json" for n in (1, 2, 3)
    ]
    invoices = _rows(folder, "salesInvoices")
    assert [i["id"] for i in invoices] == [f"inv{i}" for i in range(5)]
    assert invoices[0]["salesInvoiceLines"][0]["dimensionSetLines"][0]["valueCode"] == "HW"
    first = next(q for q in api.queries if q.get("$expand", "").startswith("salesInvoiceLines"))
    assert first["$expand"] == "salesInvoiceLines($expand=dimensionSetLines),dimensionSetLines"
    assert invoices[0]["dimensionSetLines"][0]["valueCode"] == "EU"  # the document's own
    api.data["salesInvoices"][2]["totalAmountExcludingTax"] = 1234.56
    api.data["salesInvoices"][2]["lastModifiedDateTime"] = "2026-03-02T09:00:00.000Z"
    report = pull(defs, env=env, policy=FAST)
    inv = {r.object: r for r in report.objects}["salesInvoices"]
    assert inv.mode == "incremental" and inv.fetched == 2 and inv.records == 5
    filters = [q["$filter"] for q in api.queries if "$filter" in q]
    assert any(
        re.fullmatch(r"lastModifiedDateTime ge 2026-03-01T13:5[0-4]:\d\dZ", f) for f in filters
    )
    rows = {r["id"]: r for r in _rows(folder, "salesInvoices")}
    assert len(rows) == 5 and rows["inv2"]["totalAmountExcludingTax"] == 1234.56


def test_refused_client_secret(
    bc: tuple[FakeLogin, FakeBusinessCentral, FakeApi, Definitions],
) -> None:
    _, _, _, defs = bc
    wrong = "Qx8Q~wrongClientSecret9876543210zyxwvuTS"
    with pytest.raises(AuthError) as info:
        pull(defs, env={"BC_ID": CLIENT_ID, "BC_SECRET": wrong}, policy=FAST)
    assert "invalid_client" in str(info.value) and wrong not in str(info.value)
