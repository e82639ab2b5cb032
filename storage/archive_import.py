"""`archive import`: loads an export (storage/archive_export.py) in one pass.

Ids are kept when the target archive is empty; otherwise they are renumbered, and an article (by
canonical URL) or an alert (by idempotency key) that is already there is left as it is. Story
band keys and the search index are rebuilt from the imported texts.
"""
from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from newswatch.fingerprint import fingerprint
from storage.archive import key_of
from storage.db import Database
from storage.models import Alert, Article, ArticleUrl, Delivery, Revision, Story, StoryArticle, StoryBand, WatchStory
from storage.search import index_article
from storage.upsert import insert_ignore

KEPT_IDS = ("articles", "stories", "alerts")


class ImportFailure(ValueError):
    """An export line that cannot be imported; the message names the line."""


def _unb64(value: str | None) -> bytes | None:
    return None if value is None else base64.b64decode(value)


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


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
            raise ImportFailure(f"unknown record kind {kind!r}")
        if kind == "article" and "history" not in record:
            raise ImportFailure("an article without `history`: this looks like a CSV or an old export, which cannot be imported")
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
        failure: ImportFailure | None = None
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
                        raise ImportFailure(f"line {number}: {exc.__class__.__name__}: {exc}") from exc
                    if progress:
                        progress(number)
                    done += 1
                    if done == batch:
                        finished = False
                        break
            except ImportFailure as exc:
                failure = exc  # the records before it are committed with this batch
            if finished and failure is None:
                return importer.finish()
        if failure is not None:
            raise failure
