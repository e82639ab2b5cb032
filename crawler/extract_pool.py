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
import multiprocessing.forkserver
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from crawler.extract import ExtractedArticle, ExtractTimeout, NotAnArticle, extract_article, warm_up
from crawler.lifeline import die_with_parent

log = logging.getLogger(__name__)
GRACE_SECONDS = 5.0
MAX_TASKS_PER_WORKER = 2000  # a worker is replaced after this many pages: trafilatura's caches start afresh


def _worker_init(engine: int) -> None:
    """A worker exits when the engine does, however the engine ends (SIGKILL included).

    The worker's parent is the fork server, which itself only exits once every worker has closed
    its copy of the server's liveness pipe, so neither can wait for the other: each worker watches
    the engine's pid directly (a pidfd, which becomes readable when the process exits), and dies
    with the fork server too (PR_SET_PDEATHSIG).
    """
    die_with_parent()
    threading.Thread(target=_exit_with, args=(engine,), name="engine-watch", daemon=True).start()


def _start_fork_server() -> None:
    context = _context()
    if context.get_start_method() == "forkserver":
        try:
            multiprocessing.forkserver.ensure_running()
        except OSError:  # the first page will try again, and report it
            log.exception("could not start the extraction fork server")


def _exit_with(pid: int) -> None:
    try:
        watch = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd (not Linux, or before 5.3): look once a second
        while _alive(pid):
            time.sleep(1.0)
    else:
        select.select([watch], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _context() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server that imported crawler.extract and warmed trafilatura up once, instead of each
    importing it afresh and paying trafilatura's first-page set-up inside its first page's time bound.

    Never a plain fork of the engine: it runs a reactor and threads. Where there is no fork server
    (not POSIX), spawn.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["crawler.extract_warm"])  # crawler.extract imported and trafilatura warmed up
    return context


class ExtractPool:
    """`await pool.extract(...)` runs extract_article in a worker process; `workers=0` runs it in place.

    At most `workers` pages are in the workers at once; the others wait here, so a page's bound
    (its timeout plus a grace) counts from when a worker takes it, not from when it was handed in:
    a burst of pages on a slow machine waits, it does not time out. When the pool is rebuilt (a
    page overran its bound, or a worker died), the other pages that were in it are handed to the
    new pool again; a page whose worker dies twice is recorded as having killed it.
    """

    def __init__(self, workers: int, grace: float = GRACE_SECONDS) -> None:
        self.workers = workers
        if workers == 0:  # extraction in this process: its first page must not pay trafilatura's set-up either
            warm_up()
        self.grace = grace
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0  # counts rebuilds: a page tells its own pool's failure from an earlier one
        self._slots: asyncio.Semaphore | None = None
        self._preparing = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=_context(), initializer=_worker_init, initargs=(os.getpid(),),
                max_tasks_per_child=MAX_TASKS_PER_WORKER,
            )
        return self._pool

    def prepare(self) -> None:
        """Start the fork server now, in the background: pages are on their way (the spider found new articles).

        It imports trafilatura and warms it up (about a second) while those pages download,
        instead of after the first one has arrived.
        """
        if self.workers == 0 or self._pool is not None or self._preparing:
            return
        self._preparing = True
        threading.Thread(target=_start_fork_server, name="extract-fork-server", daemon=True).start()

    def worker_pids(self) -> list[int]:
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}  # no public accessor before Python 3.14
        return [pid for pid in list(processes)]

    def helper_pids(self) -> list[int]:
        """The workers and the fork server they come from: what counts towards the engine's memory."""
        server = getattr(getattr(multiprocessing.forkserver, "_forkserver", None), "_forkserver_pid", None) if self._pool else None
        return self.worker_pids() + ([server] if server else [])

    async def extract(
        self, body: bytes, url: str, content_type: str | None, timeout: float, exclude: tuple[str, ...] = (), via: str = ""
    ) -> ExtractedArticle:
        if self.workers == 0:
            return extract_article(body, url, content_type, timeout, exclude=exclude, via=via)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        call = partial(extract_article, body, url, content_type, timeout, exclude=exclude, via=via)
        bound = timeout + self.grace if timeout > 0 else None
        deaths = 0
        async with self._slots:
            while True:
                generation = self._generation
                try:
                    if len(self.worker_pids()) < self.workers:  # a worker to start: that waits for the fork server, never on the reactor
                        future = await asyncio.to_thread(self._executor().submit, call)
                    else:
                        future = self._executor().submit(call)
                except BrokenProcessPool:  # a worker died between pages: start afresh (at most twice, as below)
                    self._rebuild(generation)
                    deaths += 1
                    if deaths >= 2:
                        raise NotAnArticle("the extraction workers could not be started") from None
                    continue
                try:
                    return await asyncio.wait_for(asyncio.wrap_future(future), bound)
                except asyncio.TimeoutError:
                    log.warning("extraction of %s did not come back within %.0fs: restarting the extraction workers", url, bound)
                    self._rebuild(generation)
                    raise ExtractTimeout(f"extraction took longer than {timeout:g}s") from None
                except BrokenProcessPool:
                    if self._generation != generation:  # another page's overrun restarted the pool under this one
                        continue
                    self._rebuild(generation)
                    deaths += 1
                    if deaths >= 2:
                        raise NotAnArticle("the extraction worker died twice on this page") from None
                    log.warning("an extraction worker died while %s was in the pool: trying it again", url)

    def _rebuild(self, generation: int) -> None:
        """Kill the workers of pool `generation` and let the next page start new ones (once per generation)."""
        if generation != self._generation:
            return
        self._generation += 1
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
