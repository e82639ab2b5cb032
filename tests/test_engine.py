"""The daemon and its crawl engine as real processes, with many loopback outlets on short intervals."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from storage.db import Database
from storage.models import Article, CrawlRun, OutletLease
from tests.farm import Farm
from tests.test_daemon import wait_for


@pytest.fixture
def farm():
    server = Farm().start()
    try:
        yield server
    finally:
        server.stop()


def write_config(folder: Path, database_url: str, outlets: list[dict], **crawler: object) -> Path:
    (folder / "watch").mkdir(exist_ok=True)
    (folder / "watch" / "rules.yaml").write_text("watches:\n  - id: quiet\n    any: [Zyxwvut]\n    notify: []\n", encoding="utf-8")
    config = {"database": database_url, "outlets": outlets, "rules": ["watch/*.yaml"],
              "crawler": {"delay": "0s", "timeout": "10s", "contact": "tests@example.org", **crawler}}
    path = folder / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    db = Database(database_url)  # the schema exists before the test reads it
    try:
        db.migrate()
    finally:
        db.close()
    return path


def start(config: Path, log: Path, *args: str) -> subprocess.Popen:
    with log.open("ab") as stderr:
        return subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config), "-v", *args],
                                stdout=subprocess.PIPE if args[:1] == ("crawl",) else subprocess.DEVNULL, stderr=stderr,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def runs(database_url: str) -> dict[str, list[CrawlRun]]:
    db = Database(database_url)
    try:
        with db.session() as session:
            rows = session.scalars(select(CrawlRun).order_by(CrawlRun.started_at)).all()
    finally:
        db.close()
    by_outlet: dict[str, list[CrawlRun]] = defaultdict(list)
    for row in rows:
        by_outlet[row.outlet].append(row)
    return by_outlet


def engine_pids(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and b"crawler.engine" in command:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_many_outlets_are_polled_on_schedule_without_overlap(tmp_path: Path, farm: Farm) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    names = [f"o{i}" for i in range(12)]
    for name in names:
        farm.add_article(name)
    config = write_config(tmp_path, database_url, [farm.outlet_config(name, "2s") for name in names])
    log = tmp_path / "daemon.log"
    daemon = start(config, log, "run")
    try:
        assert wait_for(lambda: all(len(r) >= 5 for r in [runs(database_url).get(n, []) for n in names]), 60), log.read_text()[-2000:]
    finally:
        stop(daemon)
    assert daemon.returncode == 0
    by_outlet = runs(database_url)
    firsts = sorted(rows[0].started_at for rows in by_outlet.values())
    # Spread over the interval, not all at once: these 12 names' first polls fall 1.71 s apart from
    # the first to the last (monitor.pacing), counted from when the engine is ready, however long
    # its start took (started_at is when the engine's spider began).
    spread = (firsts[-1] - firsts[0]).total_seconds()
    assert spread > 1.0, f"first polls spread over only {spread:.2f} s"
    for name in names:
        rows = by_outlet[name]
        assert [r.finish_reason for r in rows[:5]] == ["finished"] * 5
        for earlier, later in zip(rows, rows[1:]):
            assert later.started_at >= earlier.finished_at, f"{name}: two crawls overlapped"
        gaps = sorted((b.started_at - a.started_at).total_seconds() for a, b in zip(rows[1:], rows[2:]))
        assert gaps[len(gaps) // 2] < 3.5, f"{name}: polls fell behind the 2 s schedule: {gaps}"
    db = Database(database_url)
    try:
        with db.session() as session:
            assert len(session.scalars(select(Article)).all()) == len(names)
            assert session.scalars(select(OutletLease)).all() == []  # every lease given back on stop
    finally:
        db.close()
    assert "Traceback" not in log.read_text()


def test_a_hung_outlet_is_cancelled_and_recorded_while_the_others_go_on(tmp_path: Path, farm: Farm) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    farm.hang.add("stuck")
    for name in ("a", "b", "c"):
        farm.add_article(name)
    outlets = [farm.outlet_config(name, "2s") for name in ("stuck", "a", "b", "c")]
    config = write_config(tmp_path, database_url, outlets, timeout="60s", cycle_timeout="3s")
    log = tmp_path / "daemon.log"
    daemon = start(config, log, "run")
    try:
        assert wait_for(lambda: len(runs(database_url).get("stuck", [])) >= 2, 60), log.read_text()[-2000:]
    finally:
        stop(daemon)
    by_outlet = runs(database_url)
    stuck = by_outlet["stuck"]
    assert {r.finish_reason for r in stuck[:2]} == {"timeout"}
    assert all(2.5 <= (r.finished_at - r.started_at).total_seconds() < 20 for r in stuck[:2])
    for name in ("a", "b", "c"):  # polled every 2 s the whole time (a crawl running at the stop ends as `shutdown`)
        reasons = [r.finish_reason for r in by_outlet[name]]
        assert reasons.count("finished") >= 4 and set(reasons) <= {"finished", "shutdown"}
    assert "cancelling outlet:stuck (timeout)" in log.read_text()


def test_a_killed_engine_is_replaced_and_nothing_is_lost(tmp_path: Path, farm: Farm) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    names = ["a", "b", "c"]
    for name in names:
        farm.add_article(name)
    config = write_config(tmp_path, database_url, [farm.outlet_config(name, "2s") for name in names])
    log = tmp_path / "daemon.log"
    daemon = start(config, log, "run")
    try:
        assert wait_for(lambda: all(runs(database_url).get(n) for n in names), 60), log.read_text()[-2000:]
        (engine,) = engine_pids(daemon.pid)
        os.kill(engine, signal.SIGKILL)
        killed_at = dt.datetime.now(dt.timezone.utc)
        for name in names:
            farm.add_article(name)
        assert wait_for(lambda: len(engine_pids(daemon.pid)) == 1 and engine_pids(daemon.pid) != [engine], 40)

        def archived() -> int:
            db = Database(database_url)
            try:
                with db.session() as session:
                    return len(session.scalars(select(Article)).all())
            finally:
                db.close()

        assert wait_for(lambda: archived() == 2 * len(names), 60), log.read_text()[-3000:]
        assert wait_for(lambda: all(any(r.started_at > killed_at and r.finish_reason == "finished" for r in runs(database_url)[n]) for n in names), 30)
    finally:
        stop(daemon)
    assert daemon.returncode == 0
    text = log.read_text()
    assert f"crawl engine {engine} replaced by" in text
    for rows in runs(database_url).values():  # a poll the dead engine held is recorded, not lost
        assert {r.finish_reason for r in rows} <= {"finished", "worker_failed", "shutdown"}


def test_the_engine_dies_with_its_killed_daemon(tmp_path: Path, farm: Farm) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    farm.add_article("a")
    config = write_config(tmp_path, database_url, [farm.outlet_config("a", "2s")])
    daemon = start(config, tmp_path / "daemon.log", "run")
    try:
        assert wait_for(lambda: runs(database_url).get("a"), 60)  # a page was extracted: the extraction workers exist too
        (engine,) = engine_pids(daemon.pid)
        os.kill(daemon.pid, signal.SIGKILL)
        daemon.wait(10)
        assert wait_for(lambda: not alive(engine), 10), "the engine outlived its daemon"
    finally:
        if daemon.poll() is None:
            daemon.kill()


def test_a_second_crawler_skips_an_outlet_being_crawled(tmp_path: Path, farm: Farm, database_url: str) -> None:
    farm.slow.add("slow")
    farm.slow_seconds = 8
    farm.add_article("slow")
    config = write_config(tmp_path, database_url, [farm.outlet_config("slow", "10m")])
    log = tmp_path / "daemon.log"
    daemon = start(config, log, "run")

    def leases() -> list[OutletLease]:
        db = Database(database_url)
        try:
            with db.session() as session:
                return session.scalars(select(OutletLease)).all()
        finally:
            db.close()

    try:
        assert wait_for(lambda: leases() != [], 30), log.read_text()[-2000:]
        (lease,) = leases()
        assert lease.pid == daemon.pid and lease.outlet == "slow"
        second = subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "crawl", "--once"],
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        assert f"slow             skipped: being crawled by another process (pid {daemon.pid} on" in second.stdout
        assert "outlet slow is being crawled by another process" in second.stderr
        assert wait_for(lambda: farm.feed_requests.get("slow", 0) >= 1, 30)  # the daemon's own request (its engine may still be starting)
        assert farm.feed_requests["slow"] == 1  # the second process sent nothing
        assert wait_for(lambda: leases() == [], 30)  # released when the daemon's crawl finished
    finally:
        stop(daemon)
    assert [r.finish_reason for r in runs(database_url)["slow"]] == ["finished"]
