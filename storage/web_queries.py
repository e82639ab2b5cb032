"""Reads for the web view as plain data: latest alerts and stories per watch, a story's timeline, alert pages, outlets per day.

Every list is bounded (LIMIT, keyset pages by id) and walks an index, so a page costs the same on
an archive of 100,000 articles as on a small one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Integer, case, func, literal, select, text
from sqlalchemy.orm import Session

from newswatch.secrets import MASKER
from storage.models import Alert, Article, Delivery, StoryArticle, WatchStory
from storage.story_report import story_watches
from storage.types import UTCDateTime

ID_RANGE = text("SELECT (SELECT min(id) FROM articles), (SELECT max(id) FROM articles)")  # together, SQLite would scan
FIRST_FROM = text("SELECT id, first_seen FROM articles WHERE id >= :at ORDER BY id LIMIT 1").columns(id=Integer, first_seen=UTCDateTime)


@dataclass(frozen=True)
class ChannelState:
    channel: str
    status: str
    attempts: int
    sent_at: dt.datetime | None
    last_error: str | None  # masked


@dataclass(frozen=True)
class AlertRow:
    id: int
    key: str
    watch_id: str
    watch_name: str
    kind: str
    created_at: dt.datetime
    terms: list[str]
    article_id: int | None
    title: str
    outlet: str | None
    url: str | None
    published: dt.datetime | None
    story_id: int | None
    announced: list[str]
    items: int
    deliveries: list[ChannelState] = field(default_factory=list)


@dataclass(frozen=True)
class StorySummary:
    id: int
    title: str
    articles: int
    outlets: list[str]
    first_article: int
    latest: dt.datetime | None


def alert_rows(session: Session, watch_id: str | None = None, limit: int = 50, before: int | None = None,
               kinds: tuple[str, ...] = (), channel: str | None = None, status: str | None = None) -> list[AlertRow]:
    """Alerts newest first (keyset: ids below `before`), each with its article and its delivery state per channel."""
    query = select(Alert.id).order_by(Alert.id.desc()).limit(limit)  # the page of ids first: articles are read for it only
    if watch_id is not None:
        query = query.where(Alert.watch_id == watch_id)
    if before is not None:
        query = query.where(Alert.id < before)
    if kinds:
        query = query.where(Alert.kind.in_(kinds))
    if channel or status:
        wanted = select(Delivery.alert_id)
        if channel:
            wanted = wanted.where(Delivery.channel == channel)
        if status:
            wanted = wanted.where(Delivery.status == status)
        query = query.where(Alert.id.in_(wanted))
    page = list(session.scalars(query))
    query = (select(Alert, Article).outerjoin(Article, Article.id == Alert.article_id)
             .where(Alert.id.in_(page or [0])).order_by(Alert.id.desc()))
    rows = session.execute(query).all()
    deliveries: dict[int, list[ChannelState]] = {}
    ids = [alert.id for alert, _ in rows]
    if ids:
        for d in session.scalars(select(Delivery).where(Delivery.alert_id.in_(ids)).order_by(Delivery.channel)):
            deliveries.setdefault(d.alert_id, []).append(
                ChannelState(d.channel, d.status, d.attempts, d.sent_at, MASKER.mask(d.last_error) if d.last_error else None))
    return [
        AlertRow(
            id=alert.id, key=alert.key, watch_id=alert.watch_id, watch_name=alert.watch_name, kind=alert.kind, created_at=alert.created_at,
            terms=list(alert.terms or []), article_id=alert.article_id,
            title=(article.title or article.canonical_url) if article else f"digest of {len(alert.items or [])} alert(s)",
            outlet=article.outlet if article else None, url=article.canonical_url if article else None,
            published=article.published if article else None, story_id=alert.story_id,
            announced=list(alert.outlets or []), items=len(alert.items or []), deliveries=deliveries.get(alert.id, []),
        )
        for alert, article in rows
    ]


def story_summaries(session: Session, story_ids: list[int]) -> dict[int, StorySummary]:
    """Title (of its first article), size, outlets and latest arrival of each story."""
    found: dict[int, list] = {}
    for start in range(0, len(story_ids), 500):
        chunk = story_ids[start : start + 500]
        for row in session.execute(
            select(StoryArticle.story_id, StoryArticle.joined_at, Article.id, Article.title, Article.canonical_url, Article.outlet)
            .join(Article, Article.id == StoryArticle.article_id).where(StoryArticle.story_id.in_(chunk))
            .order_by(StoryArticle.joined_at, Article.id)
        ):
            found.setdefault(row.story_id, []).append(row)
    summaries = {}
    for story_id, rows in found.items():
        outlets = list(dict.fromkeys(r.outlet for r in rows))
        summaries[story_id] = StorySummary(story_id, rows[0].title or rows[0].canonical_url, len(rows), outlets, rows[0].id,
                                           max(r.joined_at for r in rows))
    return summaries


def latest_stories(session: Session, watch_id: str, limit: int = 5) -> list[StorySummary]:
    """The newest stories a watch matched (the primary key (watch, story) is the index)."""
    ids = list(session.scalars(select(WatchStory.story_id).where(WatchStory.watch_id == watch_id)
                               .order_by(WatchStory.story_id.desc()).limit(limit)))
    summaries = story_summaries(session, ids)
    return [summaries[i] for i in ids if i in summaries]


def watch_ids_with_alerts(session: Session) -> list[str]:
    return sorted(session.scalars(select(WatchStory.watch_id).distinct()))


def story_timeline(session: Session, story_id: int) -> dict | None:
    """A story's articles in the order they appeared (published, else first seen), and what each watch sent about it."""
    rows = session.execute(
        select(StoryArticle.joined_at, StoryArticle.similarity, Article.id, Article.outlet, Article.title, Article.canonical_url,
               Article.published, Article.first_seen, Article.language, Article.revision_count, Article.removed_at)
        .join(Article, Article.id == StoryArticle.article_id).where(StoryArticle.story_id == story_id)
    ).all()
    if not rows:
        return None
    articles = sorted(({
        "id": r.id, "outlet": r.outlet, "title": r.title or r.canonical_url, "url": r.canonical_url, "published": r.published,
        "first_seen": r.first_seen, "joined": r.joined_at, "similarity": r.similarity, "language": r.language,
        "revisions": r.revision_count, "removed": r.removed_at, "when": r.published or r.first_seen,
    } for r in rows), key=lambda a: (a["when"], a["id"]))
    return {"id": story_id, "title": articles[0]["title"], "articles": articles,
            "outlets": list(dict.fromkeys(a["outlet"] for a in articles)),
            "watches": story_watches(session, [story_id]).get(story_id, [])}


def latest_articles(session: Session, limit: int = 20, before: int | None = None, outlets: tuple[str, ...] = (),
                    languages: tuple[str, ...] = ()) -> list[dict]:
    """The newest archived articles (keyset: ids below `before`), for browsing without a query."""
    query = (select(Article.id, Article.outlet, Article.title, Article.canonical_url, Article.published, Article.first_seen,
                    Article.language, StoryArticle.story_id)
             .outerjoin(StoryArticle, StoryArticle.article_id == Article.id).order_by(Article.id.desc()).limit(limit))
    if before is not None:
        query = query.where(Article.id < before)
    if outlets:
        query = query.where(Article.outlet.in_(outlets))
    if languages:
        query = query.where(Article.language.in_(languages))
    return [dict(row._mapping) for row in session.execute(query)]


def first_id_since(session: Session, since: dt.datetime, low: int | None = None) -> int:
    """The first article id first seen at or after `since` (at least `low`), by searching the primary key.

    An article's id and its first_seen are both given when it is archived, so ids grow with
    first_seen and a recent window is one range of ids: counting it reads the outlet index
    only, where a filter on first_seen (not indexed) would read the whole table. (Articles
    imported into a non-empty archive get new ids with their old first_seen; they count as
    arriving in the window of the articles around them.) The search guesses by interpolating
    the times it has seen, every other step, and halves the range otherwise: a handful of
    lookups when articles arrive at a steady pace, never more than twice a bisection's.
    """
    connection = session.connection()  # plain statements: a lookup costs microseconds, not an ORM query's overhead
    first, last = connection.execute(ID_RANGE).one()
    if last is None:
        return 1
    low, high = max(first, low or first), last + 1  # the answer is in [low, high]
    seen_low = seen_high = None  # first_seen of the articles just below and at `high`
    interpolate = True
    while low < high:
        middle = (low + high) // 2
        if interpolate and seen_low is not None and seen_high is not None and seen_high > seen_low:
            share = (since - seen_low) / (seen_high - seen_low)
            middle = min(high - 1, max(low, low + int(share * (high - low))))
        interpolate = not interpolate
        row = connection.execute(FIRST_FROM, {"at": middle}).first()
        if row is None or row.first_seen >= since:
            high, seen_high = middle, (row.first_seen if row else seen_high)
        else:
            low, seen_low = row.id + 1, row.first_seen
    return low


def _count_by_outlet(session: Session, first: int, stop: int | None = None) -> dict[str, int]:
    """Articles with ids in [first, stop), by outlet: read from the outlet index alone (outlet, id), never the rows."""
    query = select(Article.outlet, func.count()).where(Article.id >= first).group_by(Article.outlet)
    if stop is not None:
        query = query.where(Article.id < stop)
    return dict(session.execute(query).all())


def new_articles_since(session: Session, since: dt.datetime) -> dict[str, int]:
    """Articles first seen since `since`, by outlet: those from `first_id_since` on."""
    return _count_by_outlet(session, first_id_since(session, since))


def new_articles_per_day(session: Session, days: list[dt.datetime]) -> dict[str, dict[str, int]]:
    """Per outlet, articles first seen on each of these UTC days (midnights, oldest first) up to now: `YYYY-MM-DD` → count.

    One pass over the id range of the first day: each day is the id range up to the next day's first id.
    """
    bounds: list[int] = []
    for day in days:
        bounds.append(first_id_since(session, day, bounds[-1] if bounds else None))
    if not bounds:
        return {}
    which = (case(*((Article.id < bound, index) for index, bound in enumerate(bounds[1:])), else_=len(bounds) - 1)
             if len(bounds) > 1 else literal(0))
    counts: dict[str, dict[str, int]] = {}
    for outlet, index, count in session.execute(
        select(Article.outlet, which, func.count()).where(Article.id >= bounds[0]).group_by(Article.outlet, which)
    ):
        counts.setdefault(outlet, {})[days[index].strftime("%Y-%m-%d")] = count
    return counts


def channel_names(session: Session) -> list[str]:
    return sorted(session.scalars(select(Delivery.channel).distinct()))
