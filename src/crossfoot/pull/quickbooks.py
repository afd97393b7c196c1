"""QuickBooks Online: the Accounting API query endpoint with python-quickbooks.

``POST /v3/company/<realm>/query?minorversion=75`` with the body ``SELECT * FROM
Invoice ... STARTPOSITION s MAXRESULTS n`` (Content-Type ``application/text``)
returns ``{"QueryResponse": {"Invoice": [...], "startPosition": s, "maxResults":
n}, "time": ...}``; a page with fewer than ``n`` records is the last
(https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries).
Errors are ``{"Fault": {"Error": [{"Message", "Detail", "code"}], "type"}}``;
throttling answers HTTP 429.

Objects: Invoice, CreditMemo, Customer, Item, Class, Department, each ordered by
``Id``; incremental since ``MetaData.LastUpdatedTime`` (``WHERE
MetaData.LastUpdatedTime >= '<cursor - lookback>'``).

Authentication: an OAuth 2 access token (``erp.api.access_token_env``) and the
company's ``realm_id``. The token is put in the OAuth2Session python-quickbooks
sends its requests with (what its ``_start_session`` builds from an
intuitlib AuthClient, whose constructor downloads Intuit's discovery document).
crossfoot does not refresh tokens: Intuit rotates refresh tokens, and crossfoot
never stores a secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from requests_oauthlib import OAuth2Session

from crossfoot.config import Definitions
from crossfoot.pull.connector import PullContext
from crossfoot.pull.framework import PageFormat
from crossfoot.pull.http import Failure, retry_after, retrying
from crossfoot.pull.salesforce import _network

OBJECTS = ("Customer", "Item", "Class", "Department", "Invoice", "CreditMemo")
MINOR_VERSION = 75  # the lowest minor version Intuit still accepts (2025)


def _updated(record: dict[str, Any]) -> str | None:
    value = (record.get("MetaData") or {}).get("LastUpdatedTime")
    return value if isinstance(value, str) else None


class QueryPages:
    """Query pages: ``QueryResponse.<Object>``; merged pages carry positions and counts."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size

    def records(self, page: dict[str, Any]) -> list[dict[str, Any]]:
        response = page.get("QueryResponse")
        if not isinstance(response, dict):
            raise ValueError("a query page without 'QueryResponse'")
        lists = [v for v in response.values() if isinstance(v, list)]
        return lists[0] if lists else []  # an empty result is {"QueryResponse": {}}

    def key(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return (str(record.get("Id")),)

    def group(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return self.key(obj, record)

    def pages(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        size = self.page_size
        chunks = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
        out: list[dict[str, Any]] = []
        for i, chunk in enumerate(chunks):
            response: dict[str, Any] = {"startPosition": i * size + 1, "maxResults": len(chunk)}
            if chunk:
                response[obj] = chunk
            out.append({"QueryResponse": response})
        if len(chunks[-1]) == size:
            # as a full pull ends: a full last page is followed by the empty answer that proves
            # the end (the reader refuses a set whose last page is full)
            out.append({"QueryResponse": {}})
        return out


class QuickBooksPull:
    system: ClassVar[str] = "quickbooks"

    def __init__(self, defs: Definitions, ctx: PullContext) -> None:
        api = defs.erp.api
        self.ctx = ctx
        token = ctx.secret(api, "access_token", "QUICKBOOKS_ACCESS_TOKEN", "erp.api")
        realm = ctx.setting(api, "realm_id", "erp.api")
        self.page_size = int(api.get("page_size", "1000"))
        self.format: PageFormat = QueryPages(self.page_size)
        self.client = QuickBooks(company_id=realm, minorversion=MINOR_VERSION)
        self.client.sandbox = api.get("environment", "production") == "sandbox"
        if "base_url" in api:
            base = api["base_url"].rstrip("/") + "/v3"
            self.client.api_url_v3 = self.client.sandbox_api_url_v3 = base
        session = OAuth2Session(token={"access_token": token, "token_type": "Bearer"})
        # python-quickbooks sends without a timeout: give every request of the session one
        session.request = partial(session.request, timeout=ctx.policy.timeout)  # type: ignore[method-assign]
        self.client.session = session
        self._last: requests.Response | None = None
        self.client.session.hooks["response"].append(self._keep)

    def _keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response

    def close(self) -> None:
        self.client.session.close()

    def objects(self) -> list[tuple[str, bool]]:
        return [(obj, True) for obj in OBJECTS]

    def rewind(self, cursor: str, seconds: int) -> str:
        return (datetime.fromisoformat(cursor) - timedelta(seconds=seconds)).isoformat()

    def cursor_of(self, obj: str, record: dict[str, Any]) -> str | None:
        # stamps carry the company's UTC offset, which moves with daylight saving time:
        # in UTC they compare as text
        value = _updated(record)
        return datetime.fromisoformat(value).astimezone(UTC).isoformat() if value else None

    def query(self, obj: str, since: str | None, start: int) -> str:
        where = f" WHERE MetaData.LastUpdatedTime >= '{since}'" if since else ""
        return f"SELECT * FROM {obj}{where} ORDERBY Id STARTPOSITION {start} MAXRESULTS {self.page_size}"

    def fetch(self, obj: str, since: str | None) -> Iterator[bytes]:
        start, n = 1, 0
        while True:
            n += 1
            select = self.query(obj, since, start)
            page, body = self._call(f"query {obj} page {n} (start {start})", select)
            yield body
            count = len(self.format.records(page))
            if count < self.page_size:
                return
            start += count

    def _call(self, what: str, select: str) -> tuple[dict[str, Any], bytes]:
        def once() -> tuple[dict[str, Any], bytes]:
            page: dict[str, Any] = self.client.query(select)
            assert self._last is not None
            return page, self._last.content

        return retrying(once, system=self.system, what=what, classify=self._classify,
                        policy=self.ctx.policy, secrets=self.ctx.secrets, sleep=self.ctx.sleep)  # fmt: skip

    def _classify(self, exc: BaseException) -> Failure | None:
        if isinstance(exc, QuickbooksException):
            last = self._last
            status = last.status_code if last is not None else 0
            detail = f"HTTP {status} {exc.error_code}: {exc.message}"
            if status == 429:
                return Failure(
                    "rate_limit",
                    detail,
                    retry_after(last.headers.get("Retry-After") if last is not None else None),
                )
            if status in (401, 403):
                return Failure("auth", detail)
            if status >= 500:
                return Failure("server", detail)
            return Failure("fatal", detail)
        return _network(exc)
