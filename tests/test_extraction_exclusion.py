"""What is removed before extraction: an outlet's `exclude:` selectors and the default comment and
related-content containers; what the page says it is; the page's own fallbacks for text."""
from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
import trafilatura

from crawler.exclusion import BadSelector, compile_selector, is_boilerplate_name, remove_excluded
from crawler.extract import NotAnArticle, extract_article
from monitor.config import load_config
from newswatch.yamlsource import ConfigError
from tests.conftest import FIXTURES

NEWS = FIXTURES / "flashes" / "news"
BASE = "http://127.0.0.1:8000"


def _page(name: str) -> bytes:
    return (NEWS / name).read_bytes().replace(b"{base}", BASE.encode())


@pytest.mark.parametrize("name", [
    "comments", "comment-list", "c-comments", "js-comments-area", "disqus_thread", "respond", "reply-form",
    "reader-replies", "related-articles", "relatedStories", "most-read", "mostPopular", "read-more",
    "recommended-stories-module", "share-buttons", "social-share", "newsletter-signup", "outbrain-widget-2",
])
def test_comment_and_related_container_names(name: str) -> None:
    assert is_boilerplate_name(name)


@pytest.mark.parametrize("name", [
    "main", "comment-free", "has-comments", "no-comments", "comments-open", "related-enabled", "commentary",
    "c-list", "c", "article-body", "story-body", "entry-content", "shared-borders", "popularity-index", "replyable",
])
def test_names_that_only_look_like_comments_are_kept(name: str) -> None:
    assert not is_boilerplate_name(name)


def test_defaults_keep_the_article_even_when_a_class_says_read_more() -> None:
    tree = lxml.html.document_fromstring(
        "<html><body><div class='entry-content entry-content-read-more'><p>Body text.</p></div>"
        "<div class='read-more'><a href='/x'>Read more</a></div><main id='comments-main'><p>Main.</p></main></body></html>"
    )
    assert remove_excluded(tree) == 1
    assert tree.xpath("//div[contains(@class, 'entry-content')]") and not tree.xpath("//div[@class='read-more']")


def test_unmarked_comment_divs_leak_without_exclude_and_not_with_it() -> None:
    url = BASE + "/news/shebekino-water-restored.html"
    leaked = extract_article(_page("shebekino-water-restored.html"), url, via="feed")
    assert "Tarasovka" in leaked.text  # `c-list` / `c` say nothing: only the outlet can
    cleaned = extract_article(_page("shebekino-water-restored.html"), url, via="feed", exclude=[".c-list"])
    assert "Tarasovka" not in cleaned.text and cleaned.excluded_by_outlet == 1
    assert "restored the water supply to most districts" in cleaned.text


def test_defaults_remove_comment_containers_trafilatura_alone_keeps() -> None:
    page = _page("graivoron-school-year.html")
    alone = trafilatura.extract(page.decode(), include_comments=False, favor_precision=True)
    assert "Tarasovka" in alone  # the reader-replies section inside <article> leaks without the defaults
    result = extract_article(page, BASE + "/news/graivoron-school-year.html", via="feed")
    assert "Tarasovka" not in result.text and result.excluded_by_default == 2  # #comments and .reader-replies
    assert "Final marks will be given" in result.text  # <main class="comment-free" id="main"> stays


@pytest.mark.parametrize("selector", ["div[[", "p:nth-child(", "..c", "a >> b", ""])
def test_bad_selectors_are_refused(selector: str) -> None:
    with pytest.raises(BadSelector):
        compile_selector(selector)


def test_bad_selector_is_a_config_error_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(
        "outlets:\n"
        "  - name: flashes\n"
        "    feeds: [https://example.org/feed.xml]\n"
        "    exclude:\n"
        "      - .c-list\n"
        "      - 'div[class=c'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}:6:9: outlets[0].exclude[1]: not a valid CSS selector 'div[class=c'" in str(caught.value)


def test_a_flash_is_an_article_and_a_declared_collection_is_not() -> None:
    flash = extract_article(_page("flash-kozinka-bridge.html"), BASE + "/news/flash-kozinka-bridge.html", via="feed")
    assert flash.text.endswith("More to follow.") and flash.source == "trafilatura"
    with pytest.raises(NotAnArticle, match="CollectionPage"):
        extract_article(_page("tag-kozinka-2023.html"), BASE + "/news/tag-kozinka-2023.html", via="feed")


def _shell(head: str, body: str = "") -> bytes:
    return f"<!DOCTYPE html><html lang='en'><head><title>Shell</title>{head}</head><body>{body}</body></html>".encode()


def test_og_type_website_is_not_an_article_only_when_guessed_from_a_section_page() -> None:
    page = _shell("<meta property='og:type' content='website'>", "<div><p>Opening hours of the museum this week.</p></div>")
    with pytest.raises(NotAnArticle, match="section page"):
        extract_article(page, BASE + "/about-2023", via="page")
    assert "Opening hours" in extract_article(page, BASE + "/about-2023", via="feed").text  # the publisher listed it


def test_og_type_profile_without_article_markup_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle, match="og:type 'profile'"):
        extract_article(_shell("<meta property='og:type' content='profile'>", "<p>Reporter for twelve years.</p>"), BASE + "/people/x-1")


def test_fallbacks_when_trafilatura_finds_no_main_text() -> None:
    body_json = '{"@context":"https://schema.org","@type":"NewsArticle","articleBody":"Border crossing at Nekhoteevka reopened at noon."}'
    from_json = extract_article(_shell(f"<script type='application/ld+json'>{body_json}</script>", "<div id='app'></div>"), BASE + "/a-1")
    assert (from_json.text, from_json.source) == ("Border crossing at Nekhoteevka reopened at noon.", "json-ld")
    linked = extract_article(_shell("", "<article><div><a href='/live-1'>Convoy reached Valuyki at dawn.</a></div></article>"), BASE + "/a-3")
    assert (linked.text, linked.source) == ("Convoy reached Valuyki at dawn.", "article")  # all link: trafilatura drops it
    described = extract_article(
        _shell("<meta property='og:description' content='Curfew in Shebekino from 22:00 tonight.'>", "<div id='app'></div>"), BASE + "/a-2"
    )
    assert (described.text, described.source) == ("Curfew in Shebekino from 22:00 tonight.", "description")
