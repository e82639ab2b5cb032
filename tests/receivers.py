"""A webhook endpoint on loopback that can answer, fail with a status, or accept and never answer."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from monitor.sites import LoopbackServer


class FlakyReceiver(LoopbackServer):
    """mode "ok": 200 and the body is kept; "status": answers `status`; "hang": reads the request, never answers;
    "slow": answers 200 only once `release` is set."""

    def __init__(self, port: int = 0) -> None:
        self.mode = "ok"
        self.status = 500
        self.received: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.held: list[bytes] = []  # bodies of requests that were left hanging
        self.arrived = threading.Event()  # set when a request starts hanging
        self.release = threading.Event()  # lets hanging handler threads end (closing without an answer)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.mode == "hang":
                    receiver.held.append(body)
                    receiver.arrived.set()
                    receiver.release.wait(60)
                    self.close_connection = True
                    return
                if receiver.mode == "slow":  # like "hang", but once released it answers 200 and keeps the body
                    receiver.arrived.set()
                    receiver.release.wait(60)
                if receiver.mode == "status":
                    self.send_response(receiver.status)
                else:
                    receiver.received.append(body)
                    receiver.headers.append(dict(self.headers))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler, "flaky-webhook", port=port)

    @property
    def url(self) -> str:
        return f"json://{self.netloc}/alerts"

    def recover(self) -> None:
        self.mode = "ok"
        self.release.set()

    def stop(self) -> None:
        self.release.set()
        super().stop()
