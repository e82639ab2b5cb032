"""Web view page times (p50, p95) over a generated SQLite archive of 100,000 articles, over real HTTP.

    .venv/bin/python bench/web_pages.py [--articles 100000] [--repeat 20] [--keep DIR]

The articles come from bench/archive_search.py's generator (no corpus needed), found over the
last year in the order of their ids (the newest a minute ago), as a crawl archives them. They are put in
stories of one to four articles; one story in five is matched by one of five watches, which
alerted on it to two channels (sent), so the archive holds about 20,000 alerts and 40,000
deliveries. The view is served exactly as `newswatch web` serves it (HttpEndpoint + WebView on
loopback), and each page is fetched `repeat` times with urllib. Timings are wall-clock on a shared
machine: read them as orders of magnitude, and compare pages within one run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import yaml  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from archive_search import OUTLETS, generate, load, pct  # noqa: E402
from monitor.config import load_config  # noqa: E402
from monitor.http_endpoint import HttpEndpoint  # noqa: E402
from monitor.web.app import WebView  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Alert, Delivery, OutletState, Story, StoryArticle, WatchStory  # noqa: E402

WATCHES = {"governor": "губернатор", "president": "президент", "bridge": "bridge", "belgorod": "Белгород", "border": "граница"}
CHANNELS = ("chat", "desk")
SEARCHES = ["президент", "граница", '"губернатор заявил"', "bridge", "Белгород -погода"]


def arrival_order(rows: list[dict]) -> list[dict]:
    """As in a real archive: ids follow the time articles were found, the newest found a minute ago."""
    rows.sort(key=lambda row: row["first_seen"])
    shift = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1) - rows[-1]["first_seen"]
    for row in rows:
        for key in ("first_seen", "fetched_at", "published"):
            row[key] += shift
    return rows


def write_config(directory: Path) -> Path:
    rules = {"watches": [{"id": watch, "any": [term], "notify": list(CHANNELS)} for watch, term in WATCHES.items()]}
    (directory / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    config = {
        "database": f"sqlite:///{directory / 'bench.db'}",
        "outlets": [{"name": name, "feeds": [f"https://{name}.example.org/feed.xml"]} for name in OUTLETS],
        "channels": {"chat": "json://127.0.0.1:9/hook", "desk": "json://127.0.0.1:9/desk"},
        "rules": ["rules.yaml"], "http": {"listen": "off"},
    }
    path = directory / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def add_stories_and_alerts(db: Database, rows: list[dict], seed: int = 11) -> tuple[int, int]:
    """Stories of 1-4 consecutive articles; every fifth story alerted by one watch to both channels."""
    rng = random.Random(seed)
    stories, members, alerts, states, deliveries = [], [], [], [], []
    article_id, story_id = 1, 0
    while article_id <= len(rows):
        story_id += 1
        size = min(rng.randint(1, 4), len(rows) - article_id + 1)
        first = rows[article_id - 1]
        stories.append({"id": story_id, "first_article_id": article_id, "created_at": first["first_seen"]})
        for n in range(size):
            members.append({"article_id": article_id + n, "story_id": story_id, "joined_at": rows[article_id + n - 1]["first_seen"],
                            "similarity": None if n == 0 else 0.8, "shingles": 100})
        if story_id % 5 == 0:
            watch = list(WATCHES)[story_id % len(WATCHES)]
            alert_id = len(alerts) + 1
            alerts.append({"id": alert_id, "watch_id": watch, "watch_name": watch, "article_id": article_id, "terms": [WATCHES[watch]],
                           "snippet": "", "created_at": first["first_seen"], "story_id": story_id, "kind": "story",
                           "key": uuid.uuid4().hex, "outlets": [], "items": []})
            states.append({"watch_id": watch, "story_id": story_id, "alert_id": alert_id, "created_at": first["first_seen"],
                           "last_message_at": first["first_seen"], "articles": [article_id], "announced": [first["outlet"]],
                           "waiting": [], "options": {}})
            deliveries += [{"alert_id": alert_id, "channel": channel, "status": "sent", "attempts": 1,
                            "sent_at": first["first_seen"], "interrupted": 0} for channel in CHANNELS]
        article_id += size
    now = dt.datetime.now(dt.timezone.utc)
    with db.session() as session:
        for model, values in ((Story, stories), (StoryArticle, members), (Alert, alerts), (WatchStory, states), (Delivery, deliveries)):
            for start in range(0, len(values), 5000):
                session.execute(insert(model), values[start : start + 5000])
        session.execute(insert(OutletState), [{"outlet": name, "error_streak": 0, "last_success_at": now} for name in OUTLETS])
    return story_id, len(alerts)


def timed_get(url: str) -> float:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
        assert response.status == 200, url
    return (time.perf_counter() - began) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", metavar="DIR", help="build the archive in DIR and keep it")
    args = parser.parse_args()

    directory = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="nw-web-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.db").unlink(missing_ok=True)
    config = load_config(write_config(directory))
    db = Database(config.database_url)
    began = time.perf_counter()
    rows = arrival_order(generate(args.articles))
    load(db, rows)
    story_count, alert_count = add_stories_and_alerts(db, rows)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    print(f"archive: {len(rows):,} articles, {story_count:,} stories, {alert_count:,} alerts, {2 * alert_count:,} deliveries "
          f"(built in {time.perf_counter() - began:.0f}s)")

    endpoint = HttpEndpoint(("127.0.0.1", 0))
    endpoint.mount(WebView(config, db))
    endpoint.start()
    base = f"http://127.0.0.1:{endpoint.port}"
    rng = random.Random(3)
    pages = {
        "dashboard": lambda: "/",
        "story": lambda: f"/stories/{rng.randint(1, story_count)}",
        "search": lambda: "/search?" + urlencode({"q": rng.choice(SEARCHES)}),
        "search + filters": lambda: "/search?" + urlencode({"q": rng.choice(SEARCHES), "outlet": rng.choice(OUTLETS), "since": "30d"}),
        "latest articles": lambda: "/search",
        "article": lambda: f"/articles/{rng.randint(1, len(rows))}",
        "alerts": lambda: "/alerts",
        "outlets": lambda: "/outlets",
        "feed of a watch": lambda: "/feeds/watch/governor.atom",
        "feed of all": lambda: "/feeds/all.atom",
    }
    try:
        timed_get(base + "/")  # the first request loads the rules
        print(f"\npage times over {len(rows):,} articles on SQLite, {args.repeat} requests each (ms; noisy shared machine)")
        print(f"{'page':<20}{'p50':>8}{'p95':>8}")
        for label, path in pages.items():
            times = [timed_get(base + path()) for _ in range(args.repeat)]
            print(f"{label:<20}{pct(times, 50):>8.1f}{pct(times, 95):>8.1f}")
    finally:
        endpoint.stop()
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
