"""NetSuite: SuiteQL over REST web services, token-based authentication.

``POST https://<account>.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql
?limit=1000&offset=N`` with ``Prefer: transient`` and the body ``{"q": "<SuiteQL>"}``
(https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_157909186990.html,
.../section_158394344595.html). A page is ``{links, count, hasMore, items,
offset, totalResults}``; the next page is at ``offset + count`` while ``hasMore``.
Every query orders by a unique key, as Oracle requires for paging without
duplicate or missing rows. SuiteQL over REST returns at most 100,000 rows per
query: a larger table is read in windows, each a new query for the rows after
the last key of the previous one, and its pages are then rewritten as one
consistent page set.

Authentication is OAuth 1.0a with HMAC-SHA256 signatures (TBA: consumer key and
secret of the integration record, token id and secret of the access token;
the realm is the account id, e.g. ``1234567_SB1``) signed by requests-oauthlib.
Errors are JSON ``{status, o:errorDetails: [{detail, o:errorCode}]}``
(.../section_156570709583.html). Concurrency limits answer 429 (or 400 with
``SSS_REQUEST_LIMIT_EXCEEDED`` / ``CONCURRENCY_LIMIT_EXCEEDED``): retried.

Incremental: ``customer`` and ``transaction`` since their ``lastmodifieddate``;
``transactionline`` for the transactions changed since then (a changed
transaction's lines replace all its earlier lines, so a deleted line goes too).
The cursor is ``lastmodified_at``, added to these queries as
``TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS')`` so it compares as text.
``currency``, ``classification``, ``item`` and ``revenue`` are small or have no
stable key and are pulled whole every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

from crossfoot.config import Definitions
from crossfoot.errors import SourceError
from crossfoot.pull.connector import PullContext
from crossfoot.pull.framework import PageFormat
from crossfoot.pull.http import Failure, retry_after, retrying
from crossfoot.pull.salesforce import _network

MAX_ROWS = 100_000
DST_HOUR = 3600  # SuiteQL through REST returns no more rows than this per query
CURSOR = "lastmodified_at"
_SALES = "('SalesOrd', 'CustInvc', 'CustCred')"
_TS = "'YYYY-MM-DD HH24:MI:SS'"
_RATE_LIMIT_CODES = ("SSS_REQUEST_LIMIT_EXCEEDED", "CONCURRENCY_LIMIT_EXCEEDED")

#: table -> (alias, standard columns, FROM ... WHERE, ORDER BY, incremental)
QUERIES: dict[str, tuple[str, tuple[str, ...], str, str, bool]] = {
    "currency": ("c", ("id", "symbol"), "currency c", "c.id", False),
    "classification": ("c", ("id", "name"), "classification c", "c.id", False),
    "item": ("i", ("id", "itemid"), "item i", "i.id", False),
    "customer": ("c", ("id", "entityid", "companyname", "altname", "email", "url"),
                 "customer c", "c.id", True),
    "transaction": ("t", ("id", "tranid", "type", "entity", "trandate", "currency",
                          "exchangerate", "status", "createddate"),
                    f"transaction t WHERE t.type IN {_SALES}", "t.id", True),
    "transactionline": ("tl", ("id", "transaction", "mainline", "taxline", "iscogs", "item",
                               "class", "netamount", "createdfrom", "actualshipdate"),
                        f"transactionline tl JOIN transaction t ON t.id = tl.transaction "
                        f"WHERE t.type IN {_SALES}", "tl.transaction, tl.id", True),
}  # fmt: skip
#: revenue recognised from revenue plans (docs/inputs.md, NetSuite revenue)
REVENUE = (
    "SELECT rpl.id AS plannedrevenue, rp.postingperiod, ap.startdate AS trandate, rpl.amount, "
    "re.source AS transaction, re.sourceline AS transactionline, re.entity, t.currency, tl.class "
    "FROM revenueplanplannedrevenue rpl JOIN revenueplan rp ON rp.id = rpl.revenueplan "
    "JOIN revenueelement re ON re.id = rp.createdfrom "
    "JOIN accountingperiod ap ON ap.id = rpl.postingperiod "
    "JOIN transaction t ON t.id = re.source "
    "LEFT JOIN transactionline tl ON tl.transaction = re.source AND tl.id = re.sourceline "
    "WHERE rpl.isrecognized = 'T' ORDER BY rpl.id"
)
_MODIFIED = {"customer": "c", "transaction": "t", "transactionline": "t"}  # whose lastmodifieddate


class SuiteQLPages:
    """SuiteQL pages: ``items``; merged pages carry consistent offsets and totals."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size

    def records(self, page: dict[str, Any]) -> list[dict[str, Any]]:
        items = page.get("items")
        if not isinstance(items, list):
            raise ValueError("a SuiteQL page without 'items'")
        return items

    def key(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        if obj == "transactionline":  # line ids are unique within their transaction only
            return (str(record.get("transaction")), str(record.get("id")))
        return (str(record.get("id")),)

    def group(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        if obj == "transactionline":
            return (str(record.get("transaction")),)
        return self.key(obj, record)

    def pages(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        size, total = self.page_size, len(records)
        return [
            {"links": [], "count": len(records[o : o + size]), "hasMore": o + size < total,
             "items": records[o : o + size], "offset": o, "totalResults": total}
            for o in range(0, max(total, 1), size)
        ]  # fmt: skip


class _HttpFailure(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class NetSuitePull:
    system: ClassVar[str] = "netsuite"

    def __init__(self, defs: Definitions, ctx: PullContext) -> None:
        api = defs.erp.api
        self.ctx = ctx
        account = ctx.setting(api, "account_id", "erp.api")
        consumer_key = ctx.secret(api, "consumer_key", "NETSUITE_CONSUMER_KEY", "erp.api")
        consumer_secret = ctx.secret(api, "consumer_secret", "NETSUITE_CONSUMER_SECRET", "erp.api")
        token_id = ctx.secret(api, "token_id", "NETSUITE_TOKEN_ID", "erp.api")
        token_secret = ctx.secret(api, "token_secret", "NETSUITE_TOKEN_SECRET", "erp.api")
        host = account.lower().replace("_", "-")
        self.base = api.get("base_url", f"https://{host}.suitetalk.api.netsuite.com").rstrip("/")
        self.page_size = int(api.get("page_size", "1000"))
        self.format: PageFormat = SuiteQLPages(self.page_size)
        self.session = requests.Session()
        self.session.auth = OAuth1(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token_id,
            resource_owner_secret=token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            realm=account.upper().replace("-", "_"),
        )
        self.windowed: set[str] = set()  # objects fetched in several windows (framework)
        self.custom: dict[str, list[str]] = {}
        for source in defs.erp.fields.values():
            table, _, column = source.lower().partition(".")
            self.custom.setdefault(table, []).append(column)

    def close(self) -> None:
        self.session.close()

    def objects(self) -> list[tuple[str, bool]]:
        return [(t, incremental) for t, (*_, incremental) in QUERIES.items()] + [("revenue", False)]

    def query(self, table: str, since: str | None, after: dict[str, Any] | None = None) -> str:
        """The table's SuiteQL; ``after``: only rows past that record in key order (a window)."""
        conditions = []
        if since:
            literal = since.replace("'", "''")
            stamp = f"{_MODIFIED[table]}.lastmodifieddate"
            conditions.append(f"{stamp} >= TO_TIMESTAMP('{literal}', {_TS})")
        if after is not None:
            conditions.append(self._past(table, after))
        if table == "revenue":
            base, order = REVENUE.split(" ORDER BY ")
            return " AND ".join([base, *conditions]) + f" ORDER BY {order}"
        alias, columns, source, order, _ = QUERIES[table]
        names = list(dict.fromkeys([*columns, *self.custom.get(table, [])]))
        select = [f"{alias}.{c}" for c in names]
        if table in _MODIFIED:
            select.append(f"TO_CHAR({_MODIFIED[table]}.lastmodifieddate, {_TS}) AS {CURSOR}")
        where = ""
        if conditions:
            joiner = " AND " if " WHERE " in f" {source} " else " WHERE "
            where = joiner + " AND ".join(conditions)
        return f"SELECT {', '.join(select)} FROM {source}{where} ORDER BY {order}"

    def _past(self, table: str, record: dict[str, Any]) -> str:
        """SQL for "after ``record`` in the query's key order" (keys are internal ids: digits)."""
        keys = {"transactionline": ("transaction", "id"), "revenue": ("plannedrevenue",)}
        values = [str(record.get(k, "")) for k in keys.get(table, ("id",))]
        if not all(v.isdigit() for v in values):
            raise SourceError(f"cannot page past a row without a numeric key ({values})",
                              location=f"{self.system} suiteql {table}")  # fmt: skip
        if table == "transactionline":
            t, line = values
            return f"(tl.transaction > {t} OR (tl.transaction = {t} AND tl.id > {line}))"
        column = "rpl.id" if table == "revenue" else f"{QUERIES[table][0]}.id"
        return f"{column} > {values[0]}"

    def rewind(self, cursor: str, seconds: int) -> str:
        # TO_CHAR gives local time without an offset: an hour more covers the repeated
        # hour when daylight saving time ends
        back = timedelta(seconds=seconds + DST_HOUR)
        moment = datetime.strptime(cursor, "%Y-%m-%d %H:%M:%S") - back
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def cursor_of(self, obj: str, record: dict[str, Any]) -> str | None:
        value = record.get(CURSOR)
        return value if isinstance(value, str) else None

    def fetch(self, obj: str, since: str | None) -> Iterator[bytes]:
        """Every page; past MAX_ROWS rows, in windows that restart after the last key seen."""
        self.windowed.discard(obj)
        after: dict[str, Any] | None = None
        n = 0
        while True:  # one window: at most MAX_ROWS rows of one query
            sql, offset = self.query(obj, since, after), 0
            while True:
                n += 1
                page, body = self._post(sql, offset, f"suiteql {obj} page {n} (offset {offset})")
                yield body
                items, count = self.format.records(page), page.get("count")
                if not page.get("hasMore") or not isinstance(count, int) or count == 0:
                    return
                offset += count
                if offset + self.page_size > MAX_ROWS:  # the next page is beyond the cap
                    break
            self.windowed.add(obj)  # the pages restart their offsets: rewrite them
            after = items[-1]

    def _post(self, sql: str, offset: int, what: str) -> tuple[dict[str, Any], bytes]:
        url = f"{self.base}/services/rest/query/v1/suiteql"

        def once() -> tuple[dict[str, Any], bytes]:
            response = self.session.post(
                url,
                params={"limit": self.page_size, "offset": offset},
                json={"q": sql},
                headers={"Prefer": "transient"},
                timeout=self.ctx.policy.timeout,
            )
            if response.status_code != 200:
                raise _HttpFailure(response)
            body = response.content
            return response.json(), body

        return retrying(once, system=self.system, what=what, classify=self._classify,
                        policy=self.ctx.policy, secrets=self.ctx.secrets, sleep=self.ctx.sleep)  # fmt: skip

    @staticmethod
    def _classify(exc: BaseException) -> Failure | None:
        if isinstance(exc, ValueError) and not isinstance(exc, SourceError):
            return Failure("server", "the answer is not JSON")  # a proxy's HTML error page
        if not isinstance(exc, _HttpFailure):
            return _network(exc)
        response = exc.response
        status = response.status_code
        try:
            first = (response.json().get("o:errorDetails") or [{}])[0]
        except (ValueError, AttributeError):
            first = {}
        code = str(first.get("o:errorCode", "")) if isinstance(first, dict) else ""
        message = str(first.get("detail", "")) if isinstance(first, dict) else ""
        detail = f"HTTP {status} {code}: {message}".strip().rstrip(":")
        if status == 429 or code in _RATE_LIMIT_CODES:
            return Failure("rate_limit", detail, retry_after(response.headers.get("Retry-After")))
        if status in (401, 403):
            return Failure("auth", detail)
        if status >= 500:
            return Failure("server", detail)
        return Failure("fatal", detail)
