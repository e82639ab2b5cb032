"""Reading the archive back out: every article with the watches it matched."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Alert, Article


def iter_articles(session: Session, batch: int = 500) -> Iterator[dict[str, Any]]:
    """One plain dict per archived article, oldest first, streamed in batches."""
    last_id = 0
    while True:
        articles = list(session.scalars(select(Article).where(Article.id > last_id).order_by(Article.id).limit(batch)))
        if not articles:
            return
        ids = [a.id for a in articles]
        watches: dict[int, list[str]] = {}
        for article_id, watch_id in session.execute(
            select(Alert.article_id, Alert.watch_id).where(Alert.article_id.in_(ids)).order_by(Alert.id)
        ):
            watches.setdefault(article_id, []).append(watch_id)
        for a in articles:
            yield {
                "id": a.id,
                "url": a.url,
                "canonical_url": a.canonical_url,
                "outlet": a.outlet,
                "title": a.title,
                "authors": list(a.authors or []),
                "published": a.published.isoformat() if a.published else None,
                "language": a.language,
                "site_name": a.site_name,
                "text": a.text,
                "fetched_at": a.fetched_at.isoformat(),
                "first_seen": a.first_seen.isoformat(),
                "revisions": a.revision_count,
                "watches": watches.get(a.id, []),
            }
        last_id = ids[-1]
