"""Scrapy settings for newswatch crawls: polite, bounded, quiet, no telnet console."""
from __future__ import annotations

import copy
from typing import Any

from scrapy.settings import BaseSettings, Settings, SettingsAttribute

from crawler.job import CrawlSettings
from crawler.outlets import Outlet
from crawler.middlewares import hostile_input_settings

BOT_NAME = "newswatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
TELNETCONSOLE_ENABLED = False
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
URLLENGTH_LIMIT = 8192  # Scrapy's 2083 (old Internet Explorer's) drops real article links silently; 8 KiB is what servers accept
DOWNLOAD_WARNSIZE = 0
DOWNLOAD_TIMEOUT = 20
DNS_TIMEOUT = 10
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
EXTENSIONS = {
    "crawler.pipelines.CrawlRecorder": 500,
    # A crawler is built per poll, so every extension costs CPU on every poll. Kept: CoreStats
    # (item and response counts in the result), CloseSpider (CLOSESPIDER_TIMEOUT) and AutoThrottle
    # (only when crawler.delay is set, see for_engine). Off: periodic stats lines, log counting,
    # memory checks (the engine's supervisor watches memory), feed export, job state, telnet and
    # remote control, none of which newswatch uses.
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.logcount.LogCount": None,
    "scrapy.extensions.memusage.MemoryUsage": None,
    "scrapy.extensions.memdebug.MemoryDebugger": None,
    "scrapy.extensions.feedexport.FeedExporter": None,
    "scrapy.extensions.spiderstate.SpiderState": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
NO_THROTTLE = {"scrapy.extensions.throttle.AutoThrottle": None}
UNUSED_DOWNLOADER_MIDDLEWARES = {  # cookies and the HTTP cache are off, and newswatch sends no HTTP auth
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
}
ROBOTS_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.SharedRobotsTxtMiddleware": 100,
}
# Scrapy starts this many tasks for every response, however few items it yields (Scrapy 2.13+);
# a newswatch response yields one page or a feed's links, so 100 (the default) was mostly waste.
CONCURRENT_ITEMS = 16
LOG_LEVEL = "WARNING"
LOG_FORMATTER = "crawler.logformatter.PageLogFormatter"


IMMUTABLE = (str, bytes, int, float, bool, type(None), type)


def _copy_value(value: Any) -> Any:
    if isinstance(value, BaseSettings):
        return _copy_settings(value, BaseSettings.__new__(BaseSettings))
    if isinstance(value, IMMUTABLE) or (isinstance(value, tuple) and all(isinstance(v, IMMUTABLE) for v in value)):
        return value
    return copy.deepcopy(value)


def _copy_settings(source: BaseSettings, target: BaseSettings) -> Any:
    target.frozen = False
    attributes = {}
    for name, attribute in source.attributes.items():
        twin = SettingsAttribute.__new__(SettingsAttribute)
        twin.value, twin.priority = _copy_value(attribute.value), attribute.priority
        attributes[name] = twin
    target.attributes = attributes
    return target


class QuickCopySettings(Settings):
    """Settings whose copy() walks the settings once instead of a deepcopy.

    Scrapy copies the runner's settings for every crawler, that is for every poll in the engine;
    deepcopy made that about a tenth of an idle poll's CPU. Strings, numbers, classes and
    tuples of them are shared (they cannot change), every other value is deep-copied, and nested
    settings (the component dicts) are copied the same way, so the copy is as independent as
    deepcopy's.
    """

    def copy(self) -> QuickCopySettings:
        return _copy_settings(self, QuickCopySettings.__new__(QuickCopySettings))


def for_engine(s: CrawlSettings, database: str, log_level: str) -> dict[str, Any]:
    """Settings for every crawl of one engine, from the validated `crawler:` config section."""
    delay = s.delay.total_seconds()
    hostile = hostile_input_settings(s)
    return {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "TELNETCONSOLE_ENABLED": False,
        "ROBOTSTXT_OBEY": s.obey_robots,
        "COOKIES_ENABLED": COOKIES_ENABLED,
        "CONCURRENT_ITEMS": CONCURRENT_ITEMS,
        "USER_AGENT": s.effective_user_agent,
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": AUTOTHROTTLE_MAX_DELAY,
        "CONCURRENT_REQUESTS_PER_DOMAIN": s.concurrency_per_site,
        "RETRY_TIMES": RETRY_TIMES,
        "REDIRECT_MAX_TIMES": s.max_redirects,
        "DOWNLOAD_MAXSIZE": s.max_page_bytes,
        "URLLENGTH_LIMIT": URLLENGTH_LIMIT,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_TIMEOUT": s.timeout.total_seconds(),
        "DNS_TIMEOUT": DNS_TIMEOUT,
        "CLOSESPIDER_TIMEOUT": max(s.cycle_timeout.total_seconds() - 30, 30),
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "EXTENSIONS": EXTENSIONS if delay > 0 else {**EXTENSIONS, **NO_THROTTLE},
        "LOG_LEVEL": log_level,
        "LOG_FORMATTER": LOG_FORMATTER,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "STATS_DUMP": False,  # the engine reports each crawl's counters itself; Scrapy pretty-printed them at every close
        "NEWSWATCH_DATABASE": database,
        **hostile,
        "DOWNLOADER_MIDDLEWARES": {**UNUSED_DOWNLOADER_MIDDLEWARES, **ROBOTS_MIDDLEWARES, **hostile["DOWNLOADER_MIDDLEWARES"]},
    }


def for_outlet(outlet: Outlet, settings: CrawlSettings) -> dict[str, Any]:
    """Settings one outlet changes for its own crawl (an outlet's `obey_robots` over the crawler's)."""
    overrides: dict[str, Any] = {}
    if outlet.obey_robots is not None and outlet.obey_robots != settings.obey_robots:
        overrides["ROBOTSTXT_OBEY"] = outlet.obey_robots
    return overrides
