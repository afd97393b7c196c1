"""Xero: the Accounting API with xero-python.

``GET /api.xro/2.0/{Contacts,Invoices,CreditNotes}?page=n&pageSize=100`` with the
headers ``xero-tenant-id`` and, after the first pull, ``If-Modified-Since``
returns ``{"Id", "Status", "ProviderName", "DateTimeUTC", "pagination": {"page",
"pageSize", "pageCount", "itemCount"}, "<Object>": [...]}``; the page numbered
``pageCount`` is the last (without ``pagination``, as older responses were: a
page with fewer than ``pageSize`` records)
(https://developer.xero.com/documentation/api/accounting/invoices, "Paging";
"If-Modified-Since"). Paged requests return each document with its line items.
Merged pages carry a consistent ``pagination`` so the Xero reader knows the
set is complete. Each call uses ``_preload_content=False`` so the stored
page is the response's exact bytes. Xero answers 429 with ``Retry-After`` when a
minute or day limit is reached.

The cursor is each record's ``UpdatedDateUTC`` (``/Date(1573755038314+0000)/``,
milliseconds since 1970, comparable as text); records merge by
``ContactID`` / ``InvoiceID`` / ``CreditNoteID``.

Authentication: an OAuth 2 access token (``erp.api.access_token_env``) and the
organisation's ``tenant_id``. crossfoot does not refresh tokens (Xero rotates
refresh tokens and crossfoot never stores a secret).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import ApiException

from crossfoot.config import Definitions
from crossfoot.pull.connector import PullContext
from crossfoot.pull.framework import PageFormat
from crossfoot.pull.http import Failure, retry_after, retrying

#: object -> (its id field, the client method)
OBJECTS = {
    "Contacts": ("ContactID", "get_contacts"),
    "Invoices": ("InvoiceID", "get_invoices"),
    "CreditNotes": ("CreditNoteID", "get_credit_notes"),
}
_MS_DATE = re.compile(r"/Date\((\d+)([+-]\d{4})?\)/")


def _when(value: str) -> datetime:
    m = _MS_DATE.fullmatch(value)
    if not m:
        raise ValueError(f"not a Xero date: {value!r}")
    return datetime.fromtimestamp(int(m.group(1)) / 1000, UTC)


class XeroPages:
    """Accounting API pages: the object's list; merged pages keep the envelope's shape."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size

    def records(self, page: dict[str, Any]) -> list[dict[str, Any]]:
        lists = [v for k, v in page.items() if k in OBJECTS and isinstance(v, list)]
        if not lists:
            raise ValueError("a Xero page without Contacts, Invoices or CreditNotes")
        return lists[0]

    def key(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return (str(record.get(OBJECTS[obj][0])),)

    def group(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return self.key(obj, record)

    def pages(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        size = self.page_size
        chunks = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
        paging = {"pageSize": size, "pageCount": len(chunks), "itemCount": len(records)}
        return [{"Status": "OK", "pagination": {"page": i, **paging}, obj: chunk}
                for i, chunk in enumerate(chunks, start=1)]  # fmt: skip


class XeroPull:
    system: ClassVar[str] = "xero"

    def __init__(self, defs: Definitions, ctx: PullContext) -> None:
        api = defs.erp.api
        self.ctx = ctx
        token = ctx.secret(api, "access_token", "XERO_ACCESS_TOKEN", "erp.api")
        self.tenant = ctx.setting(api, "tenant_id", "erp.api")
        self.page_size = int(api.get("page_size", "100"))
        self.format: PageFormat = XeroPages(self.page_size)
        # no expires_at: the token is used as given (xero-python then never refreshes it)
        token_dict = {"access_token": token, "token_type": "Bearer", "expires_in": 1800,
                      "scope": ["accounting.transactions.read", "accounting.contacts.read"]}  # fmt: skip
        client = ApiClient(Configuration(oauth2_token=OAuth2Token()), pool_threads=1,
                           oauth2_token_getter=lambda: token_dict,
                           oauth2_token_saver=lambda t: None)  # fmt: skip
        # the client's urllib3 pool would retry on its own (sleeping out a 429's Retry-After
        # unbounded); our retries count and cap every try
        client.rest_client.pool_manager.connection_pool_kw["retries"] = False
        self.accounting = AccountingApi(client, base_url=api.get("base_url"))

    def objects(self) -> list[tuple[str, bool]]:
        return [(obj, True) for obj in OBJECTS]

    def rewind(self, cursor: str, seconds: int) -> str:
        moment = _when(cursor) - timedelta(seconds=seconds)
        return f"/Date({int(moment.timestamp() * 1000)}+0000)/"

    def cursor_of(self, obj: str, record: dict[str, Any]) -> str | None:
        value = record.get("UpdatedDateUTC")
        m = _MS_DATE.fullmatch(value) if isinstance(value, str) else None
        return f"/Date({m.group(1)}+0000)/" if m else None

    def fetch(self, obj: str, since: str | None) -> Iterator[bytes]:
        method = getattr(self.accounting, OBJECTS[obj][1])
        # xero-python ignores a float timeout; a (connect, read) pair is always honoured
        timeout = (self.ctx.policy.timeout, self.ctx.policy.timeout)
        page = 0
        while True:
            page += 1
            kwargs: dict[str, Any] = {"page": page, "page_size": self.page_size,
                                      "_preload_content": False, "_request_timeout": timeout}  # fmt: skip
            if since:
                kwargs["if_modified_since"] = _when(since).replace(tzinfo=None)
            body = self._call(f"{obj} page {page}", partial(method, self.tenant, **kwargs))
            yield body
            if self._last_page(json.loads(body), page):
                return

    def _last_page(self, doc: dict[str, Any], page: int) -> bool:
        """``pagination.pageCount`` says so; without it, a page short of ``pageSize`` is the last."""
        paging = doc.get("pagination")
        count = paging.get("pageCount") if isinstance(paging, dict) else None
        if isinstance(count, int):
            return page >= count
        return len(self.format.records(doc)) < self.page_size

    def _call(self, what: str, call: Callable[[], Any]) -> bytes:
        def once() -> bytes:
            data: bytes = call().data
            return data

        return retrying(once, system=self.system, what=what, classify=self._classify,
                        policy=self.ctx.policy, secrets=self.ctx.secrets, sleep=self.ctx.sleep)  # fmt: skip

    @staticmethod
    def _classify(exc: BaseException) -> Failure | None:
        if isinstance(exc, ApiException) and isinstance(exc.status, int):
            status = exc.status
            headers = dict(exc.headers or {})
            try:
                body = json.loads(exc.body or b"{}")
            except (TypeError, ValueError):
                body = {}
            body = body if isinstance(body, dict) else {}
            message = body.get("Detail") or body.get("Message") or body.get("Title") or exc.reason
            detail = f"HTTP {status}: {message}"
            if status == 429:
                return Failure("rate_limit", detail, retry_after(headers.get("Retry-After")))
            if status in (401, 403):
                return Failure("auth", detail)
            if status >= 500:
                return Failure("server", detail)
            return Failure("fatal", detail)
        if isinstance(exc, urllib3.exceptions.TimeoutError):
            return Failure("timeout", f"no answer in time ({type(exc).__name__})")
        if isinstance(exc, urllib3.exceptions.HTTPError):
            return Failure("network", f"connection failed ({type(exc).__name__})")
        return None
