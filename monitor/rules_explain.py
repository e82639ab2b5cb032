"""Why each watch matched a document or not, and the decision whether to send (`rules test`, the web view)."""
from __future__ import annotations

import datetime as dt

from monitor.config import Config
from monitor.matching import document_of, near_misses, new_alerts
from monitor.rules_target import Target
from newswatch.decisions import Decision, decide
from rules.matcher import Document, Hit, Matcher
from rules.model import FIELD_NAMES
from rules.text import sentence_at, words
from storage.db import Database
from storage.models import Article
from storage.outbox import archived_decision, story_facts
from storage.types import utcnow


def decisions_for(config: Config, matcher: Matcher, target: Target, now: dt.datetime | None = None) -> dict[str, Decision]:
    """Per watch that matched (or that only a filter stopped): the decision matching makes, by newswatch.decisions.decide.

    A page or file is decided as if found now; an archived article shows what matching recorded
    for it, or what it would decide now.
    """
    now = now or utcnow()
    document = target.document
    matched, misses = matcher.match_and_misses(document)
    alerts = new_alerts(document, matched) + near_misses(document, misses)
    max_age = config.settings.alerts.max_age
    if target.article_id is None:
        article = Article(outlet=document.outlet, first_seen=now, published=target.published)
        return {a.watch_id: decide(story_facts(article, a, None, [], now, max_age)) for a in alerts}
    db = Database(config.database_url)
    try:
        with db.reading() as session:
            return archived_decisions(session, matcher, session.get(Article, target.article_id), now, max_age)
    finally:
        db.close()


def archived_decisions(session, matcher: Matcher, article: Article, now: dt.datetime, max_age: dt.timedelta) -> dict[str, Decision]:
    """`decisions_for` an archived article, in the caller's (read-only) session."""
    document = document_of(article)
    matched, misses = matcher.match_and_misses(document)
    alerts = new_alerts(document, matched) + near_misses(document, misses)
    return {a.watch_id: archived_decision(session, article, a, now, max_age) for a in alerts}


def explain(matcher: Matcher, document: Document, only: list[str] | None = None, decisions: dict[str, Decision] | None = None) -> str:
    """Per watch: matched or not (and why not), the decision whether to send; for each hit the alias, the field, the position, the sentence."""
    lines = [
        f"Title: {document.title or '(none)'}",
        f"Outlet: {document.outlet or '(unknown)'}   Language: {document.language or '(unknown)'}",
        "Words: " + ", ".join(f"{name} {len(words(document.field(name)))}" for name in FIELD_NAMES),
        "",
    ]
    for watch in explained(matcher, document, only, decisions):
        head = f"{'MATCH' if watch['matched'] else 'no'}  {watch['id']}" + (f" ({watch['name']})" if watch["name"] != watch["id"] else "")
        lines.append(head if watch["matched"] else f"{head}: {watch['reason']}")
        if watch["decision"]:
            lines.append(f"    decision: {watch['decision']}")
        for hit in watch["hits"]:
            lines.append("    " + hit["described"])
            lines.append("        " + hit["sentence"])
    return "\n".join(lines)


def explained(matcher: Matcher, document: Document, only: list[str] | None = None,
              decisions: dict[str, Decision] | None = None) -> list[dict]:
    """What `explain` prints, as plain data (the web view shows the same): per watch its verdict, decision and hits."""
    found = []
    for result, ok, reason in matcher.explain(document):
        watch = result.watch
        if only and watch.id not in only:
            continue
        found.append({
            "id": watch.id, "name": watch.name, "matched": ok, "reason": reason,
            "decision": decisions[watch.id].describe() if decisions and watch.id in decisions else None,
            "hits": [{"term": hit.term, "alias": hit.alias, "spelling": hit.spelling, "found": hit.found, "field": hit.field,
                      "word": hit.word + 1, "described": describe_hit(hit),
                      "sentence": sentence_at(document.field(hit.field), hit.start, hit.end)} for hit in result.hits],
        })
    return found


def describe_hit(hit: Hit) -> str:
    via = f" (as {hit.spelling})" if hit.spelling else ""
    what = f"{hit.term}: " if hit.term != hit.alias else ""
    return f"{what}{hit.alias!r}{via} found «{hit.found}» in {hit.field}, word {hit.word + 1}, characters {hit.start}-{hit.end}"
