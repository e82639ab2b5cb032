"""Issue 9, items 2 and 5 over loopback: a two-sentence flash alerts; comments in unmarked divs and in
comment containers stay out of the matched text; a page that says it is not an article is recorded."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy import select

from monitor.cli import main
from monitor.sites import SiteServer
from storage.db import Database
from storage.models import Alert, Article, CrawlRun
from tests.conftest import FIXTURES

FLASHES = FIXTURES / "flashes"
WATCHES = [
    {"id": "kozinka", "any": ["Kozinka"], "notify": ["chat"]},
    {"id": "tarasovka", "any": ["Tarasovka"], "notify": ["chat"]},  # only ever named in reader comments
]


def _config(directory: Path, database_url: str, site: SiteServer, webhook_netloc: str) -> Path:
    (directory / "rules.yaml").write_text(yaml.safe_dump({"watches": WATCHES}), encoding="utf-8")
    config = {
        "database": database_url,
        "outlets": [{"name": "flashes", "feeds": [site.url("/feed.xml")], "exclude": [".c-list"]}],
        "channels": {"chat": f"json://{webhook_netloc}/alerts"},
        "rules": ["rules.yaml"],
        "crawler": {"delay": "0s", "timeout": "10s"},
        "alerts": {"max_age": "36500d"},
    }
    path = directory / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def test_flash_alerts_comments_stay_quiet_and_a_collection_page_is_recorded(tmp_path: Path, database_url, webhook) -> None:
    with SiteServer(FLASHES) as site:
        config = _config(tmp_path, database_url, site, webhook.netloc)
        assert main(["--config", str(config), "crawl", "--once"]) == 0
        base = site.base_url

    db = Database(database_url)
    try:
        with db.session() as s:
            texts = dict(s.execute(select(Article.canonical_url, Article.text)).all())
            alerts = s.execute(select(Alert.watch_id, Article.canonical_url).join(Article, Article.id == Alert.article_id)).all()
            errors = [e for run in s.scalars(select(CrawlRun)) for e in run.errors]
    finally:
        db.close()

    flash = f"{base}/news/flash-kozinka-bridge.html"
    assert set(texts) == {flash, f"{base}/news/shebekino-water-restored.html", f"{base}/news/graivoron-school-year.html"}
    assert len(texts[flash]) < 200 and texts[flash].endswith("shelling was reported nearby. More to follow.")
    assert not any("Tarasovka" in text for text in texts.values())  # `exclude: [.c-list]` and the defaults
    assert "pumping station on the eastern edge" in texts[f"{base}/news/shebekino-water-restored.html"].replace("\n", " ")
    assert "examinations for the oldest classes" in texts[f"{base}/news/graivoron-school-year.html"].replace("\n", " ")

    assert alerts == [("kozinka", flash)]  # the flash alerts; the tag page naming Kozinka is not an article
    assert len(webhook.received) == 1 and "Bridge at Kozinka closed" in json.loads(webhook.received[0])["title"]

    tag = [e for e in errors if e["url"].endswith("/news/tag-kozinka-2023.html")]
    assert [e["kind"] for e in tag] == ["not_an_article"]
    assert "CollectionPage" in tag[0]["message"]
