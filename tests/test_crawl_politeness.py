"""URL identity across routes, per-outlet allow/deny and robots.txt override, an honest User-Agent."""
from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.job import CrawlSettings
from crawler.linkfilter import LinkFilter
from monitor.config import load_config
from monitor.sites import SiteServer
from newswatch.yamlsource import ConfigError
from storage.db import Database
from storage.models import Article, ArticleUrl, Revision
from tests.crawling import BORDERLAND, answered, crawl_once, last_run, write_outlets_config

LEGION = "/news/2023/05/legion-returns.html"


def _archived_paths(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        with db.session() as s:
            return sorted("/" + url.split("/", 3)[3] for url in s.scalars(select(Article.canonical_url)))
    finally:
        db.close()


def test_one_article_by_feed_sitemap_page_amp_and_tracking_urls_is_fetched_and_archived_once(tmp_path: Path, database_url) -> None:
    with SiteServer(BORDERLAND) as site:
        outlet = {
            "name": "borderland",
            "feeds": [site.url("/feed.xml")],
            "sitemaps": [site.url("/news-sitemap.xml")],
            "pages": [site.url("/latest/")],
        }
        config = write_outlets_config(tmp_path, database_url, [outlet])
        crawl_once(config)
        fetched = answered(site, 200)
    # feed (utm_*, fbclid), sitemap (?outputType=amp, /amp/…), page (.amp.html, /amp, ?amp=1#comments): one fetch
    assert fetched.count(LEGION) == 1
    assert [p for p in fetched if "amp" in p] == []
    assert _archived_paths(database_url) == [LEGION, "/news/2023/06/shebekino-buses.html", "/opinion/why-the-border-matters.html"]
    db = Database(database_url)
    try:
        with db.session() as s:
            legion = s.scalar(select(Article).where(Article.canonical_url.like(f"%{LEGION}")))
            assert s.scalar(select(func.count()).select_from(Revision).where(Revision.article_id == legion.id)) == 1
            urls = s.scalars(select(ArticleUrl.url).where(ArticleUrl.article_id == legion.id)).all()
            assert urls == [legion.canonical_url]  # every route normalised to the same URL
        stats = last_run(db, "borderland").stats
        assert stats["newswatch/articles_new"] == 3
        assert stats["newswatch/links_found"] == 3  # distinct articles over the three indexes
    finally:
        db.close()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [LEGION, "/news/2023/06/shebekino-buses.html", "/opinion/why-the-border-matters.html"]),
        ({"deny": ["/opinion/"]}, [LEGION, "/news/2023/06/shebekino-buses.html"]),
        # allow replaces the section page's default heuristics (which skip /video/) and narrows the sitemap
        ({"allow": ["/video/", "/opinion/"]}, ["/opinion/why-the-border-matters.html", "/video/border-convoy-2023-06-01.html"]),
        ({"allow": [r"/news/\d{4}/"], "deny": ["shebekino"]}, [LEGION]),
    ],
)
def test_allow_and_deny_patterns_choose_the_article_links(tmp_path: Path, filters: dict, expected: list[str]) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SiteServer(BORDERLAND) as site:
        outlet = {"name": "borderland", "sitemaps": [site.url("/news-sitemap.xml")], "pages": [site.url("/latest/")], **filters}
        crawl_once(write_outlets_config(tmp_path, database_url, [outlet]))
        fetched = answered(site, 200)
    assert _archived_paths(database_url) == expected
    assert sorted(p for p in fetched if p not in ("/news-sitemap.xml", "/latest/")) == expected  # denied links are not fetched


def test_link_filter_is_a_plain_function() -> None:
    links = LinkFilter(allow=[r"/news/"], deny=[r"/news/live/"])
    assert links.accepts("https://example.org/news/2023/raid.html")
    assert not links.accepts("https://example.org/news/live/raid")
    assert not links.accepts("https://example.org/sport/final.html")
    assert LinkFilter().accepts("https://example.org/anything")


def _robots_forbidding_news(handler: BaseHTTPRequestHandler) -> bool:
    body = b"User-agent: *\nDisallow: /news/\n"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    return True


def test_obey_robots_can_be_overridden_per_outlet(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    routes = {"/robots.txt": _robots_forbidding_news}
    with SiteServer(BORDERLAND, routes) as strict, SiteServer(BORDERLAND, routes) as lenient:
        outlets = [
            {"name": "strict", "feeds": [strict.url("/feed.xml")]},  # crawler.obey_robots: true (default)
            {"name": "lenient", "feeds": [lenient.url("/feed.xml")], "obey_robots": False},
        ]
        crawl_once(write_outlets_config(tmp_path, database_url, outlets))
        assert [p for p in answered(strict) if p.startswith("/news/")] == []
        assert sorted(p for p in answered(lenient) if p.startswith("/news/")) == [LEGION, "/news/2023/06/shebekino-buses.html"]
    db = Database(database_url)
    try:
        strict_run = last_run(db, "strict")
        assert strict_run.stats["newswatch/errors/robots_txt"] == 2
        assert last_run(db, "lenient").stats["newswatch/articles_new"] == 2
    finally:
        db.close()


def test_user_agent_carries_the_contact_from_the_config(tmp_path: Path) -> None:
    with SiteServer(BORDERLAND) as site:
        outlet = {"name": "borderland", "feeds": [site.url("/feed.xml")], "revisit": []}
        config = write_outlets_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", [outlet], contact="https://newsroom.example.org/crawler")
        crawl_once(config)
        agents = {s.user_agent for s in site.served}
    assert agents == {"newswatch/0.1 (+https://newsroom.example.org/crawler)"}


def test_user_agent_rules() -> None:
    assert CrawlSettings().effective_user_agent == "newswatch/0.1 (+https://github.com/newswatch/newswatch)"
    assert CrawlSettings(user_agent="deskbot/2.0", contact="desk@example.org").effective_user_agent == "deskbot/2.0 (+desk@example.org)"
    with pytest.raises(ValueError, match="carries no contact"):
        CrawlSettings(user_agent="deskbot/2.0")
    with pytest.raises(ValueError, match="e-mail address"):
        CrawlSettings(contact="call us")


def test_bad_patterns_and_options_are_config_errors_with_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(
        "outlets:\n"
        "  - name: borderland\n"
        "    feeds: [https://example.org/feed.xml]\n"
        "    deny:\n"
        "      - /opinion/\n"
        "      - /news/(unclosed\n"
        "    revisit: [1h, 15m]\n"
        "    obey_robot: false\n"
        "crawler:\n"
        "  user_agent: deskbot/2.0\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert f"{path}:6:9: outlets[0].deny[1]: not a valid regular expression" in text
    assert f"{path}:7:5: outlets[0].revisit: revisit times must grow" in text
    assert f"{path}:8:5: outlets[0].obey_robot: unknown key 'obey_robot' (did you mean 'obey_robots'?)" in text
    assert f"{path}:10:3: crawler.user_agent: the user agent carries no contact" in text
