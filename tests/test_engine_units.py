"""The engine's plain parts: the pipe protocol, first-poll spread, and outlet leases on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest

from crawler.outlets import Outlet
from crawler.protocol import Poll, Pong, Result, decode_from_engine, decode_to_engine, encode
from monitor.pacing import first_poll_delay, spread_fraction
from storage.db import Database
from storage.leases import Holder, acquire_lease, lease_of, release_lease, renew_leases

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.timezone.utc)
S = dt.timedelta(seconds=1)


def test_messages_are_one_json_line_each_and_round_trip() -> None:
    poll = Poll(poll_id="p1", cycle_id="c1", outlet=Outlet(name="wire", feeds=["https://wire.example/feed.xml"]), timeout=30)
    line = encode(poll)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_to_engine(line) == poll
    result = Result(poll_id="p1", outlet="wire", finish_reason="timeout", errors=[{"kind": "timeout", "url": "", "message": "x"}], recorded=False)
    assert decode_from_engine(encode(result)) == result
    assert decode_from_engine(encode(Pong(seq=3, rss_bytes=10, running=0))).seq == 3


def test_an_unknown_message_is_refused() -> None:
    with pytest.raises(ValueError):
        decode_to_engine(b'{"type": "explode"}')
    with pytest.raises(ValueError):
        decode_to_engine(b'{"type": "ping", "seq": 1, "extra": true}')


@pytest.mark.parametrize(
    ("every", "outlets", "longest"),
    [
        (dt.timedelta(seconds=60), 300, dt.timedelta(seconds=60)),  # 300 outlets: spread over the whole minute
        (dt.timedelta(seconds=60), 3, dt.timedelta(milliseconds=750)),  # three outlets: within a second
        (dt.timedelta(minutes=10), 1000, dt.timedelta(seconds=250)),
        (dt.timedelta(seconds=2), 12, dt.timedelta(seconds=2)),
    ],
)
def test_first_polls_are_spread_over_the_interval(every: dt.timedelta, outlets: int, longest: dt.timedelta) -> None:
    delays = [first_poll_delay(f"outlet-{i}", every, outlets) for i in range(outlets)]
    assert all(dt.timedelta(0) <= d < longest for d in delays)
    if outlets >= 10:
        assert max(delays) - min(delays) > longest / 2  # spread, not bunched
    assert delays == [first_poll_delay(f"outlet-{i}", every, outlets) for i in range(outlets)]  # the same on every start


def test_the_spread_is_fixed_by_the_name() -> None:
    assert spread_fraction("wire") == spread_fraction("wire") != spread_fraction("ledger")
    assert 0 <= spread_fraction("wire") < 1


def test_an_outlet_lease_has_one_holder_until_released_or_expired(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        first, second = Holder("daemon:a", 11, "host-a"), Holder("crawl:b", 22, "host-b")
        with db.session() as session:
            assert acquire_lease(session, "wire", first, T0)
            assert acquire_lease(session, "wire", first, T0 + S)  # taking it again is fine for its holder
        with db.session() as session:
            assert not acquire_lease(session, "wire", second, T0 + 30 * S)
            assert acquire_lease(session, "ledger", second, T0 + 30 * S)  # other outlets are free
            assert lease_of(session, "wire").pid == 11
        with db.session() as session:
            assert renew_leases(session, first, ["wire", "ledger"], T0 + 50 * S) == 1  # only its own
        with db.session() as session:
            assert not acquire_lease(session, "wire", second, T0 + 100 * S)  # renewed until T0 + 110 s
            assert not release_lease(session, "wire", second)
        with db.session() as session:  # the holder died: no renewal, the lease expires
            assert acquire_lease(session, "wire", second, T0 + 111 * S)
            assert lease_of(session, "wire").holder == "crawl:b"
            assert not release_lease(session, "wire", first)
            assert release_lease(session, "wire", second)
            assert lease_of(session, "wire") is None
    finally:
        db.close()
