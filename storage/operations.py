"""Read-only queries for operating the daemon: metrics at scrape time, the periodic log summary, source health."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Delivery, OutletState


@dataclass
class Snapshot:
    """Totals kept in the database, so they are right whichever process made them."""

    polls: dict[str, int] = field(default_factory=dict)  # outlet → crawl runs
    articles: dict[str, int] = field(default_factory=dict)  # outlet → articles archived
    revisions: dict[str, int] = field(default_factory=dict)  # outlet → later revisions of its articles
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status) → deliveries
    last_success: dict[str, dt.datetime | None] = field(default_factory=dict)  # outlet → last good crawl
    error_streak: dict[str, int] = field(default_factory=dict)


def snapshot(session: Session) -> Snapshot:
    shot = Snapshot()
    shot.polls = dict(session.execute(select(CrawlRun.outlet, func.count()).group_by(CrawlRun.outlet)).all())
    for outlet, count, revisions in session.execute(
        select(Article.outlet, func.count(), func.coalesce(func.sum(Article.revision_count - 1), 0)).group_by(Article.outlet)
    ).all():
        shot.articles[outlet], shot.revisions[outlet] = count, int(revisions)
    shot.deliveries = {
        (channel, status): count
        for channel, status, count in session.execute(
            select(Delivery.channel, Delivery.status, func.count()).group_by(Delivery.channel, Delivery.status)
        ).all()
    }
    for row in session.scalars(select(OutletState)):
        shot.last_success[row.outlet], shot.error_streak[row.outlet] = row.last_success_at, row.error_streak
    return shot


@dataclass(frozen=True)
class Poll:
    outlet: str
    finish_reason: str
    stats: dict
    errors: list[dict]


def polls_between(session: Session, start: dt.datetime, end: dt.datetime) -> list[Poll]:
    """Crawl runs that finished in [start, end)."""
    rows = session.scalars(
        select(CrawlRun).where(CrawlRun.finished_at >= start, CrawlRun.finished_at < end).order_by(CrawlRun.id)
    )
    return [Poll(r.outlet, r.finish_reason, dict(r.stats or {}), list(r.errors or [])) for r in rows]


def sent_between(session: Session, start: dt.datetime, end: dt.datetime) -> int:
    return session.scalar(select(func.count()).where(Delivery.sent_at >= start, Delivery.sent_at < end)) or 0


def recent_polls(session: Session, outlet: str, limit: int) -> list[Poll]:
    """The outlet's latest crawl runs, newest first."""
    rows = session.scalars(select(CrawlRun).where(CrawlRun.outlet == outlet).order_by(CrawlRun.id.desc()).limit(limit))
    return [Poll(r.outlet, r.finish_reason, dict(r.stats or {}), list(r.errors or [])) for r in rows]


def first_seen_times(session: Session, outlet: str, since: dt.datetime) -> list[dt.datetime]:
    """When each of the outlet's articles was first found, oldest first (its publishing cadence)."""
    return list(session.scalars(
        select(Article.first_seen).where(Article.outlet == outlet, Article.first_seen >= since).order_by(Article.first_seen)
    ))


def last_first_seen(session: Session, outlet: str) -> dt.datetime | None:
    return session.scalar(select(func.max(Article.first_seen)).where(Article.outlet == outlet))
