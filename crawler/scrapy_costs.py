"""Work Scrapy does for every crawler that the engine, which builds one per poll, does not need.

Each of these was measured with py-spy on `crawl --once` over 200 idle outlets (docs/engine.md).
They change how Scrapy computes log text and one module name, never what it crawls.
"""
from __future__ import annotations

import inspect
import logging
import pprint
from typing import Any


class _LazyText:
    """A pretty-printed value, printed only if a log record is really written."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)

    __repr__ = __str__


class _LazyPprint:
    """`pprint` for Scrapy's crawler and middleware modules: their INFO lines ("Overridden settings",
    "Enabled downloader middlewares") pretty-printed their lists for every crawler, before the
    logger dropped them at WARNING."""

    def __getattr__(self, name: str) -> Any:
        return getattr(pprint, name)

    @staticmethod
    def pformat(value: Any, *args: Any, **kwargs: Any) -> Any:
        return _LazyText(value)


class _StackWithoutSource:
    """`inspect` for scrapy.utils.deprecate: its `inspect.stack()` only needs the caller's frame, not source lines.

    Scrapy calls it three times while its TLS modules are imported, from deep inside the
    engine's first poll; reading the source of every frame on that stack cost about 6 % of the
    CPU of `crawl --once` over 200 idle outlets (py-spy).
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)

    @staticmethod
    def stack(context: int = 1) -> list[inspect.FrameInfo]:
        return inspect.stack(0)[1:]  # without this frame, as the caller expects



def install(log_level: str) -> None:
    """Apply the above in this process, and let Scrapy's loggers drop what `log_level` would not show
    before a record is made (Scrapy's root handler sets the root logger to NOTSET for every crawler)."""
    import scrapy.crawler
    import scrapy.middleware
    import scrapy.utils.deprecate

    scrapy.crawler.pprint = _LazyPprint()  # type: ignore[assignment]
    scrapy.middleware.pprint = _LazyPprint()  # type: ignore[assignment]
    scrapy.utils.deprecate.inspect = _StackWithoutSource()  # type: ignore[assignment]
    logging.getLogger("scrapy").setLevel(log_level.upper())
