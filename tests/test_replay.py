"""rules replay against the archive on SQLite and PostgreSQL: what an edit adds and removes, and the backfill."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from crawler.extract import text_hash
from monitor.matching import match_pending
from monitor.rules_replay import format_replay, replay
from rules.matcher import Matcher
from rules.ruleset import load_rules
from storage.archive import ArchivedPage, archive_page
from storage.db import Database
from storage.models import Alert, Delivery
from storage.deliveries import due_deliveries, mark_sent

NOW = dt.datetime.now(dt.timezone.utc)
TEXTS = {
    "raid": "Fighters of the Legion entered Belgorod region; Ponomarev spoke in Kyiv.",
    "shelling": "Shelling damaged homes in Shebekino, near Belgorod.",
    "evacuation": "Жителей Шебекино вывозят из города.",
    "old": "Belgorod, two months earlier: Ponomarev speaks.",
}
V1 = "watches:\n  - id: belgorod\n    any: [Belgorod]\n    notify: [chat]\n  - id: ponomarev\n    any: [Ponomarev]\n    notify: [chat]\n"
V2 = "watches:\n  - id: belgorod\n    any: [Belgorod]\n    notify: [chat]\n  - id: shebekino\n    any: [Shebekino, Шебекино]\n    notify: [chat]\n"


def matcher(tmp_path: Path, rules: str) -> Matcher:
    (tmp_path / "r.yaml").write_text(rules, encoding="utf-8")
    return Matcher(load_rules(["r.yaml"], tmp_path))


def archive(db: Database) -> None:
    for name, text in TEXTS.items():
        seen = NOW - dt.timedelta(days=60) if name == "old" else NOW
        url = f"http://n.example.org/{name}.html"
        page = ArchivedPage(outlet="n", canonical_url=url, fetched_url=url, other_urls=(), http_status=200,
                            content_type="text/html", raw_html=b"<html></html>", fetched_at=seen, text=text,
                            content_hash=text_hash(text), title=name)
        with db.session() as s:
            archive_page(s, page)


def test_replay_adds_removes_and_backfills(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    try:
        archive(db)
        assert match_pending(db, matcher(tmp_path, V1)).alerts == 5
        with db.session() as s:
            sent = next(d for d in due_deliveries(s, NOW) if d.watch_id == "ponomarev" and d.title == "raid")
            mark_sent(s, sent.delivery_id)

        report = replay(db, matcher(tmp_path, V2), dt.timedelta(days=7), batch=2)
        assert report.articles == 3 and report.pending == 0
        assert sorted((line.watch_id, line.title) for line in report.added) == [("shebekino", "evacuation"), ("shebekino", "shelling")]
        assert [(line.watch_id, line.title) for line in report.removed] == [("ponomarev", "raid")]
        assert report.kept == 2
        text = format_replay(report, "7d")
        assert "3 article(s) first seen in the last 7d: 2 alert(s) would be added, 1 removed, 2 unchanged" in text
        assert "+ shebekino  article" in text and "matched: Шебекино" in text
        assert "- ponomarev  article" in text and f"alert {sent.alert_id}, sent to chat" in text

        with db.session() as s:
            assert s.scalar(select(Alert.id).where(Alert.watch_id == "shebekino")) is None  # a dry run writes nothing
        replay(db, matcher(tmp_path, V2), dt.timedelta(days=7), send=True, batch=2)
        with db.session() as s:
            added = s.scalars(select(Alert).where(Alert.watch_id == "shebekino")).all()
            assert len(added) == 2
            assert {d.status for a in added for d in s.scalars(select(Delivery).where(Delivery.alert_id == a.id))} == {"pending"}
        again = replay(db, matcher(tmp_path, V2), dt.timedelta(days=7))
        assert again.added == [] and again.kept == 4
        assert replay(db, matcher(tmp_path, V2), dt.timedelta(days=90)).articles == 4
    finally:
        db.close()
