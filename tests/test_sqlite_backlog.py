"""A backlog of 3,000 pending articles matched in one process never starves the CLI or a crawl in
others on the same SQLite file: no "database is locked", everything finishes."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import yaml
from sqlalchemy import func, insert, select

from monitor.sites import SiteServer
from storage.db import Database
from storage.models import Alert, Article, CrawlRun

BACKLOG = 3000
SYLLABLES = ["ka", "lo", "mi", "ren", "tas", "vo", "dul", "pe", "sor", "nik", "ba", "tre", "gol", "ya", "shu", "ve", "dro", "mal"]
PLACES = ["Varnovo", "Tesla Bay", "Orlik", "Senna"]


def invented_text(rng: random.Random, n: int) -> str:
    """About 90 invented words, a place name in a third of them: distinct texts, so no two join one story."""
    words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(90)]
    if n % 3 == 0:
        words.insert(rng.randint(0, 80), PLACES[n % len(PLACES)])
    return " ".join(words) + "."


def fill_backlog(db: Database) -> None:
    rng = random.Random(7)
    now = dt.datetime.now(dt.timezone.utc)
    rows = []
    for n in range(BACKLOG):
        url = f"http://backlog.example.org/a/{n}"
        text = invented_text(rng, n)
        rows.append({
            "url_key": hashlib.sha256(url.encode()).hexdigest(), "canonical_url": url, "url": url, "outlet": "backlog",
            "title": f"Item {n}", "authors": [], "published": now - dt.timedelta(minutes=n), "language": "en", "site_name": None,
            "text": text, "content_hash": hashlib.sha256(text.encode()).hexdigest(), "first_seen": now, "fetched_at": now,
            "revision_count": 1, "match_pending": True,
        })
    with db.session() as session:
        session.execute(insert(Article), rows)


def loop_site(folder: Path) -> None:
    (folder / "news").mkdir(parents=True)
    items = []
    for n in range(3):
        body = (f"<p>Ferry number {n} left the quay at Varnovo in the morning fog, the harbour office said. "
                "Passengers waited on deck while the crew checked the ropes, and the captain read the tide tables aloud. "
                "The crossing took forty minutes and nobody was hurt, though the cafe on board ran out of tea.</p>")
        (folder / "news" / f"ferry-{n}.html").write_text(
            f"<!doctype html><html lang='en'><head><title>Ferry {n} crosses</title></head><body><article><h1>Ferry {n} crosses</h1>"
            f"{body}</article></body></html>", encoding="utf-8")
        items.append(f"<item><title>Ferry {n}</title><link>{{base}}/news/ferry-{n}.html</link></item>")
    (folder / "feed.xml").write_text("<?xml version='1.0'?><rss version='2.0'><channel><title>Harbour</title>"
                                     f"<link>{{base}}/</link><description>x</description>{''.join(items)}</channel></rss>", encoding="utf-8")


def cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONUNBUFFERED": "1"})


MATCHER = """
import sys
from pathlib import Path
from monitor.config import load_config
from monitor.matching import match_pending
from rules.matcher import Matcher
from storage.db import Database
config = load_config(Path(sys.argv[1]))
db = Database(config.database_url)
report = match_pending(db, Matcher(config.load_rules()), alerting=config.settings.alerts)
print(f"matched {report.articles} alerts {report.alerts} failed {len(report.failed)}")
"""


def test_backlog_matching_never_locks_out_the_cli_or_a_crawl(tmp_path: Path, webhook) -> None:
    database = f"sqlite:///{tmp_path / 'archive.db'}"
    folder = tmp_path / "site"
    loop_site(folder)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"watches": [
        {"id": "places", "any": PLACES, "notify": ["chat"]}, {"id": "ferry", "any": ["ferry"], "notify": ["chat"]},
    ]}), encoding="utf-8")
    db = Database(database)
    db.migrate()
    fill_backlog(db)
    with SiteServer(folder) as site:
        config = tmp_path / "newswatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": database, "outlets": [{"name": "harbour", "feeds": [site.url("/feed.xml")]}],
            "channels": {"chat": f"json://{webhook.netloc}/x"}, "rules": ["rules.yaml"], "crawler": {"delay": "0s", "timeout": "10s"},
        }, sort_keys=False), encoding="utf-8")

        def pending() -> int:
            with db.reading() as session:
                return session.scalar(select(func.count()).select_from(Article).where(Article.match_pending.is_(True)))

        matcher = subprocess.Popen([sys.executable, "-c", MATCHER, str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 300
            while pending() == BACKLOG and time.monotonic() < deadline and matcher.poll() is None:
                time.sleep(0.2)
            assert matcher.poll() is None, f"the matcher ended before the others started: {matcher.communicate()}"
            runs = [cli(config, "outlets"), cli(config, "alerts", "list"), cli(config, "alerts", "list", "--suppressed"),
                    cli(config, "archive", "export", "-o", str(tmp_path / "export.jsonl")), cli(config, "crawl", "--once")]
            out, err = matcher.communicate(timeout=900)
        finally:
            if matcher.poll() is None:
                matcher.kill()
    for run in runs:
        assert run.returncode == 0, run.args[4:]
        assert "locked" not in run.stderr and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert "harbour" in runs[0].stdout
    assert matcher.returncode == 0 and "locked" not in err, err[-2000:]
    assert " failed 0" in out
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Article).where(Article.match_pending.is_(True))) == 0
        assert session.scalar(select(func.count()).select_from(Article).where(Article.outlet == "harbour")) == 3
        run = session.scalars(select(CrawlRun).where(CrawlRun.outlet == "harbour")).one()
        assert run.finish_reason == "finished" and run.errors == []
        backlog_alerts = select(func.count()).select_from(Alert).join(Article, Alert.article_id == Article.id)
        assert session.scalar(backlog_alerts.where(Article.outlet == "backlog")) == len(range(0, BACKLOG, 3))
    assert len((tmp_path / "export.jsonl").read_text(encoding="utf-8").splitlines()) >= BACKLOG
    db.close()
