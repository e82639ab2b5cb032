"""Shared fixtures: real SQLite files, the real PostgreSQL (CI), outlet sites and alert receivers on loopback."""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from monitor.sites import SiteServer, WebhookReceiver

ROOT = Path(__file__).resolve().parents[1]
DEMO_SITE = ROOT / "monitor" / "demo_site"
FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("NEWSWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_available() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means: no server here
        return f"no PostgreSQL at 127.0.0.1:5432 ({type(exc).__name__})"


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be used here, or None; in CI its absence fails the test."""
    reason = _postgres_available()
    if reason and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    return reason


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """A new, empty database on the local PostgreSQL server, dropped afterwards."""
    import psycopg

    name = f"nw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    with new_postgres_database() as url:
        yield url


@pytest.fixture
def demo_sites() -> Iterator[dict[str, SiteServer]]:
    """The three bundled sample outlets, each on its own loopback port."""
    sites = {name: SiteServer(DEMO_SITE / name).start() for name in ("chronicle", "ledger", "wire")}
    try:
        yield sites
    finally:
        for site in sites.values():
            site.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(envelope.content)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, to: str = "desk@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=newswatch@example.org&to={to}&mode=insecure"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    try:
        yield sink
    finally:
        sink.controller.stop()
