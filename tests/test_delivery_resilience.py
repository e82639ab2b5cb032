"""Delivery that cannot lose an alert: failing channels, restarts, a kill mid-send, retries and `failed`."""
from __future__ import annotations

import datetime as dt
import email
import json
import os
import signal
import subprocess
import sys
import time
from email import policy

import pytest
from sqlalchemy import select, update

from monitor.alert_settings import Channel, DeliverySettings, backoff_delay
from monitor.cli import main
from monitor.delivery import deliver_due
from monitor.matching import match_pending
from storage.db import Database
from storage.models import Delivery
from tests.alerting import archive, matcher, page, watch
from tests.conftest import free_port
from tests.helpers import write_config
from tests.receivers import FlakyReceiver
from tests.story_texts import RAID

MINUTE = dt.timedelta(minutes=1)


def _three_alerts(tmp_path, db: Database, channels: dict[str, Channel]) -> None:
    rules = matcher(tmp_path, [watch(f"w{i}", list(channels)) for i in (1, 2, 3)], set(channels))
    db.migrate()
    archive(db, page("wire", "/raid", RAID))
    assert match_pending(db, rules).alerts == 3


def _statuses(listing: str) -> list[str]:
    """The STATUS column of `alerts list` rows."""
    return [line.split()[3] for line in listing.splitlines() if line.split()[:1] and line.split()[0].isdigit()]


def _keys(bodies: list[bytes]) -> list[str]:
    return sorted(json.loads(body)["idempotency_key"] for body in bodies)


@pytest.mark.parametrize(("first", "second", "cap", "expected"), [
    (1, "30s", "1h", 30), (2, "30s", "1h", 60), (3, "30s", "1h", 120), (8, "30s", "1h", 3600), (50, "30s", "1h", 3600),
    (1, "0s", "1h", 0), (0, "30s", "1h", 0),
])
def test_backoff_doubles_up_to_its_cap(first: int, second: str, cap: str, expected: int) -> None:
    settings = DeliverySettings(backoff=second, max_backoff=cap)
    assert backoff_delay(first, settings).total_seconds() == expected


def test_failing_channels_get_every_alert_exactly_once_when_they_recover(tmp_path, database_url) -> None:
    erroring, hanging = FlakyReceiver().start(), FlakyReceiver().start()
    erroring.mode, hanging.mode = "status", "hang"
    refused_port = free_port()  # nothing listens here yet: connection refused
    channels = {
        "errors": Channel(url=erroring.url),
        "refuses": Channel(url=f"json://127.0.0.1:{refused_port}/alerts", timeout="1s"),
        "hangs": Channel(url=hanging.url, timeout="1s"),  # apprise's cto/rto: a send gives up after a second
    }
    settings = DeliverySettings(backoff="30s", max_attempts=8)
    late = None
    db = Database(database_url)
    try:
        _three_alerts(tmp_path, db, channels)
        t0 = dt.datetime.now(dt.timezone.utc)
        for minutes in (0, 1, 3, 7):
            report = deliver_due(db, channels, settings, now=t0 + minutes * MINUTE)
            assert (report.sent, report.failed) == (0, 3)  # one attempt per broken channel per pass
        db.close()  # a restart between cycles: nothing is kept in memory

        erroring.mode = "ok"
        hanging.recover()
        late = FlakyReceiver(port=refused_port).start()
        db = Database(database_url)
        report = deliver_due(db, channels, settings, now=t0 + 30 * MINUTE)
        assert (report.sent, report.failed) == (9, 0)
        assert deliver_due(db, channels, settings, now=t0 + 90 * MINUTE).sent == 0
        with db.session() as session:
            rows = session.execute(select(Delivery.channel, Delivery.status, Delivery.attempts)).all()
    finally:
        db.close()
        for receiver in (erroring, hanging, late):
            if receiver is not None:
                receiver.stop()
    assert {status for _c, status, _a in rows} == {"sent"}
    assert max(attempts for _c, _s, attempts in rows) == 5
    for receiver in (erroring, hanging, late):
        assert len(receiver.received) == 3 and len(set(_keys(receiver.received))) == 3
    assert _keys(erroring.received) == _keys(hanging.received) == _keys(late.received)  # same alert, same key everywhere
    assert hanging.held  # the hanging channel really was reached, and timed out


def test_kill_during_delivery_loses_nothing_and_resends_the_same_key(tmp_path) -> None:
    receiver = FlakyReceiver().start()
    receiver.mode = "hang"
    database = f"sqlite:///{tmp_path / 'a.db'}"
    config = write_config(tmp_path, database, {}, {"chat": receiver.url},
                          settings={"delivery": {"lease": "2s"}})
    db = Database(database)
    try:
        _three_alerts(tmp_path, db, {"chat": Channel(url=receiver.url)})
        process = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config), "crawl", "--once"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            assert receiver.arrived.wait(60), "the delivery process never reached the receiver"
            os.kill(process.pid, signal.SIGKILL)  # killed while the receiver holds the request
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
        interrupted = json.loads(receiver.held[0])["idempotency_key"]
        with db.session() as session:
            rows = session.execute(select(Delivery.status, Delivery.attempts, Delivery.claimed_at.is_not(None))).all()
        assert sorted(rows) == [("pending", 0, False), ("pending", 0, False), ("pending", 0, True)]  # claimed, no outcome

        receiver.recover()
        time.sleep(2.1)  # the interrupted send's lease runs out
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        with db.session() as session:
            rows = session.execute(select(Delivery.status, Delivery.attempts, Delivery.interrupted)).all()
        assert sorted(rows) == [("sent", 1, 0), ("sent", 1, 0), ("sent", 1, 1)]  # the cut-off send is no failed attempt
    finally:
        db.close()
        receiver.stop()
    keys = _keys(receiver.received)
    assert len(keys) == 3 and interrupted in keys  # the resend carries the interrupted send's key


def test_email_has_one_stable_message_id_and_html_with_plain_text(tmp_path, smtp) -> None:
    channels = {"desk": Channel(url=smtp.url())}
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        rules = matcher(tmp_path, [watch("raids", ["desk"])], set(channels))
        db.migrate()
        archive(db, page("wire", "/raid", RAID))
        match_pending(db, rules)
        assert deliver_due(db, channels).sent == 1
        with db.session() as session:  # as if the process died after the send and before recording it
            session.execute(update(Delivery).values(status="pending", next_attempt_at=None))
        assert deliver_due(db, channels).sent == 1
    finally:
        db.close()
    first, second = (email.message_from_bytes(m, policy=policy.default) for m in smtp.messages)
    assert len(first.get_all("Message-ID")) == 1
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].endswith(".desk@newswatch.invalid>")
    assert first["X-Newswatch-Key"] == second["X-Newswatch-Key"] and first["Message-ID"].startswith(f"<{first['X-Newswatch-Key']}.")
    assert "<blockquote>" in first.get_body(("html",)).get_content()
    plain = first.get_body(("plain",)).get_content()
    assert "Kozinka" in plain and "<" not in plain.replace("<http", "")


def test_webhook_gets_the_key_as_field_and_header(tmp_path, webhook) -> None:
    channels = {"chat": Channel(url=f"json://{webhook.netloc}/alerts")}
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        _three_alerts(tmp_path, db, channels)
        assert deliver_due(db, channels).sent == 3
    finally:
        db.close()
    for body, headers in zip(webhook.received, webhook.headers):
        assert json.loads(body)["idempotency_key"] == headers["Idempotency-Key"]


def test_out_of_attempts_is_failed_listed_and_retried(tmp_path, capsys) -> None:
    receiver = FlakyReceiver().start()
    receiver.mode = "status"
    database = f"sqlite:///{tmp_path / 'a.db'}"
    config = write_config(tmp_path, database, {}, {"chat": receiver.url},
                          settings={"delivery": {"max_attempts": 2, "backoff": "0s"}})
    db = Database(database)
    try:
        _three_alerts(tmp_path, db, {"chat": Channel(url=receiver.url)})
        for _ in range(6):  # each pass makes one attempt on the broken channel
            assert main(["--config", str(config), "crawl", "--once"]) == 0
        capsys.readouterr()
        with db.session() as session:
            failed = session.scalars(select(Delivery.alert_id).where(Delivery.status == "failed").order_by(Delivery.alert_id)).all()
        assert len(failed) == 3

        assert main(["--config", str(config), "alerts", "list", "--failed"]) == 0
        listing = capsys.readouterr().out
        assert "channel chat: 3 failed; last sent -" in listing
        assert _statuses(listing) == ["failed"] * 3 and listing.count("last error:") == 3 and "error=500" in listing

        receiver.mode = "ok"
        assert main(["--config", str(config), "alerts", "retry", str(failed[0])]) == 0
        assert "1 failed deliver(y/ies) of alert" in capsys.readouterr().out
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        assert len(receiver.received) == 1
        assert main(["--config", str(config), "alerts", "retry", "--all"]) == 0
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        assert len(receiver.received) == 3
        assert main(["--config", str(config), "alerts", "retry", "--all"]) == 0
        assert "no failed deliveries" in capsys.readouterr().out
        assert main(["--config", str(config), "alerts", "list"]) == 0
        listing = capsys.readouterr().out
        assert _statuses(listing) == ["sent"] * 3 and "channel chat: 3 sent; last sent 20" in listing
    finally:
        db.close()
        receiver.stop()


def test_alerts_test_reports_what_the_service_answered(tmp_path, capsys) -> None:
    receiver, hanging = FlakyReceiver().start(), FlakyReceiver().start()
    hanging.mode = "hang"
    channels = {"chat": receiver.url, "refuses": f"json://127.0.0.1:{free_port()}/x",
                "hangs": {"url": hanging.url, "timeout": "1s"}}
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, channels)
    try:
        assert main(["--config", str(config), "alerts", "test", "refuses"]) == 1
        assert "Connection refused" in capsys.readouterr().out
        assert main(["--config", str(config), "alerts", "test", "hangs"]) == 1
        assert "timed out" in capsys.readouterr().out.lower()
        assert main(["--config", str(config), "alerts", "test", "chat"]) == 0
        assert "sent: the service accepted the message" in capsys.readouterr().out
        assert "test message" in json.loads(receiver.received[0])["message"]
        receiver.mode = "status"
        assert main(["--config", str(config), "alerts", "test", "chat"]) == 1
        assert "failed: " in (out := capsys.readouterr().out) and "500" in out
        assert main(["--config", str(config), "alerts", "test", "chta"]) == 64
        assert "unknown channel 'chta'" in capsys.readouterr().err
    finally:
        receiver.stop()
        hanging.stop()
