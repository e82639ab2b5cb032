"""The daemon's side of the crawl engine: start it, hand it polls, read results, keep it healthy.

A supervisor thread pings each engine every few seconds. An engine that stops answering, or whose
poll outlives its timeout by more than a grace, is killed and started again; one past
`crawler.engine_max_memory` or `crawler.engine_max_age` is retired: a fresh engine takes new
polls while the old one finishes its running crawls and exits. Polls an engine took with it when
it died come back as `worker_failed` results, so each is recorded and its outlet polled again.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from crawler.protocol import Drain, Ping, Poll, Pong, Ready, Result, Start, decode_from_engine, encode
from monitor.metrics import ENGINE_RESTARTS

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 2.0  # how often each engine is pinged
DEAD_AFTER_SECONDS = 30.0  # no answer to pings for this long: the engine is killed and replaced
POLL_GRACE_SECONDS = 30.0  # a poll this long past its longest life (queued + running) means the engine is wedged
STOP_GRACE_SECONDS = 7.0  # an engine still running this long after its stdin closed is killed: a stop stays under 10 s
OnResult = Callable[[Result], None]


@dataclass
class Ticket:
    poll: Poll
    on_result: OnResult
    sent_at: float = field(default_factory=time.monotonic)


class EngineProcess:
    """One `python -m crawler.engine` child: its pipes, the polls it holds, and what it last said."""

    def __init__(self, start: Start) -> None:
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONUNBUFFERED": "1",
               "NEWSWATCH_ENGINE_PARENT": str(os.getpid())}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crawler.engine"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            start_new_session=True,  # terminal signals go to the daemon, which stops the engine in order
        )
        self.pid = self.process.pid
        self.started = time.monotonic()
        self.last_answer = self.started
        self.rss_bytes = 0
        self.ready = threading.Event()
        self.retiring = False
        self.tickets: dict[str, Ticket] = {}
        self._lock = threading.Lock()
        self._write(encode(start))
        self._reader = threading.Thread(target=self._read, name=f"engine-reader-{self.pid}", daemon=True)
        self._reader.start()

    def _write(self, data: bytes) -> bool:
        try:
            with self._lock:
                assert self.process.stdin is not None
                self.process.stdin.write(data)
                self.process.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError):
            return False

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def submit(self, ticket: Ticket) -> bool:
        with self._lock:
            self.tickets[ticket.poll.poll_id] = ticket
        if self._write(encode(ticket.poll)):
            return True
        with self._lock:
            self.tickets.pop(ticket.poll.poll_id, None)
        return False

    def ping(self, seq: int) -> None:
        self._write(encode(Ping(seq=seq)))

    def drain(self) -> None:
        self.retiring = True
        self._write(encode(Drain()))

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self, grace: float) -> None:
        """Close stdin (the engine cancels its crawls, records them and exits); SIGKILL after `grace` seconds."""
        with self._lock:
            try:
                if self.process.stdin is not None:
                    self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()
        self._reader.join(grace)

    def overdue(self, now: float) -> Ticket | None:
        with self._lock:
            for ticket in self.tickets.values():
                if now - ticket.sent_at > 2 * ticket.poll.timeout + POLL_GRACE_SECONDS:  # a queue wait, then the crawl
                    return ticket
        return None

    def in_flight(self) -> int:
        with self._lock:
            return len(self.tickets)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                message = decode_from_engine(line)
            except ValueError:
                log.warning("engine %d: unreadable line ignored", self.pid)
                continue
            self.last_answer = time.monotonic()
            if isinstance(message, Ready):
                self.ready.set()
            elif isinstance(message, Pong):
                self.rss_bytes = message.rss_bytes
            elif isinstance(message, Result):
                with self._lock:
                    ticket = self.tickets.pop(message.poll_id, None)
                if ticket is not None:
                    _deliver(ticket, message)
        self.process.stdout.close()
        status = self.process.wait()
        with self._lock:
            lost, self.tickets = list(self.tickets.values()), {}
        for ticket in lost:
            reason = f"crawl engine {self.pid} exited with status {status} during the crawl"
            _deliver(ticket, Result(
                poll_id=ticket.poll.poll_id, outlet=ticket.poll.outlet.name, finish_reason="worker_failed",
                errors=[{"kind": "worker_failed", "url": "", "message": reason}], recorded=False,
            ))


def _deliver(ticket: Ticket, result: Result) -> None:
    try:
        ticket.on_result(result)
    except Exception:
        log.exception("handling the result of %s failed", ticket.poll.outlet.name)


class CrawlEngine:
    """The supervisor: one current engine process, plus retiring ones finishing their crawls."""

    def __init__(self, start: Start) -> None:
        self.start_message = start
        self.max_age = start.settings.engine_max_age.total_seconds()
        self.max_memory = start.settings.engine_max_memory
        self.current: EngineProcess | None = None
        self.retiring: list[EngineProcess] = []
        self.restarts = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._seq = 0
        self._supervisor = threading.Thread(target=self._supervise, name="engine-supervisor", daemon=True)

    def start(self) -> CrawlEngine:
        with self._lock:
            self.current = self._spawn()
        self._supervisor.start()
        return self

    def _spawn(self) -> EngineProcess:
        engine = EngineProcess(self.start_message)
        log.info("crawl engine started (pid %d)", engine.pid)
        return engine

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the current engine has said Ready (True), for `timeout` seconds at most, or until a stop."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0 and not self._stopping.is_set():
            with self._lock:
                current = self.current
            if current is None:
                return False
            if current.ready.wait(min(left, 0.5)):
                return True
        return False

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [e.pid for e in ([self.current] if self.current else []) + self.retiring]

    def submit(self, poll: Poll, on_result: OnResult) -> None:
        """Hand a poll to the engine; `on_result` gets its Result on a reader thread (it must return quickly)."""
        ticket = Ticket(poll, on_result)
        with self._lock:
            if self._stopping.is_set():
                engine = None
            else:
                if self.current is None or not self.current.alive:
                    self._replace_current("the crawl engine had exited")
                engine = self.current
        if engine is None or not engine.submit(ticket):
            _deliver(ticket, Result(poll_id=poll.poll_id, outlet=poll.outlet.name, finish_reason="worker_failed",
                                    errors=[{"kind": "worker_failed", "url": "", "message": "the crawl engine is not running"}],
                                    recorded=False))

    def renew(self, why: str) -> None:
        """A planned replacement: a new engine (started with this process's current environment) takes
        the new polls, the old one finishes its running crawls and exits."""
        with self._lock:
            if not self._stopping.is_set():
                self._replace_current(why, retire=True)

    def _replace_current(self, why: str, retire: bool = False) -> None:
        """Start a new current engine (caller holds the lock); the old one retires or is killed."""
        old = self.current
        self.current = self._spawn()
        self.restarts += 1
        if old is None:
            return
        log.warning("crawl engine %d replaced by %d: %s", old.pid, self.current.pid, why)
        if not retire:  # a failure, not a planned replacement (memory ceiling, age)
            ENGINE_RESTARTS.inc()
        if retire and old.alive:
            old.drain()
            self.retiring.append(old)
        else:
            old.kill()

    def _supervise(self) -> None:
        while not self._stopping.wait(HEARTBEAT_SECONDS):
            now = time.monotonic()
            with self._lock:
                if self._stopping.is_set():
                    return
                engine = self.current
                assert engine is not None
                if not engine.alive:
                    self._replace_current(f"it exited with status {engine.process.returncode}")
                elif now - engine.last_answer > DEAD_AFTER_SECONDS:
                    self._replace_current(f"no answer for {now - engine.last_answer:.0f}s")
                elif (ticket := engine.overdue(now)) is not None:
                    self._replace_current(f"the crawl of {ticket.poll.outlet.name} is long overdue")
                elif engine.rss_bytes > self.max_memory:
                    self._replace_current(f"resident memory {engine.rss_bytes / 2**20:.0f} MiB passed crawler.engine_max_memory", retire=True)
                elif now - engine.started > self.max_age:
                    self._replace_current("it reached crawler.engine_max_age", retire=True)
                for old in list(self.retiring):
                    if not old.alive:
                        self.retiring.remove(old)
                    elif now - old.last_answer > DEAD_AFTER_SECONDS or old.overdue(now) is not None:
                        old.kill()
                self._seq += 1
                for each in [self.current, *self.retiring]:
                    each.ping(self._seq)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop every engine: running crawls are cancelled and recorded; SIGKILL after `grace`."""
        self._stopping.set()
        with self._lock:
            engines = [e for e in [self.current, *self.retiring] if e is not None]
            self.current, self.retiring = None, []
        for engine in engines:
            engine.close(grace)
