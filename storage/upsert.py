"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: type, values: dict[str, Any] | list[dict[str, Any]], keys: list[str]) -> int:
    """Insert rows unless a row with the same `keys` exists; for one row, returns how many were inserted (0 or 1).

    A list of rows is one executemany of a statement compiled once (a multi-row VALUES would be
    compiled again for every call); its count is what the driver reports.
    """
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(model).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        statement = sqlite.insert(model).on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"database dialect {dialect!r} is not supported")
    if isinstance(values, list):
        session.flush()
        return max(session.connection().execute(statement, values).rowcount or 0, 0)
    return session.execute(statement.values(values)).rowcount or 0
