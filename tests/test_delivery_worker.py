"""The delivery worker: concurrent passes never send twice; a hanging channel never blocks matching."""
from __future__ import annotations

import json
import threading
import time

from sqlalchemy import func, select

from monitor.alert_settings import Channel
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.delivery import deliver_due
from monitor.matching import match_pending
from storage.db import Database
from storage.models import Article
from tests.alerting import archive, matcher, page, watch
from tests.helpers import write_config
from tests.receivers import FlakyReceiver
from tests.story_texts import GAS, RAID, RAID_RU, SHELLING


def test_concurrent_passes_send_each_delivery_once(tmp_path, database_url, webhook) -> None:
    channels = {"chat": Channel(url=f"json://{webhook.netloc}/alerts")}
    rules = matcher(tmp_path, [watch(f"w{i}", ["chat"]) for i in range(8)], set(channels))
    db = Database(database_url)
    try:
        db.migrate()
        archive(db, page("wire", "/raid", RAID))
        archive(db, page("ledger", "/raid-ru", RAID_RU))
        assert match_pending(db, rules).alerts == 16
        reports = []
        threads = [threading.Thread(target=lambda: reports.append(deliver_due(db, channels))) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        db.close()
    keys = [json.loads(body)["idempotency_key"] for body in webhook.received]
    assert len(keys) == len(set(keys)) == 16
    assert sum(r.sent for r in reports) == 16


def test_a_hanging_channel_does_not_block_matching(tmp_path) -> None:
    receiver = FlakyReceiver().start()
    receiver.mode = "hang"
    database = f"sqlite:///{tmp_path / 'a.db'}"
    path = write_config(tmp_path, database, {}, {"slow": {"url": receiver.url, "timeout": "20s"}})
    daemon = Daemon(load_config(path), Database(database))
    try:
        daemon.db.migrate()
        archive(daemon.db, page("wire", "/raid", RAID))
        daemon.match()
        worker = threading.Thread(target=daemon.deliver)
        worker.start()
        assert receiver.arrived.wait(20)  # the worker is stuck in a send...
        archive(daemon.db, page("wire", "/shelling", SHELLING))
        archive(daemon.db, page("wire", "/gas", GAS))
        started = time.monotonic()
        daemon.match()  # ...and matching goes on regardless
        assert time.monotonic() - started < 5 and worker.is_alive()
        with daemon.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Article).where(Article.match_pending.is_(True))) == 0
        daemon.deliver()  # a second pass while the first is busy returns at once instead of queueing
        assert worker.is_alive()
    finally:
        receiver.stop()
        worker.join(30)
        daemon.db.close()


def test_alerts_made_during_a_delivery_pass_go_out_right_after_it_not_at_the_next_interval(tmp_path) -> None:
    """The scheduler's own delivery job: a wake-up while a pass runs queues one more pass (it was dropped:
    "maximum number of running instances reached", and the new alerts waited for `delivery.every`)."""
    from monitor.schedule import build_scheduler

    receiver = FlakyReceiver().start()
    receiver.mode = "slow"
    database = f"sqlite:///{tmp_path / 'a.db'}"
    path = write_config(tmp_path, database, {}, {"desk": {"url": receiver.url, "timeout": "30s"}}, settings={"delivery": {"every": "1h"}})
    daemon = Daemon(load_config(path), Database(database))
    daemon.db.migrate()
    scheduler = daemon.scheduler = build_scheduler(daemon)
    runner = threading.Thread(target=scheduler.start, daemon=True)
    try:
        runner.start()
        archive(daemon.db, page("wire", "/raid", RAID))
        daemon.match()  # wakes the delivery job: its pass waits in the first send
        assert receiver.arrived.wait(20)
        first = deliveries(daemon.db)
        archive(daemon.db, page("wire", "/statement", STATEMENT))
        daemon.match()  # new alerts while the pass is still in its send
        made = deliveries(daemon.db)
        assert made > first
        receiver.release.set()  # the send is answered: the pass ends
        deadline = time.monotonic() + 20
        while len(receiver.received) < made and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(receiver.received) == made, "the alerts made during the pass waited for the next interval (1 h)"
    finally:
        daemon.stopping.set()
        receiver.release.set()
        scheduler.shutdown(wait=False)
        receiver.stop()
        daemon.db.close()


STATEMENT = (
    "Ilya Ponomarev told reporters in Kyiv on Friday that the volunteer units would publish their own list "
    "of the villages they had passed through, and that no civilians had been held. "
    "He declined to say how many fighters had taken part, or whether another crossing was planned, "
    "and said that questions about weapons should go to the units themselves."
)


def deliveries(db: Database) -> int:
    from storage.models import Delivery

    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Delivery))
