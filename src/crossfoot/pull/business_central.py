"""Business Central: API v2.0 over httpx, with an app-only token from msal.

``GET {base}/v2.0/{tenant}/{environment}/api/v2.0/companies({company})/salesInvoices
?$expand=salesInvoiceLines($expand=dimensionSetLines),dimensionSetLines`` returns OData pages
``{"@odata.context", "value": [...], "@odata.nextLink"}``; ``@odata.nextLink``
is followed to the end
(https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/api/dynamics_salesinvoice_get;
filtering: .../developer/devenv-connect-apps-filtering). Objects: customers,
salesOrders, salesInvoices and salesCreditMemos, each document with its lines,
the lines' dimension set lines and its own
(.../api-reference/v2.0/api/dynamics_dimensionsetline_get). Incremental with
``$filter=lastModifiedDateTime ge <cursor - lookback>``, merged by ``id``
(a document comes back with all its lines, so lines follow their document).

Authentication: the OAuth 2 client-credentials flow of an Entra ID app
registration (``msal.ConfidentialClientApplication.acquire_token_for_client``
with the scope ``https://api.businesscentral.dynamics.com/.default``).
Errors are ``{"error": {"code", "message"}}``; 429 carries ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
import msal
import requests

from crossfoot.config import Definitions
from crossfoot.errors import AuthError, SourceError
from crossfoot.pull.connector import PullContext
from crossfoot.pull.framework import PageFormat
from crossfoot.pull.http import Failure, retry_after, retrying

SCOPE = "https://api.businesscentral.dynamics.com/.default"
MERGED_PAGE = 20_000  # Business Central's own largest page
#: entity set -> its lines' navigation property (None: no lines)
OBJECTS: dict[str, str | None] = {
    "customers": None,
    "salesOrders": "salesOrderLines",
    "salesInvoices": "salesInvoiceLines",
    "salesCreditMemos": "salesCreditMemoLines",
}


class ODataPages:
    """OData pages: ``value``; merged pages chain a placeholder ``@odata.nextLink``."""

    def records(self, page: dict[str, Any]) -> list[dict[str, Any]]:
        value = page.get("value")
        if not isinstance(value, list):
            raise ValueError("an OData page without 'value'")
        return value

    def key(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return (str(record.get("id")),)

    def group(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        return self.key(obj, record)

    def pages(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        size = MERGED_PAGE
        chunks = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
        out: list[dict[str, Any]] = []
        for i, chunk in enumerate(chunks):
            page: dict[str, Any] = {"value": chunk}
            if i < len(chunks) - 1:  # not a URL: the merged pages are only on disk
                page["@odata.nextLink"] = f"{obj}.{i + 2}.json"
            out.append(page)
        return out


class _HttpFailure(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class BusinessCentralPull:
    system: ClassVar[str] = "business_central"

    def __init__(self, defs: Definitions, ctx: PullContext) -> None:
        api = defs.erp.api
        self.ctx = ctx
        self.tenant = ctx.setting(api, "tenant_id", "erp.api")
        company = ctx.setting(api, "company_id", "erp.api")
        environment = api.get("environment", "production")
        client_id = ctx.secret(api, "client_id", "BC_CLIENT_ID", "erp.api")
        client_secret = ctx.secret(api, "client_secret", "BC_CLIENT_SECRET", "erp.api")
        base = api.get("base_url", "https://api.businesscentral.dynamics.com").rstrip("/")
        self.root = f"{base}/v2.0/{self.tenant}/{environment}/api/v2.0/companies({company})"
        login = api.get("authority", "https://login.microsoftonline.com").rstrip("/")
        self._login_session = requests.Session()
        self.app = msal.ConfidentialClientApplication(
            client_id,
            client_credential=client_secret,
            authority=f"{login}/{self.tenant}",
            # a sovereign cloud or test authority is used as given, without asking Microsoft
            instance_discovery="authority" not in api,
            timeout=ctx.policy.timeout,
            http_client=self._login_session,
        )
        self.format: PageFormat = ODataPages()
        self.http = httpx.Client(timeout=ctx.policy.timeout)
        self._token: str | None = None

    def _bearer(self) -> str:
        if self._token is None:
            result = retrying(lambda: self.app.acquire_token_for_client(scopes=[SCOPE]),
                              system=self.system, what="token", classify=_network,
                              policy=self.ctx.policy, secrets=self.ctx.secrets, sleep=self.ctx.sleep)  # fmt: skip
            if "access_token" not in result:
                error = result.get("error", "no token")
                raise AuthError(f"the identity platform refused the app credentials ({error}); "
                                "check erp.api.client_id_env / client_secret_env",
                                location=f"{self.system} token")  # fmt: skip
            self._token = str(result["access_token"])
            self.ctx.secrets.append(self._token)
        return self._token

    def close(self) -> None:
        self.http.close()
        self._login_session.close()

    def objects(self) -> list[tuple[str, bool]]:
        return [(obj, True) for obj in OBJECTS]

    def rewind(self, cursor: str, seconds: int) -> str:
        moment = datetime.fromisoformat(cursor.replace("Z", "+00:00")) - timedelta(seconds=seconds)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def cursor_of(self, obj: str, record: dict[str, Any]) -> str | None:
        value = record.get("lastModifiedDateTime")
        return value if isinstance(value, str) else None

    def first_url(self, obj: str, since: str | None) -> tuple[str, dict[str, str]]:
        params: dict[str, str] = {}
        if lines := OBJECTS[obj]:
            # the lines' dimensions, and the document's own (the reader's fallback for a line
            # without the product line dimension)
            params["$expand"] = f"{lines}($expand=dimensionSetLines),dimensionSetLines"
        if since:
            params["$filter"] = f"lastModifiedDateTime ge {since}"
        return f"{self.root}/{obj}", params

    def fetch(self, obj: str, since: str | None) -> Iterator[bytes]:
        url, params = self.first_url(obj, since)
        seen: set[str] = set()
        n = 0
        while True:
            n += 1
            page, body = self._get(f"{obj} page {n}", url, params)
            yield body
            next_link = page.get("@odata.nextLink")
            if not isinstance(next_link, str):
                return
            if next_link in seen:  # a server that loops would otherwise fill the disk
                raise SourceError(f"@odata.nextLink repeats on page {n}",
                                  location=f"{self.system} {obj}")  # fmt: skip
            seen.add(next_link)
            url, params = next_link, {}  # the link carries the query and the skip token

    def _get(self, what: str, url: str, params: dict[str, str]) -> tuple[dict[str, Any], bytes]:
        def once() -> tuple[dict[str, Any], bytes]:
            headers = {"Authorization": f"Bearer {self._bearer()}", "Accept": "application/json"}
            # params=None: an empty dict would make httpx drop the query of a nextLink
            response = self.http.get(url, params=params or None, headers=headers)
            if response.status_code != 200:
                raise _HttpFailure(response)
            return response.json(), response.content

        return retrying(once, system=self.system, what=what, classify=self._classify,
                        policy=self.ctx.policy, secrets=self.ctx.secrets, sleep=self.ctx.sleep)  # fmt: skip

    @staticmethod
    def _classify(exc: BaseException) -> Failure | None:
        if isinstance(exc, _HttpFailure):
            response = exc.response
            status = response.status_code
            try:
                error = response.json().get("error") or {}
            except (ValueError, AttributeError):
                error = {}
            detail = f"HTTP {status} {error.get('code', '')}: {error.get('message', '')}"
            detail = detail.strip().rstrip(":")
            if status == 429:
                return Failure(
                    "rate_limit", detail, retry_after(response.headers.get("Retry-After"))
                )
            if status in (401, 403):
                return Failure("auth", detail)
            if status >= 500:
                return Failure("server", detail)
            return Failure("fatal", detail)
        if isinstance(exc, httpx.TimeoutException):
            return Failure("timeout", f"no answer in time ({type(exc).__name__})")
        if isinstance(exc, httpx.TransportError):
            return Failure("network", f"connection failed ({type(exc).__name__})")
        return None


def _network(exc: BaseException) -> Failure | None:
    """msal speaks requests: its timeouts and broken connections are worth another try."""
    if isinstance(exc, requests.Timeout):
        return Failure("timeout", f"no answer in time ({type(exc).__name__})")
    if isinstance(exc, requests.ConnectionError):
        return Failure("network", f"connection failed ({type(exc).__name__})")
    return None
