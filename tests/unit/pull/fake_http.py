"""An in-process HTTP(S) server for connector tests: vendor wire formats, scripted faults.

A test gives a ``route(method, path, query, headers, body) -> Reply``; ``faults``
maps the number of a request (1-based, counting every request the server gets)
to what goes wrong with it instead: ``429`` (with ``Retry-After: 7``), ``500``,
``timeout`` (answers after the client gave up), ``drop`` (closes the connection
without an answer) or ``truncate`` (sends half the body, then closes).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int
    body: Any  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)

    def data(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, indent=1).encode()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, list[str]] = field(default_factory=dict)  # every value of a repeated key


Route = Callable[[Request], Reply]


@dataclass
class FakeApi:
    route: Route
    faults: dict[int, str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    stall: float = 1.0  # how long a "timeout" answer takes
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        req = Request(
            handler.command,
            parts.path,
            {k: v[0] for k, v in parse_qs(parts.query).items()},
            {k.lower(): v for k, v in handler.headers.items()},
            handler.rfile.read(length) if length else b"",
            parse_qs(parts.query),
        )
        with self.lock:
            self.requests.append(req)
            fault = self.faults.get(len(self.requests))
        if fault == "drop":
            handler.close_connection = True
            return
        if fault == "timeout":
            time.sleep(self.stall)
        if fault == "429":
            reply = Reply(429, [{"message": "slow down", "errorCode": "REQUEST_LIMIT"}],
                          {"Retry-After": "7"})  # fmt: skip
        elif fault == "500":
            reply = Reply(500, [{"message": "internal", "errorCode": "UNKNOWN_EXCEPTION"}])
        else:
            reply = self.route(req)
        data = reply.data()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json;charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        for k, v in reply.headers.items():
            handler.send_header(k, v)
        handler.end_headers()
        if fault == "truncate":
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            return
        handler.wfile.write(data)


@contextmanager
def serve(api: FakeApi, tls_dir: Path | None = None) -> Iterator[FakeApi]:
    """Run ``api`` on 127.0.0.1 (HTTPS with a test CA written to ``tls_dir/ca.pem``)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            api.handle(self)

        def do_POST(self) -> None:
            api.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    scheme = "http"
    if tls_dir is not None:
        import trustme

        ca = trustme.CA()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(ctx)
        ca.cert_pem.write_to_path(str(tls_dir / "ca.pem"))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    api.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
