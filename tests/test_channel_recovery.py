"""A failing channel backs off as a whole; when it answers again, all its waiting messages go out in that pass."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from monitor.alert_settings import Channel, DeliverySettings
from monitor.cli import main
from monitor.delivery import deliver_due
from monitor.matching import match_pending
from storage.db import Database
from storage.models import ChannelState, Delivery
from tests.alerting import archive, matcher, page, watch
from tests.helpers import write_config
from tests.receivers import FlakyReceiver
from tests.story_texts import RAID

SECOND = dt.timedelta(seconds=1)


def test_a_recovered_channel_gets_every_waiting_message_in_one_pass(tmp_path, database_url) -> None:
    down, other = FlakyReceiver().start(), FlakyReceiver().start()
    down.mode = "status"
    channels = {"down": Channel(url=down.url), "other": Channel(url=other.url)}
    settings = DeliverySettings(backoff="30s", max_attempts=8)
    db = Database(database_url)
    try:
        db.migrate()
        archive(db, page("wire", "/raid", RAID))
        rules = matcher(tmp_path, [watch(f"w{i}", ["down", "other"]) for i in range(4)], set(channels))
        assert match_pending(db, rules).alerts == 4
        t0 = dt.datetime.now(dt.timezone.utc)
        first = deliver_due(db, channels, settings, now=t0)
        assert (first.sent, first.failed) == (4, 1)  # `other` gets all four; `down` fails once and is left alone
        assert deliver_due(db, channels, settings, now=t0 + 10 * SECOND).failed == 0  # backing off as a channel
        assert deliver_due(db, channels, settings, now=t0 + 31 * SECOND).failed == 1  # one probe, not four attempts
        with db.session() as session:
            state = session.get(ChannelState, "down")
            assert state.error_streak == 2 and state.backoff_until == t0 + 31 * SECOND + 60 * SECOND
            attempts = sorted(session.scalars(select(Delivery.attempts).where(Delivery.channel == "down")))
            assert attempts == [0, 0, 0, 2]  # the waiting messages used none of their attempts
            # one message waits out a long backoff of its own (an earlier failure): recovery releases it too
            session.execute(update(Delivery).where(Delivery.channel == "down", Delivery.attempts == 0)
                            .values(next_attempt_at=t0 + dt.timedelta(hours=1)))
        down.mode = "ok"
        recovered = deliver_due(db, channels, settings, now=t0 + 92 * SECOND)
        assert (recovered.sent, recovered.failed) == (4, 0)
        with db.session() as session:
            assert set(session.scalars(select(Delivery.status))) == {"sent"}
            assert session.get(ChannelState, "down").error_streak == 0
    finally:
        db.close()
        down.stop()
        other.stop()
    assert len({json.loads(b)["idempotency_key"] for b in down.received}) == 4


@pytest.mark.parametrize(("url", "expected"), [
    ("jsn://127.0.0.1:9/x", "no apprise service is called 'jsn://' (did you mean 'json://'?)"),
    ("mailtoo://127.0.0.1", "(did you mean 'mailto://'?)"),
    ("tgram://", "apprise cannot read this tgram:// URL"),
])
def test_a_channel_url_no_apprise_plugin_accepts_is_a_config_error(tmp_path, capsys, url, expected) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": url})
    assert main(["--config", str(config), "rules", "check"]) == 2
    err = capsys.readouterr().err
    assert "newswatch.yaml:" in err and "channels.chat" in err and expected in err


def test_alerts_retry_lifts_the_channel_backoff(tmp_path) -> None:
    from storage.deliveries import retry_failed

    receiver = FlakyReceiver().start()
    receiver.mode = "status"
    channels = {"chat": Channel(url=receiver.url)}
    settings = DeliverySettings(backoff="10m", max_attempts=1)
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        db.migrate()
        archive(db, page("wire", "/raid", RAID))
        assert match_pending(db, matcher(tmp_path, [watch("raids", ["chat"])], set(channels))).alerts == 1
        assert deliver_due(db, channels, settings).given_up == 1
        receiver.mode = "ok"
        with db.session() as session:
            assert retry_failed(session) == 1
        assert deliver_due(db, channels, settings).sent == 1  # not ten minutes later: the operator asked for now
    finally:
        db.close()
        receiver.stop()


def test_a_message_that_keeps_killing_the_process_is_given_up(tmp_path, webhook) -> None:
    from storage.deliveries import claim

    channels = {"chat": Channel(url=f"json://{webhook.netloc}/x")}
    settings = DeliverySettings(max_attempts=2, lease="1m")  # gives up after 3 × 2 cut-off sends
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        db.migrate()
        archive(db, page("wire", "/raid", RAID))
        assert match_pending(db, matcher(tmp_path, [watch("raids", ["chat"])], set(channels))).alerts == 1
        t0 = dt.datetime.now(dt.timezone.utc)
        for crash in range(6):  # six processes claimed it and died before recording an outcome
            with db.session() as session:
                assert claim(session, 1, t0 + crash * 61 * SECOND, settings.lease)
        report = deliver_due(db, channels, settings, now=t0 + 6 * 61 * SECOND)
        with db.session() as session:
            row = session.execute(select(Delivery.status, Delivery.attempts, Delivery.interrupted, Delivery.last_error)).one()
    finally:
        db.close()
    assert report.given_up == 1 and not webhook.received
    assert tuple(row[:3]) == ("failed", 0, 6) and "the process died during 6 sends" in row[3]
