"""Stopping `newswatch run` and `crawl --once` as real processes: fast, clean, and nothing left behind."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.sites import LoopbackServer
from storage.db import Database
from storage.models import CrawlRun, OutletLease
from tests.daemons import wait_for
from tests.farm import Farm
from tests.lifecycle import alive, descendants
from tests.test_engine import engine_pids, write_config

STOP_WITHIN = 10.0


@pytest.fixture
def farm():
    server = Farm().start()
    try:
        yield server
    finally:
        server.stop()


def _rows(database_url: str) -> tuple[list[CrawlRun], int]:
    db = Database(database_url)
    try:
        with db.session() as session:
            return list(session.scalars(select(CrawlRun))), session.scalar(select(func.count()).select_from(OutletLease))
    finally:
        db.close()


def _spawn(config: Path, log: Path, *args: str, session: bool = False) -> subprocess.Popen:
    with log.open("ab") as stderr:
        return subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config), "-v", *args],
                                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=session,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _farm_config(tmp_path: Path, farm: Farm, database_url: str) -> Path:
    farm.hang.add("hung")
    outlets = [farm.outlet_config("hung", "2s")]
    for name in ("a", "b", "c"):
        farm.add_article(name)
        outlets.append(farm.outlet_config(name, "1s"))
    return write_config(tmp_path, database_url, outlets, cycle_timeout="5m")


def test_sigterm_during_a_hanging_crawl_stops_the_daemon_within_10s(tmp_path: Path, farm: Farm) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    config = _farm_config(tmp_path, farm, database_url)
    log = tmp_path / "daemon.log"
    daemon = _spawn(config, log, "run")
    try:
        assert wait_for(lambda: farm.feed_requests.get("hung") and len(_rows(database_url)[0]) >= 3, 90), log.read_text()
        (engine,) = engine_pids(daemon.pid)
        assert wait_for(lambda: len(descendants(engine)) >= 1, 30)  # the extraction workers exist too
        tree = descendants(daemon.pid)
        assert engine in tree
        signalled = time.monotonic()
        stop_began = dt.datetime.now(dt.timezone.utc)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(30)
        took = time.monotonic() - signalled
    finally:
        if daemon.poll() is None:
            daemon.kill()
    print(f"SIGTERM exit took {took:.2f}s")
    assert code == 0, log.read_text()
    assert took < STOP_WITHIN, log.read_text()
    assert wait_for(lambda: not any(alive(pid) for pid in tree), 2), "a process outlived the daemon"
    rows, leases = _rows(database_url)
    assert leases == 0  # every lease given back
    assert all(row.finished_at is not None for row in rows)  # nothing half-written
    hung = [row for row in rows if row.outlet == "hung"]
    assert hung and hung[-1].finish_reason == "shutdown"  # the hanging crawl was cancelled and recorded
    late = [row for row in rows if row.started_at > stop_began + dt.timedelta(seconds=0.5)]
    assert not late, f"polls started after the stop began: {[(r.outlet, r.started_at) for r in late]}"
    assert "Traceback" not in log.read_text()


def test_ctrl_c_of_crawl_once_leaves_no_process_behind(tmp_path: Path, farm: Farm) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    config = _farm_config(tmp_path, farm, database_url)
    log = tmp_path / "crawl.log"
    crawl = _spawn(config, log, "crawl", "--once", session=True)  # its own process group, like a shell job
    try:
        assert wait_for(lambda: farm.feed_requests.get("hung") and engine_pids(crawl.pid), 90), log.read_text()
        (engine,) = engine_pids(crawl.pid)
        assert wait_for(lambda: len(descendants(engine)) >= 1, 30)
        tree = descendants(crawl.pid)
        signalled = time.monotonic()
        os.killpg(crawl.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
        code = crawl.wait(30)
        took = time.monotonic() - signalled
    finally:
        if crawl.poll() is None:
            crawl.kill()
    print(f"Ctrl-C exit took {took:.2f}s")
    assert took < STOP_WITHIN and code == 130, log.read_text()
    assert wait_for(lambda: not any(alive(pid) for pid in tree), 2), "a process outlived `crawl --once`"
    rows, leases = _rows(database_url)
    assert leases == 0
    assert all(row.finished_at is not None for row in rows)
    assert "Traceback" not in log.read_text()


def test_kill_9_of_the_daemon_takes_the_engine_and_its_workers_with_it(tmp_path: Path, farm: Farm) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    config = _farm_config(tmp_path, farm, database_url)
    daemon = _spawn(config, tmp_path / "daemon.log", "run")
    try:
        assert wait_for(lambda: farm.feed_requests.get("hung") and len(_rows(database_url)[0]) >= 3, 90)
        (engine,) = engine_pids(daemon.pid)
        assert wait_for(lambda: len(descendants(engine)) >= 1, 30)
        tree = descendants(daemon.pid)
        daemon.kill()
        daemon.wait(10)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert wait_for(lambda: not any(alive(pid) for pid in tree), 10), "a process outlived its killed daemon"


def test_sigterm_while_a_channel_hangs_exits_within_10s_and_the_send_is_not_a_failure(tmp_path: Path, demo_sites) -> None:
    """A send to a channel that never answers (its own timeout 2 min) must not hold up the stop; the send
    it cuts off is sent again at the next start with the same key, and it is no failed attempt."""
    from storage.models import Delivery
    from tests.daemons import Daemon
    from tests.helpers import write_config as demo_config

    hanging = HangingChannel().start()
    try:
        database_url = f"sqlite:///{tmp_path / 'a.db'}"
        channel = {"url": f"json://{hanging.base_url.split('://', 1)[1]}/hook", "timeout": "2m"}
        config = demo_config(tmp_path, database_url, {"wire": demo_sites["wire"]}, {"chat": channel},
                             settings={"delivery": {"every": "1s"}})
        daemon = Daemon(config, tmp_path / "daemon.log")
        try:
            assert wait_for(lambda: hanging.requests >= 1, 90), daemon.output()
            signalled = time.monotonic()
            daemon.process.send_signal(signal.SIGTERM)
            code = daemon.process.wait(30)
            took = time.monotonic() - signalled
        finally:
            daemon.kill()
        print(f"SIGTERM exit with a send in flight took {took:.2f}s")
        assert code == 0, daemon.output()
        assert took < STOP_WITHIN, daemon.output()
        db = Database(database_url)
        try:
            with db.session() as session:
                deliveries = list(session.scalars(select(Delivery)))
        finally:
            db.close()
        assert deliveries and all(d.status != "failed" for d in deliveries)
        assert all(d.attempts == 0 for d in deliveries)  # cut off by the stop: no answer, so no failed attempt
    finally:
        hanging.release.set()
        hanging.stop()


class HangingChannel(LoopbackServer):
    """A webhook that reads each POST and never answers until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requests = 0
        channel = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                channel.requests += 1
                channel.release.wait(300)
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler, "hanging-channel")
