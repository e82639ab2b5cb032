"""Static outlet sites served on 127.0.0.1 (the demo, and the tests' fixture outlets).

Files are served from a folder; the placeholder `{base}` in them becomes the server's origin.
Each file answers with an ETag (a hash of its body) and a Last-Modified (its mtime), and a
conditional request whose validators still hold gets `304 Not Modified`, as a real outlet would.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

Route = Callable[[BaseHTTPRequestHandler], bool]  # returns True when it answered the request
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8", ".gz": "application/gzip"}


class LoopbackServer:
    """A threaded HTTP server on a loopback port, served from a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def netloc(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.netloc}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Served:
    """One request a SiteServer answered: what was asked, with which validators, and the answer."""

    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None
    bytes: int


class SiteServer(LoopbackServer):
    """One outlet folder on an ephemeral loopback port.

    `stale_validators=True` makes it behave like servers that answer 304 to every conditional
    request, changed or not (the reason newswatch fetches indexes in full now and then).
    """

    def __init__(self, root: Path, routes: dict[str, Route] | None = None, host: str = "127.0.0.1") -> None:
        self.root = root.resolve()
        self.routes = routes or {}
        self.requests: list[str] = []  # paths requested, in order (tests count them)
        self.served: list[Served] = []  # file answers, in order
        self.stale_validators = False
        self._lock = threading.Lock()
        super().__init__(self._handler(), f"site:{root.name}", host)

    def served_paths(self, status: int | None = None) -> list[str]:
        with self._lock:
            return [s.path for s in self.served if status is None or s.status == status]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.served.clear()

    def url(self, path: str) -> str:
        return self.base_url + path

    def file_for(self, path: str) -> Path | None:
        candidate = (self.root / unquote(path).lstrip("/")).resolve()
        if self.root not in candidate.parents and candidate != self.root:
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def body_for(self, file: Path) -> bytes:
        data = file.read_bytes()
        if file.suffix in (".html", ".xml", ".txt"):
            data = data.replace(b"{base}", self.base_url.encode("ascii"))
        return data

    def not_modified(self, etag: str, modified: dt.datetime, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
        if self.stale_validators and (if_none_match is not None or if_modified_since is not None):
            return True  # a server whose validators never change: every conditional request gets 304
        if if_none_match is not None:
            return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match.strip() == "*"
        if if_modified_since is not None:
            try:
                since = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError, IndexError):
                return False
            return since.tzinfo is not None and modified <= since
        return False

    def _record(self, served: Served) -> None:
        with self._lock:
            self.served.append(served)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                site.requests.append(self.path)
                route = site.routes.get(path)
                if route is not None and route(self):
                    return
                inm, ims, agent = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), self.headers.get("User-Agent")
                file = site.file_for(path)
                if file is None:
                    site._record(Served(self.path, 404, inm, ims, agent, 0))
                    self.send_error(404)
                    return
                body = site.body_for(file)
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                modified = dt.datetime.fromtimestamp(int(file.stat().st_mtime), dt.timezone.utc)
                content_type = CONTENT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                if site.not_modified(etag, modified, inm, ims):
                    site._record(Served(self.path, 304, inm, ims, agent, 0))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
                    self.end_headers()
                    return
                site._record(Served(self.path, 200, inm, ims, agent, len(body)))
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


class WebhookReceiver(LoopbackServer):
    """Collects the bodies POSTed to it (apprise's json:// channel); `status` sets the HTTP answer."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.received: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.status
                if status < 300:
                    receiver.received.append(body)
                    receiver.headers.append(dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler, "webhook", host, port)
