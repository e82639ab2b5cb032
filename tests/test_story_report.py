"""`newswatch stories` for a watch whose mail channel takes a daily digest: held, then in the digest, sent."""
from __future__ import annotations

import datetime as dt

from monitor.alert_settings import Channel
from monitor.delivery import deliver_due
from monitor.matching import match_pending
from storage.db import Database
from storage.story_report import story_reports
from tests.alerting import archive, matcher, page, watch
from tests.story_texts import RAID, syndicated

HOUR = dt.timedelta(hours=1)


def test_story_shows_what_was_sent_what_waits_and_the_digest(tmp_path, database_url, webhook, smtp) -> None:
    channels = {"chat": Channel(url=f"json://{webhook.netloc}/alerts"), "desk": Channel(url=smtp.url())}
    rules = matcher(tmp_path, [watch("raids", ["chat", "desk"], digest={"desk": "daily"}, followups="each")], set(channels))
    db = Database(database_url)
    try:
        db.migrate()
        noon = dt.datetime.now(dt.timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
        first = archive(db, page("wire", "/raid", RAID))
        copy = archive(db, page("chronicle", "/raid-copy", syndicated(RAID, "chronicle")))
        match_pending(db, rules, now=noon)
        deliver_due(db, channels, now=noon)

        with db.session() as s:
            (story,) = story_reports(s, since=noon - 48 * HOUR)
        assert [a["id"] for a in story["articles"]] == [first, copy]
        (raids,) = story["watches"]
        assert raids["watch"] == "raids" and sorted(raids["matched"]) == [first, copy]
        assert [(x["kind"], x["channels"]) for x in raids["sent"]] == [
            ("story", {"chat": "sent", "desk": "held"}), ("followup", {"chat": "sent", "desk": "held"})]
        assert any("to desk (held)" in w for w in raids["waiting"])

        deliver_due(db, channels, now=noon + 12 * HOUR + dt.timedelta(minutes=1))
        with db.session() as s:
            (story,) = story_reports(s, watch="raids")
            assert story_reports(s, watch="someone-else") == []
            assert story_reports(s, since=noon + 1000 * HOUR) == []
        (raids,) = story["watches"]
        assert {x["channels"]["desk"] for x in raids["sent"]} == {"digested"}
        digests = {x["digest"]["alert"] for x in raids["sent"]}
        assert len(digests) == 1 and all(x["digest"]["channels"] == {"desk": "sent"} for x in raids["sent"])
        assert raids["waiting"] == []
    finally:
        db.close()
    assert len(smtp.messages) == 1
