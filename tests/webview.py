"""An archive built by a real crawl of the demo outlets, and the web view served over it on loopback."""
from __future__ import annotations

import contextlib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitor.cli import main
from monitor.config import load_config
from monitor.http_endpoint import HttpEndpoint
from monitor.sites import SiteServer, WebhookReceiver
from monitor.web.app import WebView
from storage.db import Database
from tests.conftest import DEMO_SITE
from tests.helpers import write_config

TOKEN = "t0ken-for-the-web-view-tests"


@dataclass
class Crawled:
    config: Path
    sites: dict[str, SiteServer]
    webhook: WebhookReceiver


@contextlib.contextmanager
def crawled_archive(directory: Path, settings: dict | None = None, database_url: str | None = None) -> Iterator[Crawled]:
    """The three demo outlets crawled once into a SQLite file, matched, alerted and delivered to a webhook."""
    sites = {name: SiteServer(DEMO_SITE / name).start() for name in ("chronicle", "ledger", "wire")}
    webhook = WebhookReceiver().start()
    try:
        config = write_config(directory, database_url or f"sqlite:///{directory / 'archive.db'}", sites,
                              {"chat": f"json://{webhook.netloc}/hook?token=s3cretHookToken"}, settings=settings)
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        yield Crawled(config, sites, webhook)
    finally:
        webhook.stop()
        for site in sites.values():
            site.stop()


@contextlib.contextmanager
def served(config_path: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """The web view on a free loopback port, mounted on the daemon's HttpEndpoint as `newswatch web` does; yields its base URL."""
    config = load_config(config_path)
    db = Database(config.database_url)
    endpoint = HttpEndpoint((host, 0))
    endpoint.mount(WebView(config, db))
    endpoint.start()
    try:
        yield f"http://{host}:{endpoint.port}"
    finally:
        endpoint.stop()
        db.close()


@dataclass(frozen=True)
class Page:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Page:
    """One request, without following redirects; any status is returned, not raised."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return Page(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as exc:
        return Page(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())
