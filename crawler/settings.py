"""Scrapy settings for newswatch crawls: polite, bounded, quiet, no telnet console."""
from __future__ import annotations

from typing import Any

from crawler.job import CrawlJob
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
EXTENSIONS = {"crawler.pipelines.CrawlRecorder": 500}
LOG_LEVEL = "WARNING"
LOG_FORMATTER = "crawler.logformatter.PageLogFormatter"


def for_job(job: CrawlJob) -> dict[str, Any]:
    """Settings for one worker run, from the validated `crawler:` config section."""
    s = job.settings
    delay = s.delay.total_seconds()
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
        "LOG_LEVEL": job.log_level,
        "LOG_FORMATTER": LOG_FORMATTER,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "NEWSWATCH_DATABASE": job.database,
        "NEWSWATCH_CYCLE_ID": job.cycle_id,
        **hostile_input_settings(s),
    }


def for_outlet(outlet: Outlet, job: CrawlJob) -> dict[str, Any]:
    """Settings one outlet changes for its own crawl (an outlet's `obey_robots` over the crawler's)."""
    overrides: dict[str, Any] = {}
    if outlet.obey_robots is not None and outlet.obey_robots != job.settings.obey_robots:
        overrides["ROBOTSTXT_OBEY"] = outlet.obey_robots
    return overrides
