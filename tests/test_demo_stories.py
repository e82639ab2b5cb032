"""The demo's core promise: one alert per watch per story, however many outlets copy it.

chronicle carries a syndicated copy of a wire story (monitor/demo_site/expected.yaml: copy_of). The
copy must join the wire article's story on its main text alone, and the watches must then do what
they ask for: belgorod-raid (`followups: off`) nothing more, ponomarev (`followups: each`) exactly
one follow-up naming the second outlet. Crawl order across outlets varies, so both orders are run.
"""
from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
import yaml
from sqlalchemy import select

from crawler.extract import extract_article
from monitor.cli import main
from monitor.demo import run_demo
from newswatch.fingerprint import SIMILAR, fingerprint
from storage.db import Database
from storage.models import Alert, Article, StoryArticle
from storage.stories import stories_with_copies
from tests.conftest import DEMO_SITE
from tests.helpers import write_config

EXPECTED = yaml.safe_load((DEMO_SITE / "expected.yaml").read_text(encoding="utf-8"))
COPY = next(a for a in EXPECTED["articles"] if "copy_of" in a)
ORIGINAL = next(a for a in EXPECTED["articles"] if a["path"] == COPY["copy_of"]["path"])
BASE = "http://127.0.0.1:8000"


def _raw(article: dict) -> bytes:
    return (DEMO_SITE / article["outlet"] / article["path"].lstrip("/")).read_bytes().replace(b"{base}", BASE.encode())


def _whole_page_text(article: dict) -> str:
    """Every visible word of the page: article, navigation, sidebars, comments, footer."""
    tree = lxml.html.fromstring(_raw(article))
    for node in tree.xpath("//style|//script"):
        node.drop_tree()
    return " ".join(tree.text_content().split())


def test_copy_joins_on_its_main_text_and_not_on_shared_furniture() -> None:
    assert (COPY["outlet"], ORIGINAL["outlet"]) == ("chronicle", "wire")
    copy = extract_article(_raw(COPY), BASE + COPY["path"], "text/html; charset=utf-8")
    original = extract_article(_raw(ORIGINAL), BASE + ORIGINAL["path"], "text/html; charset=utf-8")
    assert copy.text != original.text  # the attribution differs: "(Wire)" and a credit line
    assert fingerprint(copy.text).similarity(fingerprint(original.text)) >= 0.85 > SIMILAR
    # the pages around the text are each outlet's own: compared whole, they would not be one story
    assert fingerprint(_whole_page_text(COPY)).similarity(fingerprint(_whole_page_text(ORIGINAL))) < SIMILAR
    # ...and the copy is like no other demo article
    for other in EXPECTED["articles"]:
        if other["path"] not in (COPY["path"], ORIGINAL["path"]):
            text = extract_article(_raw(other), BASE + other["path"], "text/html; charset=utf-8").text
            assert fingerprint(text).similarity(fingerprint(copy.text)) < 0.1, other["path"]


@pytest.mark.parametrize("order", [("wire", "chronicle"), ("chronicle", "wire")], ids=["original-first", "copy-first"])
def test_copy_yields_one_followup_and_no_second_story_alert(tmp_path: Path, database_url, demo_sites, webhook, capsys, order) -> None:
    sites = {name: demo_sites[name] for name in ("chronicle", "wire")}
    config = write_config(tmp_path, database_url, sites, {"chat": f"json://{webhook.netloc}/x"})
    first, second = order
    assert main(["--config", str(config), "crawl", "--once", "--outlet", first]) == 0
    before = len(webhook.received)
    capsys.readouterr()
    assert main(["--config", str(config), "crawl", "--once", "--outlet", second]) == 0
    summary = capsys.readouterr().out
    # the outlet crawled second: its other articles make story alerts of their own (chronicle 2 articles × 2 watches,
    # wire 1 × 1), and the copy's article adds the follow-up
    own = {"chronicle": 4, "wire": 1}[second]
    assert f"{own + 1} new alert(s), 2 match(es) joined a story already alerted" in summary

    paths = {"wire": ORIGINAL["path"], "chronicle": COPY["path"]}
    db = Database(database_url)
    try:
        with db.session() as s:
            ids = {o: s.scalar(select(Article.id).where(Article.canonical_url == sites[o].url(p))) for o, p in paths.items()}
            placed = {o: s.get(StoryArticle, i) for o, i in ids.items()}
            story_id = placed[first].story_id
            assert placed[second].story_id == story_id
            assert placed[first].similarity is None and placed[second].similarity >= SIMILAR
            alerts = s.execute(select(Alert.watch_id, Alert.kind, Alert.article_id, Alert.outlets)
                               .where(Alert.story_id == story_id).order_by(Alert.id)).all()
            (shared,) = stories_with_copies(s)
        assert sorted(alerts) == sorted([
            ("belgorod-raid", "story", ids[first], []),  # followups: off — the second article joined quietly
            ("ponomarev", "story", ids[first], []),
            ("ponomarev", "followup", ids[second], [second]),  # followups: each — one "Also in"
        ])
        assert [m.outlet for m in shared.members] == [first, second]
        assert {w: [(a.kind, a.outlet, a.announced) for a in sent] for w, sent in shared.sent.items()} == {
            "belgorod-raid": [("story", first, [])],
            "ponomarev": [("story", first, []), ("followup", second, [second])],
        }
    finally:
        db.close()

    # what reached the channel about this story: two full alerts in the first crawl, one follow-up in the second
    story_title = {"wire": ORIGINAL["title"], "chronicle": COPY["title"]}
    later = [json.loads(body) for body in webhook.received[before:]]
    about = [m for m in later if "says more raids into Russia will follow" in m["title"]]
    assert len(about) == 1
    (followup,) = about
    assert followup["title"] == f"[Ilya Ponomarev] also in {second}: {story_title[second]}"
    assert f"Also in: {second}" in followup["message"] and "Watch: Ilya Ponomarev (ponomarev)" in followup["message"]
    earlier = [json.loads(body)["title"] for body in webhook.received[:before]]
    assert sorted(t for t in earlier if story_title[first] in t) == sorted(
        f"[{name}] {story_title[first]}" for name in ("Belgorod raid", "Ilya Ponomarev"))


def test_demo_prints_the_story_with_its_followup(tmp_path: Path, capsys) -> None:
    assert run_demo(tmp_path / "demo") == 0
    out = capsys.readouterr().out
    assert "matched 13 article(s): 10 new alert(s), 2 match(es) joined a story already alerted" in out
    assert "alerts received (10):" in out
    assert "stories carried by more than one outlet (1)" in out
    lines = out.splitlines()
    found = next(line.strip() for line in lines if line.strip().startswith("found first on "))
    first, second = ("wire", "chronicle") if found.startswith("found first on wire") else ("chronicle", "wire")
    assert found.startswith(f"found first on {first}; then {second} (similarity 0.")
    assert f"    belgorod-raid (followups: off): 1 alert ({first}); the other copy joined without a message" in lines
    assert f'    ponomarev (followups: each): 1 alert ({first}); a follow-up "Also in: {second}"' in lines
    assert sum(line.strip() == f"Also in: {second}" for line in lines) == 1
    assert "new alerts in cycle 2: 0" in out
