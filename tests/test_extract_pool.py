"""The extraction pool with real worker processes: bursts wait instead of timing out, a dead worker loses no page."""
from __future__ import annotations

import asyncio
import os
import signal
import time

from crawler.extract_pool import ExtractPool
from tests.outlet_pages import article

PARAGRAPHS = (
    "The ferry from Kessel Bay left forty minutes late on Tuesday after a gull nested on the ramp controls.",
    "Harbour staff said the bird was moved to the breakwater, where a volunteer group keeps a watch on it.",
    "Passengers waiting on the pier were offered tea, and the captain thanked them for their patience.",
)


def page(n: int) -> bytes:
    return article(f"Ferry delayed, story {n}", PARAGRAPHS + (f"This is note number {n} of the day.",) * 40).encode()


async def burst(pool: ExtractPool, count: int, timeout: float, during=None) -> list[str]:
    warm = [pool.extract(page(0), f"http://127.0.0.1/warm/{n}", "text/html", 30) for n in range(pool.workers)]
    await asyncio.gather(*warm)  # the workers are up (their start is not what is tested)
    tasks = [asyncio.ensure_future(pool.extract(page(n), f"http://127.0.0.1/a/{n}", "text/html", timeout)) for n in range(count)]
    if during is not None:
        await during()
    return [article.title for article in await asyncio.gather(*tasks)]


def test_a_burst_larger_than_the_bound_waits_for_the_workers_and_loses_no_page() -> None:
    """Forty pages through one worker take longer than one page's bound (0.3 s + 0.2 s): none may time out."""
    pool = ExtractPool(1, grace=0.2)
    try:
        started = time.monotonic()
        titles = asyncio.run(burst(pool, 40, timeout=0.3))
        took = time.monotonic() - started
    finally:
        pool.close()
    assert titles == [f"Ferry delayed, story {n}" for n in range(40)]
    assert took > 0.5, "the burst must outlast one page's bound for this test to mean anything"


def test_pages_in_a_worker_that_is_killed_from_outside_are_extracted_again() -> None:
    pool = ExtractPool(2)

    async def kill_a_worker() -> None:
        await asyncio.sleep(0.05)
        pids = pool.worker_pids()
        assert pids
        os.kill(pids[0], signal.SIGKILL)

    try:
        titles = asyncio.run(burst(pool, 12, timeout=10, during=kill_a_worker))
        assert titles == [f"Ferry delayed, story {n}" for n in range(12)]
        assert pool._generation == 1  # the pool was rebuilt once, not once per page
    finally:
        pool.close()


def test_prepare_starts_the_fork_server_before_any_page_and_the_first_page_does_not_block_the_loop() -> None:
    import multiprocessing.forkserver

    multiprocessing.forkserver._forkserver._stop()  # a cold start, as in a new engine (earlier tests left one running)
    pool = ExtractPool(1)

    async def run() -> tuple[str, float]:
        pool.prepare()  # what the spider does when it finds new articles
        deadline = time.monotonic() + 30
        while getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert pool.worker_pids() == []  # the server only: workers are forked when pages come
        longest, last = 0.0, time.monotonic()

        async def tick() -> None:
            nonlocal longest, last
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                longest, last = max(longest, now - last), now

        ticker = asyncio.ensure_future(tick())
        article = await pool.extract(page(1), "http://127.0.0.1/a/1", "text/html", 30)
        ticker.cancel()
        return article.title, longest

    try:
        title, longest = asyncio.run(run())
    finally:
        pool.close()
    assert title == "Ferry delayed, story 1"
    # the fork server was still importing trafilatura when the page came: the first worker's start
    # waited for it in a thread, and the loop (the engine's reactor) kept turning meanwhile
    assert longest < 0.25, f"the event loop stood still for {longest:.2f}s"
