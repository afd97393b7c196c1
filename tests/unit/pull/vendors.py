"""Fake Salesforce and NetSuite APIs speaking the documented wire formats.

Salesforce REST Query resource: GET ``/services/data/vXX.X/query?q=SOQL`` and
``nextRecordsUrl`` pages ``{totalSize, done, nextRecordsUrl, records}``, records
with ``attributes`` (https://developer.salesforce.com/docs/platform/api-rest/guide/dome-query.md);
bearer token, 401 ``INVALID_SESSION_ID`` otherwise.

NetSuite SuiteQL: POST ``/services/rest/query/v1/suiteql?limit&offset`` with
``Prefer: transient`` and ``{"q": ...}``; pages ``{links, count, hasMore, items,
offset, totalResults}``, items with ``links`` and every value a string
(https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_157909186990.html);
OAuth 1.0a HMAC-SHA256 signature checked with oauthlib's own verifier; errors
``{status, o:errorDetails: [{detail, o:errorCode}]}``
(.../section_156570709583.html).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature

from tests.unit.pull.fake_http import Reply, Request

Record = dict[str, Any]


def _sf_time(value: str) -> datetime:
    if value.endswith("Z"):
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


class FakeSalesforce:
    def __init__(self, data: dict[str, list[Record]], token: str, page_size: int = 2,
                 version: str = "59.0") -> None:  # fmt: skip
        self.data, self.token, self.page_size, self.version = data, token, page_size, version
        self.results: dict[str, list[Record]] = {}
        self.soql: list[str] = []

    def __call__(self, req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            # a careless server echoing the credential: crossfoot must still not print it
            seen = req.headers.get("authorization", "")
            return Reply(401, [{"message": f"Session expired or invalid ({seen})",
                                "errorCode": "INVALID_SESSION_ID"}])  # fmt: skip
        base = f"/services/data/v{self.version}/query"
        if req.path.rstrip("/") == base:
            soql = req.query["q"]
            self.soql.append(soql)
            m = re.fullmatch(r"SELECT (.+) FROM (\w+)(?: WHERE SystemModstamp >= (\S+))?", soql)
            assert m, soql
            fields = [f.strip() for f in m.group(1).split(",")]
            rows = self.data.get(m.group(2), [])
            if m.group(3):
                since = _sf_time(m.group(3))
                rows = [r for r in rows if _sf_time(r["SystemModstamp"]) >= since]
            records = [
                {"attributes": {"type": m.group(2),
                                "url": f"/services/data/v{self.version}/sobjects/{m.group(2)}/{r['Id']}"},
                 **{f: r.get(f) for f in fields}}
                for r in rows
            ]  # fmt: skip
            locator = f"01gD0000002HU6KIAW{len(self.results)}"
            self.results[locator] = records
            return self._page(locator, 0)
        locator, _, pos = req.path.removeprefix(base + "/").partition("-")
        return self._page(locator, int(pos))

    def _page(self, locator: str, pos: int) -> Reply:
        records = self.results[locator]
        chunk = records[pos : pos + self.page_size]
        done = pos + self.page_size >= len(records)
        page: dict[str, Any] = {"totalSize": len(records), "done": done}
        if not done:
            nxt = pos + self.page_size
            page["nextRecordsUrl"] = f"/services/data/v{self.version}/query/{locator}-{nxt}"
        page["records"] = chunk
        return Reply(200, page)


class FakeNetSuite:
    TABLE_ALIASES: ClassVar[dict[str, str]] = {"revenueplanplannedrevenue": "revenue"}

    def __init__(self, tables: dict[str, list[Record]], *, consumer: tuple[str, str],
                 token: tuple[str, str], realm: str) -> None:  # fmt: skip
        self.tables, self.consumer, self.token, self.realm = tables, consumer, token, realm
        self.url = ""  # set once the server runs: the signed URL includes it
        self.queries: list[str] = []

    def _error(self, status: int, code: str, detail: str) -> Reply:
        return Reply(status, {"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
                              "title": "Unauthorized" if status == 401 else "Bad Request",
                              "status": status,
                              "o:errorDetails": [{"detail": detail, "o:errorCode": code}]})  # fmt: skip

    def _signed(self, req: Request) -> bool:
        header = req.headers.get("authorization", "")
        if not header.startswith("OAuth "):
            return False
        params = dict(signature.collect_parameters(headers={"Authorization": header},
                                                   with_realm=True, exclude_oauth_signature=False))  # fmt: skip
        if (params.get("realm") != self.realm or params.get("oauth_consumer_key") != self.consumer[0]
                or params.get("oauth_token") != self.token[0]
                or params.get("oauth_signature_method") != "HMAC-SHA256"):  # fmt: skip
            return False
        query = "&".join(f"{k}={v}" for k, v in req.query.items())
        oreq = OAuthRequest(f"{self.url}{req.path}?{query}", http_method=req.method,
                            headers={"Authorization": header})  # fmt: skip
        oreq.params = signature.collect_parameters(uri_query=query,
                                                   headers={"Authorization": header})  # fmt: skip
        oreq.signature = params["oauth_signature"]
        return signature.verify_hmac_sha256(oreq, self.consumer[1], self.token[1])

    def __call__(self, req: Request) -> Reply:
        if req.path != "/services/rest/query/v1/suiteql" or req.method != "POST":
            return self._error(404, "NONEXISTENT_ID", f"no resource {req.path}")
        if not self._signed(req):
            return self._error(401, "INVALID_LOGIN", "Invalid login attempt.")
        if req.headers.get("prefer") != "transient":
            return self._error(400, "INVALID_HEADER", "Prefer: transient is required")
        q = json.loads(req.body)["q"]
        self.queries.append(q)
        m = re.search(r"\bFROM (\w+)", q)
        assert m, q
        rows = self.tables.get(self.TABLE_ALIASES.get(m.group(1), m.group(1)), [])
        if since := re.search(r"TO_TIMESTAMP\('([^']+)'", q):
            rows = [r for r in rows if r.get("lastmodified_at", "") >= since.group(1)]
        # a window past a key: (tl.transaction > T OR (tl.transaction = T AND tl.id > L)) or x.id > N
        if line := re.search(
            r"tl\.transaction > (\d+) OR \(tl\.transaction = \d+ AND tl\.id > (\d+)\)", q
        ):
            t, n = int(line.group(1)), int(line.group(2))
            rows = [r for r in rows if (int(r["transaction"]), int(r["id"])) > (t, n)]
        elif past := re.search(r"\b\w+\.id > (\d+)", q):
            field = "plannedrevenue" if "revenueplanplannedrevenue" in q else "id"
            rows = [r for r in rows if int(r[field]) > int(past.group(1))]
        limit, offset = int(req.query.get("limit", 1000)), int(req.query.get("offset", 0))
        chunk = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        links = [{"rel": "self", "href": f"{self.url}{req.path}?limit={limit}&offset={offset}"}]
        if more:
            links.append({"rel": "next",
                          "href": f"{self.url}{req.path}?limit={limit}&offset={offset + limit}"})  # fmt: skip
        return Reply(200, {"links": links, "count": len(chunk), "hasMore": more,
                           "items": [{"links": [], **r} for r in chunk], "offset": offset,
                           "totalResults": len(rows)})  # fmt: skip
