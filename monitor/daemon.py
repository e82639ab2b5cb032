"""`newswatch run`: each outlet polled on its own schedule under APScheduler, until SIGTERM/SIGINT; SIGHUP reloads the config.

Polls go to one long-lived crawl engine (monitor/engine_client.py, crawler/engine.py); the
scheduler's job for an outlet only checks backoff, takes the outlet's lease and hands the poll over,
so it takes milliseconds. A poll that falls due while the outlet is still being crawled is dropped
(coalesced), never queued. Results are finished on their own thread; matching runs on another,
one pass at a time, whenever a crawl archived something. The rule-file check, delivery and
polling each have their own executor, so none waits behind another.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor as Pool
from dataclasses import dataclass

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.outlets import Outlet
from crawler.protocol import Poll, Result
from monitor.config import Config, load_config
from monitor.config_change import ConfigChange, config_change
from monitor.crawl import OutletResult, describe_lease, engine_start, finish_poll, lease_in, new_poll
from monitor.delivery import deliver_due, send, url_for_send
from monitor.engine_client import CrawlEngine
from monitor.matching import match_pending
from monitor.metrics import RULE_RELOADS
from monitor.operations import Operations, tell_admins
from monitor.pacing import first_poll_delay
from monitor.render import Message
from monitor.retention import RETENTION_EVERY, retention_job
from newswatch.secrets import SECRETS_ENV
from newswatch.yamlsource import ConfigError
from rules.matcher import Matcher
from rules.ruleset import rules_fingerprint
from storage.crawlstate import outlet_states
from storage.daemon_lock import AlreadyRunning, DaemonLock
from storage.db import Database
from storage.leases import LEASE_TTL, Holder, release_lease, renew_leases

log = logging.getLogger(__name__)
RULES_POLL = dt.timedelta(seconds=2)  # how often the rule files are checked for edits
MATCH_EVERY = dt.timedelta(minutes=1)  # pending articles are matched at least this often (also after each crawl that archived)
ARCHIVED = ("newswatch/articles_new", "newswatch/articles_revised", "newswatch/articles_removed")
EXIT_ALREADY_RUNNING = 3
STOP_GRACE = dt.timedelta(seconds=5)  # after the stop steps, how long a send in flight may hold up the exit


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


@dataclass
class InFlight:
    """A poll handed to the engine and not finished yet."""

    poll: Poll | None  # None while the poll is being set up
    started_at: dt.datetime
    done: Future


class Daemon:
    def __init__(self, config: Config, db: Database, crawler_log_level: str = "WARNING") -> None:
        self.config, self.db, self.crawler_log_level = config, db, crawler_log_level
        self.rules = LiveRules(config)
        self._alerting = threading.Lock()
        self.scheduler: BaseScheduler | None = None
        self._delivering = threading.Lock()
        self.holder = Holder.of_this_process("daemon")
        self.engine: CrawlEngine | None = None
        self._engine_lock = threading.Lock()
        self._in_flight: dict[str, InFlight] = {}
        self._in_flight_lock = threading.Lock()
        self._finishing = Pool(1, thread_name_prefix="finish")
        self._matching = Pool(1, thread_name_prefix="match")
        self._match_queued = threading.Event()
        self.stopping = threading.Event()
        self.operations: Operations | None = None
        self._reloading = threading.Lock()
        self.polls = {"started": 0, "coalesced": 0, "busy": 0, "backing_off": 0}

    # -- polling ---------------------------------------------------------------------------------
    def crawl_outlet(self, name: str) -> Future:
        """Hand one poll of the outlet to the engine. The future gets its OutletResult, or None when it was skipped."""
        outlet = self.config.outlet(name)
        done: Future = Future()
        if outlet is None:  # removed by a reload while this poll fell due
            done.set_result(None)
            return done
        with self._in_flight_lock:
            if name in self._in_flight or self.stopping.is_set():
                self.polls["coalesced"] += 1
                log.info("outlet %s is still being crawled: this poll is coalesced with it", name)
                done.set_result(None)
                return done
            self._in_flight[name] = InFlight(None, dt.datetime.now(dt.timezone.utc), done)
        try:
            now = dt.datetime.now(dt.timezone.utc)
            with self.db.session() as session:  # one short transaction: backoff, then the lease
                state = outlet_states(session, [name]).get(name)
                waiting = state is not None and state.backoff_until is not None and state.backoff_until > now
                other = None if waiting else lease_in(session, name, self.holder, now)
            if waiting:
                self.polls["backing_off"] += 1
                self._move_next_poll(outlet, state.backoff_until, state.error_streak)
                return self._skipped(name, done)
            if other is not None:
                self.polls["busy"] += 1
                log.warning("outlet %s is being crawled by another process (%s); skipped", name, describe_lease(other))
                return self._skipped(name, done)
            if self.stopping.is_set():  # the stop began while the lease was taken: no new crawl
                with self.db.session() as session:
                    release_lease(session, name, self.holder)
                return self._skipped(name, done)
            poll = new_poll(outlet, _cycle_id(), self.config.settings.crawler.cycle_timeout)
            with self._in_flight_lock:
                self._in_flight[name].poll = poll
            self.polls["started"] += 1
            self._engine().submit(poll, self._on_result)
        except Exception:
            log.exception("poll of outlet %s failed", name)
            with self.db.session() as session:
                release_lease(session, name, self.holder)
            return self._skipped(name, done)
        return done

    def _skipped(self, name: str, done: Future) -> Future:
        with self._in_flight_lock:
            self._in_flight.pop(name, None)
        done.set_result(None)
        return done

    def _engine(self) -> CrawlEngine:
        with self._engine_lock:
            if self.engine is None:
                self.engine = CrawlEngine(engine_start(self.config, self.crawler_log_level)).start()
            return self.engine

    def _on_result(self, result: Result) -> None:
        """On the engine's reader thread: hand over at once, so the engine's pipe never backs up."""
        self._finishing.submit(self._finish, result)

    def _finish(self, result: Result) -> None:
        with self._in_flight_lock:
            flight = self._in_flight.get(result.outlet)
        if flight is None or flight.poll is None or flight.poll.poll_id != result.poll_id:
            log.warning("result of an unknown poll of %s ignored", result.outlet)
            return
        outlet = flight.poll.outlet
        outcome: OutletResult | None = None
        try:
            outcome = finish_poll(self.db, outlet, result, flight.poll.cycle_id, flight.started_at, self.holder,
                                  self.config.settings.crawler.backoff_max, judge=not self.stopping.is_set())
            log.info("crawled %s: %s, %d new article(s), %d error(s)", outlet.name, outcome.finish_reason,
                     outcome.count("newswatch/articles_new"), len(outcome.errors))
            health = outcome.health
            if health is not None and health.backoff_until is not None and health.backoff_until > dt.datetime.now(dt.timezone.utc):
                self._move_next_poll(outlet, health.backoff_until, health.error_streak)
        except Exception:
            log.exception("recording the crawl of outlet %s failed", outlet.name)
        finally:
            with self._in_flight_lock:
                self._in_flight.pop(outlet.name, None)
            flight.done.set_result(outcome)
        if outcome is not None and any(outcome.count(name) for name in ARCHIVED):
            self.request_match()

    def _move_next_poll(self, outlet: Outlet, until: dt.datetime, streak: int) -> None:
        """The outlet backs off: its next scheduled poll is moved to the end of the pause."""
        log.warning("outlet %s backs off until %s after %d failed crawl(s)", outlet.name, until.isoformat(timespec="seconds"), streak)
        if self.scheduler is not None:
            self.scheduler.modify_job(f"outlet:{outlet.name}", next_run_time=until)

    def renew_leases(self) -> None:
        with self._in_flight_lock:
            names = [name for name, flight in self._in_flight.items() if flight.poll is not None]
        if names:
            with self.db.session() as session:
                renew_leases(session, self.holder, names, dt.datetime.now(dt.timezone.utc))

    def in_flight(self) -> list[str]:
        with self._in_flight_lock:
            return sorted(self._in_flight)

    # -- matching and delivery -------------------------------------------------------------------
    def request_match(self) -> None:
        """Match pending articles soon, on the matching thread; requests made meanwhile are one pass."""
        if self._match_queued.is_set() or self.stopping.is_set():
            return
        self._match_queued.set()
        self._matching.submit(self._queued_match)

    def _queued_match(self) -> None:
        self._match_queued.clear()
        self.match()

    def match(self) -> None:
        with self._alerting:
            try:
                matched = match_pending(self.db, self.rules.current(), alerting=self.config.settings.alerts)
                if matched.alerts:
                    log.info("%d new alert(s) in the outbox", matched.alerts)
                    self._deliver_soon()
            except Exception:
                log.exception("matching failed; pending articles stay pending")

    def _deliver_soon(self) -> None:
        """New alerts are sent now rather than at the next `delivery.every` (on the delivery thread, as always).

        When a pass is already running (it may have read the outbox before these alerts were
        written), one more pass is queued behind it; it never runs beside it.
        """
        scheduler = self.scheduler
        if scheduler is not None and scheduler.running:
            try:
                scheduler.modify_job("deliveries", next_run_time=dt.datetime.now(dt.timezone.utc))
            except Exception:  # the scheduler is shutting down: the next start delivers
                log.debug("could not move the delivery pass forward", exc_info=True)

    def deliver(self) -> None:
        """One pass of the delivery worker (its own thread; never runs twice at once)."""
        if self.stopping.is_set() or not self._delivering.acquire(blocking=False):
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

    # -- config reload (SIGHUP) -------------------------------------------------------------------
    def reload_config(self) -> bool:
        """Read the config file again and take it into use: outlets added, removed or rescheduled,
        channels, admin, alerts, delivery and rules. A broken file keeps the running config and is
        reported to the log and the admin channels. Returns whether the new config is in use."""
        with self._reloading:
            old = self.config
            exported = os.environ.get(SECRETS_ENV)
            try:
                new = load_config(old.path)
            except ConfigError as exc:
                log.error("SIGHUP: config file %s has errors; keeping the running config:\n%s", old.path, exc)
                tell_admins(old, "newswatch: config file has errors",
                            "A reload of the config file failed; newswatch keeps the running config until it is fixed.\n\n" + str(exc))
                return False
            change = config_change(old, new)
            self.config = self.rules.config = new
            with self._engine_lock:
                engine = self.engine
            if engine is not None and os.environ.get(SECRETS_ENV) != exported:  # e.g. a ${VAR} in a new outlet's URL
                engine.renew("the config has new secrets for the engine to mask")
            if self.scheduler is not None:
                apply_schedule(self, self.scheduler, old, new, change)
            if self.operations is not None:
                self.operations.config_applied(new)
            log.warning("config reloaded from %s: %s", old.path, change.describe())
            for key in change.restart_only:
                log.warning("config reloaded: `%s` changed, which takes effect only on restart", key)
        self.rules.current()  # the rule files (and where they are) may have changed too
        return True

    # -- stopping --------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the engine (running crawls are cancelled and recorded), finish their results, give back the leases."""
        self.stopping.set()
        with self._engine_lock:
            engine, self.engine = self.engine, None
        if engine is not None:
            engine.stop()
        self._finishing.shutdown(wait=True)
        self._matching.shutdown(wait=True, cancel_futures=True)
        with self._in_flight_lock:
            left = list(self._in_flight)
        if left:
            with self.db.session() as session:
                for name in left:
                    release_lease(session, name, self.holder)


def _cycle_id() -> str:
    return str(uuid.uuid4())


def build_scheduler(daemon: Daemon) -> BlockingScheduler:
    """Jobs and executors. Outlet jobs take milliseconds (they hand a poll over), so two threads serve them all.

    misfire_grace_time: a poll up to one interval late still runs; coalesce: several missed runs
    make one. Delivery, the rule-file check and retention have their own threads; lease renewal
    and match requests share the default one (both take milliseconds).
    """
    scheduler = BlockingScheduler(
        timezone=dt.timezone.utc,
        executors={
            "default": ThreadPoolExecutor(max_workers=1),
            "polls": ThreadPoolExecutor(max_workers=2),
            "rules": ThreadPoolExecutor(max_workers=1),
            "delivery": ThreadPoolExecutor(max_workers=1),
            "retention": ThreadPoolExecutor(max_workers=1),  # a long pruning pass never holds up lease renewal
        },
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    now = dt.datetime.now(dt.timezone.utc)
    outlets = daemon.config.settings.outlets
    for outlet in outlets:
        add_outlet_job(daemon, scheduler, outlet, now + first_poll_delay(outlet.name, outlet.every, len(outlets)))
    every = daemon.config.settings.delivery.every.total_seconds()
    scheduler.add_job(  # max_instances 2 on a one-thread executor: new alerts during a pass queue one more pass
        daemon.deliver, IntervalTrigger(seconds=every, timezone=dt.timezone.utc), id="deliveries",
        executor="delivery", next_run_time=now, misfire_grace_time=max(1, int(every)), max_instances=2,
    )
    scheduler.add_job(
        daemon.rules.current, IntervalTrigger(seconds=RULES_POLL.total_seconds(), timezone=dt.timezone.utc),
        id="rules", executor="rules", misfire_grace_time=int(RULES_POLL.total_seconds()),
    )
    scheduler.add_job(
        daemon.renew_leases, IntervalTrigger(seconds=LEASE_TTL.total_seconds() / 4, timezone=dt.timezone.utc),
        id="leases", misfire_grace_time=int(LEASE_TTL.total_seconds() / 4),
    )
    scheduler.add_job(
        daemon.request_match, IntervalTrigger(seconds=MATCH_EVERY.total_seconds(), timezone=dt.timezone.utc),
        id="matching", misfire_grace_time=int(MATCH_EVERY.total_seconds()),
    )
    scheduler.add_job(
        retention_job, IntervalTrigger(seconds=RETENTION_EVERY.total_seconds(), timezone=dt.timezone.utc), id="retention",
        executor="retention", args=[daemon.config.settings.archive.keep_raw, daemon.db], next_run_time=now, misfire_grace_time=int(RETENTION_EVERY.total_seconds()),
    )
    daemon.scheduler = scheduler
    return scheduler


def run_daemon(config: Config, db: Database, crawler_log_level: str = "WARNING", lock: DaemonLock | None = None) -> int:
    daemon = Daemon(config, db, crawler_log_level)
    scheduler = build_scheduler(daemon)
    operations = Operations(config, db, daemon, lock)
    daemon.operations = operations
    try:
        operations.start()  # one daemon per database; pending articles matched before the first crawl; /metrics
    except AlreadyRunning as exc:
        log.error("%s; not starting", exc)
        return EXIT_ALREADY_RUNNING

    def stop(signum: int, _frame: object) -> None:
        log.warning("signal %d: stopping (running crawls are cancelled and recorded)", signum)
        daemon.stopping.set()  # polls due from now on start no crawl
        scheduler.shutdown(wait=False)

    def reload(_signum: int, _frame: object) -> None:  # the work is done on a thread, not in the signal handler
        if not daemon.stopping.is_set():
            threading.Thread(target=_logged_reload, args=[daemon], name="config-reload", daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)
    log.warning("newswatch daemon started: %d outlet(s)", len(config.settings.outlets))
    daemon._engine()  # start the engine now: its imports overlap the wait for the first polls
    try:
        scheduler.start()
    finally:
        daemon.close()  # crawls cancelled and recorded first; the database lock goes last
        operations.stop()
        _exit_if_held_up(STOP_GRACE)
    return 0


def _exit_if_held_up(grace: dt.timedelta) -> None:
    """Leave the process within `grace` even when a send to a hanging channel is still in flight.

    Python waits for the delivery thread at exit, for as long as that channel's timeout. The send it
    cuts off is left claimed with no outcome: the next start counts it as interrupted, not failed,
    and sends it again with the same idempotency key.
    """

    def leave() -> None:
        busy = [t.name for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon and t.is_alive()]
        log.warning("stopping: still waiting for %s after %.0fs; leaving now (a send cut off here is sent again "
                    "with the same key at the next start)", ", ".join(busy) or "a thread", grace.total_seconds())
        logging.shutdown()
        os._exit(0)

    timer = threading.Timer(grace.total_seconds(), leave)
    timer.daemon = True
    timer.start()


def add_outlet_job(daemon: Daemon, scheduler: BaseScheduler, outlet: Outlet, first: dt.datetime) -> None:
    every = outlet.every.total_seconds()
    scheduler.add_job(
        daemon.crawl_outlet, IntervalTrigger(seconds=every, timezone=dt.timezone.utc), args=[outlet.name],
        id=f"outlet:{outlet.name}", executor="polls", misfire_grace_time=max(1, int(every)), next_run_time=first,
    )


def apply_schedule(daemon: Daemon, scheduler: BaseScheduler, old: Config, new: Config, change: ConfigChange) -> None:
    """The scheduler's jobs after a reload: outlet jobs added, removed or rescheduled; delivery and retention."""
    now = dt.datetime.now(dt.timezone.utc)
    for name in change.removed:
        scheduler.remove_job(f"outlet:{name}")
    for name in change.added:
        outlet = new.outlet(name)
        assert outlet is not None
        add_outlet_job(daemon, scheduler, outlet, now + first_poll_delay(name, outlet.every, len(change.added)))
    for name in change.changed:
        before, after = old.outlet(name), new.outlet(name)
        assert before is not None and after is not None
        if before.every != after.every:  # other changes are read at the next poll
            every = after.every.total_seconds()
            scheduler.reschedule_job(f"outlet:{name}", trigger=IntervalTrigger(seconds=every, timezone=dt.timezone.utc))
            scheduler.modify_job(f"outlet:{name}", misfire_grace_time=max(1, int(every)))
    if old.settings.delivery.every != new.settings.delivery.every:
        every = new.settings.delivery.every.total_seconds()
        scheduler.reschedule_job("deliveries", trigger=IntervalTrigger(seconds=every, timezone=dt.timezone.utc))
    scheduler.modify_job("retention", args=[new.settings.archive.keep_raw, daemon.db])


def _logged_reload(daemon: Daemon) -> None:
    try:
        daemon.reload_config()
    except Exception:
        log.exception("config reload failed; the running config stays in use")
