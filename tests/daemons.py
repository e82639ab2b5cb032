"""Starting `newswatch run` as a real process for the operations tests, and a site that never answers."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from monitor.sites import LoopbackServer


def wait_for(predicate, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


class Daemon:
    """`newswatch --config CONFIG run` with its stderr in a file."""

    def __init__(self, config: Path, log: Path, *extra: str) -> None:
        self.log = log
        with log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitor.cli", "--config", str(config), *extra, "run"],
                stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def started(self, timeout: float = 60) -> bool:
        return wait_for(lambda: "newswatch daemon started" in self.output() or self.process.poll() is not None, timeout) \
            and self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


class HangingSite(LoopbackServer):
    """Accepts every request and never answers until released: no crawl of it can finish."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requests = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site.requests += 1
                site.release.wait(300)
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler, "hanging-site")

    def url(self, path: str) -> str:
        return self.base_url + path

    def stop(self) -> None:
        self.release.set()
        super().stop()
