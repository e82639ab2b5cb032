"""Placing articles into stories: an indexed band-key lookup, then a signature comparison.

An article keeps its story for good: its later revisions stay there (their band keys are added,
so copies of the updated text find the story too). URL variants are already one article.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from newswatch.fingerprint import SIMILAR, Fingerprint, fingerprint, from_signature
from storage.db import Database
from storage.models import Alert, Article, Story, StoryArticle, StoryBand
from storage.types import utcnow
from storage.upsert import insert_ignore

MAX_CANDIDATES = 50  # articles sharing a band key that are compared by signature, most recent first
PLACING_LOCK = 0x6E657773  # PostgreSQL advisory lock key ("news") held while articles are placed and matched


def lock_placing(session: Session) -> None:
    """Serialise placing across processes until the transaction ends.

    Without it two processes matching copies of one story at the same moment on PostgreSQL could
    each start a story of its own. SQLite needs nothing: BEGIN IMMEDIATE already lets one writer in.
    Matching holds it for one article's transaction at a time, so it never blocks for long.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PLACING_LOCK})


@dataclass(frozen=True)
class Placement:
    story_id: int
    joined: bool  # True when the article joined an existing story (a copy or a near-duplicate)
    similarity: float | None = None


UNSET = object()


def place_article(session: Session, article: Article, now: dt.datetime | None = None, found: Fingerprint | None | object = UNSET) -> Placement:
    """Find or make the article's story, in the caller's transaction.

    `found` is the text's fingerprint when the caller computed it before the transaction (matching
    does, to keep the write lock short).
    """
    now = now or utcnow()
    placed = session.get(StoryArticle, article.id)
    found = fingerprint(article.text or "") if found is UNSET else found
    if placed is not None:
        if found is not None:
            _add_bands(session, article.id, found)
        return Placement(placed.story_id, joined=False, similarity=placed.similarity)
    match = similar_article(session, found, exclude=article.id) if found is not None else None
    if match is not None:
        story_id, similarity = match
    else:
        story = Story(first_article_id=article.id, created_at=now)
        session.add(story)
        session.flush()
        story_id, similarity = story.id, None
    session.add(StoryArticle(
        article_id=article.id, story_id=story_id, joined_at=now, similarity=similarity,
        signature=found.signature if found else None, shingles=found.shingles if found else 0,
    ))
    if found is not None:
        _add_bands(session, article.id, found)
    session.flush()
    return Placement(story_id, joined=match is not None, similarity=similarity)


def similar_article(session: Session, found: Fingerprint, exclude: int | None = None) -> tuple[int, float] | None:
    """The story of the most similar archived article (>= SIMILAR), looked up by band key."""
    candidates = list(session.scalars(
        select(StoryBand.article_id).where(StoryBand.band.in_(found.bands())).distinct()
        .order_by(StoryBand.article_id.desc()).limit(MAX_CANDIDATES + 1)
    ))
    candidates = [c for c in candidates if c != exclude][:MAX_CANDIDATES]
    if not candidates:
        return None
    best: tuple[int, float] | None = None
    rows = session.execute(
        select(StoryArticle.story_id, StoryArticle.signature, StoryArticle.shingles)
        .where(StoryArticle.article_id.in_(candidates), StoryArticle.signature.is_not(None))
    ).all()
    for story_id, signature, shingles in rows:
        score = found.similarity(from_signature(signature, shingles))
        if score >= SIMILAR and (best is None or score > best[1]):
            best = (story_id, score)
    return best


def unplaced_articles(session: Session, limit: int = 500, matched_only: bool = False) -> list[Article]:
    """Articles without a story, oldest first (archived before stories existed); one anti-join per batch.

    `matched_only` leaves out articles still waiting to be matched: matching places those itself.
    """
    query = select(Article).where(Article.id.not_in(select(StoryArticle.article_id)))
    if matched_only:
        query = query.where(Article.match_pending.is_(False))
    return list(session.scalars(query.order_by(Article.id).limit(limit)))


def place_archive(db: Database, batch: int = 50, matched_only: bool = False) -> tuple[int, int]:
    """Place every archived article that has no story yet; returns (placed, joined an earlier story).

    A read-only look comes first, so the usual case (nothing to place) never takes the write lock;
    then short transactions of `batch` articles.
    """
    placed = joined = 0
    with db.reading() as session:
        if not unplaced_articles(session, 1, matched_only):
            return 0, 0
    while True:
        with db.session() as session:
            lock_placing(session)
            articles = unplaced_articles(session, batch, matched_only)
            for article in articles:
                joined += place_article(session, article).joined
            placed += len(articles)
        if len(articles) < batch:
            return placed, joined


def story_outlets(session: Session, story_id: int) -> list[str]:
    """The outlets that carry the story, in the order they joined it."""
    rows = session.scalars(
        select(Article.outlet).join(StoryArticle, StoryArticle.article_id == Article.id)
        .where(StoryArticle.story_id == story_id).order_by(StoryArticle.joined_at, StoryArticle.article_id)
    )
    return list(dict.fromkeys(rows))


@dataclass(frozen=True)
class StoryMember:
    outlet: str
    title: str
    url: str
    similarity: float | None  # to the story when the article joined it; None for the article that started it


@dataclass(frozen=True)
class StoryAlert:
    kind: str  # story | followup
    outlet: str  # of the article the alert is about
    announced: list[str]  # a follow-up: the outlets it names ("Also in: …")


@dataclass(frozen=True)
class StoryMessages:
    """A story told by more than one article, and what each watch sent about it."""

    story_id: int
    members: list[StoryMember]  # in the order they joined
    sent: dict[str, list[StoryAlert]]  # watch id → its alerts about the story, oldest first


def stories_with_copies(session: Session) -> list[StoryMessages]:
    """Every story with two or more articles, oldest first: its articles and the alerts each watch made for it."""
    shared = select(StoryArticle.story_id).group_by(StoryArticle.story_id).having(func.count() > 1)
    rows = session.execute(
        select(StoryArticle.story_id, StoryArticle.similarity, Article.outlet, Article.title, Article.canonical_url, Article.url)
        .join(Article, Article.id == StoryArticle.article_id)
        .where(StoryArticle.story_id.in_(shared)).order_by(StoryArticle.story_id, StoryArticle.joined_at, StoryArticle.article_id)
    ).all()
    members: dict[int, list[StoryMember]] = {}
    for story_id, similarity, outlet, title, canonical, url in rows:
        members.setdefault(story_id, []).append(StoryMember(outlet or "", title or "", canonical or url, similarity))
    sent: dict[int, dict[str, list[StoryAlert]]] = {story_id: {} for story_id in members}
    alerts = session.execute(
        select(Alert.story_id, Alert.watch_id, Alert.kind, Article.outlet, Alert.outlets)
        .join(Article, Article.id == Alert.article_id).where(Alert.story_id.in_(list(members))).order_by(Alert.id)
    ).all()
    for story_id, watch_id, kind, outlet, announced in alerts:
        sent[story_id].setdefault(watch_id, []).append(StoryAlert(kind, outlet or "", list(announced or [])))
    return [StoryMessages(story_id, members[story_id], sent[story_id]) for story_id in members]


def _add_bands(session: Session, article_id: int, found: Fingerprint) -> None:
    insert_ignore(session, StoryBand, [{"band": band, "article_id": article_id} for band in found.bands()], keys=["band", "article_id"])
