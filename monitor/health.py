"""Outlet health across cycles: what counts as a failed crawl, exponential backoff, who is due.

The decisions are pure functions on plain data (table-tested); `record_health` and `due_outlets`
are the thin layer that reads and writes `outlet_state`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crawler.outlets import Outlet
from crawler.schedule import backoff_delay
from storage.crawlstate import outlet_states, save_outlet_state
from storage.db import Database
from sqlalchemy.orm import Session

THROTTLED = "throttled"  # crawl_runs error kind: {"kind": "throttled", "retry_after": "<ISO-8601 UTC>"}


@dataclass(frozen=True)
class Health:
    error_streak: int = 0
    last_success_at: dt.datetime | None = None
    last_failure_at: dt.datetime | None = None
    backoff_until: dt.datetime | None = None
    last_error_kind: str | None = None


def crawl_failed(finish_reason: str, stats: dict[str, Any]) -> bool:
    """A whole-outlet failure: the crawl did not finish (the engine died, the crawl timed out) or no index could be read.

    Indexes refused by the target policy (`blocked_target`) are the outlet's content, not the outlet
    being down: when every index that failed was refused, the crawl does not count as failed.
    """
    if finish_reason != "finished":
        return True
    failed, blocked = int(stats.get("newswatch/indexes_failed", 0)), int(stats.get("newswatch/indexes_blocked", 0))
    return int(stats.get("newswatch/indexes_ok", 0)) == 0 and not 0 < failed <= blocked


def retry_after(errors: Iterable[dict[str, Any]]) -> dt.datetime | None:
    """The latest time a server asked us to come back at (throttled errors), if any."""
    times = []
    for error in errors:
        if error.get("kind") != THROTTLED or not error.get("retry_after"):
            continue
        try:
            when = dt.datetime.fromisoformat(str(error["retry_after"]).replace("Z", "+00:00"))
        except ValueError:
            continue
        times.append(when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc))
    return max(times) if times else None


def next_health(
    previous: Health,
    *,
    failed: bool,
    started_at: dt.datetime,
    errors: list[dict[str, Any]],
    finish_reason: str,
    every: dt.timedelta,
    cap: dt.timedelta,
) -> Health:
    """The outlet's health after one crawl: a failure doubles the pause, a success clears it.

    Either way the outlet is not crawled before a server's Retry-After time.
    """
    last_kind = errors[-1]["kind"] if errors else (finish_reason if failed else previous.last_error_kind)
    if failed:
        streak = previous.error_streak + 1
        until = started_at + backoff_delay(every, streak, cap)
        success, failure = previous.last_success_at, started_at
    else:
        streak, until = 0, None
        success, failure = started_at, previous.last_failure_at
    asked = retry_after(errors)
    if asked is not None and (until is None or asked > until):
        until = asked
    return Health(streak, success, failure, until, last_kind)


def record_health(db: Database, outlets: dict[str, Outlet], results: Iterable[Any], started_at: dt.datetime, cap: dt.timedelta) -> None:
    """Update each crawled outlet's state from its result (monitor.crawl.OutletResult)."""
    with db.session() as session:
        update_health(session, outlets, results, started_at, cap)


def update_health(
    session: Session, outlets: dict[str, Outlet], results: Iterable[Any], started_at: dt.datetime, cap: dt.timedelta
) -> dict[str, Health]:
    """record_health inside the caller's transaction; returns each outlet's new health."""
    states = outlet_states(session, list(outlets))
    saved: dict[str, Health] = {}
    for result in results:
        outlet = outlets[result.outlet]
        row = states.get(result.outlet)
        previous = Health(row.error_streak, row.last_success_at, row.last_failure_at, row.backoff_until, row.last_error_kind) if row else Health()
        health = next_health(
            previous,
            failed=crawl_failed(result.finish_reason, result.stats),
            started_at=started_at,
            errors=result.errors,
            finish_reason=result.finish_reason,
            every=outlet.every,
            cap=cap,
        )
        save_outlet_state(session, result.outlet, **health.__dict__)
        saved[result.outlet] = health
    return saved


def due_outlets(db: Database, outlets: list[Outlet], now: dt.datetime) -> tuple[list[Outlet], list[tuple[Outlet, dt.datetime, int]]]:
    """Outlets that may be crawled now, and those backing off (with the time and the failure streak)."""
    with db.reading() as session:
        states = outlet_states(session, [o.name for o in outlets])
    due, waiting = [], []
    for outlet in outlets:
        state = states.get(outlet.name)
        if state is not None and state.backoff_until is not None and state.backoff_until > now:
            waiting.append((outlet, state.backoff_until, state.error_streak))
        else:
            due.append(outlet)
    return due, waiting
