"""One decision whether to send, shown the same way by the daemon's log, `alerts list --suppressed`,
`rules test` and `rules replay` (an article older than max_age, over a real loopback crawl)."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from monitor.cli import main
from monitor.sites import SiteServer
from newswatch.decisions import ALERT, ANNOUNCED, COOLDOWN, COUNTED, FILTERED, FOLLOWUP, FOLLOWUPS_OFF, HOLD, SKIP, TOO_OLD, WAITING, Facts, decide
from storage.db import Database
from storage.models import AlertDecision, Article

NOW = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.timezone.utc)
H = dt.timedelta(hours=1)


def facts(**changes) -> Facts:
    values = dict(now=NOW, first_seen=NOW, published=NOW - H, outlet="wire", max_age=dt.timedelta(days=3),
                  channels=("chat", "desk"))
    values.update(changes)
    return Facts(**values)


@pytest.mark.parametrize(("changes", "action", "reason", "detail"), [
    ({}, ALERT, "", ""),
    ({"published": None}, ALERT, "", ""),  # no published time: always new
    ({"published": NOW - dt.timedelta(days=4)}, SKIP, TOO_OLD,
     "older than max_age 3d (published 2024-03-01 12:00 UTC, found 2024-03-05 12:00 UTC)"),
    ({"filtered": "outlet wire is not in ledger"}, SKIP, FILTERED, "outlet wire is not in ledger"),
    ({"story_alerted": True, "counted": True}, SKIP, COUNTED, "a revision of an article this watch already counted"),
    ({"story_alerted": True, "followups": "off"}, SKIP, FOLLOWUPS_OFF, "the watch already alerted on this story and has followups: off"),
    ({"story_alerted": True, "announced": ("wire",)}, SKIP, ANNOUNCED,
     "the watch already alerted on this story and already named outlet wire"),
    ({"story_alerted": True, "waiting": ("wire",)}, SKIP, WAITING, "a follow-up naming outlet wire already waits for its cooldown"),
    ({"story_alerted": True, "followups": "each", "announced": ("ledger",)}, FOLLOWUP, "", ""),
    ({"story_alerted": True, "announced": ("ledger",), "last_message_at": NOW - H}, HOLD, COOLDOWN,
     "follow-up due at 2024-03-05 17:00 UTC (cooldown 6h)"),
    ({"story_alerted": True, "announced": ("ledger",), "last_message_at": NOW - 7 * H}, FOLLOWUP, "", ""),
])
def test_decide_table(changes: dict, action: str, reason: str, detail: str) -> None:
    decision = decide(facts(**changes))
    assert (decision.action, decision.reason, decision.detail) == (action, reason, detail)


def test_digest_held_channels_are_named() -> None:
    decision = decide(facts(digest={"desk": dt.timedelta(days=1)}))
    assert decision.action == ALERT and decision.held == {"desk": dt.datetime(2024, 3, 6, tzinfo=dt.timezone.utc)}
    assert decision.describe() == "alert (held for the desk digest until 2024-03-06 00:00 UTC)"
    assert decide(facts(published=NOW - dt.timedelta(days=9))).describe().startswith("not sent: older than max_age 3d")


PARAGRAPHS = (
    "The river at Varnovo rose two metres overnight and the lower town was cut off from the ring road by morning. "
    "Volunteers from the rowing club ferried older residents to the school on the hill, where the council opened a shelter. "
    "Engineers said the old embankment held, but water came through the storm drains that nobody had cleared since spring."
)


def article_html(title: str, published: dt.datetime, base: str, path: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<link rel='canonical' href='{base}{path}'>"
        f"<meta property='article:published_time' content='{published.isoformat()}'></head>"
        f"<body><article><h1>{title}</h1><p>{PARAGRAPHS}</p><p>The mayor asked people to stay away from the quay "
        f"until the water falls. Trains to Varnovo run on a reduced timetable.</p></article></body></html>"
    )


def flood_site(folder: Path, now: dt.datetime, listed: tuple[str, ...] = ("old-flood", "new-flood")) -> None:
    """A feed with an old article (published in 2020) and a fresh one, both about the flood (one story: the same text)."""
    (folder / "news").mkdir(parents=True, exist_ok=True)
    old = dt.datetime(2020, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    fresh = now - H
    items = []
    for slug, title, published in (("old-flood", "Varnovo under water again", old), ("new-flood", "Varnovo floods after a night of rain", fresh)):
        if slug not in listed:
            continue
        (folder / "news" / f"{slug}.html").write_text(article_html(title, published, "{base}", f"/news/{slug}.html"), encoding="utf-8")
        items.append(f"<item><title>{title}</title><link>{{base}}/news/{slug}.html</link>"
                     f"<pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>")
    (folder / "feed.xml").write_text(
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Valley Post</title>"
        f"<link>{{base}}/</link><description>Local news</description>{''.join(items)}</channel></rss>", encoding="utf-8")


def flood_config(tmp_path: Path, site: SiteServer, hook: str) -> Path:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"watches": [{"id": "varnovo", "any": ["Varnovo"], "notify": ["chat"]}]}), encoding="utf-8")
    config = {
        "database": f"sqlite:///{tmp_path / 'archive.db'}",
        "outlets": [{"name": "valley", "feeds": [site.url("/feed.xml")], "every": "1h"}],
        "channels": {"chat": hook},
        "rules": ["rules.yaml"],
        "crawler": {"delay": "0s", "timeout": "10s"},
    }
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_log_alerts_list_rules_test_and_replay_agree_on_an_old_article(tmp_path: Path, webhook, capsys) -> None:
    folder = tmp_path / "site"
    flood_site(folder, dt.datetime.now(dt.timezone.utc))
    with SiteServer(folder) as site:
        config = flood_config(tmp_path, site, f"json://{webhook.netloc}/alerts")
        db = Database(f"sqlite:///{tmp_path / 'archive.db'}")
        db.migrate()

        def decided() -> bool:
            with db.reading() as session:
                return session.scalar(select(AlertDecision.id)) is not None

        log_path = tmp_path / "daemon.log"
        with log_path.open("wb") as stderr:
            daemon = subprocess.Popen([sys.executable, "-m", "monitor.cli", "-v", "--config", str(config), "run"],
                                      stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            assert wait_for(decided, 240), "the daemon recorded no decision"
            assert wait_for(lambda: len(webhook.received) == 1, 120), "the fresh article was not sent"
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(120) == 0
        log = log_path.read_text(encoding="utf-8")

        with db.reading() as session:
            old = session.scalars(select(Article).where(Article.canonical_url.like("%old-flood%"))).one()
            (row,) = session.scalars(select(AlertDecision)).all()
        db.close()
        expected = (f"not sent: older than max_age 3d (published 2020-03-02 09:00 UTC, "
                    f"found {old.first_seen.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)")
        assert (row.watch_id, row.article_id, row.reason) == ("varnovo", old.id, TOO_OLD)
        assert "Varnovo floods after a night of rain" in json.loads(webhook.received[0])["message"]

        # 1. the daemon's log: one info line for the decision
        assert f"watch varnovo, article {old.id} [valley] {old.canonical_url}: {expected}" in log

        # 2. alerts list --suppressed
        capsys.readouterr()
        assert main(["--config", str(config), "alerts", "list", "--suppressed"]) == 0
        listed = capsys.readouterr().out
        assert f"[varnovo] article {old.id} [valley] Varnovo under water again" in listed and expected in listed

        # 3. rules test on the archived article, and on the live page (found "now": the same reason)
        assert main(["--config", str(config), "rules", "test", str(old.id)]) == 0
        tested = capsys.readouterr().out
        assert "MATCH  varnovo" in tested and f"    decision: {expected}" in tested
        assert main(["--config", str(config), "rules", "test", old.canonical_url]) == 0
        assert "    decision: not sent: older than max_age 3d (published 2020-03-02 09:00 UTC, found " in capsys.readouterr().out

        # 4. rules replay: not listed as an alert to add, but as not sent, with the same sentence
        assert main(["--config", str(config), "rules", "replay", "--since", "1d"]) == 0
        replayed = capsys.readouterr().out
        assert "0 alert(s) would be added, 0 removed, 1 unchanged" in replayed
        assert f"x varnovo  article {old.id} [valley] Varnovo under water again" in replayed and f"    {expected}" in replayed
        assert "+ varnovo" not in replayed


def test_replay_shows_an_old_article_as_not_sent_when_it_joined_an_alerted_story(tmp_path: Path, webhook, capsys) -> None:
    """The order the daemon happened to match them in (two extraction workers) must not change what replay says:
    here the fresh article is alerted first and the old one joins its story, too old."""
    folder = tmp_path / "site"
    now = dt.datetime.now(dt.timezone.utc)
    flood_site(folder, now, listed=("new-flood",))
    with SiteServer(folder) as site:
        config = flood_config(tmp_path, site, f"json://{webhook.netloc}/alerts")
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        assert len(webhook.received) == 1
        flood_site(folder, now)  # the old article turns up in the feed later
        assert main(["--config", str(config), "crawl", "--once"]) == 0
    db = Database(f"sqlite:///{tmp_path / 'archive.db'}")
    try:
        with db.reading() as session:
            old = session.scalars(select(Article).where(Article.canonical_url.like("%old-flood%"))).one()
            (row,) = session.scalars(select(AlertDecision)).all()
    finally:
        db.close()
    expected = (f"not sent: older than max_age 3d (published 2020-03-02 09:00 UTC, "
                f"found {old.first_seen.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)")
    assert (row.article_id, row.reason) == (old.id, TOO_OLD) and len(webhook.received) == 1
    capsys.readouterr()
    assert main(["--config", str(config), "rules", "test", str(old.id)]) == 0
    assert f"    decision: {expected}" in capsys.readouterr().out
    assert main(["--config", str(config), "rules", "replay", "--since", "1d"]) == 0
    replayed = capsys.readouterr().out
    assert "0 alert(s) would be added, 0 removed, 1 unchanged" in replayed
    assert f"x varnovo  article {old.id} [valley] Varnovo under water again" in replayed and f"    {expected}" in replayed
