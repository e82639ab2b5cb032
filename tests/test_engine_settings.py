"""The engine's per-poll shortcuts: the settings copy, the signature cache and the components left out."""
from __future__ import annotations

import datetime as dt
import inspect

from scrapy.settings import BaseSettings

from crawler import settings as crawler_settings
from crawler.job import CrawlSettings
from crawler.signatures import cached_signature


def engine_settings(**crawler: object) -> crawler_settings.QuickCopySettings:
    return crawler_settings.QuickCopySettings(crawler_settings.for_engine(CrawlSettings(**crawler), "sqlite:///x.db", "WARNING"))


def as_plain(settings: BaseSettings) -> dict:
    return {k: as_plain(v) if isinstance(v, BaseSettings) else v for k, v in settings.items()}


def test_the_settings_copy_holds_the_same_values_and_priorities_and_is_independent() -> None:
    original = engine_settings()
    copied = original.copy()
    assert type(copied) is type(original)
    assert as_plain(copied) == as_plain(original)
    assert {k: copied.getpriority(k) for k in copied} == {k: original.getpriority(k) for k in original}
    copied.set("DOWNLOAD_DELAY", 9.5, "spider")
    copied["EXTENSIONS"].set("example.Extension", 1, "spider")
    copied["RETRY_HTTP_CODES"].append(599)
    copied.freeze()
    assert original["DOWNLOAD_DELAY"] != 9.5
    assert "example.Extension" not in original["EXTENSIONS"]
    assert 599 not in original["RETRY_HTTP_CODES"]
    assert not original.frozen


def test_autothrottle_runs_only_when_a_delay_is_set() -> None:
    throttle = "scrapy.extensions.throttle.AutoThrottle"
    assert engine_settings(delay=dt.timedelta(0))["EXTENSIONS"][throttle] is None
    assert throttle not in engine_settings(delay=dt.timedelta(seconds=2))["EXTENSIONS"]
    assert engine_settings(delay=dt.timedelta(seconds=2))["AUTOTHROTTLE_ENABLED"] is True


def test_extensions_newswatch_does_not_use_are_off_and_its_own_are_on() -> None:
    extensions = engine_settings()["EXTENSIONS"]
    for name in ("telnet.TelnetConsole", "memusage.MemoryUsage", "logstats.LogStats", "feedexport.FeedExporter"):
        assert extensions[f"scrapy.extensions.{name}"] is None
    assert extensions["crawler.pipelines.CrawlRecorder"] == 500
    assert "scrapy.extensions.closespider.CloseSpider" not in extensions  # Scrapy's default stays on


class Component:
    def process_request(self, request: object, spider: object = None) -> None:
        return None

    def __call__(self, spider: object) -> None:
        return None


def test_cached_signatures_match_inspect_for_every_instance() -> None:
    first, second = Component(), Component()
    assert cached_signature(first.process_request) == inspect.signature(first.process_request)
    assert cached_signature(second.process_request) == inspect.signature(second.process_request)
    assert list(cached_signature(second.process_request).parameters) == ["request", "spider"]
    assert list(cached_signature(Component.process_request).parameters) == ["self", "request", "spider"]
    assert list(cached_signature(first).parameters) == ["spider"]  # a callable object: asked, not cached


def test_an_extracted_articles_content_hash_travels_with_it_from_the_worker() -> None:
    import pickle

    from crawler.extract import ExtractedArticle, text_hash

    article = ExtractedArticle(text="Harbour  ledger\n\nquorum timber")
    assert article.content_hash == text_hash("Harbour ledger quorum timber")
    assert pickle.loads(pickle.dumps(article)).content_hash == article.content_hash


def test_closures_are_not_cached_so_the_cache_keeps_no_crawler_alive() -> None:
    import functools

    from crawler.signatures import _cache

    crawler = object()

    def per_crawler(request: object) -> object:
        return crawler

    @functools.wraps(Component.process_request)
    def wrapper(*args: object, **kwargs: object) -> object:
        return crawler

    assert list(cached_signature(per_crawler).parameters) == ["request"]
    assert list(cached_signature(wrapper).parameters) == ["self", "request", "spider"]
    cached = [key[1] for key in _cache]
    assert per_crawler not in cached and wrapper not in cached
    assert Component.process_request in cached  # the wrapped function itself holds nothing


class Callbacks:
    def yields_links(self, response: object):  # a generator without `return value`, like the spider's callbacks
        yield response

    def returns_a_value(self, response: object):
        yield response
        return "lost"  # Scrapy warns about this


def test_the_generator_check_asks_scrapy_once_per_function_and_keeps_its_answer() -> None:
    from scrapy.utils.misc import is_generator_with_return_value as scrapys_own

    from crawler.signatures import _returns_value, cached_generator_check

    asked: list[object] = []

    def counting(callable: object) -> bool:  # noqa: A002
        asked.append(callable)
        return scrapys_own(callable)

    check = cached_generator_check(counting)
    first, second = Callbacks(), Callbacks()
    assert check(first.yields_links) is False and check(second.yields_links) is False
    assert check(first.returns_a_value) is True and check(second.returns_a_value) is True
    assert len(asked) == 2  # one per function, not one per bound method (Scrapy's own cache missed every time)
    assert Callbacks.yields_links in _returns_value


def test_scrapys_deprecated_classes_still_name_their_module_without_reading_source() -> None:
    import logging

    from scrapy.utils.deprecate import create_deprecated_class

    from crawler import scrapy_costs

    scrapy_costs.install("WARNING")
    logging.getLogger("scrapy").setLevel(logging.NOTSET)
    old = create_deprecated_class("OldComponent", Component)
    assert old.__module__ == __name__


def test_scrapys_startup_lists_are_printed_only_when_logged(caplog) -> None:
    import logging

    import scrapy.crawler

    from crawler import scrapy_costs

    scrapy_costs.install("WARNING")
    try:
        text = scrapy.crawler.pprint.pformat({"DOWNLOAD_DELAY": 0, "USER_AGENT": "lazy-print-check"})
        assert str(text) == "{'DOWNLOAD_DELAY': 0, 'USER_AGENT': 'lazy-print-check'}"  # the same text, when it is asked for
        assert not logging.getLogger("scrapy.crawler").isEnabledFor(logging.INFO)
        scrapy_costs.install("DEBUG")  # -vv shows Scrapy's own lines again
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("scrapy.crawler").info("Overridden settings:\n%(settings)s", {"settings": text})
        assert "'USER_AGENT': 'lazy-print-check'" in caplog.text  # (not a word another test registers as a secret to mask)
    finally:
        logging.getLogger("scrapy").setLevel(logging.NOTSET)
