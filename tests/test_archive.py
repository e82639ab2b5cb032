"""The archive on SQLite and PostgreSQL: one row per article, a revision per distinct text."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from crawler.extract import text_hash
from storage.archive import ArchivedPage, archive_page, known_article_id, known_urls
from storage.db import Database
from storage.models import Article, Revision

NOW = dt.datetime(2023, 5, 22, 18, 0, tzinfo=dt.timezone.utc)


def page(text: str, url: str = "http://n.example.org/a-1.html", others: tuple[str, ...] = ()) -> ArchivedPage:
    return ArchivedPage(
        outlet="n", canonical_url=url, fetched_url=url, other_urls=others, http_status=200,
        content_type="text/html", raw_html=f"<html><p>{text}</p></html>".encode(), fetched_at=NOW,
        text=text, content_hash=text_hash(text), title="T", published=NOW,
    )


def test_new_unchanged_revised(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    db.migrate()  # idempotent
    try:
        with db.session() as s:
            assert archive_page(s, page("first text", others=("http://n.example.org/a-1.html?x=1",)))[0] == "new"
        with db.session() as s:
            assert archive_page(s, page("first   text"))[0] == "unchanged"  # white space only
            s.execute(Article.__table__.update().values(match_pending=False))
        with db.session() as s:
            outcome, article_id = archive_page(s, page("second text", url="http://n.example.org/a-1.html?x=1"))
            assert outcome == "revised"
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Article)) == 1
            assert s.scalars(select(Revision.text).order_by(Revision.id)).all() == ["first text", "second text"]
            article = s.get(Article, article_id)
            assert article.text == "second text" and article.revision_count == 2 and article.match_pending
            assert article.published == NOW
            raw = s.scalars(select(Revision.raw_html)).first()
            assert raw == b"<html><p>first text</p></html>"
            assert known_article_id(s, "http://n.example.org/a-1.html?x=1") == article_id
            assert known_article_id(s, "http://n.example.org/other.html") is None
            assert known_urls(s, ["http://n.example.org/a-1.html", "http://n.example.org/other.html"]) == {"http://n.example.org/a-1.html"}
    finally:
        db.close()


def test_relative_sqlite_path_is_relative_to_config(tmp_path) -> None:
    from monitor.config import resolve_database_url

    assert resolve_database_url("sqlite:///nw.db", tmp_path) == f"sqlite:///{tmp_path / 'nw.db'}"
    assert resolve_database_url("sqlite:////abs/nw.db", tmp_path) == "sqlite:////abs/nw.db"
    assert resolve_database_url("postgresql+psycopg://u@h/db", tmp_path) == "postgresql+psycopg://u@h/db"
