"""The web view over an archive built by a real crawl of the demo outlets: every page and feed over HTTP.

The archive is crawled once for the module (three loopback outlets, a webhook channel whose URL
carries a token); one article then gets a second revision through the archive's own function, as
a revisit would store it. The view is served on the daemon's HttpEndpoint, as `newswatch web` does.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import feedparser
import pytest
from sqlalchemy import func, select

from monitor.cli import main
from storage.archive import ArchivedPage, archive_page
from storage.db import Database
from storage.models import Alert, Article, Delivery, Revision, StoryArticle
from tests.webview import crawled_archive, get, served

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
EDIT = "Editors' note: an earlier version named the wrong bridge. <script>alert('x')</script>"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    directory = tmp_path_factory.mktemp("web")
    with crawled_archive(directory) as crawled:
        db = Database(f"sqlite:///{directory / 'archive.db'}")
        try:
            with db.reading() as session:
                shared = session.execute(select(StoryArticle.story_id).group_by(StoryArticle.story_id)
                                         .having(func.count() > 1)).scalar_one()
                members = {a.outlet: a.id for a in session.scalars(
                    select(Article).join(StoryArticle, StoryArticle.article_id == Article.id).where(StoryArticle.story_id == shared))}
                quiet = session.scalars(select(Article).where(Article.id.not_in(select(Alert.article_id).where(
                    Alert.article_id.is_not(None)))).order_by(Article.id)).first()
            revise(db, quiet.id, EDIT)
        finally:
            db.close()
        with served(crawled.config) as base:
            yield {"base": base, "crawled": crawled, "story": shared, "copy": members["chronicle"], "original": members["wire"],
                   "revised": quiet.id, "db_url": f"sqlite:///{directory / 'archive.db'}"}


def revise(db: Database, article_id: int, added: str) -> None:
    """A second revision of an archived article, stored as a revisit that found an edit stores it."""
    with db.session() as session:
        article = session.get(Article, article_id)
        revision = session.scalars(select(Revision).where(Revision.article_id == article_id)).first()
        text = article.text + "\n" + added
        page = ArchivedPage(
            outlet=article.outlet, canonical_url=article.canonical_url, fetched_url=revision.fetched_url, other_urls=(),
            http_status=200, content_type="text/html", raw_html=revision.raw_html, fetched_at=dt.datetime.now(dt.timezone.utc),
            text=text, content_hash=hashlib.sha256(text.encode()).hexdigest(), title=article.title, authors=article.authors,
            published=article.published, language=article.language, site_name=article.site_name,
        )
        assert archive_page(session, page) == ("revised", article_id)
        session.get(Article, article_id).match_pending = False


def page_text(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


PAGES = ["/", "/search", "/search?q=Ponomarev", "/alerts", "/outlets", "/rules/test", "/stories/{story}", "/articles/{copy}"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_with_safe_headers(archive, path) -> None:
    page = get(archive["base"] + path.format(**archive))
    assert page.status == 200, page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="viewport"' in page.text and '<link rel="stylesheet" href="/static/style.css">' in page.text
    assert "s3cretHookToken" not in page.text  # the channel URL's token is never shown


def test_stylesheet_is_served(archive) -> None:
    page = get(archive["base"] + "/static/style.css")
    assert page.status == 200 and page.headers["content-type"] == "text/css; charset=utf-8"
    assert "@media (max-width: 40rem)" in page.text


def test_dashboard_shows_each_watch_its_stories_and_alerts_and_outlet_health(archive) -> None:
    text = page_text(get(archive["base"] + "/").text)
    body = get(archive["base"] + "/").text
    assert "Ilya Ponomarev" in text and "Belgorod raid" in text
    assert f'href="/stories/{archive["story"]}"' in body
    assert f'href="/articles/{archive["copy"]}"' in body or f'href="/articles/{archive["original"]}"' in body
    for outlet in ("chronicle", "ledger", "wire"):
        assert f"{outlet} · ok" in text
    assert "chat sent" in text and "json://127.0.0.1" in text  # the channel, masked: host only
    assert 'href="/feeds/watch/ponomarev.atom"' in body and 'href="/feeds/all.atom"' in body


def test_story_page_puts_both_outlets_on_a_timeline_and_says_what_each_watch_sent(archive) -> None:
    body = get(archive["base"] + f"/stories/{archive['story']}").text
    text = page_text(body)
    assert f'href="/articles/{archive["copy"]}"' in body and f'href="/articles/{archive["original"]}"' in body
    assert "2 article(s) on 2 outlet(s)" in text and "first in the story" in text and "similarity 0." in text
    assert "ponomarev matched 2 article(s)" in text and "belgorod-raid matched" in text
    assert "followup alert" in text and "story alert" in text and "chat sent" in text
    assert get(archive["base"] + "/stories/999999").status == 404


def test_article_page_explains_the_match_as_rules_test_does(archive, capsys) -> None:
    body = get(archive["base"] + f"/articles/{archive['copy']}").text
    text = page_text(body)
    assert f"story {archive['story']}" in text and "ponomarev" in text
    capsys.readouterr()
    assert main(["--config", str(archive["crawled"].config), "rules", "test", str(archive["copy"])]) == 0
    printed = capsys.readouterr().out
    assert "MATCH  ponomarev" in printed and "MATCH ponomarev" in text
    hits = re.findall(r"^    (?:\S.*: )?'(.+?)'(?: \(as (.+?)\))? found «(.+?)» in (\w+), word (\d+), .*\n        (.+)$", printed, re.M)
    assert hits
    for alias, _spelling, found, field, word, sentence in hits:  # alias, form found, field, word and sentence, as printed
        assert alias in text and found in text and f"{field}, word {word}" in text and " ".join(sentence.split()) in text
    decisions = re.findall(r"decision: (.+)", printed)
    assert decisions and all(d in text for d in decisions)
    assert "URLs seen" in text and archive["crawled"].sites["chronicle"].base_url in text


def test_article_page_shows_revisions_with_a_diff_and_escapes_the_text(archive) -> None:
    body = get(archive["base"] + f"/articles/{archive['revised']}").text
    assert "Changes from revision 1 to 2" in body
    assert '<span class="dadd">' in body and "Editors&#39; note" in body
    assert "<script>alert" not in body and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in body


def test_search_uses_the_archive_query_language_and_filters(archive) -> None:
    base = archive["base"]
    body = get(base + "/search?" + urlencode({"q": "Ponomarev"})).text
    assert "<mark>Ponomarev</mark>" in body and f'href="/articles/{archive["copy"]}"' in body
    only_wire = get(base + "/search?" + urlencode({"q": "Ponomarev", "outlet": "wire"})).text
    assert f'href="/articles/{archive["original"]}"' in only_wire and f'href="/articles/{archive["copy"]}"' not in only_wire
    russian = page_text(get(base + "/search?" + urlencode({"q": "Белгородская"})).text)
    assert "ledger" in russian and "No article matches" not in russian
    excluded = get(base + "/search?" + urlencode({"q": "Ponomarev -Ponomarev"})).text
    assert "No article matches" in excluded
    watch = get(base + "/search?" + urlencode({"q": "Ponomarev", "watch": "belgorod-raid"})).text
    assert "<mark>" in watch
    hostile = get(base + "/search?" + urlencode({"q": '"<img src=x onerror=alert(1)>'})).text
    assert "<img src=x" not in hostile and "&lt;img src=x" in hostile
    bad = get(base + "/search?" + urlencode({"q": "x", "since": "someday"}))
    assert bad.status == 200 and "since:" in page_text(bad.text)


def test_search_without_a_query_pages_through_the_latest_articles(archive) -> None:
    first = get(archive["base"] + "/search").text
    ids = [int(i) for i in re.findall(r'<a class="title" href="/articles/(\d+)"', first)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 13
    assert 'rel="next"' not in first
    older = get(archive["base"] + f"/search?before={ids[5]}").text
    assert [int(i) for i in re.findall(r'<a class="title" href="/articles/(\d+)"', older)] == ids[6:]


def test_alerts_page_shows_delivery_state_per_channel_with_masked_urls(archive) -> None:
    body = get(archive["base"] + "/alerts").text
    text = page_text(body)
    assert "chat json://127.0.0.1" in text and "sent 10" in text and "s3cretHookToken" not in body
    assert text.count("1 attempt(s), sent") == 10
    assert "No alerts." in get(archive["base"] + "/alerts?status=failed").text
    followups = page_text(get(archive["base"] + "/alerts?kind=followup").text)
    assert "followup" in followups and followups.count("1 attempt(s), sent") == 1
    assert "Matches not sent" in text


def test_outlets_page_shows_health_and_new_articles_per_day(archive) -> None:
    body = get(archive["base"] + "/outlets").text
    today = dt.datetime.now(dt.timezone.utc).strftime("%m-%d")
    assert f'<th class="num">{today}</th>' in body
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr><td><a href="/search\?outlet=(\w+)">.*?</tr>', body, re.S)}
    assert set(rows) == {"chronicle", "ledger", "wire"}
    assert all('h-ok">ok' in row for row in rows.values())
    counts = {name: int(re.findall(r'<td class="num">(\d+)</td>', row)[-1]) for name, row in rows.items()}
    assert sum(counts.values()) == 13 and all(n > 0 for n in counts.values())


def _test(archive, target: str):
    return get(archive["base"] + "/rules/test", FORM, urlencode({"target": target}).encode())


def test_rule_tester_explains_an_archived_article_and_a_fetched_outlet_page(archive) -> None:
    by_id = _test(archive, str(archive["copy"]))
    assert by_id.status == 200 and "MATCH ponomarev" in page_text(by_id.text)
    url = archive["crawled"].sites["wire"].url("/world/")
    with Database(archive["db_url"]).engine.connect() as connection:
        article_url = connection.execute(select(Article.canonical_url).where(Article.id == archive["original"])).scalar_one()
    fetched = page_text(_test(archive, article_url).text)
    assert "MATCH ponomarev" in fetched and "MATCH belgorod-raid" in fetched and "Outlet: wire" in fetched
    assert "decision: alert" in fetched
    section = page_text(_test(archive, url).text)
    assert "not an article" in section or "watch(es) match" in section


def test_rule_tester_refuses_non_public_addresses_that_are_not_outlets(archive) -> None:
    hook = archive["crawled"].webhook
    for target in (f"http://{hook.netloc}/", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/"):
        refused = _test(archive, target)
        assert refused.status == 400 and "refused" in page_text(refused.text), target
    assert len(hook.received) == 10  # the ten alerts of the crawl, nothing from the tester
    assert _test(archive, "file:///etc/passwd").status == 400
    assert _test(archive, "999999").status == 400


def test_the_view_only_reads(archive) -> None:
    def counts() -> tuple:
        db = Database(archive["db_url"])
        try:
            with db.reading() as session:
                return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Article, Revision, Alert, Delivery))
        finally:
            db.close()

    before = counts()
    for path in PAGES + ["/feeds/all.atom", "/feeds/watch/ponomarev.atom"]:
        get(archive["base"] + path.format(**archive))
    _test(archive, str(archive["copy"]))
    assert counts() == before
    assert get(archive["base"] + "/", FORM, b"x=1").status == 405
    assert get(archive["base"] + "/alerts", FORM, b"retry=1").status == 405


def test_a_foreign_host_or_origin_is_refused_without_a_token(archive) -> None:
    assert get(archive["base"] + "/", {"Host": "attacker.example"}).status == 403
    assert get(archive["base"] + "/", {"Host": "localhost:8040"}).status == 200
    foreign = get(archive["base"] + "/rules/test", {**FORM, "Origin": "http://attacker.example"}, b"target=1")
    assert foreign.status == 403
    cross_site = get(archive["base"] + "/rules/test", {**FORM, "Origin": "null", "Sec-Fetch-Site": "cross-site"}, b"target=1")
    assert cross_site.status == 403
    own_form = get(archive["base"] + "/rules/test", {**FORM, "Origin": "null", "Sec-Fetch-Site": "same-origin"}, b"target=1")
    assert own_form.status == 200


@pytest.mark.parametrize("path", ["/feeds/all.atom", "/feeds/watch/ponomarev.atom", "/feeds/watch/belgorod-raid.atom"])
def test_feeds_are_valid_atom(archive, path) -> None:
    page = get(archive["base"] + path)
    assert page.status == 200 and page.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(page.body, response_headers={"content-type": page.headers["content-type"]})
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title.startswith("newswatch")
    assert feed.entries and all(e.id.startswith("urn:newswatch:alert:") for e in feed.entries)
    for entry in feed.entries:
        assert entry.link.startswith(tuple(site.base_url for site in archive["crawled"].sites.values()))
        assert entry.author in ("chronicle", "ledger", "wire") and entry.updated_parsed
        assert [t.term for t in entry.tags] and "Matched: " in entry.summary and "Story " in entry.summary
        assert any(link.rel == "related" and "/stories/" in link.href for link in entry.links)


def test_a_watch_feed_holds_that_watch_only_with_its_follow_up(archive) -> None:
    feed = feedparser.parse(get(archive["base"] + "/feeds/watch/ponomarev.atom").body,
                            response_headers={"content-type": "application/atom+xml; charset=utf-8"})
    everything = feedparser.parse(get(archive["base"] + "/feeds/all.atom").body,
                                  response_headers={"content-type": "application/atom+xml; charset=utf-8"})
    assert all("Watch: Ilya Ponomarev" in e.summary for e in feed.entries)
    assert any(e.title.startswith("Also in ") for e in feed.entries)
    assert len(everything.entries) == 10 and {e.id for e in feed.entries} < {e.id for e in everything.entries}
    assert get(archive["base"] + "/feeds/watch/nobody.atom").status == 404
    assert get(archive["base"] + "/feeds/watch/" + quote("../etc") + ".atom").status == 404


def test_unknown_paths_are_404(archive) -> None:
    assert get(archive["base"] + "/nothing").status == 404
    assert get(archive["base"] + "/articles/abc").status == 404
    assert get(archive["base"] + "/articles/999999").status == 404


def test_daemon_endpoint_serves_the_view_beside_healthz(archive, tmp_path) -> None:
    """`run`'s endpoint: the same routes table plus the view mounted (Operations.start does exactly this)."""
    from monitor.config import load_config
    from monitor.http_endpoint import HttpEndpoint, text
    from monitor.web.serve import mount_web_view

    config = load_config(archive["crawled"].config)
    db = Database(config.database_url)
    endpoint = HttpEndpoint(("127.0.0.1", 0))
    endpoint.add_route("/healthz", lambda: text(200, "ok"))
    assert mount_web_view(endpoint, config, db)
    endpoint.start()
    try:
        base = f"http://127.0.0.1:{endpoint.port}"
        assert get(base + "/healthz").text == "ok\n"
        assert get(base + "/").status == 200 and get(base + "/feeds/all.atom").status == 200
    finally:
        endpoint.stop()
        db.close()
    off_loopback = HttpEndpoint(("0.0.0.0", 0))
    assert not mount_web_view(off_loopback, config, Database(config.database_url)) and off_loopback.app is None


def test_config_file_path_is_not_served(archive) -> None:
    assert Path(archive["crawled"].config).name not in get(archive["base"] + "/").text


def test_every_page_and_feed_on_sqlite_and_postgresql(tmp_path, database_url) -> None:
    """The view's own queries (keyset pages, id bisection, per-day counts) on both databases."""
    with crawled_archive(tmp_path, database_url=database_url) as crawled, served(crawled.config) as base:
        dashboard = get(base + "/").text
        story = re.search(r'href="/stories/(\d+)"', dashboard).group(1)
        article = re.search(r'href="/articles/(\d+)"', dashboard).group(1)
        for path in ("/", f"/stories/{story}", f"/articles/{article}", "/search?q=Ponomarev", "/search", "/alerts",
                     "/alerts?status=sent&channel=chat", "/outlets", "/feeds/all.atom", "/feeds/watch/ponomarev.atom"):
            assert get(base + path).status == 200, path
        outlets = get(base + "/outlets").text
        counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td></tr>', outlets)]
        assert sum(counts) == 13
        assert len(re.findall(r'<a class="title"', get(base + "/search?q=Ponomarev").text)) >= 4
        assert page_text(get(base + "/alerts?status=sent&channel=chat").text).count("1 attempt(s), sent") == 10
