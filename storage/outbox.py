"""Alerts and their deliveries: written with the match that causes them, sent later, never twice."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Alert, Article, Delivery
from storage.types import utcnow
from storage.upsert import insert_ignore


@dataclass(frozen=True)
class NewAlert:
    """A watch that matched an article, as the rules layer hands it over."""

    watch_id: str
    watch_name: str
    terms: list[str]
    snippet: str
    channels: list[str]


@dataclass(frozen=True)
class OutgoingAlert:
    """Everything a message needs, read back from the outbox."""

    delivery_id: int
    alert_id: int
    channel: str
    attempts: int
    watch_id: str
    watch_name: str
    terms: list[str]
    snippet: str
    title: str
    outlet: str
    url: str
    published: dt.datetime | None
    created_at: dt.datetime
    authors: list[str] = field(default_factory=list)


def articles_to_match(session: Session, limit: int = 200) -> list[Article]:
    return list(session.scalars(select(Article).where(Article.match_pending.is_(True)).order_by(Article.id).limit(limit)))


def record_matches(session: Session, article_id: int, alerts: list[NewAlert]) -> int:
    """Store the alerts for one article and clear its pending flag, in the caller's transaction.

    Returns how many alerts are new; an alert for the same (watch, article) is never made twice.
    """
    created = 0
    for alert in alerts:
        inserted = insert_ignore(
            session,
            Alert,
            {
                "watch_id": alert.watch_id,
                "watch_name": alert.watch_name,
                "article_id": article_id,
                "terms": alert.terms,
                "snippet": alert.snippet,
                "created_at": utcnow(),
            },
            keys=["watch_id", "article_id"],
        )
        if not inserted:
            continue
        created += 1
        alert_id = session.scalar(select(Alert.id).where(Alert.watch_id == alert.watch_id, Alert.article_id == article_id))
        rows = [{"alert_id": alert_id, "channel": c, "status": "pending", "attempts": 0} for c in dict.fromkeys(alert.channels)]
        insert_ignore(session, Delivery, rows, keys=["alert_id", "channel"])
    article = session.get(Article, article_id)
    article.match_pending = False
    return created


def pending_deliveries(session: Session, limit: int = 500) -> list[OutgoingAlert]:
    rows = session.execute(
        select(Delivery, Alert, Article)
        .join(Alert, Delivery.alert_id == Alert.id)
        .join(Article, Alert.article_id == Article.id)
        .where(Delivery.status == "pending")
        .order_by(Delivery.id)
        .limit(limit)
    ).all()
    return [
        OutgoingAlert(
            delivery_id=d.id,
            alert_id=a.id,
            channel=d.channel,
            attempts=d.attempts,
            watch_id=a.watch_id,
            watch_name=a.watch_name,
            terms=list(a.terms),
            snippet=a.snippet,
            title=art.title or art.canonical_url,
            outlet=art.outlet,
            url=art.canonical_url,
            published=art.published,
            created_at=a.created_at,
            authors=list(art.authors or []),
        )
        for d, a, art in rows
    ]


def mark_sent(session: Session, delivery_id: int) -> None:
    delivery = session.get(Delivery, delivery_id)
    now = utcnow()
    delivery.status, delivery.sent_at, delivery.last_attempt_at = "sent", now, now
    delivery.attempts += 1
    delivery.last_error = None


def mark_attempt_failed(session: Session, delivery_id: int, error: str) -> None:
    """The delivery stays pending: the next cycle tries again."""
    delivery = session.get(Delivery, delivery_id)
    delivery.attempts += 1
    delivery.last_attempt_at = utcnow()
    delivery.last_error = error[:2000]


def delivery_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
