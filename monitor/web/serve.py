"""`newswatch web`: the web view on its own, and the mount that `run` uses on its HTTP endpoint."""
from __future__ import annotations

import logging
import signal
import sys
import threading

from monitor.config import Config
from monitor.http_endpoint import HttpEndpoint
from monitor.ops_settings import HttpSettings
from monitor.web.access import start_refusal
from monitor.web.app import WebView
from storage.db import Database

log = logging.getLogger(__name__)
EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_USAGE = 0, 1, 2, 64


def mount_web_view(endpoint: HttpEndpoint, config: Config, db: Database) -> bool:
    """Serve the web view beside /healthz and /metrics, unless the address needs a token and none is set (logged)."""
    refusal = start_refusal(endpoint.address[0], config.settings.web.token)
    if refusal:
        log.error("%s; /healthz, /readyz and /metrics are served, the web view is not", refusal)
        return False
    endpoint.mount(WebView(config, db))
    return True


def web_command(config: Config, listen: str) -> int:
    """Serve until SIGTERM or SIGINT. Refuses (exit 2) before binding when the address is not loopback and no token is set."""
    try:
        address = HttpSettings(listen=listen).address
    except ValueError as exc:
        print(f"newswatch: --listen: {str(exc).splitlines()[-1].strip()}", file=sys.stderr)
        return EXIT_USAGE
    if address is None:
        print("newswatch: --listen: give HOST:PORT", file=sys.stderr)
        return EXIT_USAGE
    refusal = start_refusal(address[0], config.settings.web.token)
    if refusal:
        print(f"newswatch: {refusal}", file=sys.stderr)
        return EXIT_CONFIG
    db = Database(config.database_url)
    try:
        db.migrate()
        endpoint = HttpEndpoint(address)
        endpoint.mount(WebView(config, db))
        try:
            endpoint.start()
        except OSError as exc:
            print(f"newswatch: cannot listen on {listen}: {exc}", file=sys.stderr)
            return EXIT_FAILED
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        print(f"web view on http://{host}:{endpoint.port}/ (Ctrl-C to stop)", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        endpoint.stop()
        return EXIT_OK
    finally:
        db.close()
