"""One alert per (watch, story), follow-ups as each watch asks, max_age, digests — delivered to real receivers."""
from __future__ import annotations

import datetime as dt
import email
import json
from email import policy

from sqlalchemy import select

from monitor.alert_settings import AlertSettings, Channel
from monitor.delivery import deliver_due
from monitor.matching import match_pending
from storage.db import Database
from storage.models import Alert, Delivery
from tests.alerting import archive, matcher, page, watch
from tests.story_texts import RAID, RAID_RU, RAID_UPDATE_1, RAID_UPDATE_2, syndicated

HOUR = dt.timedelta(hours=1)


def _bodies(receiver) -> list[dict]:
    return [json.loads(body) for body in receiver.received]


def test_story_copied_by_three_outlets_and_updated_twice_alerts_once_per_watch(tmp_path, database_url, webhook) -> None:
    channels = {"chat": Channel(url=f"json://{webhook.netloc}/alerts")}
    rules = matcher(tmp_path, [
        watch("quiet", ["chat"], followups="off"),
        watch("every-copy", ["chat"], followups="each"),
        watch("batched", ["chat"], followups="digest", cooldown="1h"),
    ], set(channels))
    db = Database(database_url)
    try:
        db.migrate()
        t0 = dt.datetime.now(dt.timezone.utc)
        wire_id = archive(db, page("wire", "/raid", RAID))
        assert match_pending(db, rules, now=t0).alerts == 3
        assert deliver_due(db, channels, now=t0).sent == 3

        # ten minutes later: two outlets run the story; wire updates its article twice (same URL)
        t1 = t0 + dt.timedelta(minutes=10)
        archive(db, page("ledger", "/a/raid", syndicated(RAID, "Ledger")))
        archive(db, page("chronicle", "/news/raid", syndicated(RAID_UPDATE_1, "Chronicle", dateline="LONDON")))
        assert archive(db, page("wire", "/raid", RAID_UPDATE_1)) == wire_id
        report = match_pending(db, rules, now=t1)
        assert report.alerts == 2  # the two `each` follow-ups; `batched` waits for its cooldown, `quiet` stays quiet
        assert deliver_due(db, channels, now=t1).sent == 2
        assert archive(db, page("wire", "/raid", RAID_UPDATE_2)) == wire_id
        assert match_pending(db, rules, now=t1 + dt.timedelta(minutes=5)).alerts == 0

        # nothing more before the cooldown ends; then one follow-up listing both new outlets
        assert deliver_due(db, channels, now=t0 + dt.timedelta(minutes=59)).sent == 0
        assert deliver_due(db, channels, now=t0 + dt.timedelta(minutes=61)).sent == 1
        assert deliver_due(db, channels, now=t0 + 5 * HOUR).sent == 0
    finally:
        db.close()

    messages = _bodies(webhook)
    per_watch = {w: [m for m in messages if f"({w})" in m["message"]] for w in ("quiet", "every-copy", "batched")}
    assert [len(per_watch[w]) for w in ("quiet", "every-copy", "batched")] == [1, 3, 2]
    each_followups = [m["message"].splitlines()[0] for m in per_watch["every-copy"][1:]]
    assert sorted(each_followups) == ["Also in: chronicle", "Also in: ledger"]
    assert per_watch["batched"][1]["message"].startswith("Also in: ledger, chronicle")
    assert per_watch["batched"][1]["title"].startswith("[batched] also in ledger, chronicle:")
    keys = [m["idempotency_key"] for m in messages]
    assert len(keys) == len(set(keys)) == 6


def test_old_articles_are_archived_but_do_not_alert(tmp_path, database_url, webhook) -> None:
    channels = {"chat": Channel(url=f"json://{webhook.netloc}/alerts")}
    rules = matcher(tmp_path, [watch("default-age", ["chat"]), watch("long-memory", ["chat"], max_age="30d")], set(channels))
    db = Database(database_url)
    try:
        db.migrate()
        now = dt.datetime.now(dt.timezone.utc)
        archive(db, page("wire", "/old-raid", RAID, published=now - dt.timedelta(days=10), fetched=now))
        report = match_pending(db, rules, alerting=AlertSettings(max_age="3d"))
        assert (report.alerts, report.too_old) == (1, 1)
        with db.session() as session:
            assert session.scalars(select(Alert.watch_id)).all() == ["long-memory"]
        archive(db, page("ledger", "/fresh", RAID_RU, published=now - HOUR, fetched=now))
        assert match_pending(db, rules, alerting=AlertSettings(max_age="3d")).alerts == 2
    finally:
        db.close()


def test_digest_channel_gets_one_summary_per_window(tmp_path, database_url, webhook, smtp) -> None:
    channels = {"chat": Channel(url=f"json://{webhook.netloc}/alerts"), "desk": Channel(url=smtp.url())}
    rules = matcher(tmp_path, [watch("raids", ["chat", "desk"], digest={"desk": "daily"})], set(channels))
    db = Database(database_url)
    try:
        db.migrate()
        noon = dt.datetime.now(dt.timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
        archive(db, page("wire", "/raid", RAID, title="Fighters cross into Belgorod region"))
        archive(db, page("ledger", "/raid-ru", RAID_RU, title="Отряды зашли в Белгородскую область"))
        assert match_pending(db, rules, now=noon).alerts == 2
        assert deliver_due(db, channels, now=noon).sent == 2  # chat: one message per story, at once
        assert smtp.messages == []
        assert deliver_due(db, channels, now=noon + 11 * HOUR).sent == 0  # the day is not over
        report = deliver_due(db, channels, now=noon + 12 * HOUR + dt.timedelta(minutes=1))
        assert (report.digests, report.sent) == (1, 1)
        assert deliver_due(db, channels, now=noon + 13 * HOUR).sent == 0
        with db.session() as session:
            statuses = sorted(session.execute(select(Delivery.channel, Delivery.status)).all())
        assert statuses == [("chat", "sent"), ("chat", "sent"), ("desk", "digested"), ("desk", "digested"), ("desk", "sent")]
    finally:
        db.close()
    assert len(webhook.received) == 2 and len(smtp.messages) == 1
    mail = email.message_from_bytes(smtp.messages[0], policy=policy.default)
    assert mail["Subject"] == "[raids] digest: 2 alert(s)"
    html = mail.get_body(("html",)).get_content()
    plain = mail.get_body(("plain",)).get_content()
    for part in (html, plain):
        assert "Fighters cross into Belgorod region" in part and "Отряды зашли в Белгородскую область" in part
    assert "<ul>" in html and "<ul>" not in plain
