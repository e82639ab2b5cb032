"""`archive show --diff` between revisions, and raw-page retention (`archive prune`, the daemon's job)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.extract import text_hash
from monitor.cli import main
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.schedule import build_scheduler
from monitor.retention import retention_job
from newswatch.textdiff import diff_lines
from newswatch.yamlsource import ConfigError
from storage.archive import ArchivedPage, archive_page
from storage.db import Database
from storage.models import Article, Revision

NOW = dt.datetime.now(dt.timezone.utc)
FIRST = ("Губернатор сообщил о трёх пострадавших в Шебекине.\n"
         "Обстрел начался утром.\n"
         "Жителей просят оставаться в укрытиях.")
SECOND = ("Губернатор сообщил о пяти пострадавших в Шебекине.\n"
          "Обстрел начался утром.\n"
          "Жителей просят оставаться в укрытиях.\n"
          "Позже стало известно о разрушенной школе.")


def _page(text: str, fetched: dt.datetime, slug: str = "shebekino") -> ArchivedPage:
    url = f"http://ledger.example.org/{slug}.html"
    return ArchivedPage(
        outlet="ledger", canonical_url=url, fetched_url=url, other_urls=(), http_status=200, content_type="text/html",
        raw_html=f"<html><p>{text}</p></html>".encode(), fetched_at=fetched, text=text, content_hash=text_hash(text),
        title="Обстрел Шебекино", published=fetched, language="ru",
    )


def _config(tmp_path: Path, database_url: str, extra: str = "") -> Path:
    path = tmp_path / "newswatch.yaml"
    path.write_text(f"database: {database_url}\n{extra}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "removed", "added"),
    [
        ("три человека ранены", "пять человек ранены", ["три", "человека"], ["пять", "человек"]),
        ("The raid began at dawn.", "The raid began before dawn.", ["at"], ["before"]),
        ("same line", "same line", [], []),
    ],
)
def test_changed_words_are_marked(old: str, new: str, removed: list[str], added: list[str]) -> None:
    lines = diff_lines(old, new, "a", "b")
    marked = {kind: [line.text[s:e] for line in lines if line.kind == kind for s, e in line.changed] for kind in "-+"}
    assert marked == {"-": removed, "+": added}


def test_show_diff_between_revisions(tmp_path: Path, database_url: str, capsys) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        with db.session() as s:
            _outcome, article_id = archive_page(s, _page(FIRST, NOW - dt.timedelta(hours=2)))
        with db.session() as s:
            assert archive_page(s, _page(SECOND, NOW))[0] == "revised"
    finally:
        db.close()
    config = _config(tmp_path, database_url)
    assert main(["--config", str(config), "archive", "show", str(article_id), "--diff", "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    (diff,) = detail["diffs"]
    assert (diff["from"], diff["to"]) == (1, 2)
    assert "-Губернатор сообщил о трёх пострадавших в Шебекине." in diff["unified"]
    assert "+Губернатор сообщил о пяти пострадавших в Шебекине." in diff["unified"]
    assert "+Позже стало известно о разрушенной школе." in diff["unified"]
    assert not any(line.startswith(("-Жителей", "+Жителей")) for line in diff["unified"])
    assert [r["number"] for r in detail["revisions"]] == [1, 2]

    assert main(["--config", str(config), "archive", "show", str(article_id), "--diff"]) == 0
    out = capsys.readouterr().out
    assert "revision 1" in out and "+Позже стало известно о разрушенной школе." in out

    assert main(["--config", str(config), "archive", "show", "999"]) == 1
    assert "no archived article has id 999" in capsys.readouterr().err


def test_prune_removes_only_raw_pages_past_their_time(tmp_path: Path, database_url: str, capsys) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        with db.session() as s:
            archive_page(s, _page(FIRST, NOW - dt.timedelta(days=40), "old"))
            archive_page(s, _page(SECOND, NOW - dt.timedelta(days=20), "old"))  # a revision, newer
            archive_page(s, _page(FIRST, NOW - dt.timedelta(days=2), "fresh"))
        config = _config(tmp_path, database_url, "archive:\n  keep_raw: 30d\n")

        def raw() -> dict[str, bytes]:
            with db.session() as s:
                return {f"{url.rsplit('/', 1)[1]}@{fetched.date()}": html for url, fetched, html in
                        s.execute(select(Revision.fetched_url, Revision.fetched_at, Revision.raw_html))}

        before = raw()
        assert main(["--config", str(config), "archive", "prune", "--dry-run"]) == 0
        assert "would remove 1 raw page(s)" in capsys.readouterr().out
        assert raw() == before

        assert main(["--config", str(config), "archive", "prune"]) == 0
        assert "removed 1 raw page(s)" in capsys.readouterr().out
        after = raw()
        old_key = f"old.html@{(NOW - dt.timedelta(days=40)).date()}"
        assert after[old_key] == b"" and before[old_key]
        assert {k: v for k, v in after.items() if k != old_key} == {k: v for k, v in before.items() if k != old_key}
        with db.session() as s:
            assert s.scalar(select(Revision.text).where(Revision.raw_pruned_at.is_not(None))) == FIRST
            assert len(s.scalars(select(Article.id)).all()) == 2

        # the daemon's job does the same with the configured time; a shorter one takes the 20-day-old page too
        assert retention_job(None, db) is None
        assert retention_job(dt.timedelta(days=30), db).revisions == 0
        assert retention_job(dt.timedelta(days=10), db).revisions == 1
        assert main(["--config", str(config), "archive", "prune", "--keep-raw", "1d"]) == 0
        assert "removed 1 raw page(s)" in capsys.readouterr().out
    finally:
        db.close()


def test_keep_raw_is_validated_and_scheduled(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="keep_raw"):
        load_config(_config(tmp_path, "sqlite:///x.db", "archive:\n  keep_raw: soon\n"))
    with pytest.raises(ConfigError, match="keep_rwa"):
        load_config(_config(tmp_path, "sqlite:///x.db", "archive:\n  keep_rwa: 30d\n"))
    config = load_config(_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", "archive:\n  keep_raw: 90d\n"))
    assert config.settings.archive.keep_raw == dt.timedelta(days=90)
    assert load_config(_config(tmp_path, "sqlite:///x.db")).settings.archive.keep_raw is None
    db = Database(config.database_url)
    try:
        scheduler = build_scheduler(Daemon(config, db))
        job = scheduler.get_job("retention")
        assert job is not None and job.args == (dt.timedelta(days=90), db)
    finally:
        db.close()
