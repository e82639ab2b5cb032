"""Which watches matched an article, and which alerted on it (watch_stories and alerts)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Alert, StoryArticle, WatchStory


def articles_matched_by(session: Session, watch_id: str) -> frozenset[int]:
    """Every article the watch matched (each story it matched lists them)."""
    found: set[int] = set()
    for articles in session.scalars(select(WatchStory.articles).where(WatchStory.watch_id == watch_id)):
        found.update(int(a) for a in articles or [])
    found.update(session.scalars(select(Alert.article_id).where(Alert.watch_id == watch_id, Alert.article_id.is_not(None))))
    return frozenset(found)


def watches_of(session: Session, article_ids: Iterable[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """(watches that matched, watches that alerted) per article id, each list sorted."""
    ids = list(article_ids)
    matched: dict[int, set[str]] = {i: set() for i in ids}
    alerted: dict[int, set[str]] = {i: set() for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stories = select(StoryArticle.story_id).where(StoryArticle.article_id.in_(chunk))
        for watch_id, articles in session.execute(select(WatchStory.watch_id, WatchStory.articles).where(WatchStory.story_id.in_(stories))):
            for article_id in articles or []:
                if article_id in matched:
                    matched[article_id].add(watch_id)
        for article_id, watch_id in session.execute(select(Alert.article_id, Alert.watch_id).where(Alert.article_id.in_(chunk))):
            alerted[article_id].add(watch_id)
            matched[article_id].add(watch_id)
    return {i: sorted(w) for i, w in matched.items()}, {i: sorted(w) for i, w in alerted.items()}
