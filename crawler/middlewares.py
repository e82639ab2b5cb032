"""Downloader middleware for hostile servers: honour Retry-After on 429/503, within the cycle."""
from __future__ import annotations

import datetime as dt
import email.utils
import time
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

from crawler.errors import Throttled
from crawler.guard import target_middlewares, target_settings
from crawler.job import CrawlSettings

THROTTLE_STATUSES = (429, 503)
RETRY_AFTER_PRIORITY = 560  # process_response runs before RetryMiddleware (550), after decompression (590)
WAITED = "newswatch_retry_after_waited"


def hostile_input_settings(settings: CrawlSettings) -> dict[str, Any]:
    """Scrapy settings for the limits in docs/robustness.md that are not plain Scrapy settings."""
    return {
        "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.RetryAfterMiddleware": RETRY_AFTER_PRIORITY, **target_middlewares()},
        **target_settings(settings.allow_private),
        "NEWSWATCH_RETRY_AFTER_MAX": settings.retry_after_max.total_seconds(),
        "NEWSWATCH_EXTRACT_TIMEOUT": settings.extract_timeout.total_seconds(),
    }


def parse_retry_after(value: str | bytes | None, now: dt.datetime) -> dt.datetime | None:
    """When a Retry-After header (delay in seconds, or an HTTP-date) lets us come back; None if unreadable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return now + dt.timedelta(seconds=min(int(text), 10 * 365 * 86400))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a date without a zone is read as UTC
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(when.astimezone(dt.timezone.utc), now)


class RetryAfterMiddleware:
    """A 429/503 with Retry-After: wait it out once when short, else give up for this cycle (Throttled).

    "Short" means at most NEWSWATCH_RETRY_AFTER_MAX and ending before the crawl's own time limit
    (CLOSESPIDER_TIMEOUT). Without a readable Retry-After the response passes on to Scrapy's
    RetryMiddleware as before.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("NEWSWATCH_RETRY_AFTER_MAX", 30.0)
        close_after = crawler.settings.getfloat("CLOSESPIDER_TIMEOUT", 0)
        self.deadline = time.monotonic() + close_after if close_after > 0 else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in THROTTLE_STATUSES:
            return response
        now = dt.datetime.now(dt.timezone.utc)
        until = parse_retry_after(response.headers.get(b"Retry-After"), now)
        if until is None:
            return response
        wait = (until - now).total_seconds()
        stats = self.crawler.stats
        within_cycle = self.deadline is None or time.monotonic() + wait < self.deadline
        if not request.meta.get(WAITED) and wait <= self.max_wait and within_cycle:
            stats.inc_value("newswatch/retry_after_waited")
            await sleep(max(wait, 0.0))
            retry = request.replace(dont_filter=True)
            retry.meta[WAITED] = True
            return retry
        stats.inc_value("newswatch/throttled")
        raise Throttled(response.status, until, request.url)
