"""What `newswatch run` does beside crawling: one daemon per database, catching up on alerts at
start-up, the HTTP endpoint, and a housekeeping thread (source health, the per-minute log summary,
watching the config file).

The daemon calls `Operations.start()` before its scheduler starts and `stop()` when it ends.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from sqlalchemy import text as sql

from monitor.config import Config, load_config
from monitor.health import crawl_failed
from monitor.http_endpoint import HttpEndpoint, Response, text
from monitor.logsetup import SUMMARY_LOGGER
from monitor.metrics import CONTENT_TYPE, exposition
from monitor.source_health import Notice, check_sources
from newswatch.secrets import MASKER
from newswatch.yamlsource import ConfigError
from storage.daemon_lock import AlreadyRunning, DaemonLock
from storage.db import Database
from storage.operations import Poll, polls_between, sent_between

log = logging.getLogger(__name__)
summary_log = logging.getLogger(SUMMARY_LOGGER)
SUMMARY_EVERY = dt.timedelta(minutes=1)
CONFIG_POLL = dt.timedelta(seconds=2)


def tell_admins(config: Config, title: str, body: str) -> None:
    """A plain-text message to every `admin` channel; a failure is logged, never raised."""
    from monitor.delivery import send, url_for_send
    from monitor.render import Message

    for name in config.settings.admin:
        failure = send(url_for_send(config.settings.channels[name], None), Message(title, body, "text"))
        if failure:
            log.warning("could not tell admin channel %s (%s): %s", name, title, failure)


def summary_line(polls: list[Poll], sent: int, minutes: float) -> str | None:
    """One line for the log: outlets polled, new articles, alerts sent, failures by kind (None when idle)."""
    if not polls and not sent:
        return None
    failed = [p for p in polls if crawl_failed(p.finish_reason, p.stats)]
    kinds = Counter(e.get("kind", "error") for p in polls for e in p.errors)
    new = sum(int(p.stats.get("newswatch/articles_new", 0)) for p in polls)
    revised = sum(int(p.stats.get("newswatch/articles_revised", 0)) for p in polls)
    outlets = len({p.outlet for p in polls})
    line = (f"last {minutes:g} min: {len(polls)} poll(s) of {outlets} outlet(s), {len(failed)} failed; "
            f"{new} new and {revised} revised article(s); {sent} alert(s) sent")
    if kinds:
        line += "; errors: " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    return line


class Operations:
    def __init__(self, config: Config, db: Database, daemon, lock: DaemonLock | None = None) -> None:
        self.config, self.db, self.daemon = config, db, daemon
        self.lock = lock or DaemonLock(db)
        self.endpoint: HttpEndpoint | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._config_digest = _digest(config)
        self._config_reported: str | None = None
        self._config_broken = False

    def start(self) -> None:
        """Take the database unless `lock` already holds it (raises AlreadyRunning), catch up on alerts, start the rest."""
        if not self.lock.held:
            self.lock.acquire()
        self.lock.write_note()
        self.catch_up()
        address = self.config.settings.http.address
        if address is not None:
            endpoint = HttpEndpoint(address)
            for path, route in self.routes().items():
                endpoint.add_route(path, route)
            from monitor.web.serve import mount_web_view

            web = mount_web_view(endpoint, self.config, self.db)
            try:
                self.endpoint = endpoint.start()
                log.info("HTTP endpoint on http://%s:%d (/healthz, /readyz, /metrics%s)", address[0], endpoint.port,
                         ", the web view and its feeds" if web else "")
            except OSError as exc:
                log.error("cannot listen on %s (http.listen): %s; running without the HTTP endpoint", self.config.settings.http.listen, exc)
        self._thread = threading.Thread(target=self._housekeeping, name="housekeeping", daemon=True)
        self._thread.start()

    def catch_up(self) -> None:
        """Before the first crawl: match every pending article, so a daemon that keeps crashing still alerts.

        The delivery job runs as soon as the scheduler starts, on its own thread, beside the first crawls.
        """
        self.daemon.match()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1)  # a daemon thread: a slow admin send must not hold up the stop
        if self.endpoint is not None:
            self.endpoint.stop()
        self.lock.release()

    # -- HTTP ------------------------------------------------------------------------------------
    def routes(self) -> dict[str, Callable[[], Response]]:
        return {"/healthz": lambda: text(200, "ok"), "/readyz": self.readyz, "/metrics": self.metrics}

    def readyz(self) -> Response:
        problems = self.not_ready()
        return text(503, "not ready: " + "; ".join(problems)) if problems else text(200, "ready")

    def not_ready(self) -> list[str]:
        problems = []
        try:
            with self.db.engine.connect() as connection:
                connection.execute(sql("SELECT 1"))
        except Exception as exc:
            problems.append(f"database unreachable ({type(exc).__name__}: {MASKER.mask(str(exc)).splitlines()[0]})")
        if getattr(getattr(self.daemon, "rules", None), "matcher", None) is None:
            problems.append("no rules loaded")
        scheduler = getattr(self.daemon, "scheduler", None)
        if scheduler is None or not getattr(scheduler, "running", False):
            problems.append("scheduler not running")
        return problems

    def metrics(self) -> Response:
        return Response(200, exposition(self.db), CONTENT_TYPE)

    # -- housekeeping ------------------------------------------------------------------------------
    def _housekeeping(self) -> None:
        health_every = self.config.settings.health.check_every.total_seconds()
        next_health = next_summary = next_config = time.monotonic()
        window_start = dt.datetime.now(dt.timezone.utc)
        while not self._stop.wait(0.5):
            now = time.monotonic()
            for due, job in ((next_config, self.watch_config), (next_health, self.check_health)):
                if now >= due:
                    try:
                        job()
                    except Exception:
                        log.exception("%s failed", job.__name__)
            if now >= next_config:
                next_config = now + CONFIG_POLL.total_seconds()
            if now >= next_health:
                next_health = now + health_every
            if now >= next_summary + SUMMARY_EVERY.total_seconds():
                next_summary = now
                end = dt.datetime.now(dt.timezone.utc)
                try:
                    self.log_summary(window_start, end)
                except Exception:
                    log.exception("log summary failed")
                window_start = end

    def log_summary(self, start: dt.datetime, end: dt.datetime) -> None:
        with self.db.session() as session:
            polls, sent = polls_between(session, start, end), sent_between(session, start, end)
        line = summary_line(polls, sent, round((end - start).total_seconds() / 60, 1))
        if line:
            summary_log.info("%s", line)

    def check_health(self) -> None:
        def tell(notice: Notice) -> None:
            tell_admins(self.config, notice.title, notice.body)

        check_sources(self.db, self.config.settings.outlets, self.config.settings.health, tell)

    def watch_config(self) -> None:
        """The config file is watched: an edit is logged (it takes effect on restart or SIGHUP), a broken one is named."""
        digest = _digest(self.config)
        if digest == self._config_digest or digest == self._config_reported:
            return
        was_broken, self._config_reported = self._config_broken, digest
        try:
            load_config(self.config.path)
        except ConfigError as exc:
            self._config_broken = True
            log.error("config file %s changed and has errors (the running daemon keeps its config):\n%s", self.config.path, exc)
            tell_admins(self.config, "newswatch: config file has errors",
                        "An edit to the config file has errors; newswatch keeps its running config.\n\n" + str(exc))
            return
        self._config_broken = False
        if was_broken:
            tell_admins(self.config, "newswatch: config file is fixed", "The config file loads again; send SIGHUP (or restart) to apply it.")
        log.warning("config file %s changed; restart or SIGHUP to apply", self.config.path)

    def config_applied(self, config: Config) -> None:
        """Called after a reload (SIGHUP) took `config` into use."""
        self.config, self._config_digest, self._config_reported, self._config_broken = config, _digest(config), None, False


def _digest(config: Config) -> str:
    try:
        return hashlib.sha256(config.path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable: {exc}"


def take_database(db: Database) -> DaemonLock | None:
    """For `newswatch run`, before the migrations: the lock, or None (logged, naming the holder) when taken."""
    lock = DaemonLock(db)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        log.error("%s; not starting", exc)
        return None
    return lock
