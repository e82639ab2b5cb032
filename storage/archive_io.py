"""`archive export` and `archive import`: the whole archive as JSON Lines that another database can load.

An export is written in dependency order: every article (with its revisions, raw pages and URLs),
then every story (with its articles' places and signatures), then every alert (with its
deliveries), then each watch's state per story. Import reads it in one pass. Ids are kept when the
target archive is empty; otherwise they are renumbered, and an article (by canonical URL) or an
alert (by idempotency key) that is already there is left as it is.
"""
from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from newswatch.fingerprint import fingerprint
from storage.article_view import iso
from storage.db import Database
from storage.archive import key_of
from storage.models import Alert, Article, ArticleUrl, Delivery, Revision, Story, StoryArticle, StoryBand, WatchStory
from storage.search import index_article
from storage.upsert import insert_ignore
from storage.watch_matches import watches_of

CSV_COLUMNS = ("id", "url", "canonical_url", "outlet", "title", "authors", "published", "language", "site_name",
               "first_seen", "fetched_at", "revisions", "story", "watches_matched", "watches_alerted", "text")
KEPT_IDS = ("articles", "stories", "alerts")


class ImportError_(ValueError):
    """An export line that cannot be imported; the message names the line."""


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


def _unb64(value: str | None) -> bytes | None:
    return None if value is None else base64.b64decode(value)


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


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


@dataclass
class ImportReport:
    articles: int = 0
    already_there: int = 0
    revisions: int = 0
    stories: int = 0
    alerts: int = 0
    deliveries: int = 0
    watch_states: int = 0
    kept_ids: bool = False
    ids: dict[str, dict[int, int]] = field(default_factory=lambda: {"articles": {}, "stories": {}, "alerts": {}})


class Importer:
    """Loads export records in order, in the caller's session; ids are renumbered unless the archive was empty."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.report = ImportReport(kept_ids=session.scalar(select(func.count()).select_from(Article)) == 0)

    def add(self, record: dict[str, Any]) -> None:
        kind = record.get("record", "article")
        handler = {"article": self._article, "story": self._story, "alert": self._alert, "watch_story": self._watch_story}.get(kind)
        if handler is None:
            raise ImportError_(f"unknown record kind {kind!r}")
        if kind == "article" and "history" not in record:
            raise ImportError_("an article without `history`: this looks like a CSV or an old export, which cannot be imported")
        handler(record)

    def _new_id(self, old: int) -> int | None:
        return old if self.report.kept_ids else None

    def _article(self, r: dict[str, Any]) -> None:
        s, ids = self.session, self.report.ids["articles"]
        existing = s.scalar(select(Article.id).where(Article.url_key == key_of(r["canonical_url"])))
        if existing is not None:
            ids[r["id"]] = existing
            self.report.already_there += 1
            return
        article = Article(
            id=self._new_id(r["id"]), url_key=key_of(r["canonical_url"]), canonical_url=r["canonical_url"],
            url=r["url"], outlet=r["outlet"], title=r["title"], authors=r.get("authors") or [], published=_time(r.get("published")),
            language=r.get("language"), site_name=r.get("site_name"), text=r.get("text") or "", content_hash=r["content_hash"],
            first_seen=_time(r["first_seen"]), fetched_at=_time(r["fetched_at"]), revision_count=r.get("revisions") or 1,
            match_pending=bool(r.get("match_pending")), next_revisit_at=_time(r.get("next_revisit_at")),
            removed_at=_time(r.get("removed_at")),
        )
        s.add(article)
        s.flush()
        ids[r["id"]] = article.id
        for h in r["history"]:
            s.add(Revision(
                article_id=article.id, fetched_at=_time(h["fetched_at"]), fetched_url=h["fetched_url"], http_status=h["http_status"],
                content_type=h.get("content_type"), raw_html=_unb64(h.get("raw_html")) or b"", title=h.get("title"), text=h["text"],
                content_hash=h["content_hash"], raw_pruned_at=_time(h.get("raw_pruned_at")),
            ))
            self.report.revisions += 1
        urls = list(dict.fromkeys([r["canonical_url"], *r.get("urls", [])]))
        insert_ignore(s, ArticleUrl, [{"url_key": key_of(u), "url": u, "article_id": article.id} for u in urls], keys=["url_key"])
        for h in r["history"]:
            found = fingerprint(h["text"] or "")
            if found is not None:
                insert_ignore(s, StoryBand, [{"band": b, "article_id": article.id} for b in found.bands()], keys=["band", "article_id"])
        index_article(s, article.id, article.title, article.text)
        self.report.articles += 1

    def _story(self, r: dict[str, Any]) -> None:
        s, articles = self.session, self.report.ids["articles"]
        members = [m for m in r["members"] if m["article"] in articles and s.get(StoryArticle, articles[m["article"]]) is None]
        placed_before = [articles[m["article"]] for m in r["members"] if m["article"] in articles and m not in members]
        if not members:
            if placed_before:
                self.report.ids["stories"][r["id"]] = s.get(StoryArticle, placed_before[0]).story_id
            return
        first = articles.get(r["first_article"], articles[members[0]["article"]])
        story = Story(id=self._new_id(r["id"]), first_article_id=first, created_at=_time(r["created_at"]))
        s.add(story)
        s.flush()
        self.report.ids["stories"][r["id"]] = story.id
        for m in members:
            s.add(StoryArticle(article_id=articles[m["article"]], story_id=story.id, joined_at=_time(m["joined_at"]),
                               similarity=m.get("similarity"), signature=_unb64(m.get("signature")), shingles=m.get("shingles") or 0))
        self.report.stories += 1

    def _alert(self, r: dict[str, Any]) -> None:
        s, ids = self.session, self.report.ids
        existing = s.scalar(select(Alert.id).where(Alert.key == r["key"]))
        if existing is not None:
            ids["alerts"][r["id"]] = existing
            return
        alert = Alert(
            id=self._new_id(r["id"]), watch_id=r["watch"], watch_name=r["watch_name"],
            article_id=ids["articles"].get(r["article"]) if r.get("article") is not None else None,
            story_id=ids["stories"].get(r["story"]) if r.get("story") is not None else None, kind=r["kind"], key=r["key"],
            terms=r.get("terms") or [], snippet=r.get("snippet") or "", created_at=_time(r["created_at"]),
            outlets=r.get("outlets") or [], items=[ids["alerts"][i] for i in r.get("items") or [] if i in ids["alerts"]],
        )
        s.add(alert)
        s.flush()
        ids["alerts"][r["id"]] = alert.id
        for d in r.get("deliveries") or []:
            s.add(Delivery(alert_id=alert.id, channel=d["channel"], status=d["status"], attempts=d.get("attempts") or 0,
                           last_error=d.get("last_error"), last_attempt_at=_time(d.get("last_attempt_at")),
                           sent_at=_time(d.get("sent_at")), next_attempt_at=_time(d.get("next_attempt_at"))))
            self.report.deliveries += 1
        self.report.alerts += 1

    def _watch_story(self, r: dict[str, Any]) -> None:
        ids = self.report.ids
        story = ids["stories"].get(r["story"])
        if story is None:
            return
        articles = ids["articles"]
        self.report.watch_states += insert_ignore(self.session, WatchStory, {
            "watch_id": r["watch"], "story_id": story, "alert_id": ids["alerts"].get(r["alert"]) if r.get("alert") else None,
            "created_at": _time(r["created_at"]), "last_message_at": _time(r["last_message_at"]),
            "articles": [articles[a] for a in r.get("articles") or [] if a in articles], "announced": r.get("announced") or [],
            "waiting": [articles[a] for a in r.get("waiting") or [] if a in articles],
            "followup_due_at": _time(r.get("followup_due_at")), "options": r.get("options") or {},
        }, keys=["watch_id", "story_id"])

    def finish(self) -> ImportReport:
        """After explicit ids on PostgreSQL, move each id sequence past the largest id."""
        if self.report.kept_ids and self.session.get_bind().dialect.name == "postgresql":
            for table in KEPT_IDS:
                self.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"))
        return self.report


def import_records(db: Database, records: Iterable[dict[str, Any]], progress: Callable[[int], None] | None = None,
                   batch: int = 500) -> ImportReport:
    """Load export records, committing every `batch` records; a bad record stops the import with its line number.

    What was committed before a bad record stays, and importing the same file again skips it.
    """
    numbered = enumerate(records, 1)
    with db.session() as session:
        importer = Importer(session)
    while True:
        failure: ImportError_ | None = None
        finished = True
        with db.session() as session:
            importer.session = session
            done = 0
            try:
                for number, record in numbered:
                    try:
                        with session.begin_nested():
                            importer.add(record)
                    except (KeyError, TypeError, ValueError) as exc:
                        raise ImportError_(f"line {number}: {exc.__class__.__name__}: {exc}") from exc
                    if progress:
                        progress(number)
                    done += 1
                    if done == batch:
                        finished = False
                        break
            except ImportError_ as exc:
                failure = exc  # the records before it are committed with this batch
            if finished and failure is None:
                return importer.finish()
        if failure is not None:
            raise failure
