"""Extraction off the reactor: a small pool of processes running crawler.extract, one per core.

Why processes: trafilatura and lxml hold the GIL, so threads would not use the second core, and a
page that hangs inside C cannot be interrupted in a thread. Each worker bounds a page with
SIGALRM in its own main thread (crawler/timebox.py); a worker that does not come back within the
bound plus a grace is killed and the pool is rebuilt.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from crawler.extract import ExtractedArticle, ExtractTimeout, NotAnArticle, extract_article
from crawler.lifeline import die_with_parent

log = logging.getLogger(__name__)
GRACE_SECONDS = 5.0
MAX_TASKS_PER_WORKER = 2000  # a worker is replaced after this many pages: trafilatura's caches start afresh


def _worker_init(parent: int) -> None:
    die_with_parent(parent)


class ExtractPool:
    """`await pool.extract(...)` runs extract_article in a worker process; `workers=0` runs it in place."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init,
                initargs=(os.getpid(),), max_tasks_per_child=MAX_TASKS_PER_WORKER,
            )
        return self._pool

    def worker_pids(self) -> list[int]:
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}  # no public accessor before Python 3.14
        return [pid for pid in list(processes)]

    async def extract(
        self, body: bytes, url: str, content_type: str | None, timeout: float, exclude: tuple[str, ...] = (), via: str = ""
    ) -> ExtractedArticle:
        if self.workers == 0:
            return extract_article(body, url, content_type, timeout, exclude=exclude, via=via)
        call = partial(extract_article, body, url, content_type, timeout, exclude=exclude, via=via)
        try:
            future = self._executor().submit(call)
        except BrokenProcessPool:
            self._rebuild()
            future = self._executor().submit(call)
        bound = timeout + GRACE_SECONDS if timeout > 0 else None
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), bound)
        except asyncio.TimeoutError:
            log.warning("extraction of %s did not come back within %.0fs: restarting the extraction workers", url, bound)
            self._rebuild()
            raise ExtractTimeout(f"extraction took longer than {timeout:g}s") from None
        except BrokenProcessPool:
            self._rebuild()
            raise NotAnArticle("the extraction worker died on this page") from None

    def _rebuild(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for pid in list(getattr(pool, "_processes", None) or {}):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_current: ExtractPool | None = None


def use_pool(pool: ExtractPool) -> None:
    """The pool the archive pipeline extracts with in this process (set by the engine at start)."""
    global _current
    _current = pool


def current_pool() -> ExtractPool:
    global _current
    if _current is None:
        _current = ExtractPool(0)
    return _current
