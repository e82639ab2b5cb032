"""Golden checks on the bundled sample outlets: main text in, sidebars, lists and comments out."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from crawler.extract import NotAnArticle, decode_html, extract_article
from tests.conftest import DEMO_SITE

EXPECTED = yaml.safe_load((DEMO_SITE / "expected.yaml").read_text(encoding="utf-8"))
BASE = "http://127.0.0.1:8000"


def page(article: dict) -> bytes:
    raw = (DEMO_SITE / article["outlet"] / article["path"].lstrip("/")).read_bytes()
    return raw.replace(b"{base}", BASE.encode())


@pytest.mark.parametrize("article", EXPECTED["articles"], ids=lambda a: a["path"])
def test_sample_article_extraction(article: dict) -> None:
    result = extract_article(page(article), BASE + article["path"], "text/html; charset=utf-8")
    assert result.title == article["title"]
    assert result.authors == [article["author"]]
    assert result.language == article["language"]
    assert result.published == dt.datetime.fromisoformat(article["published"]).astimezone(dt.timezone.utc)
    assert result.canonical_url == BASE + article["path"]
    for phrase in article["body_must_contain"]:
        assert phrase in result.text
    for phrase in article["must_not_contain"]:
        assert phrase not in result.text, f"boilerplate leaked into the text: {phrase!r}"


def test_canonical_on_another_site_is_ignored() -> None:
    article = EXPECTED["articles"][0]
    html = page(article).replace(f'rel="canonical" href="{BASE}'.encode(), b'rel="canonical" href="http://evil.example.com')
    html = html.replace(f'property="og:url" content="{BASE}'.encode(), b'property="og:url" content="http://evil.example.com')
    assert extract_article(html, BASE + article["path"]).canonical_url is None


def test_page_with_no_text_at_all_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle, match="no text at all"):
        extract_article(b"<html><head><script>var x = 1;</script></head><body><div><img src='/a.png'></div></body></html>", BASE + "/x.html")


def test_short_text_is_an_article_however_short() -> None:
    assert extract_article(b"<html><body><nav><a href='/'>Home</a></nav><p>Hi.</p></body></html>", BASE + "/x.html").text == "Hi."


def test_meta_charset_is_used_when_http_gives_none() -> None:
    text = "<html><head><meta charset='windows-1251'></head><body><p>Белгород</p></body></html>"
    assert "Белгород" in decode_html(text.encode("cp1251"), None)
