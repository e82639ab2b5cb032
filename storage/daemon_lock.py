"""One daemon per database: a lock that dies with the process holding it, and a note of who that is.

SQLite: an OS file lock (flock) on `<database>.lock` beside the database file, with the holder
written into the file. PostgreSQL: a session advisory lock on a connection kept open for the
daemon's life, with the holder in the `daemon_holder` table. A killed holder's lock is released
by the kernel or the server at once; a stale note is simply overwritten by the next holder.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.models import DaemonHolder
from storage.types import utcnow

ADVISORY_KEY = 0x6E776430  # "nwd0": the daemon's advisory lock id (storage/stories.py uses "news" for placing)


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started_at: dt.datetime | None

    def describe(self) -> str:
        since = self.started_at.strftime("%Y-%m-%d %H:%M:%S UTC") if self.started_at else "an unknown time"
        return f"pid {self.pid} on {self.host}, running since {since}"


class AlreadyRunning(Exception):
    """Another daemon holds this database."""

    def __init__(self, holder: Holder | None) -> None:
        self.holder = holder
        who = holder.describe() if holder else "a process that left no note"
        super().__init__(f"another newswatch daemon already runs on this database: {who}")


def this_process() -> Holder:
    return Holder(socket.gethostname(), os.getpid(), utcnow().replace(microsecond=0))


class DaemonLock:
    """Taken with `acquire()` (raises AlreadyRunning), held until `release()` or the process ends."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._file: int | None = None
        self._connection: Connection | None = None
        self._me: Holder | None = None

    def acquire(self) -> Holder:
        """Take the lock (before the migrations run, so a second daemon never migrates under a running one)."""
        me = this_process()
        if self.db.dialect == "sqlite":
            self._lock_file(me)
        elif self.db.dialect == "postgresql":
            self._lock_postgres(me)
        self._me = me
        return me

    def lock_path(self) -> Path | None:
        database = make_url(self.db.url).database
        if not database or database == ":memory:":
            return None
        return Path(database).expanduser().resolve().with_name(Path(database).name + ".lock")

    def _lock_file(self, me: Holder) -> None:
        import fcntl

        path = self.lock_path()
        if path is None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            note = os.read(fd, 4096).decode("utf-8", "replace")
            os.close(fd)
            raise AlreadyRunning(_holder_from_note(note)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"host": me.host, "pid": me.pid, "started_at": me.started_at.isoformat()}).encode(), 0)
        os.fsync(fd)
        self._file = fd

    def _lock_postgres(self, me: Holder) -> None:
        connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}):
            try:
                row = connection.execute(text("SELECT host, pid, started_at FROM daemon_holder WHERE id = 1")).first()
            except SQLAlchemyError:  # a holder that has not migrated yet: no note
                row = None
            connection.close()
            holder = Holder(row.host, row.pid, row.started_at.replace(tzinfo=dt.timezone.utc)) if row else None
            raise AlreadyRunning(holder)
        self._connection = connection
        self._me = me

    def write_note(self) -> None:
        """PostgreSQL: record who holds the lock (after the migrations, which make the table)."""
        if self._connection is not None and self._me is not None:
            with self.db.session() as session:
                session.merge(DaemonHolder(id=1, host=self._me.host, pid=self._me.pid, started_at=self._me.started_at))

    @property
    def held(self) -> bool:
        return self._file is not None or self._connection is not None or self._me is not None

    def release(self) -> None:
        self._me = None
        if self._file is not None:
            os.close(self._file)  # closing the descriptor drops the flock
            self._file = None
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            finally:
                self._connection.invalidate()  # never hand a connection that held the lock back to the pool
                self._connection.close()
                self._connection = None


def _holder_from_note(note: str) -> Holder | None:
    try:
        data = json.loads(note)
        return Holder(str(data["host"]), int(data["pid"]), dt.datetime.fromisoformat(data["started_at"]))
    except (ValueError, KeyError, TypeError):
        return None
