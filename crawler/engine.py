"""The crawl engine process: `python -m crawler.engine`, driven by JSON lines on stdin (crawler/protocol.py).

One process lives as long as its supervisor (monitor/engine_client.py) lets it: the asyncio
reactor stays up and each `poll` runs one OutletSpider on it through AsyncCrawlerRunner. Results go
back on stdout, one JSON line each; logs go to stderr. The engine exits when its stdin closes, when
told to drain and its crawls are done, or (Linux) when its parent dies (PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import IO, Any

from crawler.lifeline import die_with_parent
from crawler.protocol import Cancel, Drain, Ping, Poll, Pong, Ready, Result, Start, decode_to_engine, encode

log = logging.getLogger(__name__)
RESULT_STATS = ("downloader/", "item_", "newswatch/", "finish_reason")
ABANDON_SECONDS = 5.0  # a cancelled crawl still closing after this (a request that hangs) is reported and left to close
SHUTDOWN_ABANDON_SECONDS = 1.0  # the same when the engine stops: a daemon asked to stop exits well within 10 s


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of these processes, from /proc (0 where it cannot be read)."""
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
    return total


def _runner_class() -> type:
    from scrapy.crawler import AsyncCrawlerRunner, Crawler

    class Runner(AsyncCrawlerRunner):
        """AsyncCrawlerRunner that does not merge its settings a second time into a crawler it built itself.

        `crawl(crawler)` calls `create_crawler(crawler)`, which updates the crawler's settings with
        every one of the runner's: a no-op for a crawler copied from them, at about 1.4 ms a poll.
        """

        def create_crawler(self, crawler_or_spidercls: Any) -> Crawler:
            if isinstance(crawler_or_spidercls, Crawler) and getattr(crawler_or_spidercls, "newswatch_runner", None) is self:
                return crawler_or_spidercls
            crawler = super().create_crawler(crawler_or_spidercls)
            crawler.newswatch_runner = self
            return crawler

    return Runner


class Engine:
    """Polls in, results out, on the running reactor."""

    def __init__(self, start: Start, out: IO[bytes]) -> None:
        from crawler import settings as crawler_settings
        from crawler.extract_pool import ExtractPool, use_pool
        from crawler.signatures import install as cache_signatures

        cache_signatures()
        self.start, self.out = start, out
        workers = start.settings.extract_workers
        self.pool = ExtractPool((os.cpu_count() or 1) if workers is None else workers)
        use_pool(self.pool)
        self.runner = _runner_class()(
            crawler_settings.QuickCopySettings(crawler_settings.for_engine(start.settings, start.database, start.log_level))
        )
        self.running: dict[str, tuple[Any, asyncio.Task]] = {}  # poll id -> (crawler, task)
        self.polls: dict[str, Poll] = {}
        self.abandoned: set[str] = set()  # polls already reported as cancelled while their crawler still closes
        self.tasks: set[asyncio.Future] = set()  # strong references: the event loop keeps only weak ones
        self.draining = False
        self.done = asyncio.Event()
        self.slots = asyncio.Semaphore(start.settings.engine_concurrency)

    def send(self, message: Any) -> None:
        try:
            self.out.write(encode(message))
            self.out.flush()
        except (BrokenPipeError, ValueError):  # the supervisor is gone: nobody to report to
            self.shutdown()

    def handle(self, line: bytes) -> None:
        try:
            message = decode_to_engine(line)
        except ValueError as exc:
            log.error("engine: unreadable message ignored: %s", str(exc)[:200])
            return
        if isinstance(message, Poll):
            if self.draining:
                self.send(Result(poll_id=message.poll_id, outlet=message.outlet.name, finish_reason="engine_draining", recorded=False))
            else:
                task = asyncio.ensure_future(self.crawl(message))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        elif isinstance(message, Cancel):
            self.cancel(message.poll_id, message.reason)
        elif isinstance(message, Ping):
            self.send(Pong(seq=message.seq, rss_bytes=rss_bytes([os.getpid(), *self.pool.helper_pids()]), running=len(self.running)))
        elif isinstance(message, Drain):
            self.drain()

    def drain(self) -> None:
        self.draining = True
        if not self.running:
            self.done.set()

    async def crawl(self, poll: Poll) -> None:
        from crawler import settings as crawler_settings
        from crawler.spiders.outlet import OutletSpider

        loop = asyncio.get_running_loop()
        received = loop.time()
        async with self.slots:
            if loop.time() - received > poll.timeout:  # waited for a free slot longer than the poll may run
                self.send(Result(poll_id=poll.poll_id, outlet=poll.outlet.name, finish_reason="timeout", recorded=False, errors=[
                    {"kind": "timeout", "url": "", "message": f"waited {poll.timeout:g}s for one of crawler.engine_concurrency's slots"}]))
                return
            overrides = crawler_settings.for_outlet(poll.outlet, self.start.settings)
            spider_cls = OutletSpider if not overrides else type(
                f"OutletSpider_{poll.outlet.name}", (OutletSpider,), {"custom_settings": overrides}
            )
            crawler = self.runner.create_crawler(spider_cls)
            task = self.runner.crawl(crawler, outlet=poll.outlet.model_dump(mode="json"), cycle_id=poll.cycle_id)
            self.running[poll.poll_id] = (crawler, task)
            self.polls[poll.poll_id] = poll
            timer = loop.call_later(poll.timeout, self.cancel, poll.poll_id, "timeout")
            failure = None
            try:
                await task
            except Exception as exc:  # a crawl that failed to start or crashed: reported, the engine goes on
                failure = f"{type(exc).__name__}: {exc}"[:500]
            finally:
                timer.cancel()
                self.running.pop(poll.poll_id, None)
                self.polls.pop(poll.poll_id, None)
        if poll.poll_id in self.abandoned:
            self.abandoned.discard(poll.poll_id)
        else:
            self.send(self.result(poll, crawler, failure))
        if self.draining and not self.running:
            self.done.set()

    def result(self, poll: Poll, crawler: Any, failure: str | None) -> Result:
        spider = getattr(crawler, "spider", None)
        stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
        reason = str(stats.get("finish_reason") or "worker_failed")
        errors = list(getattr(spider, "errors", []))
        if failure:
            errors.append({"kind": "worker_failed", "url": "", "message": failure})
        kept = {k: v for k, v in stats.items() if k.startswith(RESULT_STATS) and isinstance(v, (int, float, str))}
        return Result(poll_id=poll.poll_id, outlet=poll.outlet.name, finish_reason=reason, stats=kept, errors=errors[:100],
                      recorded=bool(getattr(spider, "run_recorded", False)))

    def cancel(self, poll_id: str, reason: str, abandon_after: float = ABANDON_SECONDS) -> None:
        entry = self.running.get(poll_id)
        if entry is None:
            return
        crawler, _task = entry
        engine = getattr(crawler, "engine", None)
        if engine is not None and getattr(crawler, "spider", None) is not None:
            log.warning("engine: cancelling %s (%s)", crawler.spider.name, reason)
            asyncio.ensure_future(engine.close_spider_async(reason=reason))
        asyncio.get_running_loop().call_later(abandon_after, self.abandon, poll_id, reason)

    def abandon(self, poll_id: str, reason: str) -> None:
        """Report a cancelled crawl whose spider cannot close yet (a request hangs until its own timeout).

        The crawler finishes closing in the background, without its crawl_runs row (the
        scheduler writes it from this result), so the outlet's next poll is not held up.
        """
        entry, poll = self.running.pop(poll_id, None), self.polls.pop(poll_id, None)
        if entry is None or poll is None:
            return
        crawler, _task = entry
        spider = getattr(crawler, "spider", None)
        if spider is not None:
            spider.abandoned = True
        self.abandoned.add(poll_id)
        result = self.result(poll, crawler, None)
        result.finish_reason = reason
        result.recorded = False
        result.errors.append({"kind": reason, "url": "", "message": f"crawl cancelled after {poll.timeout:g}s; a request was still open"})
        self.send(result)
        if self.draining and not self.running:
            self.done.set()

    async def run(self, stdin: asyncio.StreamReader) -> None:
        self.send(Ready(pid=os.getpid(), extract_workers=self.pool.workers))
        reading = asyncio.ensure_future(self._read(stdin))
        await self.done.wait()
        reading.cancel()
        if self.running:
            await self.runner.stop()
        self.pool.close()

    async def _read(self, stdin: asyncio.StreamReader) -> None:
        while True:
            line = await stdin.readline()
            if not line:  # the supervisor is gone or closed the pipe: stop crawling
                self.shutdown()
                return
            self.handle(line)

    def shutdown(self) -> None:
        """Cancel every running crawl (each still records its crawl_runs row) and exit."""
        self.draining = True
        for poll_id in list(self.running):
            self.cancel(poll_id, "shutdown", SHUTDOWN_ABANDON_SECONDS)
        if not self.running:
            self.done.set()


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def _first_line() -> bytes:
    """The `start` message, read without buffering so the rest of stdin is left to the event loop."""
    line = bytearray()
    while not line.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            break
        line += chunk
    return bytes(line)


def _protocol_channel() -> IO[bytes]:
    """stdout carries only protocol lines: keep a private copy of it and point fd 1 at stderr."""
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return channel


def main() -> int:
    die_with_parent(int(os.environ.get("NEWSWATCH_ENGINE_PARENT", "0")) or None)
    out = _protocol_channel()
    first = _first_line()
    if not first:
        return 0
    start = decode_to_engine(first)
    if not isinstance(start, Start):
        print("engine: the first message must be `start`", file=sys.stderr)
        return 2

    from newswatch.secrets import MASKER, install_log_masking

    MASKER.add_url(start.database)
    install_log_masking()
    from scrapy.utils.log import configure_logging
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    from crawler import settings as crawler_settings

    logging_settings = crawler_settings.for_engine(start.settings, start.database, start.log_level)
    logging_settings["LOG_INSTALL_ROOT_HANDLER"] = start.log_format != "json"  # JSON: configure_worker_logging installs it
    configure_logging(logging_settings)
    from crawler.worker_logs import configure_worker_logging

    configure_worker_logging(start.log_level, start.log_format)  # the daemon's exported secrets masked; network errors without tracebacks
    from crawler import scrapy_costs

    scrapy_costs.install(start.log_level)
    exit_code = 0

    async def serve() -> None:
        engine = Engine(start, out)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):  # like stdin EOF: cancel the crawls, record them, exit
            loop.add_signal_handler(signum, engine.shutdown)
        await engine.run(await _stdin_reader())

    def stopped(outcome: Any) -> None:
        nonlocal exit_code
        if outcome is not None and hasattr(outcome, "getTraceback"):
            print(outcome.getTraceback(), file=sys.stderr)
            exit_code = 1
        reactor.stop()

    reactor.callWhenRunning(lambda: deferred_from_coro(serve()).addBoth(stopped))
    reactor.run(installSignalHandlers=False)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
