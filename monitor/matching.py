"""Matching newly archived articles against the watches and writing their alerts to the outbox."""
from __future__ import annotations

from dataclasses import dataclass

from rules.matcher import Document, Matcher, snippet
from storage.db import Database
from storage.outbox import NewAlert, articles_to_match, record_matches


@dataclass
class MatchReport:
    articles: int = 0
    alerts: int = 0


def match_pending(db: Database, matcher: Matcher, batch: int = 200) -> MatchReport:
    """Match every article marked pending; each article's alerts commit with its pending flag cleared."""
    report = MatchReport()
    while True:
        with db.session() as session:
            articles = articles_to_match(session, batch)
            for article in articles:
                document = Document(title=article.title or "", text=article.text or "")
                alerts = [
                    NewAlert(
                        watch_id=result.watch.id,
                        watch_name=result.watch.name,
                        terms=result.terms,
                        snippet=snippet(document, result.hits),
                        channels=result.watch.notify,
                    )
                    for result in matcher.match(document)
                ]
                report.alerts += record_matches(session, article.id, alerts)
            report.articles += len(articles)
        if len(articles) < batch:
            return report
