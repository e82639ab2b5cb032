"""Over real HTTP: a wire story, its copies on two other outlets and its update alert once per watch plus follow-ups."""
from __future__ import annotations

import datetime as dt
import html
import json
import time
from pathlib import Path

import yaml
from sqlalchemy import func, select

from monitor.cli import main
from monitor.sites import SiteServer
from storage.db import Database
from storage.models import Story, StoryArticle
from tests.alerting import ENTITIES
from tests.helpers import write_config
from tests.story_texts import GAS, RAID, RAID_UPDATE_2, SHELLING, syndicated

RULES = yaml.safe_dump({"entities": ENTITIES, "watches": [
    {"id": "raid-each", "all": ["belgorod"], "any": ["legion"], "followups": "each"},
    {"id": "raid-batched", "all": ["belgorod"], "any": ["legion"], "followups": "digest", "cooldown": "1s"},
    {"id": "raid-quiet", "all": ["belgorod"], "any": ["legion"], "followups": "off"},
]}, allow_unicode=True)


def article_page(title: str, text: str, published: dt.datetime) -> str:
    paragraphs = "\n".join(f"<p>{html.escape(s.strip())}.</p>" for s in text.split(". ") if s.strip())
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta property="og:title" content="{html.escape(title)}"><meta property="article:published_time" content="{published.isoformat()}">
</head><body><div class="consent">We use cookies to improve your experience. <button>OK</button></div>
<header><nav><a href="/">Home</a></nav></header>
<article><h1>{html.escape(title)}</h1>{paragraphs}</article>
<aside><h2>Newsletter</h2><p>Subscribe to our morning briefing.</p></aside><footer>All rights reserved.</footer></body></html>"""


def publish(root: Path, outlet: str, articles: list[tuple[str, str, str]]) -> None:
    """Write an outlet folder: article pages plus the index its discovery reads (feed, sitemap or section page)."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    folder = root / outlet
    (folder / "news").mkdir(parents=True, exist_ok=True)
    for slug, title, text in articles:
        (folder / "news" / f"{slug}.html").write_text(article_page(title, text, now), encoding="utf-8")
    if outlet == "chronicle":
        items = "".join(f"<item><title>{html.escape(t)}</title><link>{{base}}/news/{s}.html</link></item>" for s, t, _x in articles)
        (folder / "feed.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>{items}</channel></rss>', encoding="utf-8")
    elif outlet == "ledger":
        urls = "".join(f"<url><loc>{{base}}/news/{s}.html</loc><lastmod>{now.isoformat()}</lastmod></url>" for s, _t, _x in articles)
        (folder / "news-sitemap.xml").write_text(
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>', encoding="utf-8")
    else:
        links = "".join(f'<div class="teaser"><a href="{{base}}/news/{s}.html">{html.escape(t)}</a></div>' for s, t, _x in articles)
        (folder / "world").mkdir(exist_ok=True)
        (folder / "world" / "index.html").write_text(f"<html><body><main>{links}</main></body></html>", encoding="utf-8")


def test_copies_and_update_over_http_alert_once_per_watch_plus_followups(tmp_path: Path, database_url, webhook) -> None:
    site_root = tmp_path / "sites"
    publish(site_root, "wire", [("raid", "Fighters cross into Belgorod region", RAID), ("shelling", "Shelling hits Shebekino", SHELLING)])
    publish(site_root, "ledger", [])
    gas = ("gas", "Gas prices slide to a two-year low", GAS)
    publish(site_root, "chronicle", [gas])
    sites = {name: SiteServer(site_root / name).start() for name in ("wire", "ledger", "chronicle")}
    try:
        config = write_config(tmp_path, database_url, sites, {"chat": f"json://{webhook.netloc}/alerts"}, rules=RULES)
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        assert len(webhook.received) == 3  # one story, three watches

        time.sleep(1.1)  # raid-batched's cooldown
        publish(site_root, "ledger", [("raid-copy", "Russian fighters enter Belgorod region", syndicated(RAID, "Ledger"))])
        publish(site_root, "chronicle", [gas, ("raid", "Belgorod incursion: fighters claim a village",
                                               syndicated(RAID, "Chronicle", dateline="LONDON"))])
        publish(site_root, "wire", [("raid", "Fighters cross into Belgorod region", RAID),
                                    ("raid-update", "UPDATE: Fighters pushed back, ministry says", RAID_UPDATE_2)])
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        assert main(["--config", str(config), "crawl", "--once"]) == 0
    finally:
        for site in sites.values():
            site.stop()

    messages = [json.loads(body) for body in webhook.received]
    by_watch = {w: [m["message"] for m in messages if f"({w})" in m["message"]] for w in ("raid-each", "raid-batched", "raid-quiet")}
    assert sorted(m.splitlines()[0] for m in by_watch["raid-each"][1:]) == ["Also in: chronicle", "Also in: ledger"]
    # one follow-up for both copies found in the same pass (their order is the order they were archived)
    assert [sorted(m.splitlines()[0].removeprefix("Also in: ").split(", ")) for m in by_watch["raid-batched"][1:]] == [["chronicle", "ledger"]]
    assert len(by_watch["raid-quiet"]) == 1
    assert len(messages) == 3 + 2 + 1

    db = Database(database_url)
    try:
        with db.session() as session:
            sizes = sorted(session.execute(select(func.count()).select_from(StoryArticle).group_by(StoryArticle.story_id)).scalars())
            assert sizes == [1, 1, 4]  # gas and shelling alone; the raid with two copies and the update
            assert session.scalar(select(func.count()).select_from(Story)) == 3
    finally:
        db.close()
