"""The outbox seen from the sending side: what is due, claiming a send, recording its result, retrying.

A send is claimed by pushing its next_attempt_at one lease ahead and stamping `claimed_at`, in its
own committed transaction, before anything goes out. A process killed mid-send therefore leaves
the delivery pending; it is sent again once the lease has passed, with the same idempotency key.
Only a recorded outcome (the channel's answer, or its own timeout) counts as an attempt: a claim
that finds an earlier claim still stamped counts that one as `interrupted` instead.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from newswatch.decisions import COOLDOWN, HOLD, SKIP, Decision
from storage.models import Alert, AlertDecision, Article, ChannelState, Delivery
from storage.types import utcnow


@dataclass(frozen=True)
class DigestItem:
    kind: str
    title: str
    outlet: str
    url: str
    published: dt.datetime | None
    snippet: str
    outlets: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


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
    kind: str = "story"  # story | followup | digest
    key: str = ""
    outlets: list[str] = field(default_factory=list)  # follow-up: the outlets it announces
    items: list[DigestItem] = field(default_factory=list)  # digest: its alerts


@dataclass(frozen=True)
class DeliveryRow:
    """One line of `newswatch alerts list`."""

    delivery_id: int
    alert_id: int
    kind: str
    watch_id: str
    title: str
    channel: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    interrupted: int = 0  # claims cut off by a crash (not attempts)


def _due(now: dt.datetime):
    return (Delivery.status == "pending") & or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)


def due_deliveries(session: Session, now: dt.datetime | None = None, limit: int = 200) -> list[OutgoingAlert]:
    """Pending deliveries whose time has come, oldest first."""
    now = now or utcnow()
    rows = session.execute(
        select(Delivery, Alert, Article).join(Alert, Delivery.alert_id == Alert.id)
        .outerjoin(Article, Alert.article_id == Article.id).where(_due(now)).order_by(Delivery.id).limit(limit)
    ).all()
    return [outgoing(session, delivery, alert, article) for delivery, alert, article in rows]


def outgoing(session: Session, delivery: Delivery, alert: Alert, article: Article | None) -> OutgoingAlert:
    """One delivery as a message needs it; `article` is the alert's (None for a digest)."""
    items: list[DigestItem] = []
    if alert.kind == "digest" and alert.items:
        members = session.execute(
            select(Alert, Article).join(Article, Alert.article_id == Article.id).where(Alert.id.in_(alert.items)).order_by(Alert.id)
        ).all()
        items = [
            DigestItem(kind=a.kind, title=art.title or art.canonical_url, outlet=art.outlet, url=art.canonical_url,
                       published=art.published, snippet=a.snippet, outlets=list(a.outlets), terms=list(a.terms))
            for a, art in members
        ]
    return OutgoingAlert(
        delivery_id=delivery.id, alert_id=alert.id, channel=delivery.channel, attempts=delivery.attempts,
        watch_id=alert.watch_id, watch_name=alert.watch_name, terms=list(alert.terms), snippet=alert.snippet,
        title=(article.title or article.canonical_url) if article else f"{len(items)} alert(s)",
        outlet=article.outlet if article else "", url=article.canonical_url if article else "",
        published=article.published if article else None, created_at=alert.created_at,
        authors=list(article.authors or []) if article else [], kind=alert.kind, key=alert.key,
        outlets=list(alert.outlets), items=items,
    )


def claim(session: Session, delivery_id: int, now: dt.datetime, lease: dt.timedelta) -> bool:
    """Take a due delivery for one send; False when it is no longer due (sent, failed, or claimed elsewhere)."""
    cut_off = case((Delivery.claimed_at.is_(None), 0), else_=1)  # the last claim never recorded an outcome
    result = session.execute(
        update(Delivery).where(Delivery.id == delivery_id, _due(now))
        .values(next_attempt_at=now + lease, claimed_at=now, last_attempt_at=now, interrupted=Delivery.interrupted + cut_off)
    )
    return result.rowcount == 1


def give_up_if_crashing(session: Session, delivery_id: int, limit: int) -> int | None:
    """A delivery whose sends were cut off by a crash `limit` times is `failed` (it may be what kills the process).

    Returns the number of cut-off sends when it gave up, else None.
    """
    delivery = session.get(Delivery, delivery_id)
    if delivery.interrupted < limit:
        return None
    delivery.status, delivery.next_attempt_at, delivery.claimed_at = "failed", None, None
    delivery.last_error = f"the process died during {delivery.interrupted} sends of this message; given up (alerts retry queues it again)"
    return delivery.interrupted


def mark_sent(session: Session, delivery_id: int, now: dt.datetime | None = None) -> None:
    delivery = session.get(Delivery, delivery_id)
    delivery.status, delivery.sent_at, delivery.next_attempt_at, delivery.last_error = "sent", now or utcnow(), None, None
    delivery.attempts, delivery.claimed_at = delivery.attempts + 1, None


def mark_failed_attempt(session: Session, delivery_id: int, error: str, retry_at: dt.datetime | None) -> str:
    """Record a failed send: pending again at `retry_at`, or `failed` for good when it is None."""
    delivery = session.get(Delivery, delivery_id)
    delivery.last_error = error[:2000]
    delivery.attempts, delivery.claimed_at = delivery.attempts + 1, None
    if retry_at is None:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = retry_at
    return delivery.status


def list_deliveries(session: Session, failed_only: bool = False, limit: int = 100) -> list[DeliveryRow]:
    query = (
        select(Delivery, Alert, Article).join(Alert, Delivery.alert_id == Alert.id)
        .outerjoin(Article, Alert.article_id == Article.id).order_by(Delivery.id.desc()).limit(limit)
    )
    if failed_only:
        query = query.where(Delivery.status == "failed")
    return [
        DeliveryRow(
            delivery_id=d.id, alert_id=a.id, kind=a.kind, watch_id=a.watch_id,
            title=(art.title or art.canonical_url) if art else f"digest of {len(a.items)} alert(s)",
            channel=d.channel, status=d.status, attempts=d.attempts, last_error=d.last_error,
            next_attempt_at=d.next_attempt_at, sent_at=d.sent_at, interrupted=d.interrupted,
        )
        for d, a, art in session.execute(query).all()
    ]


def retry_failed(session: Session, alert_ids: list[int] | None = None) -> int:
    """Put failed deliveries (of these alerts, or all) back in the queue with a fresh attempt count."""
    statement = update(Delivery).where(Delivery.status == "failed")
    if alert_ids is not None:
        statement = statement.where(Delivery.alert_id.in_(alert_ids))
    channels = select(Delivery.channel).where(statement.whereclause).distinct()
    # an operator's retry means now: the channels' own backoff is lifted too
    session.execute(update(ChannelState).where(ChannelState.channel.in_(channels)).values(backoff_until=None))
    return session.execute(statement.values(status="pending", attempts=0, interrupted=0, claimed_at=None, next_attempt_at=None)).rowcount or 0


@dataclass(frozen=True)
class ChannelSummary:
    channel: str
    counts: dict[str, int]  # status → deliveries
    last_sent_at: dt.datetime | None


def channel_summaries(session: Session) -> list[ChannelSummary]:
    """Per channel: deliveries by status and the time of the last accepted send."""
    counts: dict[str, dict[str, int]] = {}
    for channel, status, count in session.execute(
        select(Delivery.channel, Delivery.status, func.count()).group_by(Delivery.channel, Delivery.status)
    ).all():
        counts.setdefault(channel, {})[status] = count
    last = dict(session.execute(select(Delivery.channel, func.max(Delivery.sent_at)).group_by(Delivery.channel)).all())
    return [ChannelSummary(channel, counts[channel], last.get(channel)) for channel in sorted(counts)]


@dataclass(frozen=True)
class DecisionRow:
    """One line of `newswatch alerts list --suppressed`: a match that sent nothing, and why."""

    created_at: dt.datetime
    watch_id: str
    article_id: int
    outlet: str
    title: str
    url: str
    reason: str
    detail: str

    def describe(self) -> str:
        """The same sentence as the log's, `rules test`'s and `rules replay`'s."""
        return Decision(HOLD if self.reason == COOLDOWN else SKIP, self.reason, self.detail).describe()


def list_decisions(session: Session, limit: int = 100) -> list[DecisionRow]:
    """The most recent decisions not to send, newest first."""
    rows = session.execute(
        select(AlertDecision, Article).join(Article, AlertDecision.article_id == Article.id)
        .order_by(AlertDecision.id.desc()).limit(limit)
    ).all()
    return [
        DecisionRow(d.created_at, d.watch_id, d.article_id, art.outlet, art.title or art.canonical_url, art.canonical_url, d.reason, d.detail)
        for d, art in rows
    ]


def suppressed_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AlertDecision)) or 0
