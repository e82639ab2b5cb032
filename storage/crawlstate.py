"""Crawl state kept between cycles: index validators, articles due for a revisit, outlet health."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.archive import key_of
from storage.models import Article, FetchState, OutletState
from storage.upsert import insert_ignore


@dataclass(frozen=True)
class Validators:
    """What an index URL's last full answer said about itself (ETag, Last-Modified), and when."""

    etag: str | None
    last_modified: str | None
    last_full_fetch_at: dt.datetime | None


@dataclass(frozen=True)
class IndexFetch:
    """The outcome of one index request, to be remembered for the next cycle."""

    url: str
    status: int
    fetched_at: dt.datetime
    etag: str | None = None
    last_modified: str | None = None
    full: bool = False  # sent without validators
    parent_url: str | None = None  # the sitemap index that listed it
    keep_validators: bool = True  # False: the next request must be a full one (links were left unfetched)


# -- index validators ----------------------------------------------------------------------------
def validators_for(session: Session, urls: list[str]) -> dict[str, Validators]:
    """Stored validators by URL, for the URLs that have any state."""
    keys = {key_of(url): url for url in urls}
    rows = session.scalars(select(FetchState).where(FetchState.url_key.in_(list(keys)))) if keys else []
    return {
        keys[row.url_key]: Validators(row.etag, row.last_modified, row.last_full_fetch_at)
        for row in rows
    }


def child_sitemaps(session: Session, outlet: str, parent_url: str) -> list[str]:
    """Sitemaps an index listed when it was last read in full (asked again when the index answers 304)."""
    return list(
        session.scalars(
            select(FetchState.url).where(FetchState.outlet == outlet, FetchState.parent_url == parent_url).order_by(FetchState.url)
        )
    )


def forget_child_sitemaps(session: Session, outlet: str, parent_url: str, keep: list[str]) -> None:
    """A sitemap index was read in full: sitemaps it no longer lists are no longer its children."""
    statement = update(FetchState).where(FetchState.outlet == outlet, FetchState.parent_url == parent_url)
    if keep:
        statement = statement.where(FetchState.url_key.not_in([key_of(url) for url in keep]))
    session.execute(statement.values(parent_url=None))


def record_index_fetch(session: Session, outlet: str, fetch: IndexFetch) -> None:
    """Remember an index answer: a 200 replaces the validators, a 304 keeps them."""
    key = key_of(fetch.url)
    insert_ignore(session, FetchState, {"url_key": key, "url": fetch.url, "outlet": outlet}, keys=["url_key"])
    row = session.get(FetchState, key)
    row.outlet = outlet
    if fetch.parent_url is not None:
        row.parent_url = fetch.parent_url
    row.last_status = fetch.status
    row.last_fetched_at = fetch.fetched_at
    if fetch.status != 304:
        row.etag, row.last_modified = fetch.etag, fetch.last_modified
    if fetch.full:
        row.last_full_fetch_at = fetch.fetched_at
    if not fetch.keep_validators:
        row.etag = row.last_modified = row.last_full_fetch_at = None


# -- revisits ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DueRevisit:
    article_id: int
    url: str
    first_seen: dt.datetime


def due_revisits(session: Session, outlet: str, now: dt.datetime, limit: int) -> list[DueRevisit]:
    """Articles of an outlet whose next revisit is due, most overdue first."""
    if limit <= 0:
        return []
    rows = session.execute(
        select(Article.id, Article.canonical_url, Article.first_seen)
        .where(Article.outlet == outlet, Article.next_revisit_at <= now, Article.removed_at.is_(None))
        .order_by(Article.next_revisit_at, Article.id)
        .limit(limit)
    )
    return [DueRevisit(id_, url, first_seen) for id_, url, first_seen in rows]


def set_next_revisit(session: Session, article_id: int, when: dt.datetime | None) -> None:
    session.execute(update(Article).where(Article.id == article_id).values(next_revisit_at=when))


def mark_removed(session: Session, article_id: int, when: dt.datetime) -> None:
    """The page answered 404/410 on a revisit: keep the article, note when it went, stop revisiting."""
    session.execute(
        update(Article)
        .where(Article.id == article_id, Article.removed_at.is_(None))
        .values(removed_at=when, next_revisit_at=None)
    )


# -- outlet health -------------------------------------------------------------------------------
def outlet_state(session: Session, outlet: str) -> OutletState | None:
    return session.get(OutletState, outlet)


def outlet_states(session: Session, names: list[str] | None = None) -> dict[str, OutletState]:
    """Every outlet's state, or only these outlets' (one cheap read per poll in the daemon)."""
    query = select(OutletState)
    if names is not None:
        query = query.where(OutletState.outlet.in_(names))
    return {row.outlet: row for row in session.scalars(query)}


def save_outlet_state(
    session: Session,
    outlet: str,
    *,
    error_streak: int,
    last_success_at: dt.datetime | None,
    last_failure_at: dt.datetime | None,
    backoff_until: dt.datetime | None,
    last_error_kind: str | None,
) -> None:
    insert_ignore(session, OutletState, {"outlet": outlet, "error_streak": 0}, keys=["outlet"])
    row = session.get(OutletState, outlet)
    row.error_streak = error_streak
    row.last_success_at = last_success_at
    row.last_failure_at = last_failure_at
    row.backoff_until = backoff_until
    row.last_error_kind = last_error_kind


def new_articles_since(session: Session, since: dt.datetime) -> dict[str, int]:
    """Articles first seen since `since`, counted by outlet."""
    rows = session.execute(
        select(Article.outlet, func.count()).where(Article.first_seen >= since).group_by(Article.outlet)
    )
    return {outlet: count for outlet, count in rows}
