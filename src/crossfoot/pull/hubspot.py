"""HubSpot: CRM v3 objects, owners and deal pipelines with hubspot-api-client.

``GET /crm/v3/objects/{deals,companies,line_items,products}?limit=100&properties=...
&associations=...&after=<cursor>`` returns ``{"results": [{id, properties,
createdAt, updatedAt, archived, associations}], "paging": {"next": {"after",
"link"}}}``; the last page has no ``paging.next``
(https://developers.hubspot.com/docs/api/crm/understanding-the-crm, "Using
object APIs"). Only the properties and associations asked for come back, so
the connector asks for every property the HubSpot reader maps (and those
``crm.fields`` names) and the associations it joins on: deal -> company and
line item, line item -> deal. ``GET /crm/v3/owners?limit=500`` pages the
owners the same way (the reader shows a deal's owner by name,
https://developers.hubspot.com/docs/api-reference/crm-crm-owners-v3/guide).
``GET /crm/v3/pipelines/deals`` returns ``{"results": [pipelines with
stages]}``, stored as ``pipelines.json``. Each client call is made with
``_preload_content=False`` so the stored page is the response's exact bytes.

These objects are pulled whole every time: only the list endpoint returns
associations, and the search endpoint that filters on ``hs_lastmodifieddate``
returns none and stops at 10,000 results, so an incremental pull could not keep
the associations the reader needs. ``hs_lastmodifieddate`` is still recorded as
the cursor.

Authentication: a private app access token (``crm.api.access_token_env``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, ClassVar

import urllib3
from hubspot import HubSpot

from crossfoot.config import Definitions
from crossfoot.pull.connector import PullContext
from crossfoot.pull.framework import PageFormat
from crossfoot.pull.http import Failure, retry_after, retrying

PAGE_SIZE = 100  # the largest page of the v3 object list endpoints
OWNERS_PAGE = 500  # the largest page of the owners endpoint
#: object -> (properties the reader maps, associations)
OBJECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "companies": (("name", "domain", "country", "hs_lastmodifieddate"), ()),
    "products": (("name", "hs_sku", "hs_product_type", "hs_lastmodifieddate"), ()),
    "deals": (("dealname", "amount", "dealstage", "pipeline", "closedate", "deal_currency_code",
               "hubspot_owner_id", "createdate", "hs_lastmodifieddate"),
              ("companies", "line_items")),
    "line_items": (("name", "hs_product_id", "hs_sku", "quantity", "price", "amount",
                    "hs_recurring_billing_start_date", "hs_recurring_billing_period",
                    "hs_term_in_months", "hs_lastmodifieddate"), ("deals",)),
}  # fmt: skip


class HubSpotPages:
    """v3 list pages: ``results``; merged pages chain ``paging.next.after``."""

    def records(self, page: dict[str, Any]) -> list[dict[str, Any]]:
        results = page.get("results")
        if not isinstance(results, list):
            raise ValueError("a HubSpot page without 'results'")
        return results

    def key(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return (str(record.get("id")),)

    def group(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return self.key(obj, record)

    def pages(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        chunks = [records[i : i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [[]]
        out: list[dict[str, Any]] = []
        for i, chunk in enumerate(chunks):
            page: dict[str, Any] = {"results": chunk}
            if i < len(chunks) - 1:
                page["paging"] = {"next": {"after": str((i + 1) * PAGE_SIZE)}}
            out.append(page)
        return out


class HubSpotPull:
    system: ClassVar[str] = "hubspot"
    single_files = frozenset({"pipelines"})

    def __init__(self, defs: Definitions, ctx: PullContext) -> None:
        api = defs.crm.api
        self.ctx = ctx
        token = ctx.secret(api, "access_token", "HUBSPOT_ACCESS_TOKEN", "crm.api")
        self.format: PageFormat = HubSpotPages()
        self.properties = {obj: list(props) for obj, (props, _) in OBJECTS.items()}
        for source in defs.crm.fields.values():
            obj, _, name = source.partition(".")
            if obj.lower() in self.properties:
                self.properties[obj.lower()].append(name)
        # our own retries count every try; the client's urllib3 retries would hide them
        self.client = HubSpot(access_token=token, retry=False,
                              host=api.get("base_url", "https://api.hubapi.com"))  # fmt: skip

    def objects(self) -> list[tuple[str, bool]]:
        return [(obj, False) for obj in (*OBJECTS, "owners", "pipelines")]

    def rewind(self, cursor: str, seconds: int) -> str:
        return cursor  # never asked: HubSpot objects are pulled whole

    def cursor_of(self, obj: str, record: dict[str, Any]) -> str | None:
        value = (record.get("properties") or {}).get("hs_lastmodifieddate")
        return value if isinstance(value, str) else None

    def fetch(self, obj: str, since: str | None) -> Iterator[bytes]:
        timeout = self.ctx.policy.timeout
        if obj == "pipelines":
            pipelines = self.client.crm.pipelines.pipelines_api
            yield self._call(f"{obj} deals", lambda: pipelines.get_all(
                object_type="deals", _preload_content=False, _request_timeout=timeout))  # fmt: skip
            return
        kwargs: dict[str, Any] = {"archived": False, "_preload_content": False,
                                  "_request_timeout": timeout}  # fmt: skip
        if obj == "owners":
            get_page = self.client.crm.owners.owners_api.get_page
            kwargs["limit"] = OWNERS_PAGE
        else:
            get_page = getattr(self.client.crm, obj).basic_api.get_page
            kwargs["limit"] = PAGE_SIZE
            kwargs["properties"] = list(dict.fromkeys(self.properties[obj]))
            if assoc := list(OBJECTS[obj][1]):
                kwargs["associations"] = assoc
        after, n = None, 0
        while True:
            n += 1
            page_kwargs = {**kwargs, "after": after} if after else kwargs
            body = self._call(f"{obj} page {n}", partial(get_page, **page_kwargs))
            yield body
            after = ((json.loads(body).get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def _call(self, what: str, call: Callable[[], Any]) -> bytes:
        def once() -> bytes:
            response = call()
            data: bytes = response.data
            return data

        return retrying(once, system=self.system, what=what, classify=self._classify,
                        policy=self.ctx.policy, secrets=self.ctx.secrets, sleep=self.ctx.sleep)  # fmt: skip

    @staticmethod
    def _classify(exc: BaseException) -> Failure | None:
        status = getattr(exc, "status", None)
        # every API package of the client has its own ApiException class: match them all
        if isinstance(status, int) and type(exc).__module__.startswith("hubspot."):
            try:
                body = json.loads(getattr(exc, "body", None) or b"{}")
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            detail = f"HTTP {status} {body.get('category', '')}: {body.get('message', '')}"
            detail = detail.strip().rstrip(":")
            headers = dict(getattr(exc, "headers", None) or {})
            if status == 429:
                return Failure("rate_limit", detail, retry_after(headers.get("Retry-After")))
            if status in (401, 403):
                return Failure("auth", detail)
            if status >= 500 or status == 0:  # 0: the client's own wrapping of a TLS error
                return Failure("server", detail)
            return Failure("fatal", detail)
        if isinstance(exc, urllib3.exceptions.TimeoutError):
            return Failure("timeout", f"no answer in time ({type(exc).__name__})")
        if isinstance(exc, urllib3.exceptions.HTTPError):
            return Failure("network", f"connection failed ({type(exc).__name__})")
        return None
