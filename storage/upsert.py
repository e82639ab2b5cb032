"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: type, values: dict[str, Any] | list[dict[str, Any]], keys: list[str]) -> int:
    """Insert rows unless a row with the same `keys` exists; returns how many were inserted."""
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(model).values(values).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        statement = sqlite.insert(model).values(values).on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"database dialect {dialect!r} is not supported")
    return session.execute(statement).rowcount or 0
