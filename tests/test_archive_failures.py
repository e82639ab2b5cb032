"""Archive failures are recorded against the outlet and retried; columns hold what real pages carry;
a dropped page is logged by URL and reason, never by its body. Real crawls, SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, text

from monitor.sites import SiteServer
from storage.crawlstate import outlet_state
from storage.db import Database
from storage.models import Article, FetchState
from tests.crawling import answered, crawl_once, last_run, write_outlets_config
from tests.outlet_pages import BRIDGE, FERRY, article, rss, serve, write_site

URL_COLUMN = {"articles": "canonical_url", "revisions": "fetched_url"}


def _refuse_bridge(db: Database, on: bool, table: str = "articles") -> None:
    """A real database that refuses one article: a trigger raising on rows of its URL (installed, or removed)."""
    column, name = URL_COLUMN[table], f"refuse_bridge_{table}"
    with db.engine.begin() as connection:
        if db.dialect == "sqlite" and on:
            connection.execute(text(
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.{column} LIKE '%bridge-reopens%' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"))
        elif db.dialect == "sqlite":
            connection.execute(text(f"DROP TRIGGER {name}"))
        elif on:
            connection.execute(text(
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN IF NEW.{column} LIKE '%bridge-reopens%' THEN "
                "RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            connection.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"))
        else:
            connection.execute(text(f"DROP TRIGGER {name} ON {table}"))


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


def test_a_revisit_that_cannot_be_archived_is_due_again_next_cycle(tmp_path: Path, database_url) -> None:
    root = tmp_path / "site"
    write_site(root, {"/news/bridge-reopens.html": article("Swing bridge reopens to cars", BRIDGE),
                      "/feed.xml": rss(["{base}/news/bridge-reopens.html"])})
    with SiteServer(root) as site:
        config = write_outlets_config(tmp_path, database_url, [{"name": "courier", "feeds": [site.url("/feed.xml")]}])
        db = Database(database_url)
        try:
            crawl_once(config)
            edit = (*BRIDGE, "Update: the council said on Thursday that it would waive market fees on the east bank until the autumn.")
            write_site(root, {"/news/bridge-reopens.html": article("Swing bridge reopens to cars", edit)})
            due = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
            with db.session() as s:
                s.scalars(select(Article)).one().next_revisit_at = due
            _refuse_bridge(db, on=True, table="revisions")  # the edit's new revision is refused

            crawl_once(config)
            run = last_run(db, "courier")
            assert run.stats["newswatch/revisits"] == 1
            assert [(e["kind"], e["url"]) for e in run.errors] == [("archive_failed", site.url("/news/bridge-reopens.html"))]
            with db.session() as s:
                bridge = s.scalars(select(Article)).one()
                assert bridge.revision_count == 1 and "waive market fees" not in bridge.text
                assert bridge.next_revisit_at <= dt.datetime.now(dt.timezone.utc)  # due again, not 1h later

            _refuse_bridge(db, on=False, table="revisions")
            crawl_once(config)
            assert last_run(db, "courier").stats["newswatch/articles_revised"] == 1
            with db.session() as s:
                bridge = s.scalars(select(Article)).one()
                assert bridge.revision_count == 2 and "waive market fees" in bridge.text
        finally:
            db.close()
