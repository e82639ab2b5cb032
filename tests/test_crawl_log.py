"""Log lines about pages name the URL and the reason, never the page's body (the real crawl's log is
checked in tests/test_archive_failures.py)."""
from __future__ import annotations

import datetime as dt

from scrapy.exceptions import DropItem

from crawler.items import FetchedPage
from crawler.logformatter import PageLogFormatter

BODY = b"<html><body><article><p>The swing bridge over the Marr river reopened.</p></article></body></html>" * 500


def _page() -> FetchedPage:
    url = "http://127.0.0.1:8000/news/bridge-reopens.html"
    return FetchedPage("courier", url, url, url, 200, "text/html", BODY, dt.datetime(2023, 5, 22, tzinfo=dt.timezone.utc), "feed")


def _line(result) -> str:
    return result["msg"] % result["args"]


def test_dropped_scraped_and_error_lines_carry_the_url_not_the_body() -> None:
    formatter, page = PageLogFormatter(), _page()
    dropped = _line(formatter.dropped(page, DropItem("not an article: no main text found"), None, None))
    assert dropped == "dropped http://127.0.0.1:8000/news/bridge-reopens.html: not an article: no main text found"
    for line in (dropped, _line(formatter.scraped(page, None, None)), _line(formatter.item_error(page, ValueError("x"), None, None))):
        assert page.url in line and "<html" not in line and "swing bridge" not in line


def test_a_fetched_page_repr_is_one_short_line() -> None:
    text = repr(_page())
    assert text == f"<FetchedPage courier 200 http://127.0.0.1:8000/news/bridge-reopens.html ({len(BODY)} bytes)>"
    assert str(_page()) == text
