"""Golden checks on page shapes of real outlets: hot topics, similar blocks, latest-news lists, comments, live blogs."""
from __future__ import annotations

import pytest
import yaml

from crawler.extract import extract_article
from tests.conftest import FIXTURES

GOLDEN = yaml.safe_load((FIXTURES / "golden.yaml").read_text(encoding="utf-8"))
BASE = "http://127.0.0.1:8000"


@pytest.mark.parametrize("page", GOLDEN["pages"], ids=lambda p: p["file"])
def test_page_shape_extraction(page: dict) -> None:
    raw = (FIXTURES / "pages" / page["file"]).read_bytes().replace(b"{base}", BASE.encode())
    result = extract_article(raw, BASE + page["url"], "text/html; charset=utf-8")
    assert result.title == page["title"]
    assert result.canonical_url == BASE + page["url"]
    for phrase in page["body_must_contain"]:
        assert phrase in result.text, f"main text lost: {phrase!r}"
    for phrase in page["must_not_contain"]:
        assert phrase.lower() not in result.text.lower(), f"boilerplate leaked into the text: {phrase!r}"
