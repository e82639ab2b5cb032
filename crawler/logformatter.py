"""Scrapy's log lines about items, without the items: a page is named by its URL, never its body.

Scrapy's own `dropped`, `scraped` and `item_error` lines print the whole item, and a FetchedPage
carries the raw HTML. These say what happened to which URL, and why.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


def _url(item: Any) -> str:
    return str(getattr(item, "url", "") or type(item).__name__)


class PageLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any = None) -> LogFormatterResult:
        return {"level": logging.WARNING, "msg": "dropped %(url)s: %(reason)s", "args": {"url": _url(item), "reason": str(exception)[:300]}}

    def scraped(self, item: Any, response: Any, spider: Any = None) -> LogFormatterResult:
        return {"level": logging.DEBUG, "msg": "archived %(url)s", "args": {"url": _url(item)}}

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any = None) -> LogFormatterResult:
        return {"level": logging.ERROR, "msg": "error processing %(url)s", "args": {"url": _url(item)}}
