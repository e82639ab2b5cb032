"""Read-only sessions: they never wait for a writer (SQLite), and they refuse to write (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import exc, func, insert, select

from crawler.outlets import Outlet
from monitor.outlet_table import outlet_rows
from storage.db import Database
from storage.models import OutletState


def test_reads_and_an_up_to_date_migrate_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    writer, reader = Database(url), Database(url)
    writer.migrate()
    try:
        with writer.session() as held:  # BEGIN IMMEDIATE: the write lock is held until this block ends
            held.execute(insert(OutletState).values(outlet="wire", error_streak=3))
            reader.migrate()  # nothing to do: checked without the write lock
            with reader.reading() as session:  # a snapshot beside the writer: the uncommitted row is not there
                assert session.scalar(select(func.count()).select_from(OutletState)) == 0
            (row,) = outlet_rows(reader, [Outlet(name="wire", feeds=["http://wire.example.org/feed.xml"])], dt.datetime.now(dt.timezone.utc))
            assert row["crawled"] is False
        with reader.reading() as session:
            assert session.scalar(select(OutletState.error_streak)) == 3
    finally:
        writer.close()
        reader.close()


def test_a_read_only_session_refuses_to_write(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    try:
        with pytest.raises(exc.DBAPIError), db.reading() as session:
            session.execute(insert(OutletState).values(outlet="wire", error_streak=1))
        with db.session() as session:  # the pooled connection writes again in a write session
            session.execute(insert(OutletState).values(outlet="wire", error_streak=1))
        with db.reading() as session:
            assert session.scalar(select(OutletState.error_streak)) == 1
    finally:
        db.close()
