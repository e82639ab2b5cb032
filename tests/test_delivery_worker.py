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
