"""Outlet health: failed crawls back off exponentially (and respect Retry-After), `newswatch outlets` shows it."""
from __future__ import annotations

import datetime as dt
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from crawler.schedule import backoff_delay, index_request_headers, next_revisit
from monitor.cli import main
from monitor.config import load_config
from monitor.crawl import OutletResult
from monitor.daemon import Daemon
from monitor.schedule import build_scheduler
from monitor.health import Health, crawl_failed, next_health, record_health
from monitor.sites import SiteServer
from storage.crawlstate import outlet_state
from storage.db import Database
from tests.crawling import BORDERLAND, answered, crawl_once, write_outlets_config

UTC = dt.timezone.utc
T0 = dt.datetime(2023, 5, 22, 12, 0, tzinfo=UTC)
M, H = dt.timedelta(minutes=1), dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("every", "streak", "cap", "expected"),
    [
        (10 * M, 0, 24 * H, 0 * M), (10 * M, 1, 24 * H, 20 * M), (10 * M, 2, 24 * H, 40 * M), (10 * M, 3, 24 * H, 80 * M),
        (10 * M, 7, 24 * H, 1280 * M), (10 * M, 8, 24 * H, 24 * H), (10 * M, 500, 24 * H, 24 * H), (2 * H, 4, 24 * H, 24 * H),
        # the default cap (1h): a news monitor never goes deaf to an outlet for longer than that
        (10 * M, 1, H, 20 * M), (10 * M, 2, H, 40 * M), (10 * M, 3, H, H), (10 * M, 50, H, H), (M, 6, H, H),
        # an outlet polled less often than the cap is paused one interval, never less
        (2 * H, 1, H, 2 * H), (2 * H, 9, H, 2 * H),
    ],
)
def test_backoff_doubles_per_failure_up_to_the_cap(every, streak, cap, expected) -> None:
    assert backoff_delay(every, streak, cap) == expected


def test_default_backoff_cap_is_an_hour() -> None:
    from crawler.job import CrawlSettings

    assert CrawlSettings().backoff_max == H


@pytest.mark.parametrize(
    ("reason", "stats", "failed"),
    [
        ("finished", {"newswatch/indexes_ok": 1, "newswatch/indexes_failed": 2}, False),  # one index is enough
        ("finished", {"newswatch/indexes_ok": 0, "newswatch/indexes_failed": 3}, True),
        ("finished", {}, True),
        ("worker_failed", {}, True),
        ("closespider_timeout", {"newswatch/indexes_ok": 2}, True),
        # indexes refused by the target policy are the outlet's content, not the outlet being down
        ("finished", {"newswatch/indexes_ok": 0, "newswatch/indexes_failed": 2, "newswatch/indexes_blocked": 2}, False),
        ("finished", {"newswatch/indexes_ok": 0, "newswatch/indexes_failed": 3, "newswatch/indexes_blocked": 2}, True),
    ],
)
def test_what_counts_as_a_failed_crawl(reason, stats, failed) -> None:
    assert crawl_failed(reason, stats) is failed


def test_health_grows_resets_and_respects_retry_after() -> None:
    step = dict(every=10 * M, cap=24 * H, finish_reason="finished")
    down = [{"kind": "http_500", "url": "http://x/feed", "message": "500"}]
    one = next_health(Health(), failed=True, started_at=T0, errors=down, **step)
    assert (one.error_streak, one.backoff_until, one.last_failure_at, one.last_error_kind) == (1, T0 + 20 * M, T0, "http_500")
    two = next_health(one, failed=True, started_at=T0 + 20 * M, errors=down, **step)
    assert (two.error_streak, two.backoff_until) == (2, T0 + 20 * M + 40 * M)
    ok = next_health(two, failed=False, started_at=T0 + H, errors=[], **step)
    assert (ok.error_streak, ok.backoff_until, ok.last_success_at, ok.last_failure_at) == (0, None, T0 + H, T0 + 20 * M)
    assert ok.last_error_kind == "http_500"  # the last error seen stays on record

    # the server asked us to come back in 3 hours: neither a failure's backoff nor a success comes sooner
    later = (T0 + 3 * H).isoformat()
    throttled = [{"kind": "throttled", "url": "http://x/feed", "message": "429", "retry_after": later}]
    assert next_health(Health(), failed=True, started_at=T0, errors=throttled, **step).backoff_until == T0 + 3 * H
    assert next_health(Health(), failed=False, started_at=T0, errors=throttled, **step).backoff_until == T0 + 3 * H
    soon = [{**throttled[0], "retry_after": (T0 + 5 * M).isoformat().replace("+00:00", "Z")}]
    assert next_health(Health(), failed=True, started_at=T0, errors=soon, **step).backoff_until == T0 + 20 * M
    garbled = [{**throttled[0], "retry_after": "soon"}]
    assert next_health(Health(), failed=False, started_at=T0, errors=garbled, **step).backoff_until is None


@pytest.mark.parametrize(
    ("schedule", "now", "expected"),
    [
        ([15 * M, H, 6 * H, 24 * H], T0, T0 + 15 * M),
        ([15 * M, H, 6 * H, 24 * H], T0 + 16 * M, T0 + H),
        ([15 * M, H, 6 * H, 24 * H], T0 + 7 * H, T0 + 24 * H),  # missed points are skipped
        ([15 * M, H, 6 * H, 24 * H], T0 + 24 * H, None),
        ([], T0, None),
    ],
)
def test_next_revisit(schedule, now, expected) -> None:
    assert next_revisit(T0, schedule, now) == expected


@pytest.mark.parametrize(
    ("full_at", "expected"),
    [
        (None, {}),  # never fetched in full
        (T0 - 5 * H, {"If-None-Match": '"abc"', "If-Modified-Since": "Mon, 22 May 2023 06:00:00 GMT"}),
        (T0 - 6 * H, {}),  # the periodic full fetch is due
    ],
)
def test_index_request_headers(full_at, expected) -> None:
    assert index_request_headers('"abc"', "Mon, 22 May 2023 06:00:00 GMT", full_at, T0, 6 * H) == expected


class FlakyFeed:
    """A /feed.xml route that answers 500 while `down` is set (otherwise the file is served)."""

    def __init__(self) -> None:
        self.down = True

    def __call__(self, handler: BaseHTTPRequestHandler) -> bool:
        if not self.down:
            return False
        handler.send_response(500)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True


def _state(database_url: str, outlet: str):
    db = Database(database_url)
    try:
        with db.session() as s:
            return outlet_state(s, outlet)
    finally:
        db.close()


def test_failing_outlet_backs_off_longer_each_time_and_recovers(tmp_path: Path, database_url, capsys) -> None:
    feed = FlakyFeed()
    with SiteServer(BORDERLAND, {"/feed.xml": feed}) as site, SiteServer(BORDERLAND) as healthy:
        outlets = [
            {"name": "borderland", "feeds": [site.url("/feed.xml")], "every": "10m"},
            {"name": "steady", "feeds": [healthy.url("/feed.xml")], "every": "10m"},
        ]
        config = write_outlets_config(tmp_path, database_url, outlets)
        crawl_once(config)
        one = _state(database_url, "borderland")
        assert one.error_streak == 1 and one.last_error_kind == "http_500" and one.last_success_at is None
        assert one.backoff_until - one.last_failure_at == 20 * M
        assert _state(database_url, "steady").error_streak == 0  # one outlet's failure is its own

        # still backing off: not crawled, and the summary says why
        site.clear_log()
        capsys.readouterr()
        crawl_once(config)
        assert site.requests == []
        assert "borderland       skipped: backing off until" in capsys.readouterr().out
        assert _state(database_url, "borderland").error_streak == 1

        crawl_once(config, "--outlet", "borderland", "--force")  # crawled anyway, fails again: twice the pause
        two = _state(database_url, "borderland")
        assert two.error_streak == 2 and two.backoff_until - two.last_failure_at == 40 * M

        capsys.readouterr()
        assert main(["--config", str(config), "outlets"]) == 0
        table = capsys.readouterr().out.splitlines()
        assert table[0].split() == ["outlet", "last", "success", "error", "streak", "backoff", "until", "new/day", "(7d)", "last", "error",
                                    "match", "failures"]
        assert table[1].startswith("borderland") and table[1].split()[1:4] == ["-", "2", two.backoff_until.strftime("%Y-%m-%d")]
        assert table[1].split()[-2:] == ["http_500", "-"]
        assert table[2].startswith("steady") and table[2].split()[3:] == ["0", "-", "0.3", "-", "-"]  # 2 articles / 7 days

        feed.down = False
        crawl_once(config, "--force")
        back = _state(database_url, "borderland")
        assert back.error_streak == 0 and back.backoff_until is None and back.last_success_at is not None
        capsys.readouterr()
        assert main(["--config", str(config), "outlets", "--json"]) == 0
        rows = {row["outlet"]: row for row in json.loads(capsys.readouterr().out)}
        assert rows["borderland"]["error_streak"] == 0 and rows["borderland"]["backoff_until"] is None
        assert rows["borderland"]["new_per_day"] == 0.3 and rows["borderland"]["last_error_kind"] == "http_500"


def test_retry_after_from_a_crawl_record_holds_the_outlet_back(tmp_path: Path, database_url) -> None:
    """The contract with the Retry-After middleware: a `throttled` error's time is never undercut."""
    config = load_config(write_outlets_config(tmp_path, database_url, [{"name": "borderland", "feeds": ["http://127.0.0.1:9/feed.xml"]}]))
    db = Database(database_url)
    try:
        db.migrate()
        now = dt.datetime.now(UTC)
        come_back = (now + 5 * H).replace(microsecond=0)
        result = OutletResult("borderland", "finished", {"newswatch/indexes_ok": 1},
                              [{"kind": "throttled", "url": "http://127.0.0.1:9/x", "message": "429", "retry_after": come_back.isoformat()}])
        record_health(db, {"borderland": config.settings.outlets[0]}, [result], now, 24 * H)
        with db.session() as s:
            state = outlet_state(s, "borderland")
            assert state.error_streak == 0 and state.backoff_until == come_back
    finally:
        db.close()


def test_daemon_skips_a_backing_off_outlet_and_moves_its_next_run(tmp_path: Path) -> None:
    feed = FlakyFeed()
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SiteServer(BORDERLAND, {"/feed.xml": feed}) as site:
        config = load_config(write_outlets_config(tmp_path, database_url, [{"name": "borderland", "feeds": [site.url("/feed.xml")], "every": "10m"}]))
        db = Database(config.database_url)
        try:
            db.migrate()
            daemon = Daemon(config, db)
            scheduler = build_scheduler(daemon)
            daemon.crawl_outlet("borderland").result(120)
            state = _state(database_url, "borderland")
            assert state.error_streak == 1
            assert scheduler.get_job("outlet:borderland").next_run_time == state.backoff_until

            site.clear_log()
            assert daemon.crawl_outlet("borderland").result(120) is None  # run early (e.g. a misfire): skipped, no request
            assert answered(site) == [] and site.requests == []
            assert _state(database_url, "borderland").error_streak == 1
        finally:
            daemon.close()
            db.close()


def test_models_match_the_migrations(database_url) -> None:
    """The crawl-state tables and columns exist exactly as storage/models.py declares them."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base
    from storage.search import outside_search_index

    db = Database(database_url)
    try:
        db.migrate()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": outside_search_index})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.close()
