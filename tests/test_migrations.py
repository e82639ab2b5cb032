"""The Alembic migrations build exactly the schema storage/models.py declares, and keep old rows."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from storage.db import MIGRATIONS, Database
from storage.models import Base
from storage.search import outside_search_index


def test_migrated_schema_matches_the_models(database_url) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": outside_search_index})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
    finally:
        db.close()


def test_alerts_made_before_stories_get_a_key(database_url) -> None:
    db = Database(database_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "0001")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO articles (id, url_key, canonical_url, url, outlet, authors, text, content_hash, first_seen, "
                "fetched_at, revision_count, match_pending) VALUES (1, 'k', 'u', 'u', 'wire', '[]', '', 'h', "
                "'2023-05-22 10:00:00', '2023-05-22 10:00:00', 1, false)"))
            connection.execute(text(
                "INSERT INTO alerts (id, watch_id, watch_name, article_id, terms, snippet, created_at) "
                "VALUES (7, 'w', 'w', 1, '[]', '', '2023-05-22 10:00:00')"))
        db.migrate()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT kind, key FROM alerts WHERE id = 7")).one() == ("story", "alert-7")
    finally:
        db.close()


def test_widening_articles_language_keeps_every_row_that_refers_to_articles(database_url) -> None:
    """0004 rebuilds `articles` on SQLite: with foreign keys on, that would cascade-delete revisions and URLs."""
    db = Database(database_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "0003")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO articles (id, url_key, canonical_url, url, outlet, authors, language, text, content_hash, first_seen, "
                "fetched_at, revision_count, match_pending) VALUES (1, 'k', 'u', 'u', 'wire', '[]', 'ru', 'x', 'h', "
                "'2023-05-22 10:00:00', '2023-05-22 10:00:00', 1, false)"))
            connection.execute(text(
                "INSERT INTO revisions (id, article_id, fetched_at, fetched_url, http_status, raw_html, text, content_hash) "
                "VALUES (1, 1, '2023-05-22 10:00:00', 'u', 200, :raw, 'x', 'h')"), {"raw": b"x\x9c\x03\x00\x00\x00\x00\x01"})
            connection.execute(text("INSERT INTO article_urls (url_key, url, article_id) VALUES ('k', 'u', 1)"))
        db.migrate()
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM revisions")).scalar() == 1
            assert connection.execute(text("SELECT count(*) FROM article_urls")).scalar() == 1
            assert connection.execute(text("SELECT language FROM articles")).scalar() == "ru"
            connection.execute(text("UPDATE articles SET language = :tag"), {"tag": "x" * 35})  # a whole BCP 47 tag fits
        if db.dialect == "sqlite":
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on after migrating
    finally:
        db.close()


def test_the_schema_check_knows_the_newest_migration(tmp_path) -> None:
    """Database.migrate skips alembic when the database is at SCHEMA_HEAD: that constant must be alembic's head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS, SCHEMA_HEAD

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [SCHEMA_HEAD]
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    assert db.schema_revisions() == set()  # a new file: no alembic_version yet
    db.migrate()
    assert db.schema_revisions() == {SCHEMA_HEAD}
    db.close()
