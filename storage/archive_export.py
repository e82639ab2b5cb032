"""`archive export`: the archive as JSON Lines that `archive import` (storage/archive_import.py) loads again, or CSV.

An export is written in dependency order: every article (with its revisions, raw pages and URLs),
then every story (with its articles' places and signatures), then every alert (with its
deliveries), then each watch's state per story.
"""
from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.article_view import iso
from storage.models import Alert, Article, ArticleUrl, Revision, Story, StoryArticle, WatchStory
from storage.watch_matches import watches_of

CSV_COLUMNS = ("id", "url", "canonical_url", "outlet", "title", "authors", "published", "language", "site_name",
               "first_seen", "fetched_at", "revisions", "story", "watches_matched", "watches_alerted", "text")


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


def article_records(session: Session, ids: list[int], full: bool = True) -> Iterator[dict[str, Any]]:
    """One record per article id (in this order); `full` adds revisions with raw pages, URLs and story place."""
    for start in range(0, len(ids), 200):
        chunk = ids[start : start + 200]
        articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(chunk)))}
        matched, alerted = watches_of(session, chunk)
        places = {p.article_id: p for p in session.scalars(select(StoryArticle).where(StoryArticle.article_id.in_(chunk)))}
        urls: dict[int, list[str]] = {}
        revisions: dict[int, list[Revision]] = {}
        if full:
            for article_id, url in session.execute(select(ArticleUrl.article_id, ArticleUrl.url).where(ArticleUrl.article_id.in_(chunk))):
                urls.setdefault(article_id, []).append(url)
            for revision in session.scalars(select(Revision).where(Revision.article_id.in_(chunk)).order_by(Revision.id)):
                revisions.setdefault(revision.article_id, []).append(revision)
        for article_id in chunk:
            a = articles[article_id]
            place = places.get(article_id)
            record: dict[str, Any] = {
                "record": "article", "id": a.id, "url": a.url, "canonical_url": a.canonical_url, "outlet": a.outlet,
                "title": a.title, "authors": list(a.authors or []), "published": iso(a.published), "language": a.language,
                "site_name": a.site_name, "text": a.text, "fetched_at": iso(a.fetched_at), "first_seen": iso(a.first_seen),
                "revisions": a.revision_count, "story": place.story_id if place else None,
                "watches_matched": matched[article_id], "watches_alerted": alerted[article_id],
            }
            if full:
                record.update({
                    "content_hash": a.content_hash, "removed_at": iso(a.removed_at), "next_revisit_at": iso(a.next_revisit_at),
                    "match_pending": a.match_pending, "urls": sorted(urls.get(article_id, [])),
                    "history": [{
                        "fetched_at": iso(r.fetched_at), "fetched_url": r.fetched_url, "http_status": r.http_status,
                        "content_type": r.content_type, "title": r.title, "text": r.text, "content_hash": r.content_hash,
                        "raw_html": _b64(r.raw_html), "raw_pruned_at": iso(r.raw_pruned_at),
                    } for r in revisions.get(article_id, [])],
                })
            yield record


def export_records(session: Session, ids: list[int] | None = None) -> Iterator[dict[str, Any]]:
    """The archive (or only the articles `ids`, with their stories and alerts) as export records."""
    if ids is None:
        ids = list(session.scalars(select(Article.id).order_by(Article.id)))
    chosen = set(ids)
    yield from article_records(session, ids)
    story_ids = sorted(set(session.scalars(select(StoryArticle.story_id).where(StoryArticle.article_id.in_(ids)))) if len(ids) < 30000
                       else {s for s, a in session.execute(select(StoryArticle.story_id, StoryArticle.article_id)) if a in chosen})
    for start in range(0, len(story_ids), 500):
        chunk = story_ids[start : start + 500]
        stories = {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(chunk)))}
        members: dict[int, list[StoryArticle]] = {}
        for place in session.scalars(select(StoryArticle).where(StoryArticle.story_id.in_(chunk)).order_by(StoryArticle.joined_at, StoryArticle.article_id)):
            if place.article_id in chosen:
                members.setdefault(place.story_id, []).append(place)
        for story_id in chunk:
            story = stories[story_id]
            yield {"record": "story", "id": story.id, "first_article": story.first_article_id, "created_at": iso(story.created_at),
                   "members": [{"article": p.article_id, "joined_at": iso(p.joined_at), "similarity": p.similarity,
                                "signature": _b64(p.signature), "shingles": p.shingles} for p in members.get(story_id, [])]}
    exported: set[int] = set()
    stories_kept = set(story_ids)
    for alert in session.scalars(select(Alert).order_by(Alert.id)).yield_per(500):
        if alert.article_id is not None and alert.article_id not in chosen:
            continue
        if alert.article_id is None and alert.story_id is not None and alert.story_id not in stories_kept:
            continue
        items = [i for i in alert.items or [] if i in exported]
        if alert.kind == "digest" and alert.items and not items:
            continue
        exported.add(alert.id)
        yield {"record": "alert", "id": alert.id, "watch": alert.watch_id, "watch_name": alert.watch_name,
               "article": alert.article_id, "story": alert.story_id, "kind": alert.kind, "key": alert.key,
               "terms": list(alert.terms or []), "snippet": alert.snippet, "created_at": iso(alert.created_at),
               "outlets": list(alert.outlets or []), "items": items,
               "deliveries": [{"channel": d.channel, "status": d.status, "attempts": d.attempts, "last_error": d.last_error,
                               "last_attempt_at": iso(d.last_attempt_at), "sent_at": iso(d.sent_at),
                               "next_attempt_at": iso(d.next_attempt_at)} for d in alert.deliveries]}
    for start in range(0, len(story_ids), 500):
        for state in session.scalars(select(WatchStory).where(WatchStory.story_id.in_(story_ids[start : start + 500]))
                                     .order_by(WatchStory.story_id, WatchStory.watch_id)):
            yield {"record": "watch_story", "watch": state.watch_id, "story": state.story_id,
                   "alert": state.alert_id if state.alert_id in exported else None,
                   "created_at": iso(state.created_at), "last_message_at": iso(state.last_message_at),
                   "articles": [a for a in state.articles or [] if a in chosen], "announced": list(state.announced or []),
                   "waiting": [a for a in state.waiting or [] if a in chosen], "followup_due_at": iso(state.followup_due_at),
                   "options": dict(state.options or {})}


def csv_row(record: dict[str, Any]) -> list[str]:
    """An article record as a CSV row (lists joined with `;`)."""
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return ";".join(str(v) for v in value)
        return str(value)

    return [cell(record.get(column)) for column in CSV_COLUMNS]
