"""Incremental crawling over real HTTP: conditional index requests, periodic full fetches, revisits."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from monitor.sites import SiteServer
from storage.db import Database
from storage.models import Alert, Article, FetchState, Revision
from tests.conftest import DEMO_SITE
from tests.crawling import BORDERLAND, answered, copy_site, crawl_once, last_run, write_outlets_config
from tests.helpers import write_config

ARTICLE_PREFIXES = ("/news/", "/articles/", "/stories/", "/opinion/", "/video/", "/amp/")


def test_second_cycle_gets_304_for_every_index_and_fetches_no_article(tmp_path: Path, database_url, demo_sites) -> None:
    config = write_config(tmp_path, database_url, demo_sites, {})
    crawl_once(config)
    first = {name: site.served_paths(200) for name, site in demo_sites.items()}
    assert all(any(p.startswith(ARTICLE_PREFIXES) for p in paths) for paths in first.values())
    for site in demo_sites.values():
        site.clear_log()

    crawl_once(config)
    indexes = {"chronicle": "/feed.xml", "ledger": "/news-sitemap.xml", "wire": "/world/"}
    db = Database(database_url)
    try:
        for name, site in demo_sites.items():
            served = [s for s in site.served if s.path != "/robots.txt"]
            assert [(s.path, s.status) for s in served] == [(indexes[name], 304)], name  # no article page
            assert served[0].if_none_match and served[0].if_modified_since  # the first answer's validators
            stats = last_run(db, name).stats
            assert stats["newswatch/not_modified"] == 1
            assert stats.get("newswatch/articles_new", 0) == 0
            assert stats["downloader/response_status_count/304"] == 1
    finally:
        db.close()


def _add_story(site_root: Path) -> None:
    """A new article on the Borderland feed."""
    story = (site_root / "news/2023/06/shebekino-buses.html").read_text(encoding="utf-8")
    story = story.replace("shebekino-buses", "border-checkpoints").replace(
        "Buses take families out of Shebekino", "Checkpoints added on roads out of Shebekino"
    )
    (site_root / "news/2023/06/border-checkpoints.html").write_text(story, encoding="utf-8")
    feed = site_root / "feed.xml"
    feed.write_text(
        feed.read_text(encoding="utf-8").replace(
            "<item>", "<item>\n      <title>Checkpoints</title>\n      <link>{base}/news/2023/06/border-checkpoints.html</link>\n    </item>\n    <item>", 1
        ),
        encoding="utf-8",
    )


def test_full_fetch_without_validators_when_due_catches_stale_servers(tmp_path: Path, database_url) -> None:
    root = copy_site(BORDERLAND, tmp_path)
    with SiteServer(root) as site:
        config = write_outlets_config(tmp_path, database_url, [{"name": "borderland", "feeds": [site.url("/feed.xml")]}])
        crawl_once(config)
        assert site.served_paths(200).count("/feed.xml") == 1
        db = Database(database_url)
        try:
            # the feed changes, but this server answers 304 to any conditional request
            _add_story(root)
            site.stale_validators = True
            site.clear_log()
            crawl_once(config)
            assert answered(site) == ["/feed.xml"] and answered(site, 304) == ["/feed.xml"]
            assert last_run(db, "borderland").stats.get("newswatch/articles_new", 0) == 0

            # within full_fetch_every (default 6h) validators are sent; once it is due, they are not
            with db.session() as s:
                for state in s.scalars(select(FetchState)):
                    state.last_full_fetch_at -= dt.timedelta(hours=6, minutes=1)
            site.clear_log()
            crawl_once(config)
            feed = [s for s in site.served if s.path == "/feed.xml"]
            assert [(s.status, s.if_none_match, s.if_modified_since) for s in feed] == [(200, None, None)]
            assert site.served_paths(200) == ["/feed.xml", "/news/2023/06/border-checkpoints.html"]
            assert last_run(db, "borderland").stats["newswatch/articles_new"] == 1
            with db.session() as s:
                state = s.scalars(select(FetchState)).one()
                assert state.last_status == 200 and state.etag
                assert dt.datetime.now(dt.timezone.utc) - state.last_full_fetch_at < dt.timedelta(minutes=1)
        finally:
            db.close()


def test_full_fetch_every_is_an_outlet_option(tmp_path: Path) -> None:
    root = copy_site(BORDERLAND, tmp_path)
    with SiteServer(root) as site:
        outlet = {"name": "borderland", "feeds": [site.url("/feed.xml")], "full_fetch_every": "1s"}
        config = write_outlets_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", [outlet])
        crawl_once(config)
        import time

        time.sleep(1.1)
        site.clear_log()
        crawl_once(config)
        assert [(s.path, s.status, s.if_none_match) for s in site.served if s.path == "/feed.xml"] == [("/feed.xml", 200, None)]


def _age_articles(db: Database, by: dt.timedelta) -> None:
    """Pretend the archive's articles were first seen `by` ago (their first revisit then falls due)."""
    with db.session() as s:
        for article in s.scalars(select(Article)):
            article.first_seen -= by
            if article.next_revisit_at is not None:
                article.next_revisit_at -= by


def test_revisit_archives_an_edit_as_a_new_revision_and_records_a_removed_page(tmp_path: Path, database_url) -> None:
    root = copy_site(BORDERLAND, tmp_path)
    legion, buses = "news/2023/05/legion-returns.html", "news/2023/06/shebekino-buses.html"
    with SiteServer(root) as site:
        config = write_outlets_config(tmp_path, database_url, [{"name": "borderland", "feeds": [site.url("/feed.xml")]}])
        crawl_once(config)
        db = Database(database_url)
        try:
            with db.session() as s:
                articles = s.scalars(select(Article)).all()
                assert len(articles) == 2
                for article in articles:  # the default schedule: first revisit 15 min after first seen
                    assert article.next_revisit_at - article.first_seen == dt.timedelta(minutes=15)

            # nothing is due yet: a second cycle revisits nothing
            site.clear_log()
            crawl_once(config)
            assert answered(site) == ["/feed.xml"]

            # 16 minutes later: one story was edited, the other taken down
            path = root / legion
            path.write_text(path.read_text(encoding="utf-8").replace(
                "The Herald could not verify the claim independently.",
                "Satellite images seen by the Herald show burnt-out vehicles near the village.",
            ), encoding="utf-8")
            (root / buses).unlink()
            _age_articles(db, dt.timedelta(minutes=16))
            site.clear_log()
            crawl_once(config)

            assert sorted(answered(site)) == sorted(["/feed.xml", f"/{legion}", f"/{buses}"])
            stats = last_run(db, "borderland").stats
            assert stats["newswatch/revisits"] == 2
            assert stats["newswatch/articles_revised"] == 1
            assert stats["newswatch/articles_removed"] == 1
            with db.session() as s:
                edited = s.scalar(select(Article).where(Article.canonical_url.like(f"%/{legion}")))
                assert edited.revision_count == 2 and "Satellite images" in edited.text
                texts = s.scalars(select(Revision.text).where(Revision.article_id == edited.id).order_by(Revision.id)).all()
                assert len(texts) == 2 and "could not verify" in texts[0] and "Satellite images" in texts[1]
                assert edited.removed_at is None
                assert edited.next_revisit_at - edited.first_seen == dt.timedelta(hours=1)  # the next step
                gone = s.scalar(select(Article).where(Article.canonical_url.like(f"%/{buses}")))
                assert gone.removed_at is not None and gone.next_revisit_at is None  # kept, not deleted
                assert s.scalar(select(func.count()).select_from(Revision).where(Revision.article_id == gone.id)) == 1

            # a removed article is not asked for again, even when its old schedule would say so
            _age_articles(db, dt.timedelta(hours=2))
            site.clear_log()
            crawl_once(config)
            assert sorted(answered(site)) == ["/feed.xml", f"/{legion}"]
        finally:
            db.close()


def test_revised_article_does_not_alert_again(tmp_path: Path, database_url, demo_sites, webhook) -> None:
    root = copy_site(DEMO_SITE / "wire", tmp_path)
    with SiteServer(root) as wire:
        config = write_config(tmp_path, database_url, {"wire": wire}, {"chat": f"json://{webhook.netloc}/x"})
        crawl_once(config)
        assert len(webhook.received) == 3
        story = root / "stories/russian-armed-groups-cross-border.html"
        story.write_text(story.read_text(encoding="utf-8").replace("</article>", "<p>Update: the governor said the operation was over and the fighters had gone back across the border.</p></article>", 1), encoding="utf-8")
        db = Database(database_url)
        try:
            _age_articles(db, dt.timedelta(minutes=16))
            crawl_once(config)
            assert last_run(db, "wire").stats["newswatch/articles_revised"] == 1
            with db.session() as s:
                assert s.scalar(select(func.count()).select_from(Alert)) == 3
        finally:
            db.close()
        assert len(webhook.received) == 3


def test_revisits_take_at_most_half_of_max_articles(tmp_path: Path) -> None:
    root = copy_site(BORDERLAND, tmp_path)
    with SiteServer(root) as site:
        outlet = {"name": "borderland", "sitemaps": [site.url("/news-sitemap.xml")], "max_articles": 2, "revisit": ["10m", "1h"]}
        config = write_outlets_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", [outlet])
        crawl_once(config)
        db = Database(f"sqlite:///{tmp_path / 'a.db'}")
        try:
            with db.session() as s:
                assert s.scalar(select(func.count()).select_from(Article)) == 2
            _age_articles(db, dt.timedelta(minutes=11))
            crawl_once(config)
            assert last_run(db, "borderland").stats["newswatch/revisits"] == 1  # 2 due, budget 2 // 2
            crawl_once(config)
            assert last_run(db, "borderland").stats["newswatch/revisits"] == 1  # the other one, a cycle later
            crawl_once(config)
            assert last_run(db, "borderland").stats.get("newswatch/revisits", 0) == 0
        finally:
            db.close()


def test_unchanged_sitemap_index_still_asks_its_children_and_finds_their_new_links(tmp_path: Path, database_url) -> None:
    root = copy_site(BORDERLAND, tmp_path)
    (root / "sitemap-index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        "  <sitemap><loc>{base}/news-sitemap.xml</loc></sitemap>\n</sitemapindex>\n",
        encoding="utf-8",
    )
    with SiteServer(root) as site:
        config = write_outlets_config(tmp_path, database_url, [{"name": "borderland", "sitemaps": [site.url("/sitemap-index.xml")]}])
        crawl_once(config)
        site.clear_log()
        crawl_once(config)
        assert [(s.path, s.status) for s in site.served if s.path != "/robots.txt"] == [("/sitemap-index.xml", 304), ("/news-sitemap.xml", 304)]

        child = root / "news-sitemap.xml"
        child.write_text(child.read_text(encoding="utf-8").replace(
            "</urlset>", "  <url><loc>{base}/news/2023/06/shebekino-buses.html</loc></url>\n</urlset>"
        ), encoding="utf-8")
        site.clear_log()
        crawl_once(config)
        assert [(s.path, s.status) for s in site.served if s.path != "/robots.txt"] == [
            ("/sitemap-index.xml", 304), ("/news-sitemap.xml", 200), ("/news/2023/06/shebekino-buses.html", 200)
        ]
        db = Database(database_url)
        try:
            assert last_run(db, "borderland").stats["newswatch/articles_new"] == 1
        finally:
            db.close()


def test_an_article_that_failed_is_found_again_because_its_index_is_read_in_full(tmp_path: Path, database_url) -> None:
    failing = {"on": True}

    def flaky(handler) -> bool:
        if not failing["on"]:
            return False
        handler.send_response(503)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    with SiteServer(BORDERLAND, {"/news/2023/06/shebekino-buses.html": flaky}) as site:
        config = write_outlets_config(tmp_path, database_url, [{"name": "borderland", "feeds": [site.url("/feed.xml")]}])
        crawl_once(config)
        failing["on"] = False
        site.clear_log()
        crawl_once(config)
        feed = [s for s in site.served if s.path == "/feed.xml"]
        assert [(s.status, s.if_none_match) for s in feed] == [(200, None)]  # no validators: read in full
        assert answered(site, 200) == ["/feed.xml", "/news/2023/06/shebekino-buses.html"]
        site.clear_log()
        crawl_once(config)
        assert answered(site) == ["/feed.xml"] and answered(site, 304) == ["/feed.xml"]  # now complete: 304 again


def test_a_sitemap_dropped_from_its_index_is_not_asked_for_again(tmp_path: Path) -> None:
    root = copy_site(BORDERLAND, tmp_path)
    index = root / "sitemap-index.xml"
    entry = "  <sitemap><loc>{base}/%s</loc></sitemap>\n"
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    (root / "old-sitemap.xml").write_text((root / "news-sitemap.xml").read_text(encoding="utf-8"), encoding="utf-8")
    index.write_text(head + entry % "news-sitemap.xml" + entry % "old-sitemap.xml" + "</sitemapindex>\n", encoding="utf-8")
    with SiteServer(root) as site:
        outlet = {"name": "borderland", "sitemaps": [site.url("/sitemap-index.xml")], "full_fetch_every": "1h"}
        config = write_outlets_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", [outlet])
        crawl_once(config)
        index.write_text(head + entry % "news-sitemap.xml" + "</sitemapindex>\n", encoding="utf-8")
        (root / "old-sitemap.xml").unlink()
        site.clear_log()
        crawl_once(config)  # the index changed: read in full, lists one child
        assert answered(site) == ["/sitemap-index.xml", "/news-sitemap.xml"]
        site.clear_log()
        crawl_once(config)  # index unchanged: only the child it still lists is asked for
        assert [(s.path, s.status) for s in site.served if s.path != "/robots.txt"] == [("/sitemap-index.xml", 304), ("/news-sitemap.xml", 304)]
