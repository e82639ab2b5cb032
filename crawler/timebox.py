"""A wall-clock bound on a block of Python code, with SIGALRM (main thread of a POSIX process only).

Why a signal: trafilatura and lxml have no timeout of their own (trafilatura #704), and the crawl
engine's extraction workers (or the engine itself, with `extract_workers: 0`) run extraction in their main thread, so an interval timer can
interrupt it without threads or a process pool. The signal is handled between Python bytecodes:
a single long C call (one lxml parse) finishes first, which is why page size is capped too
(DOWNLOAD_MAXSIZE) — a capped page parses in well under a second.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


REPEAT_SECONDS = 0.05
log = logging.getLogger(__name__)
_warned_unbounded = False


class TimeLimitExceeded(BaseException):
    """The block ran longer than its bound.

    A BaseException (like KeyboardInterrupt) so that libraries' `except Exception:` cannot swallow it —
    trafilatura wraps lxml parsing in one. The timer also repeats every REPEAT_SECONDS after expiry
    until the block exits, so even a bare `except:` only delays the interruption.
    """


def can_bound() -> bool:
    """True where time_limit really interrupts: the main thread, on a system with setitimer."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeLimitExceeded inside the block once `seconds` have passed (no bound when <= 0 or not can_bound())."""
    global _warned_unbounded
    if seconds > 0 and not can_bound() and not _warned_unbounded:
        _warned_unbounded = True
        log.warning("time limits need the main thread of a POSIX process; %s runs without one", threading.current_thread().name)
    if seconds <= 0 or not can_bound():
        yield
        return

    fired = False

    def expired(_signum: int, _frame: object) -> None:
        nonlocal fired
        fired = True
        raise TimeLimitExceeded(f"took longer than {seconds:g}s")

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, expired)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_SECONDS)
    try:
        yield
        if fired:  # raised, swallowed by the code inside, and the block still ended: report it anyway
            raise TimeLimitExceeded(f"took longer than {seconds:g}s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:  # an outer timer was running: give it back what is left of it
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), previous_interval)
