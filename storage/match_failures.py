"""Articles whose matching raised: recorded with the error, retried with backoff, then given up.

One article that makes matching raise must not stall matching for the others: it is skipped
until its retry time. After MAX_ATTEMPTS its pending flag is cleared (it is given up until a new
revision of it sets the flag again) and the record stays for `newswatch outlets` to show.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import Article, MatchFailure

MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY = dt.timedelta(hours=1)


def retry_delay(attempts: int) -> dt.timedelta:
    """1m, 2m, 4m, … up to 1h after the n-th failed attempt."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def articles_to_match(session: Session, limit: int = 200, after: int = 0, now: dt.datetime | None = None) -> list[Article]:
    """Pending articles, oldest first, leaving out those whose failed matching waits for its retry time."""
    query = select(Article).where(Article.match_pending.is_(True), Article.id > after)
    if now is not None:
        waiting = select(MatchFailure.article_id).where(MatchFailure.retry_at > now)
        query = query.where(Article.id.not_in(waiting))
    return list(session.scalars(query.order_by(Article.id).limit(limit)))


@dataclass(frozen=True)
class FailedMatch:
    article_id: int
    outlet: str
    kind: str
    message: str
    attempts: int
    retry_at: dt.datetime | None  # None: given up until the article changes


def record_match_failure(session: Session, article_id: int, kind: str, message: str, now: dt.datetime) -> FailedMatch | None:
    """Count a failed attempt and set the next retry (or give up); None when the article is gone."""
    article = session.get(Article, article_id)
    if article is None:
        return None
    failure = session.get(MatchFailure, article_id)
    if failure is None:
        failure = MatchFailure(article_id=article_id, outlet=article.outlet, attempts=0)
        session.add(failure)
    elif failure.retry_at is None:  # given up before; a new revision brought it back: one more try each time
        failure.attempts = MAX_ATTEMPTS - 1
    failure.attempts += 1
    failure.kind, failure.message, failure.failed_at = kind[:100], message[:2000], now
    if failure.attempts >= MAX_ATTEMPTS:
        failure.retry_at = None
        article.match_pending = False
    else:
        failure.retry_at = now + retry_delay(failure.attempts)
    session.flush()
    return FailedMatch(article_id, article.outlet, failure.kind, failure.message, failure.attempts, failure.retry_at)


def clear_match_failure(session: Session, article_id: int) -> None:
    session.execute(delete(MatchFailure).where(MatchFailure.article_id == article_id))


@dataclass(frozen=True)
class OutletMatchFailures:
    failing: int  # articles whose matching failed and will be retried
    given_up: int  # articles matching gave up on (until they change)
    last_kind: str | None
    last_message: str | None


def match_failures_by_outlet(session: Session) -> dict[str, OutletMatchFailures]:
    rows = session.execute(
        select(MatchFailure.outlet, MatchFailure.retry_at.is_(None), func.count()).group_by(MatchFailure.outlet, MatchFailure.retry_at.is_(None))
    ).all()
    counts: dict[str, list[int]] = {}
    for outlet, given_up, n in rows:
        counts.setdefault(outlet, [0, 0])[1 if given_up else 0] += n
    out = {}
    for outlet, (failing, given_up) in counts.items():
        last = session.execute(
            select(MatchFailure.kind, MatchFailure.message).where(MatchFailure.outlet == outlet)
            .order_by(MatchFailure.failed_at.desc()).limit(1)
        ).first()
        out[outlet] = OutletMatchFailures(failing, given_up, last[0] if last else None, last[1] if last else None)
    return out

