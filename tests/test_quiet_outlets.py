"""Quiet and odd outlets over real HTTP: an empty feed, sitemap or section page is a successful poll with
no links; feeds are read whatever their Content-Type; articles named by their query stay apart."""
from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from monitor.sites import SiteServer
from storage.crawlstate import outlet_state
from storage.db import Database
from storage.models import Article
from tests.crawling import answered, crawl_once, last_run, write_outlets_config
from tests.outlet_pages import BRIDGE, FERRY, article, atom, rss, section, serve, sitemap, write_site


def _articles(db: Database, outlet: str) -> list[Article]:
    with db.session() as s:
        return list(s.scalars(select(Article).where(Article.outlet == outlet).order_by(Article.canonical_url)))


def test_empty_indexes_are_a_quiet_poll_then_the_first_story_is_archived(tmp_path: Path, database_url) -> None:
    root = tmp_path / "site"
    write_site(root, {"/feed.xml": rss([]), "/atom.xml": atom([]), "/news-sitemap.xml": sitemap([]), "/latest/index.html": section([])})
    with SiteServer(root) as site:
        outlet = {
            "name": "courier", "feeds": [site.url("/feed.xml"), site.url("/atom.xml")],
            "sitemaps": [site.url("/news-sitemap.xml")], "pages": [site.url("/latest/")], "every": "10m",
        }
        config = write_outlets_config(tmp_path, database_url, [outlet])
        db = Database(database_url)
        try:
            crawl_once(config)
            run = last_run(db, "courier")
            assert run.finish_reason == "finished" and run.errors == []
            assert run.stats["newswatch/indexes_ok"] == 4 and run.stats.get("newswatch/links_found", 0) == 0
            with db.session() as s:
                state = outlet_state(s, "courier")
                assert (state.error_streak, state.backoff_until, state.last_error_kind) == (0, None, None)
                assert state.last_success_at is not None

            # the story breaks: the feed lists it, and the next poll archives it
            write_site(root, {"/news/ferries-stay-in-port.html": article("Ferries stay in port as storm nears", FERRY),
                          "/feed.xml": rss(["{base}/news/ferries-stay-in-port.html"])})
            site.clear_log()
            crawl_once(config)
            assert "/news/ferries-stay-in-port.html" in answered(site, 200)
            run = last_run(db, "courier")
            assert run.errors == [] and run.stats["newswatch/articles_new"] == 1
            assert [a.title for a in _articles(db, "courier")] == ["Ferries stay in port as storm nears"]
            with db.session() as s:
                assert outlet_state(s, "courier").error_streak == 0
        finally:
            db.close()


def test_feeds_are_read_whatever_their_content_type(tmp_path: Path, database_url) -> None:
    root = tmp_path / "site"
    kinds = {"html": "text/html; charset=utf-8", "bare": None, "octet": "application/octet-stream", "atomhtml": "text/html"}
    pages = {f"/news/{kind}-ferries.html": article(f"Ferries stay in port ({kind} feed)", FERRY) for kind in kinds}
    write_site(root, pages)
    routes = {
        f"/{kind}/feed": serve((atom if kind == "atomhtml" else rss)([f"{{base}}/news/{kind}-ferries.html"]), content_type)
        for kind, content_type in kinds.items()
    }
    routes["/empty/feed"] = serve(rss([]), None)  # an empty feed without a Content-Type is quiet too
    with SiteServer(root, routes) as site:
        outlets = [{"name": kind, "feeds": [site.url(f"/{kind}/feed")]} for kind in [*kinds, "empty"]]
        config = write_outlets_config(tmp_path, database_url, outlets)
        crawl_once(config)
        db = Database(database_url)
        try:
            for kind in kinds:
                run = last_run(db, kind)
                assert run.errors == [], kind
                assert run.stats["newswatch/feed_fetched"] == 1 and run.stats["newswatch/articles_new"] == 1, kind
                assert [a.title for a in _articles(db, kind)] == [f"Ferries stay in port ({kind} feed)"]
            empty = last_run(db, "empty")
            assert empty.errors == [] and empty.stats["newswatch/indexes_ok"] == 1
            with db.session() as s:
                assert all(outlet_state(s, o["name"]).error_streak == 0 for o in outlets)
        finally:
            db.close()


def test_articles_named_by_their_query_are_told_apart(tmp_path: Path, database_url) -> None:
    stories = {"101": ("Ferries stay in port as storm nears", FERRY), "102": ("Swing bridge reopens to cars", BRIDGE)}

    def news_php(handler: BaseHTTPRequestHandler) -> bool:
        cid = parse_qs(urlsplit(handler.path).query).get("cid", [""])[0]
        if cid not in stories:
            handler.send_error(404)
            return True
        title, paragraphs = stories[cid]
        host = handler.headers.get("Host")
        # 101 names itself; 102 carries the broken canonical some CMSs print on every article
        canonical = f"http://{host}/news.php?cid={cid}" if cid == "101" else f"http://{host}/news.php"
        return serve(article(title, paragraphs, canonical=canonical), "text/html; charset=utf-8")(handler)

    root = tmp_path / "site"
    front = section(["/news.php?cid=101", "/news.php?cid=102", "/news.php?page=2", "/search.php?q=ferry", "/?cat=4"])
    write_site(root, {"/index.html": front, "/feed.xml": rss(["{base}/news.php?cid=101&utm_source=rss&fbclid=abc"])})
    with SiteServer(root, {"/news.php": news_php}) as site:
        outlet = {"name": "courier", "pages": [site.url("/")], "feeds": [site.url("/feed.xml")]}
        config = write_outlets_config(tmp_path, database_url, [outlet])
        crawl_once(config)
        requested = [path for path in site.requests if path.startswith(("/news.php", "/search.php", "/?"))]
        assert sorted(requested) == ["/news.php?cid=101", "/news.php?cid=102"]  # each once; no listing, no search
        db = Database(database_url)
        try:
            articles = _articles(db, "courier")
            base = site.base_url
            assert [(a.canonical_url, a.title) for a in articles] == [
                (f"{base}/news.php?cid=101", "Ferries stay in port as storm nears"),
                (f"{base}/news.php?cid=102", "Swing bridge reopens to cars"),
            ]
            assert articles[0].text != articles[1].text
            assert last_run(db, "courier").errors == []
        finally:
            db.close()
