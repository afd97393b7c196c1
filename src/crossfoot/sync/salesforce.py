"""The Salesforce side of ``sync apply``: REST ``sobjects`` reads and updates via simple-salesforce.

``GET /services/data/vXX.X/sobjects/{object}/{id}?fields=A,B`` and ``PATCH`` of
the same URL with a JSON body (204 No Content on success), per the REST API
developer guide ("Working with Records", https://developer.salesforce.com/docs/
atlas.en-us.api_rest.meta/api_rest/using_resources_working_with_records.htm).
Numbers are parsed and written as exact decimals, never floats.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crossfoot.errors import AuthError, SourceError
from crossfoot.sync.config import SalesforceTarget


class SalesforceWriter:
    def __init__(self, target: SalesforceTarget, env: Mapping[str, str], session: Any = None) -> None:
        from simple_salesforce.api import Salesforce

        token = env.get(target.access_token_env)
        if not token:
            raise AuthError(f"environment variable {target.access_token_env} is not set",
                            location="sync.salesforce.access_token_env")  # fmt: skip
        self.sf = Salesforce(instance_url=target.instance_url, session_id=token,
                             version=target.api_version, session=session, parse_float=Decimal)  # fmt: skip

    def read(self, obj: str, record_id: str, fields: list[str]) -> dict[str, Any] | None:
        found = self._call("GET", obj, record_id, params={"fields": ",".join(fields)})
        return dict(found) if found is not None else None

    def update(self, obj: str, record_id: str, values: Mapping[str, Any]) -> None:
        self._call("PATCH", obj, record_id, data=exact_json(values))

    def _call(self, method: str, obj: str, record_id: str, **kwargs: Any) -> Any:
        from simple_salesforce.exceptions import (
            SalesforceAuthenticationFailed,
            SalesforceError,
            SalesforceExpiredSession,
            SalesforceResourceNotFound,
        )

        path = f"sobjects/{obj}/{record_id}"
        try:
            return self.sf.restful(path, method=method, **kwargs)
        except SalesforceResourceNotFound:
            return None
        except (SalesforceExpiredSession, SalesforceAuthenticationFailed) as exc:
            raise AuthError(f"Salesforce refused the token ({type(exc).__name__})",
                            location=f"salesforce {obj} {record_id}") from None  # fmt: skip
        except SalesforceError as exc:
            raise SourceError(f"Salesforce answered HTTP {exc.status}: {exc.content!r}"[:300],
                              location=f"salesforce {method} {obj} {record_id}") from None  # fmt: skip


_MARK = "\u0000decimal:"
_MARKED = re.compile(r'"\\u0000decimal:(-?[0-9]+(?:\.[0-9]+)?)"')


def _exact(obj: Any) -> Any:
    """json.dumps' fallback: a Decimal becomes a marked string, unmarked into a bare number."""
    if isinstance(obj, Decimal):
        return f"{_MARK}{obj}"
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def exact_json(values: Mapping[str, Any]) -> str:
    """JSON with Decimals as their exact digits (``1.50``, not a float's ``1.5``)."""
    return _MARKED.sub(r"\1", json.dumps(dict(values), default=_exact))
