"""The daemon's HTTP endpoint: /healthz, /readyz and /metrics, served from a thread (stdlib http.server).

Routes are a table of path → function; any other path goes to a mounted WSGI application (the web
view, monitor/web), which also gets POST requests. It listens on `http.listen` (default
127.0.0.1:8040). /healthz, /readyz and /metrics have no authentication; the web view checks
`web.token` itself.
"""
from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from newswatch.secrets import MASKER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


Route = Callable[[], Response]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
MAX_REQUEST_BODY = 64 * 1024  # a login or a rule-tester form; anything bigger is refused


def text(status: int, body: str) -> Response:
    return Response(status, (body.rstrip("\n") + "\n").encode("utf-8"))


class HttpEndpoint:
    """A ThreadingHTTPServer on a daemon thread; `start()` binds (OSError when the port is taken)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.routes: dict[str, Route] = {}
        self.app: WsgiApp | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add_route(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def mount(self, app: WsgiApp) -> None:
        """Serve every path that is not a route with this WSGI application."""
        self.app = app

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
                if endpoint.app is not None and urlsplit(self.path).path not in endpoint.routes:
                    self._wsgi(endpoint.app)
                    return
                response = endpoint.answer(self.path)
                self._send(response.status, [("Content-Type", response.content_type)], response.body)

            def do_POST(self) -> None:
                if endpoint.app is None:
                    self._send(405, [("Content-Type", "text/plain; charset=utf-8")], b"method not allowed\n")
                    return
                self._wsgi(endpoint.app)

            def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _wsgi(self, app: WsgiApp) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_REQUEST_BODY:
                    self.close_connection = True
                    self._send(413, [("Content-Type", "text/plain; charset=utf-8")], b"request too large\n")
                    return
                body = self.rfile.read(length) if length > 0 else b""
                status, headers, payload = call_wsgi(app, wsgi_environ(self, body))
                self._send(status, headers, payload)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("HTTP %s", format % args)

        return Handler


def wsgi_environ(handler: BaseHTTPRequestHandler, body: bytes) -> dict[str, Any]:
    """The WSGI environ of one request (PEP 3333: the path as latin-1 text of its bytes)."""
    path, _, query = handler.path.partition("?")
    host, port = handler.server.server_address[:2]
    environ: dict[str, Any] = {
        "REQUEST_METHOD": handler.command, "SCRIPT_NAME": "", "PATH_INFO": unquote(path, encoding="latin-1"),
        "QUERY_STRING": query, "CONTENT_TYPE": handler.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": str(host), "SERVER_PORT": str(port), "SERVER_PROTOCOL": handler.request_version,
        "REMOTE_ADDR": handler.client_address[0], "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for name, value in handler.headers.items():
        key = "HTTP_" + name.upper().replace("-", "_")
        if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run a WSGI application to the end: (status, headers, body); a failure is a 500 that names no detail."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        started["status"], started["headers"] = status, headers
        return lambda data: None

    try:
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        return int(started["status"].split()[0]), list(started["headers"]), body
    except Exception as exc:
        log.warning("HTTP %s failed: %s: %s", environ.get("PATH_INFO"), type(exc).__name__, MASKER.mask(str(exc)))
        return 500, [("Content-Type", "text/plain; charset=utf-8")], f"error: {type(exc).__name__}\n".encode()
