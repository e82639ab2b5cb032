"""Matching newly archived articles against the watches and writing their alerts to the outbox.

Each article is its own short write transaction: the pending batch is read without the write
lock, the rules and the fingerprint run outside any transaction, and only placing the article and
recording what its matches cause hold the lock. An article whose matching raises is rolled back
alone, recorded with its error (storage.match_failures) and retried later; the others go on.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from monitor.alert_settings import AlertSettings
from newswatch.fingerprint import Fingerprint, fingerprint
from newswatch.secrets import MASKER
from rules.matcher import Document, Matcher, WatchResult, snippet
from storage.db import Database
from storage.match_failures import FailedMatch, articles_to_match, clear_match_failure, record_match_failure
from storage.models import Article
from storage.outbox import NewAlert, Suppressed, anything_due, flush_followups, record_story_matches
from storage.stories import lock_placing, place_article
from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class MatchReport:
    articles: int = 0
    alerts: int = 0  # new messages: first alerts of stories plus follow-ups
    joined: int = 0  # matches that joined a story this watch already alerted on
    too_old: int = 0  # matches of articles published more than max_age before they were found
    suppressed: int = 0  # decisions not to send (or not yet), each logged with its reason
    failed: list[FailedMatch] = field(default_factory=list)  # articles whose matching raised (skipped, retried later)


@dataclass(frozen=True)
class Prepared:
    """The pure part of matching one article, done before its transaction."""

    document: Document
    alerts: list[NewAlert]
    found: Fingerprint | None


def document_of(article: Article) -> Document:
    """What the rules see of an archived article."""
    return Document(
        title=article.title or "",
        text=article.text or "",
        url=article.canonical_url or "",
        authors=tuple(article.authors or ()),
        outlet=article.outlet or "",
        language=article.language or "",
    )


def new_alerts(document: Document, results: list[WatchResult]) -> list[NewAlert]:
    """The outbox rows for a document's matches; `terms` names each alias that matched and the form found."""
    return [
        NewAlert(
            watch_id=result.watch.id,
            watch_name=result.watch.name,
            terms=result.matched,
            snippet=snippet(document, result.hits),
            channels=result.watch.notify,
            **alert_options(result.watch),
        )
        for result in results
    ]


def near_misses(document: Document, misses: list[tuple[WatchResult, str]]) -> list[NewAlert]:
    """Watches whose terms were found but whose outlets/languages/min_mentions filter said no: decided as `filtered`."""
    return [
        NewAlert(result.watch.id, result.watch.name, result.matched, "", result.watch.notify, filtered=reason, **alert_options(result.watch))
        for result, reason in misses
    ]


def prepare(article: Article, matcher: Matcher) -> Prepared:
    document = document_of(article)
    matched, misses = matcher.match_and_misses(document)
    return Prepared(document, new_alerts(document, matched) + near_misses(document, misses), fingerprint(article.text or ""))


def match_pending(db: Database, matcher: Matcher, batch: int = 200, alerting: AlertSettings | None = None,
                  now: dt.datetime | None = None) -> MatchReport:
    """Place every pending article in its story and match it, one short transaction per article."""
    alerting = alerting or AlertSettings()
    report = MatchReport()
    last_id = 0
    while True:
        with db.reading() as session:
            articles = articles_to_match(session, batch, after=last_id, now=now or utcnow())
        if not articles:
            break
        last_id = articles[-1].id
        for article in articles:
            match_article(db, matcher, article, alerting, now, report)
    with db.reading() as session:
        due = anything_due(session, now)
    if due:
        with db.session() as session:
            report.alerts += flush_followups(session, now)
    if report.failed:
        log.warning("matching failed for %d article(s); they are skipped and retried later (see `newswatch outlets`)", len(report.failed))
    return report


def match_article(db: Database, matcher: Matcher, article: Article, alerting: AlertSettings, now: dt.datetime | None,
                  report: MatchReport) -> None:
    """Match one article in its own transaction; a failure is rolled back, recorded and counted, never raised."""
    try:
        prepared = prepare(article, matcher)
        with db.session() as session:
            lock_placing(session)
            current = session.get(Article, article.id)
            if current is None or not current.match_pending or current.content_hash != article.content_hash:
                return  # matched elsewhere meanwhile, or revised: the next pass takes the new text
            story = place_article(session, current, now, prepared.found)
            outcome = record_story_matches(session, current.id, prepared.alerts, story.story_id, now, alerting.max_age)
            clear_match_failure(session, current.id)
    except Exception as exc:  # one article's failure must not stall the others
        message = MASKER.mask(str(exc).splitlines()[0] if str(exc) else "")
        with db.session() as session:
            failed = record_match_failure(session, article.id, type(exc).__name__, message, now or utcnow())
        if failed is not None:
            report.failed.append(failed)
            retry = f"retry after {failed.retry_at:%Y-%m-%d %H:%M:%S} UTC" if failed.retry_at else "given up until the article changes"
            log.warning("matching article %d [%s] failed (attempt %d): %s: %s; %s",
                        failed.article_id, failed.outlet, failed.attempts, failed.kind, failed.message, retry)
        return
    report.articles += 1
    report.alerts += outcome.alerts + outcome.followups
    report.joined += outcome.joined
    report.too_old += outcome.too_old
    report.suppressed += len(outcome.suppressed)
    for suppressed in outcome.suppressed:
        log_decision(suppressed, article)


def log_decision(suppressed: Suppressed, article: Article) -> None:
    """The daemon's line for a decision not to send: the same sentence `rules test`, `rules replay` and `alerts list` show."""
    log.info("watch %s, article %d [%s] %s: %s", suppressed.watch_id, suppressed.article_id, article.outlet,
             article.canonical_url, suppressed.decision.describe())


def alert_options(watch) -> dict:
    """The watch's follow-up, cooldown, max_age and digest settings, as the outbox takes them."""
    return {"followups": watch.followups, "cooldown": watch.cooldown, "max_age": watch.max_age, "digest": dict(watch.digest)}
