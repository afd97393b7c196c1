"""A local HTTPS server speaking Salesforce's REST ``sobjects`` record API (read and update).

``GET /services/data/vXX.X/sobjects/{object}/{id}?fields=A,B`` answers the
record's fields with ``attributes``; ``PATCH`` with a JSON body updates them and
answers 204 No Content; an unknown id answers 404 with Salesforce's error list
(``[{"errorCode": "NOT_FOUND", "message": ...}]``). REST API developer guide,
"Working with Records". Numbers stay exact: bodies are parsed with Decimal.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import trustme

TOKEN = "00Dxx0000000001!AQ4AQFakeSessionToken"


@dataclass
class FakeSalesforce:
    records: dict[tuple[str, str], dict[str, Any]]
    url: str = ""
    session: requests.Session | None = None
    calls: list[tuple[str, str, bytes]] = field(default_factory=list)

    @property
    def patches(self) -> list[tuple[str, str, bytes]]:
        return [c for c in self.calls if c[0] == "PATCH"]


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # only for the wire format of the fake; compared as Decimal by the client
    return value


@contextmanager
def fake_salesforce(records: dict[tuple[str, str], dict[str, Any]], tmp: Path) -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(records)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> tuple[tuple[str, str], dict[str, Any] | None]:
            parts = urlsplit(self.path).path.split("/")
            # /services/data/v59.0/sobjects/{object}/{id}
            key = (parts[5], parts[6])
            return key, fake.records.get(key)

        def _send(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            fake.calls.append(("GET", self.path, b""))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}])
                return
            key, rec = self._record()
            if rec is None:
                self._send(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
                return
            fields = parse_qs(urlsplit(self.path).query).get("fields", [""])[0].split(",")
            body = {"attributes": {"type": key[0], "url": urlsplit(self.path).path}, "Id": key[1]}
            body.update({f: _encode(rec.get(f)) for f in fields if f})
            self._send(200, body)

        def do_PATCH(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.calls.append(("PATCH", self.path, body))
            _key, rec = self._record()
            if rec is None:
                self._send(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
                return
            with lock:
                rec.update(json.loads(body, parse_float=Decimal))
                rec["LastModifiedDate"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
            self._send(204)

        def log_message(self, *args: Any) -> None:
            pass

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ca_path = tmp / "fake-sf-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    session = requests.Session()
    session.verify = str(ca_path)
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins over verify
    fake.url = f"https://127.0.0.1:{server.server_address[1]}"
    fake.session = session
    try:
        yield fake
    finally:
        session.close()
        server.shutdown()
        server.server_close()
