"""The archive commands over an archive built by a real crawl of the demo outlets on loopback.

Search finds the crawled Russian article by an inflected form; `stories` shows the syndicated
copy in its original's story; `archive show` tells the same; and an export imported into
PostgreSQL, exported again and imported into a new SQLite file gives back the same archive.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.cli import main
from storage.db import Database
from storage.models import Alert, Article, Revision, StoryArticle
from tests.conftest import DEMO_SITE
from tests.helpers import write_config

import yaml

EXPECTED = yaml.safe_load((DEMO_SITE / "expected.yaml").read_text(encoding="utf-8"))
COPY = next(a for a in EXPECTED["articles"] if "copy_of" in a)


@pytest.fixture
def crawled(tmp_path: Path, demo_sites, webhook) -> dict:
    """A SQLite archive of the three demo outlets, crawled, matched and alerted once."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'source.db'}", demo_sites, {"chat": f"json://{webhook.netloc}/x"})
    assert main(["--config", str(config), "crawl", "--once"]) == 0
    return {"config": config, "sites": demo_sites, "dir": tmp_path}


def _run(capsys, config: Path, *args: str) -> str:
    capsys.readouterr()
    assert main(["--config", str(config), *args]) == 0
    return capsys.readouterr().out


def test_stories_show_and_search_on_a_crawled_archive(crawled, capsys) -> None:
    config, sites = crawled["config"], crawled["sites"]
    copy_url = sites["chronicle"].url(COPY["path"])
    original_url = sites["wire"].url(COPY["copy_of"]["path"])

    stories = [json.loads(line) for line in _run(capsys, config, "stories", "--since", "36500d", "--json").splitlines()]
    (shared,) = [s for s in stories if len(s["articles"]) > 1]
    assert sorted((a["outlet"], a["url"]) for a in shared["articles"]) == [("chronicle", copy_url), ("wire", original_url)]
    watches = {w["watch"]: w for w in shared["watches"]}
    assert set(watches) == {"belgorod-raid", "ponomarev"}
    assert [s["kind"] for s in watches["ponomarev"]["sent"]] == ["story", "followup"]
    assert [s["kind"] for s in watches["belgorod-raid"]["sent"]] == ["story"]
    assert all(status == "sent" for w in watches.values() for s in w["sent"] for status in s["channels"].values())
    assert len(watches["ponomarev"]["matched"]) == 2

    only = [json.loads(line) for line in _run(capsys, config, "stories", "--since", "36500d", "--watch", "ponomarev", "--json").splitlines()]
    assert shared["story"] in {s["story"] for s in only} and all(w["watch"] == "ponomarev" for s in only for w in s["watches"])
    table = _run(capsys, config, "stories", "--since", "36500d")
    assert f"story {shared['story']}" in table and "followup alert" in table and "chat: sent" in table

    copy_id = next(a["id"] for a in shared["articles"] if a["outlet"] == "chronicle")
    shown = json.loads(_run(capsys, config, "archive", "show", str(copy_id), "--json"))
    assert shown["story"]["id"] == shared["story"] and len(shown["story"]["articles"]) == 2
    assert "ponomarev" in shown["watches_matched"] and copy_url in shown["urls"]
    assert shown["revisions"] == 1
    text = _run(capsys, config, "archive", "show", str(copy_id), "--revisions")
    assert "watches matched" in text and "revisions" in text and "bytes" in text

    hits = [json.loads(line) for line in _run(capsys, config, "archive", "search", "граница OR границу OR Белгородская", "--json").splitlines()]
    assert any(h["outlet"] == "ledger" for h in hits)
    hits = [json.loads(line) for line in _run(capsys, config, "archive", "search", "Ponomarev", "--watch", "ponomarev", "--json").splitlines()]
    assert {h["id"] for h in hits} >= {copy_id}
    assert all(h["story"] is not None for h in hits)


def _everything(url: str) -> list[dict]:
    """The whole archive as export records (the export is the comparison: it holds every column)."""
    from storage.archive_export import export_records

    db = Database(url)
    try:
        with db.session() as s:
            return list(export_records(s))
    finally:
        db.close()


def _counts(url: str) -> tuple[int, int, int, int]:
    db = Database(url)
    try:
        with db.session() as s:
            return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Article, Revision, StoryArticle, Alert))
    finally:
        db.close()


def test_export_import_round_trip_loses_nothing(crawled, database_url: str, capsys, tmp_path: Path) -> None:
    source_config = crawled["config"]
    source_url = f"sqlite:///{crawled['dir'] / 'source.db'}"
    first = tmp_path / "first.jsonl"
    _run(capsys, source_config, "archive", "export", "-o", str(first))

    middle = tmp_path / "middle"
    middle.mkdir()
    (middle / "newswatch.yaml").write_text(f"database: {database_url}\n", encoding="utf-8")
    out = _run(capsys, middle / "newswatch.yaml", "archive", "import", str(first))
    assert "ids kept" in out and "0 article(s) were already there" in out
    second = tmp_path / "second.jsonl"
    _run(capsys, middle / "newswatch.yaml", "archive", "export", "-o", str(second))

    back = tmp_path / "back"
    back.mkdir()
    (back / "newswatch.yaml").write_text(f"database: sqlite:///{back / 'back.db'}\n", encoding="utf-8")
    _run(capsys, back / "newswatch.yaml", "archive", "import", str(second))

    original = _everything(source_url)
    kinds = {r["record"] for r in original}
    assert kinds == {"article", "story", "alert", "watch_story"}
    assert any(h["raw_html"] for r in original if r["record"] == "article" for h in r["history"])
    assert _everything(database_url) == original
    assert _everything(f"sqlite:///{back / 'back.db'}") == original
    assert _counts(database_url) == _counts(source_url)

    # the search index came along: the imported archive finds what the source finds
    query = ["archive", "search", "Ponomarev OR Пономарёв", "--json"]
    assert _run(capsys, back / "newswatch.yaml", *query) == _run(capsys, source_config, *query)

    # importing again adds nothing; a new article in between is renumbered around
    out = _run(capsys, middle / "newswatch.yaml", "archive", "import", str(first))
    assert "imported 0 article(s)" in out and "ids renumbered" in out
    assert _counts(database_url) == _counts(source_url)


def test_filtered_export_csv_and_bad_import(crawled, capsys, tmp_path: Path) -> None:
    config = crawled["config"]
    lines = [json.loads(line) for line in _run(capsys, config, "archive", "export", "--outlet", "ledger").splitlines()]
    articles = [r for r in lines if r["record"] == "article"]
    assert articles and {r["outlet"] for r in articles} == {"ledger"}
    assert all(set(r) >= {"story", "watches_matched", "watches_alerted"} for r in articles)
    assert all(a["article"] in {r["id"] for r in articles} for r in lines if r["record"] == "alert" for a in [r] if a["article"])

    matched = [json.loads(line) for line in _run(capsys, config, "archive", "export", "--query", "Ponomarev").splitlines()]
    assert {r["outlet"] for r in matched if r["record"] == "article"} == {"chronicle", "wire"}

    csv_text = _run(capsys, config, "archive", "export", "--format", "csv", "--lang", "ru")
    header, *rows = csv_text.splitlines()
    assert header.startswith("id,url,canonical_url,outlet,title")
    assert "watches_matched,watches_alerted" in header and any("belgorod-raid" in row for row in rows)

    bad = tmp_path / "bad.jsonl"
    good = _run(capsys, config, "archive", "export").splitlines()
    bad.write_text(good[0] + "\n{not json\n", encoding="utf-8")
    target = tmp_path / "target"
    target.mkdir()
    (target / "newswatch.yaml").write_text(f"database: sqlite:///{target / 't.db'}\n", encoding="utf-8")
    assert main(["--config", str(target / "newswatch.yaml"), "archive", "import", str(bad)]) == 1
    assert "line 2: not JSON" in capsys.readouterr().err
    assert _counts(f"sqlite:///{target / 't.db'}")[0] == 1  # the good line before it is kept
