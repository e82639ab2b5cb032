"""Scrapy settings for newswatch crawls: polite, bounded, quiet, no telnet console."""
from __future__ import annotations

import pickle
from typing import Any

from scrapy.settings import Settings

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
    # a crawler per poll: no periodic stats line per crawl, and the engine's supervisor watches memory
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.memusage.MemoryUsage": None,
}
ROBOTS_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.SharedRobotsTxtMiddleware": 100,
}
LOG_LEVEL = "WARNING"
LOG_FORMATTER = "crawler.logformatter.PageLogFormatter"


class QuickCopySettings(Settings):
    """Settings whose copy() is a pickle round trip instead of a deepcopy.

    Scrapy copies the runner's settings for every crawler, that is for every poll in the engine;
    deepcopy made that about a tenth of an idle poll's CPU, and pickling gives the same copy in
    a third of the time (every value here is plain data).
    """

    def copy(self) -> QuickCopySettings:
        return pickle.loads(pickle.dumps(self, pickle.HIGHEST_PROTOCOL))


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
        "EXTENSIONS": EXTENSIONS,
        "LOG_LEVEL": log_level,
        "LOG_FORMATTER": LOG_FORMATTER,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "NEWSWATCH_DATABASE": database,
        **hostile,
        "DOWNLOADER_MIDDLEWARES": {**ROBOTS_MIDDLEWARES, **hostile["DOWNLOADER_MIDDLEWARES"]},
    }


def for_outlet(outlet: Outlet, settings: CrawlSettings) -> dict[str, Any]:
    """Settings one outlet changes for its own crawl (an outlet's `obey_robots` over the crawler's)."""
    overrides: dict[str, Any] = {}
    if outlet.obey_robots is not None and outlet.obey_robots != settings.obey_robots:
        overrides["ROBOTSTXT_OBEY"] = outlet.obey_robots
    return overrides
