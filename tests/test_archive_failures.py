"""Archive failures are recorded against the outlet and retried; columns hold what real pages carry;
a dropped page is logged by URL and reason, never by its body. Real crawls, SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from monitor.sites import SiteServer
from storage.crawlstate import outlet_state
from storage.db import Database
from storage.models import Article, FetchState
from tests.crawling import answered, crawl_once, last_run, write_outlets_config
from tests.outlet_pages import BRIDGE, FERRY, article, rss, serve, write_site

REFUSE_SQLITE = """CREATE TRIGGER refuse_bridge BEFORE INSERT ON articles
WHEN NEW.canonical_url LIKE '%bridge-reopens%' BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"""
REFUSE_POSTGRES = (
    """CREATE FUNCTION refuse_bridge() RETURNS trigger AS $$ BEGIN
    IF NEW.canonical_url LIKE '%bridge-reopens%' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
    RETURN NEW; END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER refuse_bridge BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION refuse_bridge()",
)


def _refuse_bridge(db: Database, on: bool) -> None:
    """A real database that refuses one article: a trigger raising for its URL (installed, or removed)."""
    with db.engine.begin() as connection:
        if db.dialect == "sqlite":
            connection.execute(text(REFUSE_SQLITE if on else "DROP TRIGGER refuse_bridge"))
        elif on:
            for statement in REFUSE_POSTGRES:
                connection.execute(text(statement))
        else:
            connection.execute(text("DROP TRIGGER refuse_bridge ON articles"))


def test_an_archive_failure_is_recorded_and_the_article_is_archived_next_poll(tmp_path: Path, database_url, capfd) -> None:
    root = tmp_path / "site"
    write_site(root, {
        "/news/ferries-stay-in-port.html": article("Ferries stay in port as storm nears", FERRY),
        "/news/bridge-reopens.html": article("Swing bridge reopens to cars", BRIDGE),
        "/feed.xml": rss(["{base}/news/ferries-stay-in-port.html", "{base}/news/bridge-reopens.html"]),
    })
    with SiteServer(root) as site:
        config = write_outlets_config(tmp_path, database_url, [{"name": "courier", "feeds": [site.url("/feed.xml")]}])
        db = Database(database_url)
        try:
            db.migrate()
            _refuse_bridge(db, on=True)
            capfd.readouterr()
            crawl_once(config)
            log = capfd.readouterr().err
            bridge = site.url("/news/bridge-reopens.html")

            run = last_run(db, "courier")
            assert run.stats["newswatch/articles_new"] == 1  # the other article is archived as usual
            [error] = run.errors
            assert (error["kind"], error["url"]) == ("archive_failed", bridge)
            assert "refused by the test trigger" in error["message"] and "INSERT" not in error["message"]
            assert run.stats["newswatch/errors/archive_failed"] == 1
            with db.session() as s:
                state = outlet_state(s, "courier")
                assert (state.error_streak, state.backoff_until, state.last_error_kind) == (0, None, "archive_failed")
                feed = s.scalars(select(FetchState).where(FetchState.url == site.url("/feed.xml"))).one()
                assert feed.etag is None and feed.last_modified is None  # read in full next time
            assert [a.title for a in _titles(db)] == ["Ferries stay in port as storm nears"]

            # the log names the page and the reason; never the page itself
            assert f"dropped {bridge}: archive failed: " in log and "refused by the test trigger" in log
            assert "<html" not in log and "<p>" not in log and "swing bridge over the Marr" not in log
            assert "FetchedPage(" not in log and "raw_html" not in log

            _refuse_bridge(db, on=False)
            site.clear_log()
            crawl_once(config)
            [feed_request] = [s for s in site.served if s.path == "/feed.xml"]
            assert feed_request.status == 200 and feed_request.if_none_match is None  # a full read
            assert answered(site) == ["/feed.xml", "/news/bridge-reopens.html"]  # only the lost article is fetched
            run = last_run(db, "courier")
            assert run.errors == [] and run.stats["newswatch/articles_new"] == 1
            assert sorted(a.title for a in _titles(db)) == ["Ferries stay in port as storm nears", "Swing bridge reopens to cars"]
        finally:
            db.close()


def _titles(db: Database) -> list[Article]:
    with db.session() as s:
        return list(s.scalars(select(Article).order_by(Article.id)))


def test_odd_language_long_title_and_long_url_are_archived(tmp_path: Path, database_url) -> None:
    title = ("Storm " * 600)[:2999] + "!"  # 3,000 characters
    slug = "-".join(["harbour-closed-by-storm"] * 104)  # a path of about 2,500 characters
    path = f"/news/{slug}.html"
    assert 2450 < len(path) < 2550
    page = article(title, FERRY, lang="Russian Federation", head='<meta property="og:locale" content="ru_RU">')
    odd = article("Bridge reopens", BRIDGE, lang="Russian Federation")
    root = tmp_path / "site"
    write_site(root, {"/news/bridge-reopens.html": odd, "/feed.xml": rss(["{base}" + path, "{base}/news/bridge-reopens.html"])})
    with SiteServer(root, {path: serve(page, "text/html; charset=utf-8")}) as site:
        config = write_outlets_config(tmp_path, database_url, [{"name": "courier", "feeds": [site.url("/feed.xml")]}])
        crawl_once(config)
        db = Database(database_url)
        try:
            run = last_run(db, "courier")
            assert run.errors == [] and run.stats["newswatch/articles_new"] == 2
            long, short = _titles(db) if _titles(db)[0].title == title else reversed(_titles(db))
            assert long.title == title and long.canonical_url == site.url(path) and long.language == "ru"
            assert short.language is None  # "Russian Federation" is not a language tag, and nothing else says
        finally:
            db.close()
