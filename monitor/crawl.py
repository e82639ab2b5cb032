"""Crawls through the crawl engine (crawler/engine.py), and what each outlet's crawl left behind.

`crawl()` is `crawl --once`: it takes the outlets' leases, starts an engine, hands it one poll per
outlet, waits for every result (at most `crawler.cycle_timeout`), and stops the engine. The daemon
keeps one engine for its whole life instead (monitor/daemon.py); both finish polls with
`finish_polls`: the crawl_runs row when the engine could not write it, the outlet's health, and the
lease given back — in one short transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from crawler.outlets import Outlet
from crawler.protocol import Poll, Result, Start
from monitor.config import Config
from monitor.engine_client import STOP_GRACE_SECONDS, CrawlEngine
from monitor.health import Health, update_health
from sqlalchemy.orm import Session

from storage.db import Database
from storage.leases import LEASE_TTL, Holder, LeaseInfo, acquire_lease, lease_of, release_lease, renew_leases
from storage.runs import record_crawl_run

log = logging.getLogger(__name__)


@dataclass
class OutletResult:
    outlet: str
    finish_reason: str
    stats: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    health: Health | None = None  # the outlet's health after this crawl (None when not judged)

    def count(self, name: str) -> int:
        return int(self.stats.get(name, 0))


@dataclass
class CrawlReport:
    cycle_id: str
    outlets: list[OutletResult]
    worker_error: str | None = None
    busy: list[LeaseInfo] = field(default_factory=list)  # outlets skipped: another process is crawling them


def engine_start(config: Config, log_level: str) -> Start:
    from monitor.logsetup import log_format

    return Start(database=config.database_url, settings=config.settings.crawler, log_level=log_level, log_format=log_format())


def new_poll(outlet: Outlet, cycle_id: str, timeout: dt.timedelta) -> Poll:
    return Poll(poll_id=uuid.uuid4().hex, cycle_id=cycle_id, outlet=outlet, timeout=timeout.total_seconds())


def lease_in(session: Session, outlet: str, holder: Holder, now: dt.datetime) -> LeaseInfo | None:
    """None when this holder now holds the outlet's lease (taken in the caller's transaction), else who holds it."""
    if acquire_lease(session, outlet, holder, now):
        return None
    return lease_of(session, outlet) or LeaseInfo(outlet, "?", 0, "?", now, now)


def finish_poll(
    db: Database, outlet: Outlet, result: Result, cycle_id: str, started_at: dt.datetime, holder: Holder,
    backoff_max: dt.timedelta, judge: bool = True,
) -> OutletResult:
    """Record what the engine could not (worker_failed), update health (unless `judge` is False), release the lease."""
    return finish_polls(db, [(outlet, result)], cycle_id, started_at, holder, backoff_max, judge)[0]


def finish_polls(
    db: Database, polls: list[tuple[Outlet, Result]], cycle_id: str, started_at: dt.datetime, holder: Holder,
    backoff_max: dt.timedelta, judge: bool = True,
) -> list[OutletResult]:
    """finish_poll for several polls of one cycle, in one transaction (`crawl --once` finishes all its outlets at once)."""
    outcomes = [OutletResult(outlet.name, result.finish_reason, dict(result.stats), list(result.errors)) for outlet, result in polls]
    with db.session() as session:
        now = dt.datetime.now(dt.timezone.utc)
        for (outlet, result), outcome in zip(polls, outcomes):
            if not result.recorded:
                record_crawl_run(
                    session, cycle_id=cycle_id, outlet=outlet.name, started_at=started_at,
                    finished_at=now, finish_reason=result.finish_reason, stats=result.stats, errors=result.errors,
                )
        if judge:  # a crawl cut short by our own shutdown says nothing about the outlet
            healths = update_health(session, {outlet.name: outlet for outlet, _ in polls}, outcomes, started_at, backoff_max)
            for outcome in outcomes:
                outcome.health = healths[outcome.outlet]
        for outlet, _result in polls:
            release_lease(session, outlet.name, holder)
    return outcomes


def describe_lease(lease: LeaseInfo) -> str:
    return f"pid {lease.pid} on {lease.host} since {lease.acquired_at:%H:%M:%S} UTC"


def crawl(config: Config, db: Database, outlets: list[Outlet], log_level: str = "WARNING") -> CrawlReport:
    """Crawl the outlets once, in one engine, bounded by `crawler.cycle_timeout` as a whole."""
    settings = config.settings.crawler
    cycle_id = str(uuid.uuid4())
    holder = Holder.of_this_process("crawl")
    started = dt.datetime.now(dt.timezone.utc)
    mine, busy = [], []
    with db.session() as session:  # one transaction for all the leases
        now = dt.datetime.now(dt.timezone.utc)
        for outlet in outlets:
            other = lease_in(session, outlet.name, holder, now)
            if other is None:
                mine.append(outlet)
            else:
                log.warning("outlet %s is being crawled by another process (%s); skipped", outlet.name, describe_lease(other))
                busy.append(other)
    if not mine:
        return CrawlReport(cycle_id, [], None, busy)
    results: queue.Queue[Result] = queue.Queue()
    engine = CrawlEngine(engine_start(config, log_level)).start()
    renewing = threading.Event()
    renewer = threading.Thread(target=_renew, args=(db, holder, [o.name for o in mine], renewing), daemon=True)
    renewer.start()
    by_poll: dict[str, Outlet] = {}
    worker_error = None
    interrupted = False
    try:
        for outlet in mine:
            poll = new_poll(outlet, cycle_id, settings.cycle_timeout)
            by_poll[poll.poll_id] = outlet
            engine.submit(poll, results.put)
        received: dict[str, Result] = {}
        deadline = time.monotonic() + settings.cycle_timeout.total_seconds() + STOP_GRACE_SECONDS
        while len(received) < len(by_poll):
            try:
                result = results.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                worker_error = f"crawl engine stopped after {settings.cycle_timeout.total_seconds():.0f}s (crawler.cycle_timeout)"
                break
            received[result.poll_id] = result
    except KeyboardInterrupt:  # Ctrl-C: the running crawls are cancelled and recorded, the leases given back
        interrupted = True
        worker_error = "interrupted (Ctrl-C)"
    finally:
        engine.stop()
        renewing.set()
    while not results.empty():  # results of polls cut short by the stop
        result = results.get()
        received.setdefault(result.poll_id, result)
    finished = [(outlet, received.get(poll_id) or Result(
        poll_id=poll_id, outlet=outlet.name, finish_reason="worker_failed", recorded=False,
        errors=[{"kind": "worker_failed", "url": "", "message": worker_error or "no record of the crawl"}],
    )) for poll_id, outlet in by_poll.items()]
    outcomes = finish_polls(db, finished, cycle_id, started, holder, settings.backoff_max, judge=not interrupted)
    if interrupted:
        raise KeyboardInterrupt
    return CrawlReport(cycle_id, sorted(outcomes, key=lambda o: o.outlet), worker_error, busy)


def _renew(db: Database, holder: Holder, outlets: list[str], stop: threading.Event) -> None:
    while not stop.wait(LEASE_TTL.total_seconds() / 4):
        try:
            with db.session() as session:
                renew_leases(session, holder, outlets, dt.datetime.now(dt.timezone.utc))
        except Exception:
            log.exception("could not renew the outlet leases")
