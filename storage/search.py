"""The full-text index: SQLite FTS5 or a PostgreSQL tsvector with a GIN index, over pre-normalised words.

Both hold the same words (newswatch.searchquery.search_words: case, diacritics, ё/е and ї/і already
folded in Python), so each database only finds candidates for a query; the query's own matcher
then keeps the articles that really match, with the rules' morphology, and ranks them by one
score. SQLite and PostgreSQL therefore return the same articles in the same order whenever the
candidates fit in one window (MIN_WINDOW); beyond that, each picks its window by its own rank.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Row, bindparam, select, text
from sqlalchemy.orm import Session

from newswatch.searchquery import Phrase, Query, Word, evaluate, search_words
from newswatch.snippets import Snippet, highlight_title, snippet
from storage.models import Article, StoryArticle
from storage.types import UTCDateTime

# contentless: the words are kept once, in the articles; a changed article is deleted from the index with its old words
SQLITE_DDL = ("CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
              "title, body, content = '', tokenize = 'unicode61 remove_diacritics 0')")
POSTGRES_DDL = (
    "CREATE TABLE IF NOT EXISTS search_index ("
    " article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
    " document TSVECTOR NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_search_index_document ON search_index USING GIN (document)",
)
MIN_WINDOW = 100  # candidates read per query at least; within them both databases rank alike
MAX_WINDOWS = 20  # when exclusions or inflection checks drop candidates, further windows are read, at most this many


@dataclass(frozen=True)
class Filters:
    since: dt.datetime | None = None  # published (or first seen, when the page gave no date) at or after
    until: dt.datetime | None = None  # ... before
    outlets: tuple[str, ...] = ()
    article_ids: frozenset[int] | None = None  # e.g. the articles a watch matched
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    id: int
    url: str
    title: str
    outlet: str
    published: dt.datetime | None
    language: str | None
    story: int | None
    score: float
    snippet: Snippet
    title_highlights: tuple[tuple[int, int], ...] = field(default=())


def outside_search_index(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic `include_name` hook: the index's tables are made here by hand, not from storage/models.py."""
    return not (type_ == "table" and (name or "").startswith("search_index"))


def create_index(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_DDL)
    else:
        for statement in POSTGRES_DDL:
            connection.exec_driver_sql(statement)


def _values(article_id: int, title: str | None, body: str | None) -> dict:
    return {"id": article_id, "title": " ".join(search_words(title or "")), "body": " ".join(search_words(body or ""))}


def index_rows(connection: Connection, rows: Iterable[tuple[int, str | None, str | None]],
               previous: dict[int, tuple[str | None, str | None]] | None = None) -> int:
    """Index articles given as (id, title, text); `previous` holds the title and text they were indexed with, if any."""
    values = [_values(*row) for row in rows]
    if not values:
        return 0
    if connection.dialect.name == "sqlite":
        old = [_values(i, *previous[i]) for i in (v["id"] for v in values) if previous and i in previous]
        if old:
            connection.execute(text("INSERT INTO search_index (search_index, rowid, title, body) VALUES ('delete', :id, :title, :body)"), old)
        connection.execute(text("INSERT INTO search_index (rowid, title, body) VALUES (:id, :title, :body)"), values)
    else:
        connection.execute(text(
            "INSERT INTO search_index (article_id, document) VALUES (:id,"
            " setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :body), 'B'))"
            " ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"), values)
    return len(values)


def index_article(session: Session, article_id: int, title: str | None, body: str | None,
                  previous: tuple[str | None, str | None] | None = None) -> None:
    """Keep the index in step with an article's latest title and text (in the caller's transaction).

    `previous`: the title and text the article had until now (None for a new article).
    """
    index_rows(session.connection(), [(article_id, title, body)], {article_id: previous} if previous else None)


def reindex(connection: Connection, batch: int = 500, progress: Callable[[int, int], None] | None = None) -> int:
    """Empty the index and index every archived article again; `progress(done, total)` after each batch."""
    total = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
    if connection.dialect.name == "sqlite":
        connection.execute(text("INSERT INTO search_index (search_index) VALUES ('delete-all')"))
    else:
        connection.execute(text("DELETE FROM search_index"))
    done, last = 0, 0
    while True:
        rows = connection.execute(text("SELECT id, title, text FROM articles WHERE id > :last ORDER BY id LIMIT :n"),
                                  {"last": last, "n": batch}).all()
        if not rows:
            return done
        done += index_rows(connection, [tuple(r) for r in rows])
        last = rows[-1][0]
        if progress:
            progress(done, total)


def index_size(connection: Connection) -> int:
    """Bytes the index takes on disk (SQLite: its shadow tables' pages; PostgreSQL: table, TOAST and GIN)."""
    if connection.dialect.name == "sqlite":
        return connection.execute(text(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'search_index%'")).scalar_one()
    return connection.execute(text("SELECT pg_total_relation_size('search_index')")).scalar_one()


def _fts5_word(word: Word) -> str:
    return f'"{word.stem}"' + ("*" if word.open_ended else "")


def _fts5_phrase(phrase: Phrase) -> str:
    return " + ".join(_fts5_word(w) for w in phrase.words)


def _tsquery_word(word: Word) -> str:
    return f"'{word.stem}'" + (":*" if word.open_ended else "")


def _tsquery_phrase(phrase: Phrase) -> str:
    return "(" + " <-> ".join(_tsquery_word(w) for w in phrase.words) + ")"


def candidate_query(query: Query, dialect: str) -> str:
    """The query in the database's own syntax: each word as a quoted stem, so user input never reaches its parser.

    Exclusions are left to `evaluate` (an inflected word's stem would exclude too much).
    """
    if dialect == "sqlite":
        return " AND ".join("(" + " OR ".join(_fts5_phrase(p) for p in c.options) + ")" for c in query.required)
    return " & ".join("(" + " | ".join(_tsquery_phrase(p) for p in c.options) + ")" for c in query.required)


def _where(filters: Filters, params: dict) -> str:
    clauses = []
    if filters.since is not None:
        clauses.append("coalesce(a.published, a.first_seen) >= :since")
        params["since"] = filters.since
    if filters.until is not None:
        clauses.append("coalesce(a.published, a.first_seen) < :until")
        params["until"] = filters.until
    for name, values, column in (("outlet", filters.outlets, "a.outlet"), ("lang", filters.languages, "a.language")):
        if values:
            keys = [f"{name}{i}" for i in range(len(values))]
            clauses.append(f"{column} IN ({', '.join(':' + k for k in keys)})")
            params.update(zip(keys, values))
    if filters.article_ids is not None:
        ids = sorted(filters.article_ids) or [0]
        clauses.append(f"a.id IN ({', '.join(str(int(i)) for i in ids)})")
    return "".join(f" AND {c}" for c in clauses)


def candidates(session: Session, query: Query, filters: Filters, limit: int, offset: int = 0) -> list[int]:
    """Article ids the database finds for the query, best first by its own ranking."""
    dialect = session.get_bind().dialect.name
    params: dict = {"q": candidate_query(query, dialect), "n": limit, "o": offset}
    where = _where(filters, params)
    if dialect == "sqlite":
        sql = ("SELECT a.id FROM search_index JOIN articles a ON a.id = search_index.rowid"
               f" WHERE search_index MATCH :q{where} ORDER BY bm25(search_index, 3.0, 1.0), a.id DESC LIMIT :n OFFSET :o")
    else:
        sql = ("SELECT a.id FROM search_index s JOIN articles a ON a.id = s.article_id, to_tsquery('simple', :q) q"
               f" WHERE s.document @@ q{where} ORDER BY ts_rank(s.document, q) DESC, a.id DESC LIMIT :n OFFSET :o")
    statement = text(sql).bindparams(*(bindparam(k, type_=UTCDateTime()) for k in ("since", "until") if k in params))
    return list(session.execute(statement, params).scalars())


def search(session: Session, query: Query, filters: Filters = Filters(), limit: int = 20) -> list[Hit]:
    """The best `limit` articles for the query, each with a highlighted snippet."""
    window = max(MIN_WINDOW, limit * 5)
    scored: list[tuple[float, Row]] = []
    for page in range(MAX_WINDOWS):
        ids = candidates(session, query, filters, window, page * window)
        scored += _matching(session, query, ids)
        if len(ids) < window or len(scored) >= limit:
            break
    scored.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [
        Hit(
            id=row.id, url=row.canonical_url or row.url, title=row.title or "", outlet=row.outlet, published=row.published,
            language=row.language, story=row.story_id, score=score, snippet=snippet(query, row.title or "", row.text or ""),
            title_highlights=highlight_title(query, row.title or ""),
        )
        for score, row in scored[:limit]
    ]


def _matching(session: Session, query: Query, ids: list[int]) -> list[tuple[float, Row]]:
    """The candidates that really match the query, with their score."""
    if not ids:
        return []
    rows = session.execute(
        select(Article.id, Article.url, Article.canonical_url, Article.title, Article.text, Article.outlet,
               Article.published, Article.language, StoryArticle.story_id)
        .outerjoin(StoryArticle, StoryArticle.article_id == Article.id).where(Article.id.in_(ids))
    ).all()
    found = []
    for row in rows:
        score = evaluate(query, search_words(row.title or ""), search_words(row.text or ""))
        if score is not None:
            found.append((score, row))
    return found
