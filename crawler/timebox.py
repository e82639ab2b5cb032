"""A wall-clock bound on a block of Python code, with SIGALRM (main thread of a POSIX process only).

Why a signal: trafilatura and lxml have no timeout of their own (trafilatura #704), and the crawl
worker runs extraction in its main thread (Twisted's reactor thread), so an interval timer can
interrupt it without threads or a process pool. The signal is handled between Python bytecodes:
a single long C call (one lxml parse) finishes first, which is why page size is capped too
(DOWNLOAD_MAXSIZE) — a capped page parses in well under a second.
"""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(Exception):
    """The block ran longer than its bound."""


def can_bound() -> bool:
    """True where time_limit really interrupts: the main thread, on a system with setitimer."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeLimitExceeded inside the block once `seconds` have passed (no bound when <= 0 or not can_bound())."""
    if seconds <= 0 or not can_bound():
        yield
        return

    def expired(_signum: int, _frame: object) -> None:
        raise TimeLimitExceeded(f"took longer than {seconds:g}s")

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, expired)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:  # an outer timer was running: give it back what is left of it
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), previous_interval)
