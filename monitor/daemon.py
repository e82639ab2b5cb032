"""`newswatch run`: each outlet crawled on its own schedule under APScheduler, until SIGTERM/SIGINT.

Crawls run in worker processes (see monitor/crawl.py), so the scheduler's threads only wait for
them; matching runs one at a time behind a lock. Delivery is its own job on its own one-thread
executor, every `delivery.every`: a slow or dead channel never holds up crawling or matching, and
each send is claimed in the database first, so no alert is sent twice.
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
import threading

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import Config
from monitor.crawl import crawl, stop_all_workers
from monitor.delivery import deliver_due
from monitor.matching import match_pending
from newswatch.yamlsource import ConfigError
from rules.matcher import Matcher
from storage.db import Database

log = logging.getLogger(__name__)


class LiveRules:
    """The current matcher; rule files are re-read before each use, a broken edit keeps the last good rules."""

    def __init__(self, config: Config) -> None:
        self.config = config
        rules = config.load_rules()  # broken rules at start-up are a config error: refuse to start
        self.fingerprint = rules.fingerprint
        self.matcher = Matcher(rules)

    def current(self) -> Matcher:
        try:
            rules = self.config.load_rules()
        except ConfigError as exc:
            log.error("rule files have errors; keeping the last good rules:\n%s", exc)
            return self.matcher
        if rules.fingerprint != self.fingerprint:
            self.fingerprint, self.matcher = rules.fingerprint, Matcher(rules)
            log.warning("rules reloaded: %d watch(es) from %d file(s)", len(rules.watches), len(rules.files))
        return self.matcher


class Daemon:
    def __init__(self, config: Config, db: Database, crawler_log_level: str = "WARNING") -> None:
        self.config, self.db, self.crawler_log_level = config, db, crawler_log_level
        self.rules = LiveRules(config)
        self._alerting = threading.Lock()
        self._delivering = threading.Lock()

    def crawl_outlet(self, name: str) -> None:
        outlet = self.config.outlet(name)
        try:
            report = crawl(self.config, self.db, [outlet], self.crawler_log_level)
            for result in report.outlets:
                log.info("crawled %s: %s, %d new article(s), %d error(s)", result.outlet, result.finish_reason,
                         result.count("newswatch/articles_new"), len(result.errors))
        except Exception:
            log.exception("crawl of outlet %s failed", name)
        self.match()

    def match(self) -> None:
        with self._alerting:
            try:
                matched = match_pending(self.db, self.rules.current(), alerting=self.config.settings.alerts)
                if matched.alerts:
                    log.info("%d new alert(s) in the outbox", matched.alerts)
            except Exception:
                log.exception("matching failed; pending articles stay pending")

    def deliver(self) -> None:
        """One pass of the delivery worker (its own thread; never runs twice at once)."""
        if not self._delivering.acquire(blocking=False):
            return
        try:
            settings = self.config.settings
            delivered = deliver_due(self.db, settings.channels, settings.delivery, settings.alerts.template_dir(self.config.base_dir))
            if delivered.sent or delivered.failed or delivered.digests:
                log.info("delivery: %d sent, %d failed attempt(s), %d digest(s) built", delivered.sent, delivered.failed, delivered.digests)
        except Exception:
            log.exception("delivery pass failed; the outbox keeps every pending message")
        finally:
            self._delivering.release()


def build_scheduler(daemon: Daemon) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=dt.timezone.utc,
        executors={"default": ThreadPoolExecutor(max_workers=4), "delivery": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    now = dt.datetime.now(dt.timezone.utc)
    for outlet in daemon.config.settings.outlets:
        every = outlet.every.total_seconds()
        scheduler.add_job(
            daemon.crawl_outlet, IntervalTrigger(seconds=every, timezone=dt.timezone.utc), args=[outlet.name],
            id=f"outlet:{outlet.name}", next_run_time=now, misfire_grace_time=int(every),
        )
    every = daemon.config.settings.delivery.every.total_seconds()
    scheduler.add_job(
        daemon.deliver, IntervalTrigger(seconds=every, timezone=dt.timezone.utc), id="deliveries",
        executor="delivery", next_run_time=now, misfire_grace_time=max(1, int(every)),
    )
    return scheduler


def run_daemon(config: Config, db: Database, crawler_log_level: str = "WARNING") -> int:
    daemon = Daemon(config, db, crawler_log_level)
    scheduler = build_scheduler(daemon)

    def stop(signum: int, _frame: object) -> None:
        log.warning("signal %d: stopping (running crawls are terminated)", signum)
        scheduler.shutdown(wait=False)
        threading.Thread(target=stop_all_workers, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.warning("newswatch daemon started: %d outlet(s)", len(config.settings.outlets))
    scheduler.start()
    return 0
