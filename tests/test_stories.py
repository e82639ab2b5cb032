"""Stories in the archive: copies and updates join, other stories and furniture-only pages stay apart."""
from __future__ import annotations

from sqlalchemy import func, select, text, update

from newswatch.fingerprint import fingerprint
from storage.db import Database
from storage.models import StoryArticle, StoryBand
from storage.stories import place_article, similar_article, story_outlets
from storage.models import Article
from tests.alerting import archive, page
from tests.story_texts import BANNER, GAS, RAID, RAID_UPDATE_1, SHELLING, paywalled, syndicated


def _place(db: Database, article_id: int):
    with db.session() as session:
        return place_article(session, session.get(Article, article_id))


def test_copies_join_the_first_articles_story(database_url) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        first = _place(db, archive(db, page("wire", "/raid", RAID)))
        copy = _place(db, archive(db, page("ledger", "/a/raid", syndicated(RAID, "Ledger"))))
        update = _place(db, archive(db, page("wire", "/raid-update", RAID_UPDATE_1)))
        other = _place(db, archive(db, page("chronicle", "/shelling", SHELLING)))
        assert not first.joined
        assert copy.joined and copy.story_id == first.story_id and copy.similarity >= 0.5
        assert update.joined and update.story_id == first.story_id
        assert not other.joined and other.story_id != first.story_id
        with db.session() as session:
            assert story_outlets(session, first.story_id) == ["wire", "ledger"]
    finally:
        db.close()


def test_a_revision_stays_in_its_story(database_url) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        article_id = archive(db, page("wire", "/raid", RAID))
        placed = _place(db, article_id)
        assert archive(db, page("wire", "/raid", RAID_UPDATE_1)) == article_id  # same URL: a revision
        again = _place(db, article_id)
        assert again.story_id == placed.story_id and not again.joined
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(StoryArticle)) == 1
    finally:
        db.close()


def test_furniture_only_pages_never_merge(database_url) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        stories = {
            _place(db, archive(db, page("wire", "/p1", BANNER))).story_id,
            _place(db, archive(db, page("ledger", "/p2", BANNER))).story_id,
            _place(db, archive(db, page("chronicle", "/p3", paywalled("Shelling hit Shebekino again overnight.")))).story_id,
            _place(db, archive(db, page("wire", "/p4", paywalled(SHELLING)))).story_id,
            _place(db, archive(db, page("ledger", "/p5", paywalled(GAS)))).story_id,
        }
        assert len(stories) == 5
        with db.session() as session:
            # pages without enough real text have no signature and no band keys at all
            assert session.scalar(select(func.count()).select_from(StoryArticle).where(StoryArticle.signature.is_(None))) == 3
    finally:
        db.close()


def test_lookup_is_an_index_search_by_band_key(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        db.migrate()
        _place(db, archive(db, page("wire", "/raid", RAID)))
        with db.session() as session:
            found = similar_article(session, fingerprint(syndicated(RAID, "Ledger")))
            assert found is not None and found[1] >= 0.5
            keys = ",".join(str(k) for k in fingerprint(RAID).bands())
            plan = " ".join(str(row) for row in session.execute(text(
                f"EXPLAIN QUERY PLAN SELECT DISTINCT article_id FROM story_bands WHERE band IN ({keys})")))
            assert "USING" in plan and "INDEX" in plan.upper() and "SCAN story_bands" not in plan
            assert session.scalar(select(func.count()).select_from(StoryBand)) == 32
    finally:
        db.close()


def test_archive_stories_places_articles_archived_before_stories(tmp_path, capsys) -> None:
    from monitor.cli import main
    from tests.helpers import write_config

    database = f"sqlite:///{tmp_path / 'a.db'}"
    config = write_config(tmp_path, database, {}, {"chat": "json://127.0.0.1:9/x"})
    db = Database(database)
    try:
        db.migrate()
        for outlet, path, body in (("wire", "/raid", RAID), ("ledger", "/raid", syndicated(RAID, "Ledger")), ("wire", "/gas", GAS)):
            archive(db, page(outlet, path, body))  # archived, never matched: no story yet
        assert main(["--config", str(config), "archive", "stories"]) == 0
        assert "placed 3 article(s) in stories; 1 joined a story of an earlier article" in capsys.readouterr().out
        assert main(["--config", str(config), "archive", "stories"]) == 0
        assert "placed 0 article(s)" in capsys.readouterr().out
        with db.session() as session:
            assert sorted(session.scalars(select(func.count()).select_from(StoryArticle).group_by(StoryArticle.story_id))) == [1, 2]
    finally:
        db.close()


def test_crawl_places_an_upgraded_archive_in_stories_before_matching(tmp_path, capsys) -> None:
    """No manual step after an upgrade: the first `crawl --once` places articles that have no story yet."""
    from monitor.cli import main
    from tests.helpers import write_config

    database = f"sqlite:///{tmp_path / 'a.db'}"
    config = write_config(tmp_path, database, {}, {"chat": "json://127.0.0.1:9/x"})
    db = Database(database)
    try:
        db.migrate()
        for outlet, path, body in (("wire", "/raid", RAID), ("ledger", "/raid", syndicated(RAID, "Ledger")), ("wire", "/gas", GAS)):
            archive(db, page(outlet, path, body))
        with db.session() as session:  # matched before stories existed: nothing pending is left to place them
            session.execute(update(Article).values(match_pending=False))
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        with db.session() as session:
            sizes = session.scalars(select(func.count()).select_from(StoryArticle).group_by(StoryArticle.story_id))
            assert sorted(sizes) == [1, 2]
        assert main(["--config", str(config), "archive", "stories"]) == 0
        assert "placed 0 article(s)" in capsys.readouterr().out
    finally:
        db.close()


def test_placing_is_serialised_across_processes_on_postgresql(database_url) -> None:
    """A second connection cannot place articles while a first one holds the placing lock."""
    from storage.stories import PLACING_LOCK, lock_placing

    if not database_url.startswith("postgresql"):
        import pytest

        pytest.skip("SQLite needs no placing lock: BEGIN IMMEDIATE lets one writer in at a time")
    first, second = Database(database_url), Database(database_url)
    try:
        first.migrate()
        with first.session() as holding:
            lock_placing(holding)
            with second.engine.connect() as other:
                taken = other.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": PLACING_LOCK}).scalar()
                assert taken is False
        with second.engine.connect() as other:  # released with the first transaction
            assert other.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": PLACING_LOCK}).scalar() is True
    finally:
        first.close()
        second.close()
