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
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.outlets import Outlet
from monitor.config import Config
from monitor.crawl import crawl, stop_all_workers
from monitor.delivery import deliver_due, send, url_for_send
from monitor.health import due_outlets
from monitor.render import Message
from monitor.retention import RETENTION_EVERY, retention_job
from monitor.matching import match_pending
from monitor.metrics import RULE_RELOADS
from monitor.operations import Operations, tell_admins
from newswatch.yamlsource import ConfigError
from rules.matcher import Matcher
from rules.ruleset import rules_fingerprint
from storage.daemon_lock import AlreadyRunning, DaemonLock
from storage.db import Database

log = logging.getLogger(__name__)
RULES_POLL = dt.timedelta(seconds=2)  # how often the rule files are checked for edits
EXIT_ALREADY_RUNNING = 3


class LiveRules:
    """The current matcher. The rule files are checked every few seconds (and before each use); an edit
    takes effect at once, a broken edit keeps the last good rules and is reported to the log and to
    the config's `admin` channels, once per broken version of the files."""

    def __init__(self, config: Config) -> None:
        self.config = config
        rules = config.load_rules()  # broken rules at start-up are a config error: refuse to start
        self.fingerprint = rules.fingerprint
        self.matcher = Matcher(rules)
        self.reported: str | None = None  # fingerprint of the broken files already reported
        self._lock = threading.Lock()

    def current(self) -> Matcher:
        with self._lock:
            was_broken = self.reported is not None
            matcher, errors = self._refresh()
            fixed = was_broken and self.reported is None
        if errors:  # outside the lock: a slow admin channel must not hold up matching
            self._tell_admins(errors)
        if fixed:
            log.warning("rule files are fixed; the current rules are in use")
            tell_admins(self.config, "newswatch: rule files are fixed", "The watch rules load again; newswatch uses the current rule files.")
        return matcher

    def _refresh(self) -> tuple[Matcher, str | None]:
        """The matcher to use, and the errors of a broken edit not reported before."""
        fingerprint = rules_fingerprint(self.config.settings.rules, self.config.base_dir)
        if fingerprint == self.fingerprint:  # unchanged, or changed back to the good version
            self.reported = None
            return self.matcher, None
        if fingerprint == self.reported:
            return self.matcher, None
        try:
            rules = self.config.load_rules()
        except ConfigError as exc:
            self.reported = fingerprint
            log.error("rule files have errors; keeping the last good rules:\n%s", exc)
            return self.matcher, str(exc)
        self.fingerprint, self.matcher, self.reported = rules.fingerprint, Matcher(rules), None
        RULE_RELOADS.inc()
        log.warning("rules reloaded: %d watch(es) from %d file(s)", len(rules.watches), len(rules.files))
        return self.matcher, None

    def _tell_admins(self, errors: str) -> None:
        body = "An edit to the watch rules has errors; newswatch keeps using the last good rules until they are fixed.\n\n" + errors
        for name in self.config.settings.admin:
            failure = send(url_for_send(self.config.settings.channels[name], None), Message("newswatch: rule files have errors", body, "text"))
            if failure:
                log.warning("could not tell admin channel %s about the rule errors: %s", name, failure)


class Daemon:
    def __init__(self, config: Config, db: Database, crawler_log_level: str = "WARNING") -> None:
        self.config, self.db, self.crawler_log_level = config, db, crawler_log_level
        self.rules = LiveRules(config)
        self._alerting = threading.Lock()
        self.scheduler: BaseScheduler | None = None
        self._delivering = threading.Lock()

    def crawl_outlet(self, name: str) -> None:
        outlet = self.config.outlet(name)
        try:
            if self._backing_off(outlet):
                return
            report = crawl(self.config, self.db, [outlet], self.crawler_log_level)
            for result in report.outlets:
                log.info("crawled %s: %s, %d new article(s), %d error(s)", result.outlet, result.finish_reason,
                         result.count("newswatch/articles_new"), len(result.errors))
            self._backing_off(outlet)
        except Exception:
            log.exception("crawl of outlet %s failed", name)
        self.match()

    def _backing_off(self, outlet: Outlet) -> bool:
        """True while the outlet backs off; its next scheduled run is then moved to the end of the pause."""
        _due, waiting = due_outlets(self.db, [outlet], dt.datetime.now(dt.timezone.utc))
        if not waiting:
            return False
        _outlet, until, streak = waiting[0]
        log.warning("outlet %s backs off until %s after %d failed crawl(s)", outlet.name, until.isoformat(timespec="seconds"), streak)
        if self.scheduler is not None:
            self.scheduler.modify_job(f"outlet:{outlet.name}", next_run_time=until)
        return True

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
    scheduler.add_job(
        daemon.rules.current, IntervalTrigger(seconds=RULES_POLL.total_seconds(), timezone=dt.timezone.utc),
        id="rules", misfire_grace_time=int(RULES_POLL.total_seconds()),
    )
    scheduler.add_job(
        retention_job, IntervalTrigger(seconds=RETENTION_EVERY.total_seconds(), timezone=dt.timezone.utc), id="retention",
        args=[daemon.config.settings.archive.keep_raw, daemon.db], next_run_time=now, misfire_grace_time=int(RETENTION_EVERY.total_seconds()),
    )
    daemon.scheduler = scheduler
    return scheduler


def run_daemon(config: Config, db: Database, crawler_log_level: str = "WARNING", lock: DaemonLock | None = None) -> int:
    daemon = Daemon(config, db, crawler_log_level)
    scheduler = build_scheduler(daemon)
    operations = Operations(config, db, daemon, lock)
    try:
        operations.start()  # one daemon per database; pending articles matched before the first crawl; /metrics
    except AlreadyRunning as exc:
        log.error("%s; not starting", exc)
        return EXIT_ALREADY_RUNNING

    def stop(signum: int, _frame: object) -> None:
        log.warning("signal %d: stopping (running crawls are terminated)", signum)
        scheduler.shutdown(wait=False)
        threading.Thread(target=stop_all_workers, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.warning("newswatch daemon started: %d outlet(s)", len(config.settings.outlets))
    try:
        scheduler.start()
    finally:
        operations.stop()
    return 0
