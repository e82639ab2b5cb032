"""Crawl timing decisions as pure functions: conditional requests, revisits, outlet backoff."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence


def index_request_headers(
    etag: str | None,
    last_modified: str | None,
    last_full_fetch_at: dt.datetime | None,
    now: dt.datetime,
    full_fetch_every: dt.timedelta,
) -> dict[str, str]:
    """Validators to send for an index URL; none (a full fetch) when there are none or one is due."""
    if last_full_fetch_at is None or now - last_full_fetch_at >= full_fetch_every:
        return {}
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def next_revisit(first_seen: dt.datetime, schedule: Sequence[dt.timedelta], now: dt.datetime) -> dt.datetime | None:
    """The first point of the schedule (offsets from first seen) still ahead of `now`; None when done.

    Points that were missed (the daemon was down, the outlet was backing off) are skipped, not
    crawled one after another.
    """
    ahead = [first_seen + offset for offset in schedule if first_seen + offset > now]
    return min(ahead) if ahead else None


def backoff_delay(every: dt.timedelta, error_streak: int, cap: dt.timedelta) -> dt.timedelta:
    """How long an outlet is skipped after `error_streak` consecutive failed crawls: every × 2^streak, capped.

    The cap never makes a failing outlet polled more often than a healthy one: it is at least `every`.
    """
    if error_streak <= 0:
        return dt.timedelta(0)
    return min(every * (2 ** min(error_streak, 32)), max(cap, every))
