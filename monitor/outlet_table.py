"""`newswatch outlets`: each configured outlet's health as a table or as JSON."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from crawler.outlets import Outlet
from storage.crawlstate import new_articles_since, outlet_states
from storage.db import Database
from storage.match_failures import match_failures_by_outlet

WINDOW_DAYS = 7
COLUMNS = ("outlet", "last success", "error streak", "backoff until", "new/day (7d)", "last error", "match failures")


def outlet_rows(db: Database, outlets: list[Outlet], now: dt.datetime,
                count_new: Callable[[Session, dt.datetime], dict[str, int]] = new_articles_since) -> list[dict[str, Any]]:
    """One plain record per outlet: health from outlet_state, new articles per day over the last week (counted by `count_new`)."""
    with db.reading() as session:
        states = outlet_states(session)
        new = count_new(session, now - dt.timedelta(days=WINDOW_DAYS))
        failures = match_failures_by_outlet(session)
    rows = []
    for outlet in outlets:
        state = states.get(outlet.name)
        failed = failures.get(outlet.name)
        backoff = state.backoff_until if state and state.backoff_until and state.backoff_until > now else None
        rows.append(
            {
                "outlet": outlet.name,
                "last_success_at": _iso(state.last_success_at if state else None),
                "error_streak": state.error_streak if state else 0,
                "backoff_until": _iso(backoff),
                "new_per_day": round(new.get(outlet.name, 0) / WINDOW_DAYS, 1),
                "last_error_kind": state.last_error_kind if state else None,
                "crawled": state is not None,
                "match_failing": failed.failing if failed else 0,
                "match_given_up": failed.given_up if failed else 0,
                "last_match_error": f"{failed.last_kind}: {failed.last_message}" if failed else None,
            }
        )
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
    cells = [
        (
            row["outlet"],
            _short(row["last_success_at"]) if row["crawled"] else "never crawled",
            str(row["error_streak"]),
            _short(row["backoff_until"]),
            f"{row['new_per_day']:.1f}",
            row["last_error_kind"] or "-",
            _match_failures(row),
        )
        for row in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(COLUMNS)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths)).rstrip() for cell in cells]
    return "\n".join(lines)


def _match_failures(row: dict[str, Any]) -> str:
    """Articles whose matching raised: retried later, and given up (until they change); the last error."""
    if not (row["match_failing"] or row["match_given_up"]):
        return "-"
    return f"{row['match_failing']} retrying, {row['match_given_up']} given up ({row['last_match_error'][:80]})"


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds") if value else None


def _short(iso: str | None) -> str:
    return iso.replace("T", " ").replace("+00:00", "Z") if iso else "-"
