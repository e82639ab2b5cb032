"""Matching newly archived articles against the watches and writing their alerts to the outbox."""
from __future__ import annotations

from dataclasses import dataclass

from rules.matcher import Document, Matcher, WatchResult, snippet
from storage.db import Database
from storage.models import Article
from storage.outbox import NewAlert, articles_to_match, record_matches


@dataclass
class MatchReport:
    articles: int = 0
    alerts: int = 0


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
        )
        for result in results
    ]


def match_pending(db: Database, matcher: Matcher, batch: int = 200) -> MatchReport:
    """Match every article marked pending; each article's alerts commit with its pending flag cleared."""
    report = MatchReport()
    while True:
        with db.session() as session:
            articles = articles_to_match(session, batch)
            for article in articles:
                document = document_of(article)
                report.alerts += record_matches(session, article.id, new_alerts(document, matcher.match(document)))
            report.articles += len(articles)
        if len(articles) < batch:
            return report
