"""The whole path over loopback: outlets → crawl --once → archive → alerts at a webhook and an SMTP server."""
from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import yaml
from sqlalchemy import func, select

from monitor.cli import main
from storage.db import Database
from storage.models import Alert, Article, ArticleUrl, Delivery, Revision
from tests.conftest import DEMO_SITE
from tests.helpers import RULES, write_config

EXPECTED = yaml.safe_load((DEMO_SITE / "expected.yaml").read_text(encoding="utf-8"))
# a syndicated copy (copy_of) shares its story with the article it copies: the story is named by the original's path
STORY_OF = {a["path"]: a["copy_of"]["path"] if "copy_of" in a else a["path"] for a in EXPECTED["articles"]}
EXPECTED_ALERTS = sorted({(STORY_OF[a["path"]], w) for a in EXPECTED["articles"] for w in a["alerts"]})
FOLLOWUPS = {w["id"]: w.get("followups", "digest") for w in yaml.safe_load(RULES)["watches"]}
# one follow-up per copy and watch with `followups: each` (the demo's ponomarev watch)
EXPECTED_FOLLOWUPS = sorted((a["copy_of"]["path"], w) for a in EXPECTED["articles"] if "copy_of" in a
                            for w in a["alerts"] if FOLLOWUPS[w] == "each")
MESSAGES = len(EXPECTED_ALERTS) + len(EXPECTED_FOLLOWUPS)


def _alerts(db: Database, kind: str = "story") -> list[tuple[str, str]]:
    """(story, watch) of every alert of this kind; a story is named by the path of its original article."""
    with db.session() as s:
        rows = s.execute(select(Article.canonical_url, Alert.watch_id).join(Alert, Alert.article_id == Article.id)
                         .where(Alert.kind == kind)).all()
    return sorted((STORY_OF["/" + url.split("/", 3)[3]], watch) for url, watch in rows)


def test_full_cycle_delivers_each_alert_once(tmp_path: Path, database_url, demo_sites, webhook, smtp, capsys) -> None:
    config = write_config(tmp_path, database_url, demo_sites, {"chat": f"json://{webhook.netloc}/alerts", "desk": smtp.url()})

    assert main(["--config", str(config), "crawl", "--once"]) == 0
    summary = capsys.readouterr().out
    # 9 story alerts and 1 follow-up; the copy's two matches joined the wire story (or the other way round)
    assert (MESSAGES, len(EXPECTED_FOLLOWUPS)) == (10, 1)
    assert "13 article(s): 10 new alert(s), 2 match(es) joined a story already alerted" in summary

    db = Database(database_url)
    try:
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Article)) == len(EXPECTED["articles"]) == 13
            assert s.scalar(select(func.count()).select_from(Revision)) == 13
            raw = s.scalars(select(Revision.raw_html)).first()
            assert b"<html" in raw.lower()
        assert _alerts(db) == EXPECTED_ALERTS
        assert _alerts(db, "followup") == EXPECTED_FOLLOWUPS
    finally:
        db.close()

    # 10 messages, 2 channels each: every one arrived exactly once
    assert len(webhook.received) == MESSAGES
    assert len(smtp.messages) == MESSAGES
    first = json.loads(webhook.received[0])
    assert first["title"].startswith("[")
    assert "Watch:" in first["message"] and "URL: http://127.0.0.1:" in first["message"]
    mail = email.message_from_bytes(smtp.messages[0], policy=policy.default)
    assert mail["To"] == "desk@example.org"
    assert "Matched:" in mail.get_body(("plain",)).get_content()

    # a second cycle against the same outlets sends nothing new and fetches no known article
    for site in demo_sites.values():
        site.clear_log()
    assert main(["--config", str(config), "crawl", "--once"]) == 0
    assert len(webhook.received) == MESSAGES and len(smtp.messages) == MESSAGES
    requested = [p for site in demo_sites.values() for p in site.requests]
    assert sorted(p for p in requested if p != "/robots.txt") == ["/feed.xml", "/news-sitemap.xml", "/world/"]
    # ...the three indexes were asked for again, and each answered 304 Not Modified
    assert sorted(p for site in demo_sites.values() for p in site.served_paths(304)) == ["/feed.xml", "/news-sitemap.xml", "/world/"]


def test_alert_message_carries_watch_article_terms_and_snippet(tmp_path: Path, demo_sites, webhook) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {"wire": demo_sites["wire"]}, {"chat": f"json://{webhook.netloc}/x"})
    assert main(["--config", str(config), "crawl", "--once"]) == 0
    messages = [json.loads(body) for body in webhook.received]
    raid = next(m for m in messages if "Kozinka" in m["message"])
    body = raid["message"]
    assert "Watch: Belgorod raid (belgorod-raid)" in body
    assert "Outlet: wire" in body
    assert "Published: 2023-05-22" in body
    assert "Matched: " in body and "Belgorod" in body.split("Matched: ")[1].splitlines()[0]
    assert f"URL: {demo_sites['wire'].base_url}/stories/russian-armed-groups-cross-border.html" in body


def test_article_found_under_several_urls_is_archived_once(tmp_path: Path, database_url, demo_sites, webhook) -> None:
    # chronicle's feed lists the raid story twice (with utm_* parameters and plain);
    # wire's section page links a story with ?utm_campaign=front#top
    config = write_config(tmp_path, database_url, {k: demo_sites[k] for k in ("chronicle", "wire")}, {"chat": f"json://{webhook.netloc}/x"})
    assert main(["--config", str(config), "crawl", "--once"]) == 0
    db = Database(database_url)
    try:
        with db.session() as s:
            urls = s.scalars(select(Article.canonical_url)).all()
            assert len(urls) == len(set(urls)) == 9
            assert all("utm_" not in u and "#" not in u for u in urls)
            raid = s.scalar(select(Article).where(Article.canonical_url.like("%/news/belgorod-border-raid.html")))
            assert s.scalar(select(func.count()).select_from(Revision).where(Revision.article_id == raid.id)) == 1
            alerts = s.scalars(select(Alert.watch_id).where(Alert.article_id == raid.id)).all()
            assert sorted(alerts) == ["belgorod-raid", "ponomarev"]
            assert s.scalar(select(func.count()).select_from(ArticleUrl).where(ArticleUrl.article_id == raid.id)) >= 1
    finally:
        db.close()
    # each alert went out once, although the story was listed twice
    raid_messages = [b for b in webhook.received if b"belgorod-border-raid" in b]
    assert len(raid_messages) == 2


def test_sidebar_and_comment_mentions_do_not_alert(tmp_path: Path, demo_sites, webhook) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", demo_sites, {"chat": f"json://{webhook.netloc}/x"})
    assert main(["--config", str(config), "crawl", "--once"]) == 0
    quiet = [a["path"] for a in EXPECTED["articles"] if not a["alerts"]]
    assert len(quiet) == 7
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        alerted = {path for path, _watch in _alerts(db)}
    finally:
        db.close()
    assert alerted.isdisjoint(quiet)
    # the quiet pages were archived: they were fetched, just not alerted on
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with db.session() as s:
            archived = {"/" + u.split("/", 3)[3] for u in s.scalars(select(Article.canonical_url))}
    finally:
        db.close()
    assert set(quiet) <= archived


def test_channel_down_keeps_alert_pending_until_it_is_back(tmp_path: Path, database_url, demo_sites, webhook, smtp) -> None:
    from tests.conftest import free_port

    closed = free_port()  # nothing listens here: connection refused
    channels = {"chat": f"json://{webhook.netloc}/x", "desk": f"mailto://127.0.0.1:{closed}?from=a@example.org&to=b@example.org&mode=insecure"}
    config = write_config(tmp_path, database_url, {"wire": demo_sites["wire"]}, channels, settings={"delivery": {"backoff": "0s"}})
    webhook.status = 500

    assert main(["--config", str(config), "crawl", "--once"]) == 0
    assert webhook.received == []
    db = Database(database_url)
    try:
        with db.session() as s:
            statuses = s.execute(select(Delivery.channel, Delivery.status, Delivery.attempts, Delivery.last_error)).all()
        assert len(statuses) == 6  # 3 alerts × 2 channels
        # one failed attempt per channel; the channel's other deliveries wait for the next pass
        assert {st for _c, st, _n, _e in statuses} == {"pending"}
        assert sorted(n for c, _st, n, _e in statuses if c == "chat") == [0, 0, 1]
        assert sorted(n for c, _st, n, _e in statuses if c == "desk") == [0, 0, 1]
        assert all(err for _c, _st, n, err in statuses if n)

        # the webhook is back; the mail server comes up on the port that was closed
        webhook.status = 200
        config.write_text(config.read_text().replace(f"127.0.0.1:{closed}", f"127.0.0.1:{smtp.port}"))
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        assert len(webhook.received) == 3 and len(smtp.messages) == 3
        with db.session() as s:
            assert set(s.scalars(select(Delivery.status))) == {"sent"}

        assert main(["--config", str(config), "crawl", "--once"]) == 0
        assert len(webhook.received) == 3 and len(smtp.messages) == 3
    finally:
        db.close()


def test_archive_export_lists_every_article(tmp_path: Path, demo_sites, webhook, capsys) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", demo_sites, {"chat": f"json://{webhook.netloc}/x"})
    assert main(["--config", str(config), "crawl", "--once"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "archive", "export", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    records = [r for r in lines if r["record"] == "article"]
    assert len(records) == 13
    keys = {"id", "url", "canonical_url", "outlet", "title", "authors", "published", "language", "text", "fetched_at",
            "story", "watches_matched", "watches_alerted"}
    assert all(keys <= set(r) for r in records)
    assert all(set(r["watches_alerted"]) <= set(r["watches_matched"]) for r in records)
    by_path = {"/" + r["canonical_url"].split("/", 3)[3]: r for r in records}
    by_story: dict[str, list[str]] = {}
    for article in EXPECTED["articles"]:
        record = by_path[article["path"]]
        assert record["outlet"] == article["outlet"]
        assert record["title"] == article["title"]
        assert record["language"] == article["language"]
        assert set(record["watches_alerted"]) <= set(article["alerts"])
        by_story.setdefault(STORY_OF[article["path"]], []).extend(record["watches_alerted"])
        assert record["authors"] == [article["author"]]
    # the articles of a story carry its story alerts and its follow-ups between them
    expected: dict[str, list[str]] = {}
    for story, watch in EXPECTED_ALERTS + EXPECTED_FOLLOWUPS:
        expected.setdefault(story, []).append(watch)
    assert {k: sorted(v) for k, v in by_story.items() if v} == {k: sorted(v) for k, v in expected.items()}


def test_only_named_outlets_are_crawled(tmp_path: Path, demo_sites, webhook, capsys) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", demo_sites, {"chat": f"json://{webhook.netloc}/x"})
    assert main(["--config", str(config), "crawl", "--once", "--outlet", "ledger"]) == 0
    assert demo_sites["chronicle"].requests == [] and demo_sites["wire"].requests == []
    assert main(["--config", str(config), "crawl", "--once", "--outlet", "nope"]) == 64
    assert "unknown outlet(s): nope" in capsys.readouterr().err
