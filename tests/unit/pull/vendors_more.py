"""Fake HubSpot, QuickBooks Online, Xero and Business Central APIs in their documented wire formats.

Each fake holds records as the vendor stores them and answers only what the
request asks for, so a connector that asks for too little gets too little:

* HubSpot CRM v3 (https://developers.hubspot.com/docs/api/crm/understanding-the-crm):
  ``GET /crm/v3/objects/<object>?limit&after&properties&associations&archived``
  returns only the requested properties (plus ``hs_object_id``, ``createdate``,
  ``hs_lastmodifieddate``, which HubSpot always sends; a requested property
  without a value is ``null``) and only the requested associations; ``limit`` is
  capped at 100. ``GET /crm/v3/owners`` (limit up to 500,
  https://developers.hubspot.com/docs/api-reference/crm-crm-owners-v3/guide) and
  ``GET /crm/v3/pipelines/deals``. Errors ``{status, message, correlationId, category}``.
* QuickBooks Online query (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries):
  ``POST /v3/company/<realm>/query?minorversion=75``, body ``SELECT * FROM <Object>
  [WHERE MetaData.LastUpdatedTime >= '...'] ORDERBY Id STARTPOSITION s MAXRESULTS n``
  (``MAXRESULTS`` at most 1000); ``{"QueryResponse": {...}, "time"}``.
* Xero Accounting (https://developer.xero.com/documentation/api/accounting/invoices):
  ``GET /api.xro/2.0/<Object>?page&pageSize`` with ``xero-tenant-id`` and
  ``If-Modified-Since``; ``pageSize`` at most 1000 (default 100); the answer
  carries ``pagination: {page, pageSize, pageCount, itemCount}``.
* Business Central API v2.0 (https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/):
  OData pages ``{"@odata.context", "value", "@odata.nextLink"}``; lines only when
  ``$expand`` asks for them (and their dimension set lines only with the nested
  ``$expand``); ``$filter=lastModifiedDateTime ge ...``; every record has an
  ``@odata.etag``. The token comes from a fake Entra ID (client credentials).
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from tests.unit.pull.fake_http import Reply, Request

Record = dict[str, Any]


def _listed(req: Request, key: str) -> list[str]:
    """A list parameter, sent repeated (``a=1&a=2``) or comma-separated (``a=1,2``)."""
    return [v for value in req.params.get(key, []) for v in value.split(",") if v]


# ---------------------------------------------------------------- HubSpot

HUBSPOT_DEFAULTS = ("hs_object_id", "createdate", "hs_lastmodifieddate")


class FakeHubSpot:
    def __init__(self, objects: dict[str, list[Record]], token: str, *,
                 owners: list[Record] | None = None, pipelines: Record | None = None) -> None:  # fmt: skip
        self.objects, self.token = objects, token
        self.owners = owners or []
        self.pipelines = pipelines or {"results": []}
        self.calls: list[Request] = []

    def __call__(self, req: Request) -> Reply:
        self.calls.append(req)
        if req.headers.get("authorization") != f"Bearer {self.token}":
            seen = req.headers.get("authorization")
            return Reply(401, {"status": "error", "category": "INVALID_AUTHENTICATION",
                               "message": f"Authentication credentials not found ({seen})",
                               "correlationId": "8d4b7c1e-0f7a-4e0b-9a55-0c1f2e3d4c5b"})  # fmt: skip
        if req.path == "/crm/v3/pipelines/deals":
            return Reply(200, self.pipelines)
        if req.path.rstrip("/") == "/crm/v3/owners":
            return self._page(req, self.owners, 500, lambda r: r)
        obj = req.path.removeprefix("/crm/v3/objects/")
        if obj not in self.objects:
            return Reply(404, {"status": "error", "category": "OBJECT_NOT_FOUND",
                               "message": f"Unable to infer object type from: {obj}"})  # fmt: skip
        asked = [*HUBSPOT_DEFAULTS, *_listed(req, "properties")]
        assoc = _listed(req, "associations")
        archived = req.query.get("archived", "false") == "true"
        rows = [r for r in self.objects[obj] if bool(r.get("archived")) == archived]

        def shown(rec: Record) -> Record:
            props = rec.get("properties", {})
            out = {k: v for k, v in rec.items() if k not in ("properties", "associations")}
            out["properties"] = {p: props.get(p) for p in dict.fromkeys(asked)}
            linked = {a: v for a, v in (rec.get("associations") or {}).items() if a in assoc}
            if linked:
                out["associations"] = linked
            return out

        return self._page(req, rows, 100, shown)

    def _page(self, req: Request, rows: list[Record], cap: int, shown: Any) -> Reply:
        limit = min(int(req.query.get("limit", 10)), cap)
        start = int(req.query.get("after", 0))
        page: dict[str, Any] = {"results": [shown(r) for r in rows[start : start + limit]]}
        if start + limit < len(rows):
            after = str(start + limit)
            page["paging"] = {"next": {"after": after,
                                       "link": f"https://api.hubapi.com{req.path}?after={after}"}}  # fmt: skip
        return Reply(200, page)


# ---------------------------------------------------------------- QuickBooks Online

QBO_QUERY = re.compile(
    r"SELECT \* FROM (\w+)(?: WHERE MetaData\.LastUpdatedTime >= '([^']+)')? "
    r"ORDERBY Id STARTPOSITION (\d+) MAXRESULTS (\d+)"
)
QBO_TIME = "2026-03-01T10:00:00.000-08:00"


def _qbo_id(record: Record) -> tuple[int, str]:
    value = str(record.get("Id", ""))
    return (int(value), "") if value.isdigit() else (0, value)


class FakeQuickBooks:
    def __init__(self, data: dict[str, list[Record]], token: str, realm: str) -> None:
        self.data, self.token, self.realm = data, token, realm
        self.selects: list[str] = []

    def __call__(self, req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                                    "detail": "Token expired", "code": "3200"}],
                                         "type": "AUTHENTICATION"}, "time": QBO_TIME})  # fmt: skip
        assert req.path == f"/v3/company/{self.realm}/query" and req.method == "POST", req.path
        assert req.query["minorversion"] == "75"
        assert req.headers["content-type"] == "application/text"
        select = req.body.decode()
        self.selects.append(select)
        m = QBO_QUERY.fullmatch(select)
        assert m, select
        rows = sorted(self.data.get(m.group(1), []), key=_qbo_id)
        if m.group(2):
            since = datetime.fromisoformat(m.group(2))  # QBO compares instants, not text
            rows = [
                r for r in rows if datetime.fromisoformat(r["MetaData"]["LastUpdatedTime"]) >= since
            ]
        start, size = int(m.group(3)), min(int(m.group(4)), 1000)
        chunk = rows[start - 1 : start - 1 + size]
        response: dict[str, Any] = {}
        if chunk:
            response = {m.group(1): chunk, "startPosition": start, "maxResults": len(chunk)}
        return Reply(200, {"QueryResponse": response, "time": QBO_TIME})


# ---------------------------------------------------------------- Xero


def xero_ms(value: str) -> int:
    return int(value.removeprefix("/Date(").split("+")[0].split(")")[0])


class FakeXero:
    def __init__(self, data: dict[str, list[Record]], token: str, tenant: str) -> None:
        self.data, self.token, self.tenant = data, token, tenant
        self.seen: list[Request] = []

    def __call__(self, req: Request) -> Reply:
        self.seen.append(req)
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"Type": None, "Title": "Unauthorized", "Status": 401,
                               "Detail": "AuthenticationUnsuccessful"})  # fmt: skip
        assert req.headers["xero-tenant-id"] == self.tenant
        obj = req.path.removeprefix("/api.xro/2.0/")
        rows = self.data[obj]
        if since := req.headers.get("if-modified-since"):
            moment = datetime.fromisoformat(since).replace(tzinfo=UTC).timestamp() * 1000
            rows = [r for r in rows if xero_ms(r["UpdatedDateUTC"]) >= moment]
        page, size = int(req.query.get("page", 1)), min(int(req.query.get("pageSize", 100)), 1000)
        return Reply(200, {"Id": "12b9c7bc-4c28-4920-a54c-136e7014eaa2", "Status": "OK",
                           "ProviderName": "crossfoot", "DateTimeUTC": "/Date(1588633397422)/",
                           "pagination": {"page": page, "pageSize": size,
                                          "pageCount": -(-len(rows) // size), "itemCount": len(rows)},
                           obj: rows[(page - 1) * size : page * size]})  # fmt: skip


# ---------------------------------------------------------------- Business Central


class FakeLogin:
    """Entra ID: the tenant's OpenID configuration and its client-credentials token endpoint."""

    def __init__(self, tenant: str, client_secret: str, token: str) -> None:
        self.tenant, self.client_secret, self.token = tenant, client_secret, token
        self.url = ""
        self.grants: list[dict[str, list[str]]] = []

    def __call__(self, req: Request) -> Reply:
        if req.path == f"/{self.tenant}/v2.0/.well-known/openid-configuration":
            base = f"{self.url}/{self.tenant}"
            return Reply(200, {"token_endpoint": f"{base}/oauth2/v2.0/token",
                               "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                               "issuer": f"{base}/v2.0"})  # fmt: skip
        assert req.path == f"/{self.tenant}/oauth2/v2.0/token", req.path
        form = parse_qs(req.body.decode())
        self.grants.append(form)
        if form.get("client_secret") != [self.client_secret]:
            return Reply(401, {"error": "invalid_client",
                               "error_description": "AADSTS7000215: Invalid client secret provided."})  # fmt: skip
        assert form["grant_type"] == ["client_credentials"]
        return Reply(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": self.token})


def _expand(records: list[Record], expand: str | None) -> list[Record]:
    """Records with only the navigation properties ``$expand`` names (nested: ``a($expand=b)``)."""
    asked: dict[str, str | None] = {}
    for part in re.findall(r"(\w+)(?:\(\$expand=([^)]*)\))?", expand or ""):
        asked[part[0]] = part[1] or None
    out = []
    for rec in records:
        row = {k: v for k, v in rec.items() if not isinstance(v, list) or k in asked}
        for nav, inner in asked.items():
            if isinstance(row.get(nav), list):
                row[nav] = _expand(row[nav], inner)
        out.append(row)
    return out


class FakeBusinessCentral:
    def __init__(self, data: dict[str, list[Record]], token: str, tenant: str, company: str,
                 page_size: int = 2) -> None:  # fmt: skip
        self.data, self.token, self.tenant, self.company = data, token, tenant, company
        self.page_size = page_size
        self.url = ""
        self.queries: list[dict[str, str]] = []

    def __call__(self, req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": {"code": "Authentication_InvalidCredentials",
                                         "message": "The credentials provided are incorrect"}})  # fmt: skip
        m = re.fullmatch(
            rf"/v2.0/{self.tenant}/production/api/v2.0/companies\({self.company}\)/(\w+)", req.path
        )
        assert m, req.path
        obj, query = m.group(1), req.query
        self.queries.append(query)
        rows = self.data[obj]
        if flt := query.get("$filter"):
            since = flt.removeprefix("lastModifiedDateTime ge ")
            rows = [r for r in rows if r["lastModifiedDateTime"] >= since]
        skip = int(query.get("$skiptoken", 0))
        chunk = [{"@odata.etag": f'W/"JzE5OzE{i}MTsn"', **r}
                 for i, r in enumerate(copy.deepcopy(rows[skip : skip + self.page_size]))]  # fmt: skip
        page: dict[str, Any] = {
            "@odata.context": f"{self.url}/v2.0/{self.tenant}/production/api/v2.0/$metadata#companies({self.company})/{obj}",
            "value": _expand(chunk, query.get("$expand")),
        }  # fmt: skip
        if skip + self.page_size < len(rows):
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "$skiptoken")
            nxt = f"{self.url}{req.path}?{rest}&$skiptoken={skip + self.page_size}"
            page["@odata.nextLink"] = nxt.replace("?&", "?")
        return Reply(200, page)
