"""The web view's pages and feeds: each reads plain data in one read-only session and renders a template."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from monitor.matching import document_of
from monitor.outlet_table import outlet_rows
from monitor.rules_explain import archived_decisions, decisions_for, explained
from monitor.rules_target import TargetError, untrusted_url_policy, url_target
from monitor.web.feeds import atom_feed
from monitor.web.request import Request, Response
from newswatch.searchquery import QueryError, parse_query
from newswatch.secrets import redact_url
from newswatch.textdiff import diff_lines
from newswatch.timespec import parse_since, parse_until
from storage.article_view import article_detail
from storage.deliveries import channel_summaries, list_decisions
from storage.models import Article
from storage.search import Filters, search as search_archive
from storage.watch_matches import articles_matched_by
from storage.web_queries import (
    alert_rows, channel_names, latest_articles, latest_stories, new_articles_per_day, new_articles_since, story_summaries,
    story_timeline, watch_ids_with_alerts,
)

if TYPE_CHECKING:
    from monitor.web.app import WebView

PER_PAGE = 20
ALERTS_PER_PAGE = 50
MAX_SEARCH_PAGES = 25
FEED_ENTRIES = 50
DASHBOARD_ITEMS = 5
OUTLET_DAYS = 7
STATUSES = ("pending", "held", "sent", "failed", "digested")
KINDS = ("story", "followup", "digest")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def when(value: dt.datetime | str | None) -> str:
    """`2023-05-22 18:10 UTC`, or an empty string."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def day(value: dt.datetime | str | None) -> str:
    return when(value)[:10]


def segments(text: str, spans: tuple[tuple[int, int], ...] | list) -> list[tuple[str, bool]]:
    """Text cut into (piece, highlighted) parts, for templates that mark matched words without trusting any HTML."""
    out, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def _int(value: str, default: int | None = None) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else default


def _channel_urls(view: WebView) -> dict[str, str]:
    """Channel name → its URL with everything that authenticates removed."""
    return {name: redact_url(channel.url) for name, channel in view.config.settings.channels.items()}


def _watches(view: WebView, session) -> list[dict[str, Any]]:
    rules, _ = view.rules.current()
    known = {w.id: w.name for w in (rules.watches if rules else [])}
    for watch_id in watch_ids_with_alerts(session):
        known.setdefault(watch_id, watch_id)
    return [{"id": i, "name": n, "in_rules": rules is not None and rules.watch(i) is not None} for i, n in known.items()]


def _health(row: dict[str, Any]) -> str:
    if not row["crawled"]:
        return "never crawled"
    if row["backoff_until"]:
        return "backing off"
    if row["error_streak"]:
        return "failing"
    return "ok"


def dashboard(view: WebView, request: Request) -> Response:
    moment = now()
    with view.db.reading() as session:
        watches = _watches(view, session)
        for watch in watches:
            watch["stories"] = latest_stories(session, watch["id"], DASHBOARD_ITEMS)
            watch["alerts"] = alert_rows(session, watch["id"], DASHBOARD_ITEMS, kinds=("story", "followup"))
        channels = channel_summaries(session)
    outlets = outlet_rows(view.db, view.config.settings.outlets, moment, new_articles_since)
    for row in outlets:
        row["health"] = _health(row)
    return view.render("dashboard.html", {"watches": watches, "outlets": outlets, "channels": channels,
                                          "channel_urls": _channel_urls(view), "rules_error": view.rules.error, "page": "dashboard"})


def story(view: WebView, request: Request, story_id: str) -> Response:
    with view.db.reading() as session:
        found = story_timeline(session, int(story_id))
    if found is None:
        return view.error(404, f"No story {story_id} in the archive.")
    return view.render("story.html", {"story": found, "page": "story"})


def article(view: WebView, request: Request, article_id: str) -> Response:
    _, matcher = view.rules.current()
    with view.db.reading() as session:
        detail = article_detail(session, int(article_id), diff=True)
        if detail is None:
            return view.error(404, f"No article {article_id} in the archive.")
        explanation = []
        if matcher is not None:
            row = session.get(Article, int(article_id))
            decisions = archived_decisions(session, matcher, row, now(), view.config.settings.alerts.max_age)
            explanation = explained(matcher, document_of(row), None, decisions)
    revisions = detail["revisions"]
    diffs = [
        {"from": old["number"], "to": new["number"],
         "lines": [(line.kind, segments(line.text, line.changed)) for line in diff_lines(
             old["compared"], new["compared"], f"revision {old['number']} ({when(old['fetched_at'])})",
             f"revision {new['number']} ({when(new['fetched_at'])})")]}
        for old, new in zip(revisions, revisions[1:])
    ]
    explanation.sort(key=lambda w: (not w["matched"], not w["hits"], w["id"]))
    return view.render("article.html", {"a": detail, "diffs": diffs, "explained_watches": explanation, "page": "article",
                                        "rules_error": view.rules.error})


def _filters(view: WebView, request: Request) -> tuple[Filters, list[str]]:
    problems = []
    since = until = None
    try:
        since = parse_since(request.arg("since"), now()) if request.arg("since") else None
    except ValueError as exc:
        problems.append(f"since: {exc}")
    try:
        until = parse_until(request.arg("until")) if request.arg("until") else None
    except ValueError as exc:
        problems.append(f"until: {exc}")
    ids = None
    if request.arg("watch"):
        with view.db.reading() as session:
            ids = articles_matched_by(session, request.arg("watch"))
    return Filters(since=since, until=until, outlets=tuple(request.args("outlet")), article_ids=ids,
                   languages=tuple(request.args("lang"))), problems


def search(view: WebView, request: Request) -> Response:
    text = request.arg("q")
    filters, problems = _filters(view, request)
    page = min(max(_int(request.arg("page"), 1) or 1, 1), MAX_SEARCH_PAGES)
    hits, articles, more, before = [], [], False, None
    if not problems and text:
        try:
            query = parse_query(text)
        except QueryError as exc:
            problems.append(str(exc))
        else:
            with view.db.reading() as session:
                found = search_archive(session, query, filters, page * PER_PAGE + 1)
            more = len(found) > page * PER_PAGE and page < MAX_SEARCH_PAGES
            hits = [{"hit": h, "title": segments(h.title, h.title_highlights), "snippet": segments(h.snippet.text, h.snippet.highlights)}
                    for h in found[(page - 1) * PER_PAGE : page * PER_PAGE]]
    elif not problems:
        before = _int(request.arg("before"))
        with view.db.reading() as session:
            articles = latest_articles(session, PER_PAGE + 1, before, filters.outlets, filters.languages)
        more, articles = len(articles) > PER_PAGE, articles[:PER_PAGE]
    base = {k: v for k, v in (("q", text), ("since", request.arg("since")), ("until", request.arg("until")),
                              ("watch", request.arg("watch"))) if v}
    base_pairs = [*base.items(), *(("outlet", o) for o in filters.outlets), *(("lang", lang) for lang in filters.languages)]
    if text:
        next_url = f"/search?{urlencode([*base_pairs, ('page', page + 1)])}" if more else None
    else:
        next_url = f"/search?{urlencode([*base_pairs, ('before', articles[-1]['id'])])}" if more and articles else None
    rules, _ = view.rules.current()
    return view.render("search.html", {
        "q": text, "args": request, "hits": hits, "articles": articles, "problems": problems, "next_url": next_url,
        "page_number": page, "outlets": [o.name for o in view.config.settings.outlets],
        "watches": [w.id for w in (rules.watches if rules else [])], "chosen_outlets": filters.outlets, "page": "search",
    })


def alerts(view: WebView, request: Request) -> Response:
    channel = request.arg("channel") or None
    status = request.arg("status") if request.arg("status") in STATUSES else None
    kind = request.arg("kind") if request.arg("kind") in KINDS else None
    watch = request.arg("watch") or None
    before = _int(request.arg("before"))
    with view.db.reading() as session:
        rows = alert_rows(session, watch, ALERTS_PER_PAGE + 1, before, (kind,) if kind else (), channel, status)
        summaries = channel_summaries(session)
        channels = channel_names(session)
        suppressed = list_decisions(session, 20) if before is None else []
    more, rows = len(rows) > ALERTS_PER_PAGE, rows[:ALERTS_PER_PAGE]
    pairs = [(k, v) for k, v in (("channel", channel), ("status", status), ("kind", kind), ("watch", watch)) if v]
    next_url = f"/alerts?{urlencode([*pairs, ('before', rows[-1].id)])}" if more and rows else None
    return view.render("alerts.html", {
        "alerts": rows, "summaries": summaries, "channel_urls": _channel_urls(view), "channels": channels,
        "statuses": STATUSES, "kinds": KINDS, "chosen": {"channel": channel, "status": status, "kind": kind, "watch": watch},
        "next_url": next_url, "suppressed": suppressed, "page": "alerts",
    })


def outlets(view: WebView, request: Request) -> Response:
    moment = now()
    rows = outlet_rows(view.db, view.config.settings.outlets, moment, new_articles_since)
    today = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    midnights = [today - dt.timedelta(days=n) for n in range(OUTLET_DAYS - 1, -1, -1)]
    days = [d.strftime("%Y-%m-%d") for d in midnights]
    with view.db.reading() as session:
        per_day = new_articles_per_day(session, midnights)
    for row in rows:
        row["health"] = _health(row)
        row["days"] = [per_day.get(row["outlet"], {}).get(d, 0) for d in days]
    return view.render("outlets.html", {"outlets": rows, "days": days, "page": "outlets"})


def rule_tester(view: WebView, request: Request) -> Response:
    rules, matcher = view.rules.current()
    target = request.arg("target")
    context: dict[str, Any] = {"target": target, "result": None, "problem": None, "page": "tester",
                               "rules_error": view.rules.error}
    if request.method != "POST" or not target:
        return view.render("tester.html", context)
    if matcher is None:
        context["problem"] = "The rule files could not be loaded."
        return view.render("tester.html", context, 400)
    try:
        if target.isdigit():
            with view.db.reading() as session:
                row = session.get(Article, int(target))
                if row is None:
                    raise TargetError(f"no article {target} in the archive")
                document = document_of(row)
                decisions = archived_decisions(session, matcher, row, now(), view.config.settings.alerts.max_age)
                described = f"article {row.id}: {row.canonical_url}"
        elif target.startswith(("http://", "https://")):
            found = url_target(view.config, target, None, untrusted_url_policy(view.config))
            document, described = found.document, found.described
            decisions = decisions_for(view.config, matcher, found)
        else:
            raise TargetError("give an http(s) URL or the number of an archived article")
    except TargetError as exc:
        context["problem"] = str(exc)
        return view.render("tester.html", context, 400)
    results = explained(matcher, document, None, decisions)
    results.sort(key=lambda w: (not w["matched"], not w["hits"], w["id"]))
    context["result"] = {"described": described, "document": document, "watches": results,
                         "matched": sum(1 for w in results if w["matched"])}
    return view.render("tester.html", context)


def _site_url(request: Request) -> str:
    return f"http://{request.host or 'localhost'}/"


def _feed(view: WebView, request: Request, watch_id: str | None, name: str) -> Response:
    with view.db.reading() as session:
        rows = alert_rows(session, watch_id, FEED_ENTRIES, kinds=("story", "followup"))
        stories = story_summaries(session, sorted({r.story_id for r in rows if r.story_id is not None}))
    site = _site_url(request)
    path = f"feeds/watch/{watch_id}.atom" if watch_id else "feeds/all.atom"
    body = atom_feed(f"urn:newswatch:feed:{'watch:' + watch_id if watch_id else 'all'}", name, site + path, site, rows, stories)
    return Response(200, body, "application/atom+xml; charset=utf-8")


def feed_all(view: WebView, request: Request) -> Response:
    return _feed(view, request, None, "newswatch: all alerts")


def feed_watch(view: WebView, request: Request, watch_id: str) -> Response:
    with view.db.reading() as session:
        known = {w["id"]: w["name"] for w in _watches(view, session)}
    if watch_id not in known:
        return Response(404, f"no watch {watch_id}\n".encode(), "text/plain; charset=utf-8")
    return _feed(view, request, watch_id, f"newswatch: {known[watch_id]}")
