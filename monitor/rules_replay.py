"""`rules replay`: the current rules over recently archived articles, compared with the alerts recorded."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from monitor.matching import document_of, near_misses, new_alerts
from newswatch.decisions import ALERT, FOLLOWUP, TOO_OLD, decide
from rules.matcher import Matcher
from storage.db import Database
from storage.models import Alert, Article, Delivery, StoryArticle, WatchStory
from storage.outbox import NewAlert, record_story_matches, story_facts
from storage.stories import lock_placing, place_article
from storage.types import utcnow


@dataclass(frozen=True)
class ReplayLine:
    watch_id: str
    article_id: int
    outlet: str
    title: str
    url: str
    detail: str


@dataclass
class ReplayReport:
    articles: int
    added: list[ReplayLine]
    removed: list[ReplayLine]
    kept: int
    pending: int  # articles not matched yet: the next cycle matches them anyway
    joined: int = 0  # matches that would join a story the watch already alerted on: no new alert
    not_sent: list[ReplayLine] = field(default_factory=list)  # matches (and near misses) decided not to send, with why


def replay(
    db: Database, matcher: Matcher, since: dt.timedelta, send: bool = False, batch: int = 200,
    max_age: dt.timedelta | None = None, now: dt.datetime | None = None,
) -> ReplayReport:
    """Run the current rules over articles first seen within `since` and compare with the recorded alerts.

    Each match is decided as matching decides it (newswatch.decisions.decide): one alert per
    (watch, story), so a match on an article whose story the watch already alerted on (or that an
    earlier article of this replay would alert on) joins it and adds no alert; an article older
    than `max_age` and a near miss of a filter are listed as not sent, with the reason. A dry run
    only reads. With `send`, the added alerts are written to the outbox (to be delivered like any
    other), one short transaction per article.
    """
    now = now or utcnow()
    cutoff = now - since
    report = ReplayReport(0, [], [], 0, 0)
    claimed: dict[tuple[str, int], str] = {}  # (watch, story) pairs this replay would alert on → the outlet that would
    last_id = 0
    while True:
        with db.reading() as session:
            rows = session.scalars(
                select(Article).where(Article.first_seen >= cutoff, Article.id > last_id).order_by(Article.id).limit(batch)
            ).all()
            if not rows:
                return report
            last_id = rows[-1].id
            recorded: dict[int, dict[str, Alert]] = {}
            query = select(Alert).where(Alert.article_id.in_([a.id for a in rows]), Alert.kind.in_(("story", "followup")))
            for alert in session.scalars(query):
                recorded.setdefault(alert.article_id, {})[alert.watch_id] = alert
            sent: dict[int, list[str]] = {}
            alert_ids = [a.id for alerts in recorded.values() for a in alerts.values()]
            if alert_ids:
                for delivery in session.scalars(select(Delivery).where(Delivery.alert_id.in_(alert_ids), Delivery.status == "sent")):
                    sent.setdefault(delivery.alert_id, []).append(delivery.channel)
            if not send:
                for article in rows:
                    _replay_article(session, matcher, article, recorded.get(article.id, {}), sent, report, False, claimed, max_age, now)
                continue
        for row in rows:
            with db.session() as session:
                lock_placing(session)
                article = session.get(Article, row.id)
                if article is not None:
                    _replay_article(session, matcher, article, recorded.get(article.id, {}), sent, report, True, claimed, max_age, now)


def _replay_article(session, matcher: Matcher, article: Article, before: dict[str, Alert], sent: dict[int, list[str]],
                    report: ReplayReport, send: bool, claimed: dict[tuple[str, int], str], max_age: dt.timedelta | None,
                    now: dt.datetime) -> None:
    if article.match_pending:
        report.pending += 1
        return
    report.articles += 1
    story_id = place_article(session, article).story_id if send else session.scalar(
        select(StoryArticle.story_id).where(StoryArticle.article_id == article.id))
    document = document_of(article)
    matched, misses = matcher.match_and_misses(document)
    results = {r.watch.id: r for r in matched}
    alerts = new_alerts(document, matched) + near_misses(document, [(r, why) for r, why in misses if r.watch.id not in before])
    fresh: list[NewAlert] = []
    for alert in alerts:
        watch_id = alert.watch_id
        if watch_id in before:
            report.kept += 1
            continue
        state = session.get(WatchStory, (watch_id, story_id)) if story_id is not None and not alert.filtered else None
        facts = story_facts(article, alert, state, [], now, max_age)
        if facts.counted:  # the watch counted it in the story; too old is a fact of the article, shown whatever the order
            alone = decide(replace(facts, counted=False))
            if alone.reason == TOO_OLD:
                report.not_sent.append(_line(article, watch_id, alone.describe()))
            else:
                report.kept += 1
            continue
        claimer = claimed.get((watch_id, story_id)) if story_id is not None and state is None and not alert.filtered else None
        if claimer is not None:
            facts = replace(facts, story_alerted=True, announced=(claimer,), last_message_at=now)
        decision = decide(facts)
        joins = state is not None or claimer is not None
        report.joined += joins
        if decision.action == ALERT:
            held = f"; {decision.describe()}" if decision.held else ""
            report.added.append(_line(article, watch_id, "matched: " + ", ".join(alert.terms) + held))
            fresh.append(alert)
            if story_id is not None:
                claimed[(watch_id, story_id)] = article.outlet
        elif decision.action != FOLLOWUP:
            report.not_sent.append(_line(article, watch_id, decision.describe()))
    for watch_id, alert in before.items():
        if watch_id not in results:
            channels = sent.get(alert.id, [])
            report.removed.append(_line(article, watch_id, f"alert {alert.id}, " + (f"sent to {', '.join(channels)}" if channels else "not sent")))
    if send and fresh:
        record_story_matches(session, article.id, fresh, story_id, now, max_age)


def _line(article: Article, watch_id: str, detail: str) -> ReplayLine:
    return ReplayLine(watch_id, article.id, article.outlet, article.title or "", article.canonical_url, detail)


def format_replay(report: ReplayReport, since: str) -> str:
    lines = [f"replayed the current rules over {report.articles} article(s) first seen in the last {since}: "
             f"{len(report.added)} alert(s) would be added, {len(report.removed)} removed, {report.kept} unchanged"]
    if report.joined:
        lines.append(f"({report.joined} match(es) would join a story the watch already alerted on: no new alert)")
    if report.pending:
        lines.append(f"({report.pending} article(s) not matched yet are left to the next cycle)")
    if report.not_sent:
        lines.append(f"({len(report.not_sent)} match(es) would not be sent: the lines marked x say why)")
    for sign, entries in (("+", report.added), ("-", report.removed), ("x", report.not_sent)):
        for e in entries:
            lines.append(f"{sign} {e.watch_id}  article {e.article_id} [{e.outlet}] {e.title}\n    {e.url}\n    {e.detail}")
    return "\n".join(lines)
