"""A workspace whose CRM and ERP are pulled from fake vendor APIs on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.unit.pull.fake_http import FakeApi, serve
from tests.unit.pull.vendors import FakeNetSuite, FakeSalesforce

SF_TOKEN = "00Dxx0000001gPL!AQ4AQFakeAccessTokenValue1234567890abcdef"
NS_SECRETS = {
    "NS_CK": "ck-7f3a9e1b2c4d5e6f7a8b9c0d1e2f3a4b",
    "NS_CS": "cs-secret-1f2e3d4c5b6a79881726354453627180",
    "NS_TID": "tid-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "NS_TS": "ts-secret-99887766554433221100ffeeddccbbaa",
}
ENV = {"SF_TOKEN": SF_TOKEN, **NS_SECRETS}
SECRETS = [SF_TOKEN, NS_SECRETS["NS_CS"], NS_SECRETS["NS_TS"]]


def sf_data() -> dict[str, list[dict[str, Any]]]:
    stamp = "2026-03-01T10:00:00.000+0000"
    opp = [
        {"Id": f"006{i}", "AccountId": f"001{i % 3}", "Name": f"Deal {i}", "StageName": "Closed Won",
         "CloseDate": f"2026-02-{10 + i:02d}", "Amount": 1000.5 + i, "OwnerId": "0051",
         "LastModifiedDate": stamp, "SystemModstamp": f"2026-03-01T1{i}:00:00.000+0000",
         "Delivery_Status__c": "Delivered"}
        for i in range(5)
    ]  # fmt: skip
    return {
        "User": [{"Id": "0051", "Name": "Ada Owner", "SystemModstamp": stamp}],
        "Product2": [
            {
                "Id": "01t1",
                "Name": "Robot",
                "ProductCode": "R-1",
                "Family": "Hardware",
                "SystemModstamp": stamp,
            }
        ],
        "Account": [
            {
                "Id": f"001{i}",
                "Name": f"Acme {i}",
                "Website": f"acme{i}.com",
                "BillingCountry": "US",
                "SystemModstamp": stamp,
            }
            for i in range(3)
        ],
        "Opportunity": opp,
        "OpportunityLineItem": [
            {
                "Id": f"00k{i}",
                "OpportunityId": f"006{i}",
                "Product2Id": "01t1",
                "Quantity": 1,
                "UnitPrice": 1000.5 + i,
                "TotalPrice": 1000.5 + i,
                "ServiceDate": "2026-02-15",
                "SystemModstamp": stamp,
            }
            for i in range(3)
        ],
    }


def ns_data() -> dict[str, list[dict[str, Any]]]:
    mod = "2026-03-01 10:00:00"
    txns = [{"id": str(100 + i), "tranid": f"INV{i}", "type": "CustInvc", "entity": "7",
             "trandate": f"2/{10 + i}/2026", "currency": "1", "exchangerate": "1",
             "lastmodified_at": f"2026-03-01 1{i}:00:00"} for i in range(3)]  # fmt: skip
    lines = []
    for t in txns:
        lines.append({"id": "0", "transaction": t["id"], "mainline": "T", "taxline": "F",
                      "netamount": "-500.00", "lastmodified_at": t["lastmodified_at"]})  # fmt: skip
        for n in (1, 2):
            lines.append({"id": str(n), "transaction": t["id"], "mainline": "F", "taxline": "F",
                          "class": "1", "netamount": "-250.00",
                          "lastmodified_at": t["lastmodified_at"]})  # fmt: skip
    return {
        "currency": [{"id": "1", "symbol": "USD"}],
        "classification": [{"id": "1", "name": "Hardware"}],
        "item": [{"id": "9", "itemid": "R-1"}],
        "customer": [
            {"id": "7", "entityid": "C7", "companyname": "Acme 0", "lastmodified_at": mod}
        ],
        "transaction": txns,
        "transactionline": lines,
        "revenue": [
            {
                "plannedrevenue": "1",
                "postingperiod": "5",
                "trandate": "2/1/2026",
                "amount": "250.00",
                "transaction": "100",
                "transactionline": "1",
                "entity": "7",
                "currency": "1",
                "class": "1",
            }
        ],
    }


@dataclass
class Workspace:
    root: Path
    config: Path
    sf: FakeSalesforce
    sf_api: FakeApi
    ns: FakeNetSuite
    ns_api: FakeApi

    def pulled(self, system: str) -> Path:
        return self.root / ".crossfoot" / "pulled" / system


def write_config(root: Path, sf_url: str, ns_url: str, *, extra_crm: str = "") -> Path:
    config = root / "crossfoot.yaml"
    config.write_text(
        f"""crm:
  system: salesforce
  source: api
  fields:
    delivery_status: Opportunity.Delivery_Status__c
  api:
    instance_url: {sf_url}
    access_token_env: SF_TOKEN{extra_crm}
erp:
  system: netsuite
  source: api
  date_format: M/D/YYYY
  api:
    account_id: 1234567_SB1
    base_url: {ns_url}
    page_size: 2
    consumer_key_env: NS_CK
    consumer_secret_env: NS_CS
    token_id_env: NS_TID
    token_secret_env: NS_TS
stages:
  Closed Won: won
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    sf = FakeSalesforce(sf_data(), SF_TOKEN)
    ns = FakeNetSuite(ns_data(), consumer=(NS_SECRETS["NS_CK"], NS_SECRETS["NS_CS"]),
                      token=(NS_SECRETS["NS_TID"], NS_SECRETS["NS_TS"]), realm="1234567_SB1")  # fmt: skip
    tls = tmp_path / "tls"
    tls.mkdir()
    root = tmp_path / "ws"
    root.mkdir()
    with serve(FakeApi(sf), tls) as sf_api, serve(FakeApi(ns)) as ns_api:
        ns.url = ns_api.url
        # simple-salesforce always speaks https: trust the test CA through requests' own setting
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls / "ca.pem"))
        for k, v in ENV.items():
            monkeypatch.setenv(k, v)
        config = write_config(root, sf_api.url, ns_api.url)
        yield Workspace(root, config, sf, sf_api, ns, ns_api)
