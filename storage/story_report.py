"""Stories as plain data for `newswatch stories`: their articles, the watches that matched, what was sent and what waits."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.article_view import iso
from storage.models import Alert, Article, Delivery, StoryArticle, WatchStory

WAITING_STATUSES = ("pending", "held")


def story_reports(session: Session, watch: str | None = None, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Stories with an article that joined since `since` (and that `watch` matched), newest activity first."""
    latest = func.max(StoryArticle.joined_at)
    query = select(StoryArticle.story_id, latest).group_by(StoryArticle.story_id)
    if since is not None:
        query = query.having(latest >= since)
    if watch is not None:
        query = query.where(StoryArticle.story_id.in_(select(WatchStory.story_id).where(WatchStory.watch_id == watch)))
    order = [story_id for story_id, _ in sorted(session.execute(query).all(), key=lambda r: (r[1], r[0]), reverse=True)]
    if not order:
        return []
    members: dict[int, list[dict[str, Any]]] = {story_id: [] for story_id in order}
    for start in range(0, len(order), 500):
        chunk = order[start : start + 500]
        for row in session.execute(
            select(StoryArticle.story_id, StoryArticle.joined_at, StoryArticle.similarity, Article.id, Article.outlet,
                   Article.title, Article.canonical_url, Article.first_seen)
            .join(Article, Article.id == StoryArticle.article_id).where(StoryArticle.story_id.in_(chunk))
            .order_by(StoryArticle.joined_at, Article.id)
        ):
            members[row.story_id].append({"id": row.id, "outlet": row.outlet, "title": row.title, "url": row.canonical_url,
                                          "first_seen": iso(row.first_seen), "similarity": row.similarity})
    watches = _watches(session, order, watch)
    return [{"story": story_id, "title": (members[story_id][0]["title"] if members[story_id] else None),
             "articles": members[story_id], "watches": watches.get(story_id, [])} for story_id in order]


def _watches(session: Session, story_ids: list[int], only: str | None) -> dict[int, list[dict[str, Any]]]:
    """Per story: each watch that matched it, its alerts (with digests that took them in) and what still waits."""
    found: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(story_ids), 500):
        chunk = story_ids[start : start + 500]
        states = session.scalars(select(WatchStory).where(WatchStory.story_id.in_(chunk)).order_by(WatchStory.created_at))
        alerts = list(session.scalars(select(Alert).where(Alert.story_id.in_(chunk)).order_by(Alert.id)))
        outlets = dict(session.execute(select(Article.id, Article.outlet).where(Article.id.in_(
            [a.article_id for a in alerts if a.article_id is not None] or [0]))).all())
        digests = _digests_of(session, alerts)
        deliveries: dict[int, list[Delivery]] = {}
        wanted = [a.id for a in alerts] + [d.id for d in digests.values()]
        for delivery in session.scalars(select(Delivery).where(Delivery.alert_id.in_(wanted or [0])).order_by(Delivery.id)):
            deliveries.setdefault(delivery.alert_id, []).append(delivery)
        for state in states:
            if only is not None and state.watch_id != only:
                continue
            sent, waiting = [], []
            for alert in (a for a in alerts if a.story_id == state.story_id and a.watch_id == state.watch_id):
                channels = {d.channel: d.status for d in deliveries.get(alert.id, [])}
                digest = digests.get(alert.id)
                sent.append({"alert": alert.id, "kind": alert.kind, "outlet": outlets.get(alert.article_id),
                             "announced": list(alert.outlets or []), "created_at": iso(alert.created_at), "channels": channels,
                             "digest": None if digest is None else {
                                 "alert": digest.id, "created_at": iso(digest.created_at),
                                 "channels": {d.channel: d.status for d in deliveries.get(digest.id, [])}}})
                if digest is not None:
                    waiting += [f"digest {digest.id} to {d.channel} ({d.status})" for d in deliveries.get(digest.id, [])
                                if d.status in WAITING_STATUSES]
                waiting += [f"{alert.kind} alert {alert.id} to {channel} ({status})" for channel, status in channels.items()
                            if status in WAITING_STATUSES]
            if state.waiting:
                due = f", due {iso(state.followup_due_at)}" if state.followup_due_at else ""
                waiting.append(f"follow-up for {len(state.waiting)} article(s) from new outlets{due}")
            found.setdefault(state.story_id, []).append({
                "watch": state.watch_id, "matched": list(state.articles or []), "sent": sent, "waiting": waiting,
            })
    return found


def _digests_of(session: Session, alerts: list[Alert]) -> dict[int, Alert]:
    """The digest alert that took in each of these alerts (digests are made after the alerts they summarise)."""
    if not alerts:
        return {}
    since = min(a.created_at for a in alerts)
    found: dict[int, Alert] = {}
    ids = {a.id for a in alerts}
    for digest in session.scalars(select(Alert).where(Alert.kind == "digest", Alert.created_at >= since).order_by(Alert.id)):
        for item in digest.items or []:
            if item in ids:
                found[item] = digest
    return found


def story_watches(session: Session, story_ids: list[int], only: str | None = None) -> dict[int, list[dict[str, Any]]]:
    """Per story: each watch that matched it, what it sent (per channel) and what still waits (as `stories` shows)."""
    return _watches(session, story_ids, only)
