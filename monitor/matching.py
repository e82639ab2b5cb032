"""Matching newly archived articles against the watches and writing their alerts to the outbox."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from monitor.alert_settings import AlertSettings
from rules.matcher import Document, Matcher, WatchResult, snippet
from storage.db import Database
from storage.models import Article
from storage.outbox import NewAlert, articles_to_match, flush_followups, record_story_matches
from storage.stories import lock_placing, place_article


@dataclass
class MatchReport:
    articles: int = 0
    alerts: int = 0  # new messages: first alerts of stories plus follow-ups
    joined: int = 0  # matches that joined a story this watch already alerted on
    too_old: int = 0  # matches of articles published more than max_age before they were found


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


def match_pending(db: Database, matcher: Matcher, batch: int = 200, alerting: AlertSettings | None = None,
                  now: dt.datetime | None = None) -> MatchReport:
    """Place every pending article in its story and match it; each article's alerts commit with its pending flag cleared."""
    alerting = alerting or AlertSettings()
    report = MatchReport()
    while True:
        with db.session() as session:
            lock_placing(session)
            articles = articles_to_match(session, batch)
            for article in articles:
                story = place_article(session, article, now)
                document = document_of(article)
                alerts = new_alerts(document, matcher.match(document))
                outcome = record_story_matches(session, article.id, alerts, story.story_id, now, alerting.max_age)
                report.alerts += outcome.alerts + outcome.followups
                report.joined += outcome.joined
                report.too_old += outcome.too_old
            report.articles += len(articles)
            if len(articles) < batch:
                report.alerts += flush_followups(session, now)
        if len(articles) < batch:
            return report


def alert_options(watch) -> dict:
    """The watch's follow-up, cooldown, max_age and digest settings, as the outbox takes them."""
    return {"followups": watch.followups, "cooldown": watch.cooldown, "max_age": watch.max_age, "digest": dict(watch.digest)}
