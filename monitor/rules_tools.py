"""`newswatch rules test` and `newswatch rules replay`: see what the rules do before they alert anybody."""
from __future__ import annotations

import datetime as dt
import urllib.error
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from crawler.checked_fetch import fetch_checked
from crawler.extract import NotAnArticle, extract_article
from crawler.targets import TargetPolicy, TargetRefused
from crawler.urls import same_site
from monitor.config import Config
from monitor.matching import document_of, near_misses, new_alerts
from newswatch.decisions import ALERT, FOLLOWUP, TOO_OLD, Decision, decide
from newswatch.secrets import mask_url_credentials
from rules.matcher import Document, Hit, Matcher
from rules.model import FIELD_NAMES
from rules.text import sentence_at, words
from storage.db import Database
from storage.models import Alert, Article, Delivery, StoryArticle, WatchStory
from storage.outbox import NewAlert, archived_decision, record_story_matches, story_facts
from storage.stories import lock_placing, place_article
from storage.types import utcnow


TEXT_PREVIEW_CHARS = 600
TEXT_SOURCES = {
    "json-ld": "the page's JSON-LD articleBody (trafilatura found no main text)",
    "article": "the page's <article> element (trafilatura found no main text)",
    "description": "the page's og:description or meta description (no main text, no <article>, no JSON-LD body)",
}


class TargetError(Exception):
    """The URL, file or article to test could not be read."""


def fetch(url: str, config: Config, policy: TargetPolicy | None = None) -> tuple[bytes, str | None]:
    """GET one page with the crawler's user agent, timeout and size limit, under the target policy.

    By default the URL is the user's own, so its origin is trusted; redirects elsewhere are judged
    like an outlet's links (only http and https; no non-public address outside the configured
    origins and `allow_private`). The web view passes `untrusted_url_policy` instead.
    """
    settings = config.settings.crawler
    try:
        fetched = fetch_checked(
            url, policy or user_url_policy(config, url), user_agent=settings.effective_user_agent,
            timeout=settings.timeout.total_seconds(), max_bytes=settings.max_page_bytes,
        )
    except TargetRefused as exc:
        raise TargetError(f"{mask_url_credentials(exc.url)}: refused: {exc.reason}") from None
    except urllib.error.HTTPError as exc:
        raise TargetError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise TargetError(f"{url}: {getattr(exc, 'reason', exc)}") from None
    if len(fetched.body) > settings.max_page_bytes:
        raise TargetError(f"{url}: page larger than crawler.max_page_bytes ({settings.max_page_bytes} bytes)")
    return fetched.body, fetched.content_type


def user_url_policy(config: Config, url: str) -> TargetPolicy:
    """The target policy for a URL the user gave: its origin, every outlet's origins, every allow_private."""
    outlets = config.settings.outlets
    own = [url, *(u for outlet in outlets for u in (*outlet.feeds, *outlet.sitemaps, *outlet.pages))]
    allow = [*config.settings.crawler.allow_private, *(entry for outlet in outlets for entry in outlet.allow_private)]
    return TargetPolicy.build(own, allow)


def untrusted_url_policy(config: Config) -> TargetPolicy:
    """The target policy for a URL someone else typed (the web rule tester): only the outlets' origins and allow_private."""
    outlets = config.settings.outlets
    own = [u for outlet in outlets for u in (*outlet.feeds, *outlet.sitemaps, *outlet.pages)]
    allow = [*config.settings.crawler.allow_private, *(entry for outlet in outlets for entry in outlet.allow_private)]
    return TargetPolicy.build(own, allow)


def outlet_for(config: Config, url: str) -> str:
    """The configured outlet whose feeds, sitemaps or pages are on the URL's site ('' if none)."""
    for outlet in config.settings.outlets:
        if any(same_site(url, u) for u in (*outlet.feeds, *outlet.sitemaps, *outlet.pages)):
            return outlet.name
    return ""


@dataclass(frozen=True)
class Target:
    """What `rules test` looks at: the document, a line that says what it is, and what decisions need."""

    document: Document
    described: str
    published: dt.datetime | None = None
    article_id: int | None = None  # an archived article: its story and recorded decisions count


def document_for(config: Config, target: str, outlet: str | None = None) -> Target:
    """The document behind a URL, an HTML file or an archived article id, and what it is (with what extraction removed)."""
    if target.startswith(("http://", "https://")):
        return url_target(config, target, outlet)
    path = Path(target)
    if path.is_file():
        return _extracted(config, path.read_bytes(), path.resolve().as_uri(), None, outlet or "", str(path))
    if target.isdigit():
        db = Database(config.database_url)
        try:
            db.migrate()
            with db.reading() as session:
                article = session.get(Article, int(target))
                if article is None:
                    raise TargetError(f"no article {target} in the archive")
                document = document_of(article)
                return Target((replace(document, outlet=outlet) if outlet else document),
                              f"article {target}: {article.canonical_url}", article.published, article.id)
        finally:
            db.close()
    raise TargetError(f"{target}: not an http(s) URL, an existing file or an article id")


def url_target(config: Config, url: str, outlet: str | None = None, policy: TargetPolicy | None = None) -> Target:
    """Fetch a page (under `policy`, see `fetch`) and extract it as the crawl would for its outlet."""
    body, content_type = fetch(url, config, policy)
    return _extracted(config, body, url, content_type, outlet if outlet is not None else outlet_for(config, url), url)


def _extracted(config: Config, body: bytes, url: str, content_type: str | None, outlet: str, described: str) -> Target:
    """Extract as the crawl would for this outlet (its `exclude` selectors and the defaults)."""
    settings = config.outlet(outlet) if outlet else None
    selectors = settings.exclude if settings is not None else []
    try:
        article = extract_article(body, url, content_type, exclude=selectors)
    except NotAnArticle as exc:
        raise TargetError(f"{url}: not an article: {exc}") from None
    document = Document(
        title=article.title or "", text=article.text, url=article.canonical_url or url,
        authors=tuple(article.authors), outlet=outlet, language=article.language or "",
    )
    removed = (f"Removed before extraction: {article.excluded_by_outlet} element(s) by the outlet's `exclude`, "
               f"{article.excluded_by_default} comment/related container(s) by the defaults")
    if article.source in TEXT_SOURCES:
        removed += f"\nText from {TEXT_SOURCES[article.source]}"
    return Target(document, f"{described}\n{removed}", article.published)


def text_section(text: str, show_all: bool) -> str:
    """The text that is matched (the title is matched too), shortened unless `show_all`."""
    if show_all or len(text) <= TEXT_PREVIEW_CHARS:
        return f"Text matched ({len(text)} characters):\n{text}\n"
    return (f"Text matched ({len(text)} characters; the first {TEXT_PREVIEW_CHARS}, --show-text prints all):\n"
            f"{text[:TEXT_PREVIEW_CHARS].rstrip()} …\n")


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


def run_rules_test(config: Config, target: str, only: list[str], outlet: str | None, out: TextIO, show_text: bool = False) -> int:
    rules = config.load_rules()
    unknown = [w for w in only if rules.watch(w) is None]
    if unknown:
        raise TargetError(f"unknown watch(es): {', '.join(unknown)} (watches: {', '.join(w.id for w in rules.watches)})")
    matcher = Matcher(rules)
    found = document_for(config, target, outlet)
    decisions = decisions_for(config, matcher, found)
    out.write(f"Testing {found.described}\n{explain(matcher, found.document, only, decisions)}\n")
    out.write("\n" + text_section(found.document.text, show_text))
    return 0


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
            old = decide(replace(facts, counted=False))
            if old.reason == TOO_OLD:
                report.not_sent.append(_line(article, watch_id, old.describe()))
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


def rules_command(config: Config, args) -> int:
    """`newswatch rules test|replay` (wired in monitor/cli.py)."""
    import sys

    from monitor.delivery import deliver_due
    from newswatch.durations import format_duration, parse_duration

    if args.rules_command == "test":
        try:
            return run_rules_test(config, args.target, args.watch, args.outlet, sys.stdout, show_text=args.show_text)
        except TargetError as exc:
            print(f"newswatch: {exc}", file=sys.stderr)
            return 1
    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        print(f"newswatch: --since: {exc}", file=sys.stderr)
        return 64
    matcher = Matcher(config.load_rules())
    db = Database(config.database_url)
    try:
        db.migrate()
        report = replay(db, matcher, since, send=args.send, max_age=config.settings.alerts.max_age)
        print(format_replay(report, format_duration(since)))
        if args.send:
            settings = config.settings
            delivered = deliver_due(db, settings.channels, settings.delivery, settings.alerts.template_dir(config.base_dir))
            print(f"backfill: {len(report.added)} alert(s) written to the outbox; {delivered.sent} message(s) sent, {delivered.failed} failed")
            return 0 if delivered.failed == 0 else 1
    finally:
        db.close()
    return 0
