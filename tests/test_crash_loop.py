"""A daemon that keeps crashing still alerts (issue 15): start-up matching, and sends cut off by a kill are no failures."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from monitor.cli import main
from monitor.config import load_config
from monitor.crawl import crawl
from monitor.matching import match_pending
from storage.db import Database
from storage.models import Alert, Article, CrawlRun, Delivery
from tests.alerting import archive, matcher, page, watch
from tests.daemons import Daemon, HangingSite, wait_for
from tests.helpers import write_config
from tests.receivers import FlakyReceiver
from tests.story_texts import RAID


def test_a_daemon_killed_before_any_crawl_finishes_still_alerts(tmp_path, demo_sites, webhook) -> None:
    database = f"sqlite:///{tmp_path / 'a.db'}"
    channels = {"chat": f"json://{webhook.netloc}/x"}
    config = load_config(write_config(tmp_path, database, demo_sites, channels))
    db = Database(config.database_url)
    hanging = HangingSite().start()
    try:
        db.migrate()
        crawl(config, db, config.settings.outlets)  # a real earlier crawl archived the articles; nothing matched them yet
        with db.session() as session:
            archived = session.scalar(select(func.count()).select_from(Article).where(Article.match_pending.is_(True)))
            runs = session.scalar(select(func.count()).select_from(CrawlRun))
        assert archived == 13

        # from now on every outlet hangs: no crawl can finish, so only start-up matching can alert
        path = write_config(tmp_path, database, {name: hanging for name in demo_sites}, channels, timeout="120s",
                            settings={"delivery": {"every": "1s"}})
        log = tmp_path / "daemon.log"
        kills = 0
        for _ in range(3):
            daemon = Daemon(path, log)
            assert daemon.started(), daemon.output()
            wait_for(lambda: hanging.requests > 0, 5)
            daemon.kill()  # crawling (the outlets hang), matching or delivering: wherever it is
            kills += 1
        daemon = Daemon(path, log)
        try:
            assert daemon.started(), daemon.output()
            with db.session() as session:
                expected = session.scalar(select(func.count()).select_from(Delivery))
            assert expected >= 9
            assert wait_for(lambda: len(webhook.received) >= expected, 60), "the alerts of the archived articles never went out"
            daemon.kill()
            kills += 1
        finally:
            if daemon.process.poll() is None:
                daemon.kill()
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(CrawlRun)) == runs  # no crawl ever finished
            statuses = set(session.scalars(select(Delivery.status)))
            keys = set(session.scalars(select(Alert.key)))
    finally:
        db.close()
        hanging.stop()
    received = [json.loads(body)["idempotency_key"] for body in webhook.received]
    assert kills == 4 and statuses == {"sent"}
    assert set(received) == keys  # every alert arrived; a repeat could only be a send cut off in flight, with its key


def test_sends_cut_off_by_kills_are_not_failed_attempts(tmp_path, capsys) -> None:
    receiver = FlakyReceiver().start()
    receiver.mode = "hang"  # accepts the request and holds its answer until the daemon is killed
    database = f"sqlite:///{tmp_path / 'a.db'}"
    path = write_config(tmp_path, database, {}, {"chat": {"url": receiver.url, "timeout": "60s"}},
                        settings={"delivery": {"lease": "1s", "every": "1s", "max_attempts": 2}})
    db = Database(database)
    log = tmp_path / "daemon.log"
    try:
        db.migrate()
        archive(db, page("wire", "/raid", RAID))
        assert match_pending(db, matcher(tmp_path, [watch("raids", ["chat"])], {"chat"})).alerts == 1
        for _ in range(3):  # more cut-off sends than max_attempts
            daemon = Daemon(path, log)
            try:
                assert receiver.arrived.wait(60), daemon.output()
                daemon.kill()  # the receiver has the message; the daemon dies before it records the outcome
            finally:
                daemon.kill()
            receiver.release.set()
            wait_for(lambda: False, 0.5)
            receiver.release.clear()
            receiver.arrived.clear()
        receiver.mode = "ok"
        daemon = Daemon(path, log)
        try:
            assert wait_for(lambda: receiver.received, 60), daemon.output()
            assert wait_for(lambda: db_status(db) == "sent", 10)
        finally:
            assert daemon.stop() == 0
        with db.session() as session:
            (row,) = session.execute(select(Delivery.status, Delivery.attempts, Delivery.interrupted)).all()
    finally:
        db.close()
        receiver.stop()
    assert tuple(row) == ("sent", 1, 3)  # one answered attempt; three cut off, none counted as failures
    assert main(["--config", str(path), "alerts", "list"]) == 0
    assert "3 send(s) cut off by a crash and sent again with the same key" in capsys.readouterr().out
    keys = {json.loads(body)["idempotency_key"] for body in [*receiver.held, *receiver.received]}
    assert len(receiver.held) == 3 and len(keys) == 1  # every resend carried the same key


def db_status(db: Database) -> str:
    with db.session() as session:
        return session.scalar(select(Delivery.status))
