"""Salesforce: SOQL through the REST Query resource with simple-salesforce.

Each page is the Query resource's JSON ``{totalSize, done, nextRecordsUrl,
records}``; ``done: false`` means ``nextRecordsUrl`` fetches the next one
(https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query.md,
.../resources-query-more-results.md). The query selects the fields the
Salesforce reader maps (model/mapping.py) plus every ``crm.fields`` field of
the object, and ``SystemModstamp``: the incremental cursor (indexed, and changed
by system updates too, unlike LastModifiedDate). An incremental query asks for
``SystemModstamp >= cursor``: a record changed in the cursor's own second comes
again and the merge keeps its latest version once.

Authentication: an OAuth access token (``crm.api.access_token_env``) and the
org's ``instance_url``, passed to simple-salesforce as ``session_id`` /
``instance_url`` (its "direct" mode: no login call).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import requests
from simple_salesforce.api import Salesforce as SalesforceClient
from simple_salesforce.exceptions import SalesforceError

from crossfoot.config import Definitions
from crossfoot.pull.connector import PullContext
from crossfoot.pull.framework import PageFormat
from crossfoot.pull.http import Failure, retry_after, retrying

PAGE_SIZE = 2000  # the Query resource's largest batch
CURSOR = "SystemModstamp"
STAMP = "%Y-%m-%dT%H:%M:%S.%f%z"  # how the REST API writes datetimes: 2024-01-15T10:00:00.000+0000
#: the fields the reader maps (model/mapping.py SALESFORCE), per object, in pull order
FIELDS: dict[str, tuple[str, ...]] = {
    "User": ("Id", "Name"),
    "Product2": ("Id", "Name", "ProductCode", "Family"),
    "Account": ("Id", "Name", "Website", "BillingCountry"),
    "Opportunity": ("Id", "AccountId", "Name", "StageName", "CloseDate", "Amount", "OwnerId",
                    "LastModifiedDate"),
    "OpportunityLineItem": ("Id", "OpportunityId", "Product2Id", "ProductCode", "Quantity",
                            "UnitPrice", "TotalPrice", "ServiceDate"),
}  # fmt: skip


class SalesforcePages:
    """Query resource pages: ``records``; merged pages say ``done`` and ``totalSize``."""

    def records(self, page: dict[str, Any]) -> list[dict[str, Any]]:
        records = page.get("records")
        if not isinstance(records, list):
            raise ValueError("a Salesforce query page without 'records'")
        return records

    def key(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return (str(record.get("Id")),)

    def group(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return self.key(obj, record)

    def pages(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        chunks = [records[i : i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [[]]
        return [
            {"totalSize": len(records), "done": i == len(chunks) - 1, "records": chunk}
            for i, chunk in enumerate(chunks)
        ]


def soql_datetime(value: str) -> str:
    """A SystemModstamp as returned (``2024-01-15T10:00:00.000+0000``) as a SOQL literal.

    SOQL datetime literals are ``YYYY-MM-DDThh:mm:ssZ`` (SOQL reference, "Date
    Formats and Date Literals"); dropping the milliseconds only widens a ``>=``.
    """
    moment = datetime.strptime(value, STAMP).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforcePull:
    system: ClassVar[str] = "salesforce"

    def __init__(self, defs: Definitions, ctx: PullContext) -> None:
        api = defs.crm.api
        self.ctx = ctx
        token = ctx.secret(api, "access_token", "SALESFORCE_ACCESS_TOKEN", "crm.api")
        instance = ctx.setting(api, "instance_url", "crm.api")
        self.format: PageFormat = SalesforcePages()
        self.fields = {obj: list(fields) for obj, fields in FIELDS.items()}
        if api.get("multi_currency") == "true":
            self.fields["Opportunity"].append("CurrencyIsoCode")
        for source in defs.crm.fields.values():
            obj, _, name = source.partition(".")
            known = {o.lower(): o for o in self.fields}
            if obj.lower() in known:
                self.fields[known[obj.lower()]].append(name)
        self._last: requests.Response | None = None
        session = requests.Session()
        session.hooks["response"].append(self._keep)
        self.client = SalesforceClient(
            instance_url=instance,
            session_id=token,
            session=session,
            version=api.get("api_version", "59.0"),
        )

    def _keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep the raw response: its exact bytes are the page, its headers the Retry-After."""
        self._last = response

    def close(self) -> None:
        self.client.session.close()

    def objects(self) -> list[tuple[str, bool]]:
        return [(obj, True) for obj in FIELDS]

    def soql(self, obj: str, since: str | None) -> str:
        by_lower = {n.lower(): n for n in reversed([*self.fields[obj], CURSOR])}
        unique = list(dict.fromkeys(by_lower[n.lower()] for n in [*self.fields[obj], CURSOR]))
        where = f" WHERE {CURSOR} >= {soql_datetime(since)}" if since else ""
        return f"SELECT {', '.join(unique)} FROM {obj}{where}"

    def rewind(self, cursor: str, seconds: int) -> str:
        moment = datetime.strptime(cursor, STAMP) - timedelta(seconds=seconds)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}{moment:%z}"

    def cursor_of(self, obj: str, record: dict[str, Any]) -> str | None:
        value = record.get(CURSOR)
        return value if isinstance(value, str) else None

    def fetch(self, obj: str, since: str | None) -> Iterator[bytes]:
        timeout = self.ctx.policy.timeout
        soql = self.soql(obj, since)
        page, body = self._call(
            f"query {obj} page 1", lambda: self.client.query(soql, timeout=timeout)
        )
        yield body
        n = 1
        while not page.get("done", True):
            n += 1
            more = partial(self.client.query_more, page["nextRecordsUrl"], identifier_is_url=True,
                           timeout=timeout)  # fmt: skip
            page, body = self._call(f"query {obj} page {n}", more)
            yield body

    def _call(self, what: str, call: Any) -> tuple[dict[str, Any], bytes]:
        def once() -> tuple[dict[str, Any], bytes]:
            page = call()
            assert self._last is not None
            return page, self._last.content

        return retrying(once, system=self.system, what=what, classify=self._classify,
                        policy=self.ctx.policy, secrets=self.ctx.secrets, sleep=self.ctx.sleep)  # fmt: skip

    def _classify(self, exc: BaseException) -> Failure | None:
        if isinstance(exc, SalesforceError):
            status = int(exc.status)
            content = exc.content
            first: Any = content[0] if isinstance(content, list) and content else {}
            code = first.get("errorCode", "") if isinstance(first, dict) else ""
            message = first.get("message", "") if isinstance(first, dict) else ""
            detail = f"HTTP {status} {code}: {message}".strip().rstrip(":")
            headers = self._last.headers if self._last is not None else {}
            if status == 429 or code == "REQUEST_LIMIT_EXCEEDED":
                return Failure("rate_limit", detail, retry_after(headers.get("Retry-After")))
            if status in (401, 403):
                return Failure("auth", detail)
            if status >= 500:
                return Failure("server", detail)
            return Failure("fatal", detail)
        return _network(exc)


def _network(exc: BaseException) -> Failure | None:
    """Timeouts and broken connections of ``requests``: worth another try."""
    if isinstance(exc, requests.Timeout):
        return Failure("timeout", f"no answer in time ({type(exc).__name__})")
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return Failure("network", f"connection failed ({type(exc).__name__})")
    return None
