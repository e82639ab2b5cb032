"""Archiving fetched articles: one row per canonical URL, a revision per distinct text."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from storage.models import Article, ArticleUrl, Revision
from storage.search import index_article
from storage.upsert import insert_ignore

Outcome = Literal["new", "revised", "unchanged"]
LANGUAGE_CHARS = 35  # articles.language: the longest BCP 47 tag implementations must keep (RFC 5646 §4.4.1)


@dataclass(frozen=True)
class ArchivedPage:
    """What the crawler hands to the archive: the raw page and what was extracted from it."""

    outlet: str
    canonical_url: str  # already normalised
    fetched_url: str
    other_urls: tuple[str, ...]  # normalised URLs it was also found under
    http_status: int
    content_type: str | None
    raw_html: bytes
    fetched_at: dt.datetime
    text: str
    content_hash: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: dt.datetime | None = None
    language: str | None = None
    site_name: str | None = None
    next_revisit_at: dt.datetime | None = None  # set on a new article only


def key_of(normalised_url: str) -> str:
    return hashlib.sha256(normalised_url.encode("utf-8")).hexdigest()


def known_article_id(session: Session, normalised_url: str) -> int | None:
    """The article an already-normalised URL belongs to, if any."""
    return session.scalar(select(ArticleUrl.article_id).where(ArticleUrl.url_key == key_of(normalised_url)))


def known_urls(session: Session, normalised_urls: list[str]) -> set[str]:
    """Which of these already-normalised URLs belong to an archived article (one query per 500)."""
    by_key = {key_of(url): url for url in normalised_urls}
    keys = list(by_key)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(by_key[k] for k in session.scalars(select(ArticleUrl.url_key).where(ArticleUrl.url_key.in_(chunk))))
    return found


def archive_page(session: Session, page: ArchivedPage) -> tuple[Outcome, int]:
    """Store a fetched article; a changed text adds a revision and marks the article for matching."""
    urls = list(dict.fromkeys((page.canonical_url, *page.other_urls)))
    article_id = None
    for url in urls:
        article_id = known_article_id(session, url)
        if article_id is not None:
            break
    if article_id is None:
        inserted = insert_ignore(session, Article, _article_values(page), keys=["url_key"])
        article_id = session.scalar(select(Article.id).where(Article.url_key == key_of(page.canonical_url)))
        if inserted:
            session.add(_revision(article_id, page))
            _link_urls(session, article_id, urls)
            index_article(session, article_id, page.title, page.text)
            return "new", article_id
    article = session.get(Article, article_id)
    _link_urls(session, article_id, urls)
    article.fetched_at = page.fetched_at
    if article.content_hash == page.content_hash:
        return "unchanged", article_id
    previous = (article.title, article.text)
    for name, value in _article_values(page).items():
        if name not in ("url_key", "canonical_url", "url", "outlet", "first_seen", "next_revisit_at"):
            setattr(article, name, value)
    article.revision_count += 1
    article.match_pending = True
    session.add(_revision(article_id, page))
    index_article(session, article_id, page.title, page.text, previous)
    return "revised", article_id


def describe_failure(exc: BaseException) -> str:
    """One line about why archiving failed: the database's own message, never the statement or its values."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"[:300]


def _article_values(page: ArchivedPage) -> dict:
    return {
        "url_key": key_of(page.canonical_url),
        "canonical_url": page.canonical_url,
        "url": page.fetched_url,
        "outlet": page.outlet,
        "title": page.title,
        "authors": list(page.authors),
        "published": page.published,
        "language": page.language[:LANGUAGE_CHARS] if page.language else None,
        "site_name": page.site_name,
        "text": page.text,
        "content_hash": page.content_hash,
        "first_seen": page.fetched_at,
        "fetched_at": page.fetched_at,
        "revision_count": 1,
        "match_pending": True,
        "next_revisit_at": page.next_revisit_at,
    }


def _revision(article_id: int, page: ArchivedPage) -> Revision:
    return Revision(
        article_id=article_id,
        fetched_at=page.fetched_at,
        fetched_url=page.fetched_url,
        http_status=page.http_status,
        content_type=page.content_type,
        raw_html=page.raw_html,
        title=page.title,
        text=page.text,
        content_hash=page.content_hash,
    )


def _link_urls(session: Session, article_id: int, urls: list[str]) -> None:
    rows = [{"url_key": key_of(url), "url": url, "article_id": article_id} for url in urls]
    insert_ignore(session, ArticleUrl, rows, keys=["url_key"])
