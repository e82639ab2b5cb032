"""Building articles, rules and outboxes for the alerting tests through the real archive and rule loader."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import yaml

from rules.matcher import Matcher
from rules.ruleset import load_rules
from storage.archive import ArchivedPage, archive_page
from storage.db import Database
from tests.helpers import RULES

ENTITIES = yaml.safe_load(RULES)["entities"]
T0 = dt.datetime(2023, 5, 22, 18, 0, tzinfo=dt.timezone.utc)


def page(outlet: str, path: str, text: str, title: str = "Fighters cross into Belgorod region",
         published: dt.datetime | None = None, fetched: dt.datetime | None = None) -> ArchivedPage:
    url = f"http://{outlet}.example.org{path}"
    fetched = fetched or dt.datetime.now(dt.timezone.utc)
    return ArchivedPage(
        outlet=outlet, canonical_url=url, fetched_url=url, other_urls=(), http_status=200,
        content_type="text/html", raw_html=f"<html><body><p>{text}</p></body></html>".encode(), fetched_at=fetched,
        text=text, content_hash=hashlib.sha256(text.encode()).hexdigest(), title=title,
        published=published if published is not None else fetched - dt.timedelta(hours=1),
    )


def archive(db: Database, archived: ArchivedPage) -> int:
    with db.session() as session:
        _outcome, article_id = archive_page(session, archived)
    return article_id


def matcher(tmp_path: Path, watches: list[dict], channels: set[str]) -> Matcher:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"entities": ENTITIES, "watches": watches}, allow_unicode=True), encoding="utf-8")
    return Matcher(load_rules(["rules.yaml"], tmp_path, channels))


def watch(watch_id: str, notify: list[str], **options: object) -> dict:
    return {"id": watch_id, "all": ["belgorod"], "any": ["legion", "rdk", "ponomarev"], "notify": notify, **options}
