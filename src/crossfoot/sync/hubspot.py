"""The HubSpot side of ``sync apply``: CRM v3 object reads and updates via hubspot-api-client.

``GET /crm/v3/objects/{deals|companies}/{id}?properties=a&properties=b`` answers
``{id, properties: {...}}``; ``PATCH`` of the same URL with
``{"properties": {...}}`` updates them (https://developers.hubspot.com/docs/api/crm/deals,
.../companies). HubSpot keeps every property as text, so an amount is written as
its exact decimal digits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crossfoot.errors import AuthError, SourceError

_INPUT = {"deals": "hubspot.crm.deals", "companies": "hubspot.crm.companies"}


class HubSpotWriter:
    def __init__(self, base_url: str, token: str) -> None:
        from hubspot import HubSpot

        self.client = HubSpot(access_token=token, retry=False, host=base_url.rstrip("/"))

    def _api(self, obj: str) -> Any:
        if obj not in _INPUT:
            raise SourceError(f"HubSpot object {obj!r} cannot be written (deals, companies)")
        return getattr(self.client.crm, obj).basic_api

    def read(self, obj: str, record_id: str, fields: list[str]) -> dict[str, Any] | None:
        response = self._call(obj, record_id, lambda api: api.get_by_id(
            record_id, properties=fields, archived=False, _preload_content=False))  # fmt: skip
        if response is None:
            return None
        properties: dict[str, Any] = json.loads(response.data).get("properties") or {}
        return properties

    def update(self, obj: str, record_id: str, values: Mapping[str, Any]) -> None:
        import importlib

        model = importlib.import_module(_INPUT[obj]).SimplePublicObjectInput
        body = model(properties={k: str(v) for k, v in values.items()})
        self._call(obj, record_id, lambda api: api.update(record_id, body, _preload_content=False))

    def _call(self, obj: str, record_id: str, call: Any) -> Any:
        import urllib3

        api = self._api(obj)
        try:
            return call(api)
        except urllib3.exceptions.HTTPError as exc:
            raise SourceError(f"cannot reach HubSpot ({type(exc).__name__})",
                              location=f"hubspot {obj} {record_id}") from None  # fmt: skip
        except Exception as exc:  # each HubSpot API module has its own ApiException class
            status = getattr(exc, "status", None)
            if status is None or not any(c.__name__ == "ApiException" for c in type(exc).__mro__):
                raise
            if status == 404:
                return None
            if status in (401, 403):
                raise AuthError(f"HubSpot refused the token (HTTP {status})",
                                location=f"hubspot {obj} {record_id}") from None  # fmt: skip
            raise SourceError(f"HubSpot answered HTTP {status}",
                              location=f"hubspot {obj} {record_id}") from None  # fmt: skip
