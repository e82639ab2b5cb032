"""Channel health in the database: a failing channel backs off as a whole; its recovery releases its queue."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ChannelState, Delivery
from storage.upsert import insert_ignore


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    error_streak: int
    backoff_until: dt.datetime | None
    last_error: str | None
    last_failure_at: dt.datetime | None
    last_success_at: dt.datetime | None


def channel_health(session: Session) -> dict[str, ChannelHealth]:
    return {
        row.channel: ChannelHealth(row.channel, row.error_streak, row.backoff_until, row.last_error, row.last_failure_at, row.last_success_at)
        for row in session.scalars(select(ChannelState))
    }


def channels_backing_off(session: Session, now: dt.datetime) -> dict[str, dt.datetime]:
    """Channels that must not be tried before the given time."""
    rows = session.execute(select(ChannelState.channel, ChannelState.backoff_until).where(ChannelState.backoff_until > now)).all()
    return dict(rows)


def record_channel_failure(session: Session, channel: str, error: str, now: dt.datetime, pause: dt.timedelta) -> int:
    """One more failure in a row; the channel is left alone until now + pause. Returns the streak."""
    row = _row(session, channel)
    row.error_streak = (row.error_streak or 0) + 1
    row.backoff_until, row.last_error, row.last_failure_at = now + pause, error[:2000], now
    return row.error_streak


def channel_streak(session: Session, channel: str) -> int:
    row = session.get(ChannelState, channel)
    return row.error_streak if row is not None else 0


def record_channel_success(session: Session, channel: str, now: dt.datetime) -> int | None:
    """The channel answered. If it was failing, every pending message for it is due at once.

    Returns how many waiting messages were released when this ends a failure streak, else None.
    """
    row = _row(session, channel)
    recovered = row.error_streak > 0
    row.error_streak, row.backoff_until, row.last_success_at = 0, None, now
    if not recovered:
        return None
    result = session.execute(
        update(Delivery).where(
            Delivery.channel == channel, Delivery.status == "pending", Delivery.claimed_at.is_(None), Delivery.next_attempt_at > now,
        ).values(next_attempt_at=None)
    )
    return result.rowcount or 0


def _row(session: Session, channel: str) -> ChannelState:
    """The channel's row, locked for this transaction (made first if missing; concurrent passes are fine)."""
    insert_ignore(session, ChannelState, {"channel": channel, "error_streak": 0}, keys=["channel"])
    return session.scalars(select(ChannelState).where(ChannelState.channel == channel).with_for_update()).one()
