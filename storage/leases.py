"""Per-outlet leases: a crawl of an outlet runs only while its crawler holds the outlet's row.

A lease is taken with one INSERT … ON CONFLICT DO UPDATE … WHERE (the row is free, expired, or
already ours), so two processes racing for an outlet cannot both win, on SQLite and PostgreSQL
alike. The holder renews its leases while it crawls and deletes them when done; a holder that
dies stops renewing, and its leases expire after their time to live.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import OutletLease

LEASE_TTL = dt.timedelta(seconds=60)  # a dead holder's leases are free again after this


@dataclass(frozen=True)
class Holder:
    """One process that crawls: a unique id, with its pid and host for people reading the table."""

    id: str
    pid: int
    host: str

    @classmethod
    def of_this_process(cls, role: str) -> Holder:
        host = socket.gethostname()[:200]
        return cls(f"{role}:{host}:{os.getpid()}:{uuid.uuid4().hex[:8]}", os.getpid(), host)


@dataclass(frozen=True)
class LeaseInfo:
    outlet: str
    holder: str
    pid: int
    host: str
    acquired_at: dt.datetime
    expires_at: dt.datetime


def acquire_lease(session: Session, outlet: str, holder: Holder, now: dt.datetime, ttl: dt.timedelta = LEASE_TTL) -> bool:
    """Take the outlet's lease unless another live holder has it; True when this holder now holds it."""
    values = {"outlet": outlet, "holder": holder.id, "pid": holder.pid, "host": holder.host,
              "acquired_at": now, "expires_at": now + ttl}
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"database dialect {dialect!r} is not supported")
    statement = insert(OutletLease).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["outlet"],
        set_={key: statement.excluded[key] for key in ("holder", "pid", "host", "acquired_at", "expires_at")},
        where=(OutletLease.expires_at <= now) | (OutletLease.holder == holder.id),
    ).returning(OutletLease.holder)
    return session.execute(statement).scalar_one_or_none() == holder.id


def renew_leases(session: Session, holder: Holder, outlets: list[str], now: dt.datetime, ttl: dt.timedelta = LEASE_TTL) -> int:
    """Push back the expiry of the holder's leases on these outlets; returns how many it still held."""
    if not outlets:
        return 0
    result = session.execute(
        update(OutletLease)
        .where(OutletLease.holder == holder.id, OutletLease.outlet.in_(outlets))
        .values(expires_at=now + ttl)
    )
    return result.rowcount or 0


def release_lease(session: Session, outlet: str, holder: Holder) -> bool:
    """Give the lease back (only if this holder still has it)."""
    result = session.execute(delete(OutletLease).where(OutletLease.outlet == outlet, OutletLease.holder == holder.id))
    return (result.rowcount or 0) == 1


def lease_of(session: Session, outlet: str) -> LeaseInfo | None:
    row = session.scalars(select(OutletLease).where(OutletLease.outlet == outlet)).first()
    if row is None:
        return None
    return LeaseInfo(row.outlet, row.holder, row.pid, row.host, row.acquired_at, row.expires_at)
