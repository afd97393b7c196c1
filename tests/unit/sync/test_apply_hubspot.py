"""``sync apply`` through hubspot-api-client against a local HubSpot CRM v3 objects API:
``GET /crm/v3/objects/deals/{id}?properties=…`` and ``PATCH`` with ``{"properties": …}``
(https://developers.hubspot.com/docs/api/crm/deals); 404 with HubSpot's error body."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from crossfoot.errors import AuthError
from crossfoot.sync.apply import ALREADY, APPLIED, CONFLICT, MISSING, apply_plan
from crossfoot.sync.hubspot import HubSpotWriter
from crossfoot.sync.plan import Change, Plan

TOKEN = "pat-na1-00000000-0000-0000-0000-000000000000"


@contextmanager
def fake_hubspot(objects: dict[tuple[str, str], dict[str, str | None]]) -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    calls: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _target(self) -> tuple[tuple[str, str], dict[str, str | None] | None]:
            parts = urlsplit(self.path).path.split("/")  # /crm/v3/objects/{obj}/{id}
            key = (parts[4], parts[5])
            return key, objects.get(key)

        def _reply(self, key: tuple[str, str], props: dict[str, str | None], names: list[str]) -> None:
            self._send(200, {"id": key[1], "properties": {n: props.get(n) for n in names},
                             "createdAt": "2026-01-02T10:00:00Z", "updatedAt": "2026-03-01T10:00:00Z",
                             "archived": False})  # fmt: skip

        def _missing(self) -> None:
            self._send(404, {"status": "error", "message": "resource not found",
                             "correlationId": "4f3e2d1c", "category": "OBJECT_NOT_FOUND"})  # fmt: skip

        def do_GET(self) -> None:
            calls.append(("GET", self.path, b""))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"status": "error", "message": "Authentication credentials not found.",
                                 "correlationId": "x", "category": "INVALID_AUTHENTICATION"})  # fmt: skip
                return
            key, props = self._target()
            if props is None:
                self._missing()
                return
            names = parse_qs(urlsplit(self.path).query).get("properties", [])
            self._reply(key, props, [n for v in names for n in v.split(",")])

        def do_PATCH(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            calls.append(("PATCH", self.path, body))
            key, props = self._target()
            if props is None:
                self._missing()
                return
            update = json.loads(body)["properties"]
            props.update(update)
            self._reply(key, props, list(update))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", calls
    finally:
        server.shutdown()
        server.server_close()


def change(obj: str, rec: str, field: str, before: str | None, after: str, canonical: str) -> Change:
    return Change(f"C-{rec}-{field}", "hubspot", obj, rec, field, canonical, before, after,
                  f"X-{rec}", None, "because")  # fmt: skip


PLAN = Plan("P-h", "run-1", "2026-03-02T07:00:00+00:00", "hubspot", (
    change("deals", "101", "amount", "17923.76", "15599.05", "amount"),
    change("deals", "101", "delivery_status", "Pending", "Delivered", "delivery_status"),
    change("deals", "102", "amount", "100", "90.10", "amount"),
    change("companies", "9", "netsuite_customer_id", None, "1002", "erp_customer_ref"),
    change("deals", "404", "amount", "1", "2", "amount"),
), ())  # fmt: skip


def test_hubspot_apply_is_idempotent_and_skips_conflicts(tmp_path: Path) -> None:
    objects: dict[tuple[str, str], dict[str, str | None]] = {
        ("deals", "101"): {"amount": "17923.76", "delivery_status": "Pending"},
        ("deals", "102"): {"amount": "95"},  # edited since the plan
        ("companies", "9"): {"netsuite_customer_id": None},
    }
    with fake_hubspot(objects) as (url, calls):
        writer = HubSpotWriter(url, TOKEN)
        done = apply_plan(PLAN, writer, apply=True)
        assert [o.outcome for o in done] == [APPLIED, APPLIED, CONFLICT, APPLIED, MISSING]
        patches = [(p, json.loads(b)) for m, p, b in calls if m == "PATCH"]
        assert patches == [
            ("/crm/v3/objects/deals/101", {"properties": {"amount": "15599.05", "delivery_status": "Delivered"}}),
            ("/crm/v3/objects/companies/9", {"properties": {"netsuite_customer_id": "1002"}}),
        ]
        again = apply_plan(PLAN, writer, apply=True)
        assert [o.outcome for o in again] == [ALREADY, ALREADY, CONFLICT, ALREADY, MISSING]
        assert len([c for c in calls if c[0] == "PATCH"]) == 2
        with pytest.raises(AuthError, match="HTTP 401"):
            apply_plan(PLAN, HubSpotWriter(url, "wrong"), apply=True)
