"""One archived article with everything known about it, as plain data for `archive show`."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newswatch.textdiff import unified
from storage.models import Alert, Article, ArticleUrl, Delivery, Revision, StoryArticle
from storage.watch_matches import watches_of


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def article_detail(session: Session, article_id: int, diff: bool = False) -> dict[str, Any] | None:
    """The article, its URLs, story, watches, alerts and revisions (with text diffs when `diff`); None if unknown."""
    article = session.get(Article, article_id)
    if article is None:
        return None
    matched, alerted = watches_of(session, [article_id])
    placed = session.get(StoryArticle, article_id)
    story = None
    if placed is not None:
        members = session.execute(
            select(Article.id, Article.outlet, Article.title, Article.canonical_url, StoryArticle.joined_at, StoryArticle.similarity)
            .join(StoryArticle, StoryArticle.article_id == Article.id).where(StoryArticle.story_id == placed.story_id)
            .order_by(StoryArticle.joined_at, Article.id)
        ).all()
        story = {
            "id": placed.story_id,
            "similarity": placed.similarity,
            "articles": [{"id": m.id, "outlet": m.outlet, "title": m.title, "url": m.canonical_url, "joined": iso(m.joined_at),
                          "similarity": m.similarity} for m in members],
        }
    alerts = []
    for alert in session.scalars(select(Alert).where(Alert.article_id == article_id).order_by(Alert.id)):
        deliveries = session.scalars(select(Delivery).where(Delivery.alert_id == alert.id).order_by(Delivery.id))
        alerts.append({
            "id": alert.id, "watch": alert.watch_id, "kind": alert.kind, "created_at": iso(alert.created_at),
            "terms": list(alert.terms or []),
            "deliveries": [{"channel": d.channel, "status": d.status, "attempts": d.attempts, "sent_at": iso(d.sent_at)}
                           for d in deliveries],
        })
    revisions = list(session.scalars(select(Revision).where(Revision.article_id == article_id).order_by(Revision.id)))
    detail: dict[str, Any] = {
        "id": article.id, "title": article.title, "outlet": article.outlet, "url": article.url,
        "canonical_url": article.canonical_url, "authors": list(article.authors or []), "published": iso(article.published),
        "language": article.language, "site_name": article.site_name, "first_seen": iso(article.first_seen),
        "fetched_at": iso(article.fetched_at), "removed_at": iso(article.removed_at),
        "urls": sorted(session.scalars(select(ArticleUrl.url).where(ArticleUrl.article_id == article_id))),
        "story": story, "watches_matched": matched[article_id], "watches_alerted": alerted[article_id], "alerts": alerts,
        "revisions": [{"number": n, "fetched_at": iso(r.fetched_at), "url": r.fetched_url, "status": r.http_status,
                       "title": r.title, "content_hash": r.content_hash, "raw_bytes": len(r.raw_html or b""),
                       "raw_pruned_at": iso(r.raw_pruned_at)} for n, r in enumerate(revisions, 1)],
        "text": article.text,
    }
    if diff:
        for entry, revision in zip(detail["revisions"], revisions):
            entry["compared"] = _versioned(revision)
        detail["diffs"] = [
            {"from": n, "to": n + 1, "unified": unified(_versioned(old), _versioned(new), f"revision {n} ({iso(old.fetched_at)})",
                                                         f"revision {n + 1} ({iso(new.fetched_at)})")}
            for n, (old, new) in enumerate(zip(revisions, revisions[1:]), 1)
        ]
    return detail


def _versioned(revision: Revision) -> str:
    """A revision as compared: its title, then its text."""
    return f"{revision.title or ''}\n\n{revision.text}"
