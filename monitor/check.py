"""`newswatch check` (config, rules, channel URLs, database connection and schema) and `newswatch db upgrade`.

Every problem is one line; nothing here prints a traceback. Secrets are masked.
"""
from __future__ import annotations

import sys

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from newswatch.secrets import MASKER, redact_url
from newswatch.yamlsource import ConfigError

EXIT_OK, EXIT_ERRORS = 0, 2


def describe_database(url: str) -> str:
    """The database as an error line may name it: a SQLite file by its path, a server without credentials."""
    if url.startswith("sqlite:///"):
        return f"sqlite {url[len('sqlite:///'):] or ':memory:'}"
    return redact_url(url)


def database_error_line(url: str, exc: BaseException) -> str:
    """One masked line for a database that cannot be used (instead of SQLAlchemy's long traceback)."""
    cause = getattr(exc, "orig", None) or exc
    first = next((line.strip() for line in str(cause).splitlines() if line.strip()), type(cause).__name__)
    return MASKER.mask(f"database {describe_database(url)}: {type(cause).__name__}: {first}")


def schema_state(db) -> tuple[str | None, str]:
    """The database's migration revision (None: empty database) and the newest this code knows."""
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def check(config_file) -> int:
    from monitor.config import load_config
    from storage.db import Database

    errors: list[str] = []
    try:
        config = load_config(config_file)
    except ConfigError as exc:  # config keys, channel URLs (through apprise), ${VAR}s
        print(f"config: {config_file}\n{exc}", file=sys.stderr)
        return EXIT_ERRORS
    settings = config.settings
    try:
        rules = config.load_rules()
        summary = [f"{len(settings.outlets)} outlet(s), {len(settings.channels)} channel(s), "
                   f"{len(rules.watches)} watch(es) in {len(rules.files)} rule file(s)"]
    except ConfigError as exc:
        errors.append(str(exc))
        summary = []
    db = None
    try:
        db = Database(config.database_url)
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = schema_state(db)
        if current == head:
            summary.append(f"database {describe_database(config.database_url)} reachable, schema up to date ({head})")
        elif current is None:
            summary.append(f"database {describe_database(config.database_url)} reachable and empty; `newswatch db upgrade` (or the first run) creates the schema")
        else:
            if current in _known_revisions():
                summary.append(f"database {describe_database(config.database_url)} reachable; schema at {current}, newest is {head}: "
                               f"run `newswatch db upgrade` (or start the daemon, which upgrades it)")
            else:
                errors.append(f"database {describe_database(config.database_url)}: schema revision {current} is unknown to this "
                              f"newswatch (newer version?); newest known is {head}")
    except (SQLAlchemyError, OSError) as exc:
        errors.append(database_error_line(config.database_url, exc))
    finally:
        if db is not None:
            db.close()
    for line in errors:
        print(line, file=sys.stderr)
    if errors:
        return EXIT_ERRORS
    print("ok: " + "; ".join(summary))
    return EXIT_OK


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}


def db_upgrade(config) -> int:
    from storage.db import Database

    db = Database(config.database_url)
    try:
        before, head = schema_state(db)
        db.migrate()
        after, _head = schema_state(db)
    finally:
        db.close()
    if before == after:
        print(f"database schema already up to date ({after})")
    else:
        print(f"database schema upgraded from {before or 'empty'} to {after}")
    return EXIT_OK
