"""Engine and session set-up for SQLite (default) and PostgreSQL, and schema migration.

Two kinds of session: `session()` is a short write transaction (SQLite: BEGIN IMMEDIATE, so
concurrent writers queue instead of failing), `reading()` is a read-only one that never takes the
write lock (SQLite: a deferred BEGIN, which in WAL mode reads a snapshot beside any writer;
PostgreSQL: a READ ONLY transaction). A write inside `reading()` fails instead of waiting.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA_HEAD = "0006"  # the newest migration (storage/migrations/versions); test_migrations checks it against alembic's head
READ_ONLY = "newswatch_read_only"  # execution option that marks a read-only connection


class Database:
    """An engine plus two session factories: `session()` writes, `reading()` only reads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        options = {READ_ONLY: True}
        if self.engine.dialect.name == "postgresql":
            options["postgresql_readonly"] = True
        self._readers = sessionmaker(self.engine.execution_options(**options), expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction that commits on success and rolls back on any error. Keep it short."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction: never waits for writers and never blocks them. Writing in it is an error."""
        with self._readers() as session, session.begin():
            yield session

    def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to call on every start).

        An up-to-date schema is checked with a read-only connection, so a command started while
        another process writes does not queue for the write lock just to find nothing to do.
        """
        if self.schema_revisions() == {SCHEMA_HEAD}:  # the common case, answered without importing alembic
            return
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        heads = set(ScriptDirectory.from_config(cfg).get_heads())
        with self.engine.execution_options(**{READ_ONLY: True}).connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
            connection.rollback()
        if current == heads:
            return
        if self.dialect == "sqlite":
            with _sqlite_foreign_keys_off(self.engine) as connection, connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
                _check_foreign_keys(connection)
            return
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    def schema_revisions(self) -> set[str]:
        """The migrations the database says it is at (alembic_version), read-only; empty for a new database."""
        try:
            with self.engine.execution_options(**{READ_ONLY: True}).connect() as connection:
                rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
                connection.rollback()
        except DBAPIError:  # no such table yet
            return set()
        return set(rows)

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def _sqlite_foreign_keys_off(engine: Engine) -> Iterator[Connection]:
    """A connection with foreign keys off, for migrations.

    SQLite alters a column by rebuilding its table (Alembic batch mode: copy, drop, rename). With
    foreign keys on, dropping the old table would first delete its rows and cascade to every table
    that refers to it. The pragma cannot change inside a transaction, so it is set before one begins.
    """
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            yield connection
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left {len(broken)} rows whose foreign keys point nowhere, e.g. {tuple(broken[0])}")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys; BEGIN IMMEDIATE for writers, a deferred read-only BEGIN for readers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("PRAGMA query_only=ON")
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("PRAGMA query_only=OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
