"""The daemon's HTTP endpoint: /healthz, /readyz and /metrics, served from a thread (stdlib http.server).

Routes are a table of path → function, so more pages (a web view) can be added with `add_route`.
It listens on `http.listen` (default 127.0.0.1:8040); keep it on loopback or behind a proxy: it has no
authentication.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from newswatch.secrets import MASKER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


Route = Callable[[], Response]


def text(status: int, body: str) -> Response:
    return Response(status, (body.rstrip("\n") + "\n").encode("utf-8"))


class HttpEndpoint:
    """A ThreadingHTTPServer on a daemon thread; `start()` binds (OSError when the port is taken)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.routes: dict[str, Route] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add_route(self, path: str, route: Route) -> None:
        self.routes[path] = route

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self.address[1]

    def start(self) -> HttpEndpoint:
        self._server = ThreadingHTTPServer(self.address, self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, path: str) -> Response:
        route = self.routes.get(urlsplit(path).path)
        if route is None:
            return text(404, f"not found; try {', '.join(sorted(self.routes))}")
        try:
            return route()
        except Exception as exc:  # a failing page must not take the endpoint down
            log.warning("HTTP %s failed: %s: %s", path, type(exc).__name__, MASKER.mask(str(exc)))
            return text(500, f"error: {type(exc).__name__}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                response = endpoint.answer(self.path)
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("HTTP %s", format % args)

        return Handler
