"""Source health: a failing or unusually silent outlet is told to the admin channels once, and its recovery once."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from sqlalchemy import update

from monitor.config import load_config
from monitor.crawl import crawl
from monitor.ops_settings import HealthSettings
from monitor.source_health import Episode, Observation, assess, check_sources, decide, usual_gap
from monitor.sites import SiteServer
from storage.db import Database
from storage.models import Article, OutletState
from tests.conftest import DEMO_SITE
from tests.daemons import Daemon, wait_for
from tests.helpers import write_config
from tests.test_crawl_health import FlakyFeed

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.timezone.utc)
M, H = dt.timedelta(minutes=1), dt.timedelta(hours=1)
SETTINGS = HealthSettings(failures=3, silence_factor=4, min_articles=5)


def hourly(n: int, end: dt.datetime = T0) -> list[dt.datetime]:
    return [end - i * H for i in range(n)][::-1]


@pytest.mark.parametrize(("times", "every", "expected"), [
    (hourly(10), 10 * M, H),
    (hourly(4), 10 * M, None),  # too little history
    ([T0 + i * dt.timedelta(seconds=5) for i in range(30)], 10 * M, None),  # a back catalogue found at once is one arrival
    ([*[T0 + i * dt.timedelta(seconds=5) for i in range(30)], *hourly(6, T0 + 7 * H)], 10 * M, H),
    ([T0 + i * 2 * M for i in range(12)], 10 * M, 10 * M),  # busier than the poll interval: one arrival per poll
])
def test_usual_gap(times, every, expected) -> None:
    assert usual_gap(times, every, SETTINGS.min_articles) == expected


@pytest.mark.parametrize(("observation", "problem"), [
    (Observation(0, None, T0 - 30 * M, H, T0), None),
    (Observation(2, "timeout", T0 - 30 * M, H, T0 - 20 * M), None),  # below the threshold
    (Observation(3, "timeout", T0 - 30 * M, H, T0 - 20 * M), "failing"),
    (Observation(0, None, T0 - 3 * H, H, T0), None),  # quiet, but not 4× its usual gap
    (Observation(0, None, T0 - 4 * H, H, T0), "silent"),
    (Observation(0, None, T0 - 4 * H, H, T0 - 3 * H), None),  # not polled since (the daemon was stopped): not judged
    (Observation(0, None, T0 - 4 * H, H, None), None),
    (Observation(0, None, T0 - 40 * H, None, T0), None),  # no cadence learned yet: never called silent
    (Observation(0, None, None, None, T0), None),
    (Observation(5, "http_500", T0 - 9 * H, H, T0 - 8 * H), "failing"),  # failing wins over silent
])
def test_assess(observation, problem) -> None:
    assert assess(observation, SETTINGS, T0)[0] == problem


@pytest.mark.parametrize(("previous", "problem", "state", "notice"), [
    (Episode(), None, Episode(), None),  # healthy, stays quiet
    (Episode(), "failing", Episode("failing", T0, "x"), "failing"),  # one message when it starts
    (Episode("failing", T0 - H, "x"), "failing", Episode("failing", T0 - H, "x"), None),  # never a flood
    (Episode("silent", T0 - H, "x"), "failing", Episode("failing", T0 - H, "x"), None),  # one episode however it looks
    (Episode("failing", T0 - H, "x"), None, Episode(), "recovered"),  # one notice when it ends
])
def test_decide(previous, problem, state, notice) -> None:
    new, message = decide(previous, problem, "x", "wire", T0)
    assert new == state
    assert (message.kind if message else None) == notice
    if message and notice == "recovered":
        assert message.title == "newswatch: outlet wire has recovered" and "failing for 1h" in message.body


def test_a_silent_outlet_is_told_once_and_its_return_once(tmp_path, demo_sites) -> None:
    config = load_config(write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {"wire": demo_sites["wire"]}, {}))
    db = Database(config.database_url)
    told = []
    settings = HealthSettings(min_articles=4)
    try:
        db.migrate()
        crawl(config, db, config.settings.outlets)  # four real articles, then spread over the past as hourly arrivals
        with db.session() as session:
            ids = sorted(session.scalars(Article.__table__.select().with_only_columns(Article.id)))
            for i, article_id in enumerate(ids):
                session.execute(update(Article).where(Article.id == article_id).values(first_seen=T0 - (len(ids) - i) * H))
        outlets = config.settings.outlets

        def check(at: dt.datetime) -> list:  # the outlet was polled without failing just before
            with db.session() as session:
                session.execute(update(OutletState).where(OutletState.outlet == "wire").values(last_success_at=at - M))
            return check_sources(db, outlets, settings, told.append, now=at)

        assert check(T0 + 2 * H) == []
        (silent,) = check(T0 + 5 * H)
        assert silent.title == "newswatch: outlet wire is silent"
        assert "no new article for 6h; it usually has one every 1h" in silent.body
        assert check(T0 + 9 * H) == []
        with db.session() as session:  # it publishes again
            session.execute(update(Article).where(Article.id == ids[-1]).values(first_seen=T0 + 9 * H))
        (back,) = check(T0 + 10 * H)
        assert back.kind == "recovered" and "after being silent for 5h" in back.body
        assert check(T0 + 11 * H) == []
    finally:
        db.close()
    assert [n.kind for n in told] == ["silent", "recovered"]


def test_a_failing_outlet_reaches_the_admin_channel_once_then_its_recovery(tmp_path, webhook) -> None:
    feed = FlakyFeed()
    site = SiteServer(DEMO_SITE / "chronicle", routes={"/feed.xml": feed}).start()
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {"chronicle": site}, {"ops": f"json://{webhook.netloc}/admin"},
                          settings={"health": {"failures": 2, "check_every": "1s"}, "delivery": {"every": "1s"}})
    data = yaml.safe_load(config.read_text())
    data["admin"], data["outlets"][0]["every"] = ["ops"], "1s"
    config.write_text(yaml.safe_dump(data))
    daemon = Daemon(config, tmp_path / "d.log")

    def titles() -> list[str]:
        return [m["title"] for m in map(json.loads, webhook.received) if m["title"].startswith("newswatch: outlet")]

    try:
        assert daemon.started(), daemon.output()
        assert wait_for(lambda: titles(), 90), daemon.output()
        assert titles() == ["newswatch: outlet chronicle is failing"]
        feed.down = False
        assert wait_for(lambda: len(titles()) == 2, 90), daemon.output()
        wait_for(lambda: False, 4)  # more health checks and polls: nothing more to say
    finally:
        assert daemon.stop() == 0
        site.stop()
    assert titles() == ["newswatch: outlet chronicle is failing", "newswatch: outlet chronicle has recovered"]
    failing = json.loads(webhook.received[0])["message"]
    assert "2 polls in a row failed" in failing and "one more message when it recovers" in failing
    assert "Traceback" not in daemon.output()
