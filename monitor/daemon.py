"""`newswatch run`: each outlet polled on its own schedule under APScheduler, until SIGTERM/SIGINT; SIGHUP reloads the config.

Polls go to one long-lived crawl engine (monitor/engine_client.py, crawler/engine.py); the
scheduler's job for an outlet only checks backoff, takes the outlet's lease and hands the poll over,
so it takes milliseconds. A poll that falls due while the outlet is still being crawled is dropped
(coalesced), never queued. Results are finished on their own thread; matching runs on another,
one pass at a time, whenever a crawl archived something. The rule-file check, delivery and
polling each have their own executor, so none waits behind another (the jobs: monitor/schedule.py;
the watch rules kept current: monitor/live_rules.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor as Pool
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler

from crawler.outlets import Outlet
from crawler.protocol import Poll, Result
from monitor.config import Config, load_config
from monitor.config_change import config_change
from monitor.crawl import OutletResult, describe_lease, engine_start, finish_poll, lease_in, new_poll
from monitor.delivery import deliver_due
from monitor.engine_client import DEAD_AFTER_SECONDS, CrawlEngine
from monitor.live_rules import LiveRules
from monitor.matching import match_pending
from monitor.operations import Operations, tell_admins
from monitor.schedule import apply_schedule, build_scheduler, start_first_polls
from newswatch.secrets import SECRETS_ENV
from newswatch.yamlsource import ConfigError
from storage.crawlstate import outlet_states
from storage.daemon_lock import AlreadyRunning, DaemonLock
from storage.db import Database
from storage.leases import Holder, release_lease, renew_leases

log = logging.getLogger(__name__)
ARCHIVED = ("newswatch/articles_new", "newswatch/articles_revised", "newswatch/articles_removed")
EXIT_ALREADY_RUNNING = 3
STOP_GRACE = dt.timedelta(seconds=5)  # after the stop steps, how long a send in flight may hold up the exit
ENGINE_READY_WAIT = DEAD_AFTER_SECONDS  # first polls wait this long at most for the engine to be ready


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
    daemon._engine()  # start the engine now; the first polls are spread from when it is ready
    threading.Thread(target=_first_polls_when_ready, args=[daemon, scheduler], name="first-polls", daemon=True).start()
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


def _first_polls_when_ready(daemon: Daemon, scheduler: BaseScheduler) -> None:
    """Start the outlet jobs once the engine is ready (or after ENGINE_READY_WAIT, when it cannot start:
    the polls then fail and are recorded as usual). Delivery and the rule-file check do not wait."""
    began = time.monotonic()
    engine = daemon.engine  # started by run_daemon; None once the daemon stops
    ready = engine is not None and engine.wait_ready(ENGINE_READY_WAIT)
    while not scheduler.running:  # its pending jobs are moved into its job store in start()
        if daemon.stopping.wait(0.05):
            return
    if daemon.stopping.is_set():
        return
    waited = time.monotonic() - began
    if ready:
        log.info("crawl engine ready after %.1fs; first polls spread from now", waited)
    else:
        log.warning("crawl engine not ready after %.0fs; polling anyway", waited)
    start_first_polls(scheduler, daemon.config, dt.datetime.now(dt.timezone.utc))


def _logged_reload(daemon: Daemon) -> None:
    try:
        daemon.reload_config()
    except Exception:
        log.exception("config reload failed; the running config stays in use")
