"""Many small outlets on one loopback server, for the engine and daemon tests.

`/<outlet>/feed.xml` lists the outlet's articles (ETag, 304 when unchanged); `/<outlet>/a/<n>.html`
is an article page. An outlet named in `hang` has a feed that accepts the request and never
answers (until the server stops); one in `slow` answers after `slow_seconds`.
"""
from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler

from monitor.sites import LoopbackServer
from tests.hostile import PARAGRAPHS_EN


class Farm(LoopbackServer):
    def __init__(self) -> None:
        self.articles: dict[str, list[int]] = {}
        self.hang: set[str] = set()
        self.slow: set[str] = set()
        self.slow_seconds = 5.0
        self.feed_requests: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        farm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = self.path.split("?", 1)[0].strip("/").split("/")
                if parts == ["robots.txt"]:
                    return self.answer(404, b"", "text/plain")
                outlet = parts[0]
                if parts[1:] == ["feed.xml"]:
                    with farm._lock:
                        farm.feed_requests[outlet] = farm.feed_requests.get(outlet, 0) + 1
                    if outlet in farm.hang:
                        farm._stopped.wait(120)
                        return
                    if outlet in farm.slow:
                        farm._stopped.wait(farm.slow_seconds)
                    body = farm.feed(outlet)
                    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    return self.answer(200, body, "application/rss+xml", etag)
                if len(parts) == 3 and parts[1] == "a":
                    number = parts[2].removesuffix(".html")
                    return self.answer(200, farm.page(outlet, number), "text/html; charset=utf-8")
                return self.answer(404, b"", "text/plain")

            def answer(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler, "farm")

    def add_article(self, outlet: str) -> int:
        with self._lock:
            numbers = self.articles.setdefault(outlet, [])
            numbers.append(len(numbers) + 1)
            return numbers[-1]

    def feed(self, outlet: str) -> bytes:
        with self._lock:
            numbers = list(self.articles.get(outlet, []))
        items = "".join(
            f"<item><title>{outlet} story {n}</title><link>{self.base_url}/{outlet}/a/{n}.html</link></item>" for n in numbers
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>{items}</channel></rss>'.encode()

    def page(self, outlet: str, number: str) -> bytes:
        title = f"{outlet} story {number}"
        body = "".join(f"<p>{p} ({outlet}, report {number})</p>" for p in PARAGRAPHS_EN)
        return (f"<!DOCTYPE html><html lang='en'><head><title>{title}</title></head>"
                f"<body><article><h1>{title}</h1>{body}</article></body></html>").encode("utf-8")

    def outlet_config(self, name: str, every: str = "2s") -> dict:
        return {"name": name, "feeds": [f"{self.base_url}/{name}/feed.xml"], "every": every, "revisit": []}

    def stop(self) -> None:
        self._stopped.set()
        super().stop()
