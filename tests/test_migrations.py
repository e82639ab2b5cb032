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
