"""Scrapy components around the pure core: extract and archive each page; record each outlet's run."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.extract import NotAnArticle
from crawler.extract_pool import current_pool
from crawler.items import FetchedPage
from crawler.schedule import next_revisit
from crawler.store import database
from crawler.urls import normalize_url
from storage.archive import ArchivedPage, archive_page, describe_failure
from storage.runs import record_crawl_run

log = logging.getLogger(__name__)
RECORDED_STATS = (
    "downloader/request_count",
    "downloader/response_count",
    "downloader/response_bytes",
    "downloader/response_status_count/200",
    "downloader/response_status_count/304",
    "downloader/response_status_count/404",
    "downloader/response_status_count/410",
    "item_scraped_count",
    "item_dropped_count",
    "urllength/request_ignored_count",
)


def _archive_of(crawler: Crawler):
    url = crawler.settings.get("NEWSWATCH_DATABASE")
    if not url:
        raise NotConfigured("NEWSWATCH_DATABASE is not set")
    return database(url)


class ArchivePipeline:
    """Extract the main text of each fetched page and archive it (new article, new revision, or unchanged).

    Extraction runs in the extraction workers (crawler/extract_pool.py) and the archive write in a
    thread, so the reactor keeps serving other outlets' requests meanwhile.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db = _archive_of(crawler)
        self.extract_timeout = crawler.settings.getfloat("NEWSWATCH_EXTRACT_TIMEOUT", 0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        spider = self.crawler.spider
        try:
            extracted = await current_pool().extract(
                item.body, item.url, item.content_type, self.extract_timeout, exclude=tuple(spider.outlet.exclude), via=item.via
            )
        except NotAnArticle as exc:  # also ExtractTimeout and HtmlTooDeep, each with its own kind
            spider.record_error(exc.kind, item.url, str(exc))
            raise DropItem(f"not an article: {exc}") from None
        except Exception as exc:  # a page that breaks the extractor is recorded, never lost silently
            spider.record_error("extract_failed", item.url, f"{type(exc).__name__}: {exc}")
            raise DropItem(f"extraction failed: {type(exc).__name__}") from None
        canonical = normalize_url(extracted.canonical_url or item.url)
        page = ArchivedPage(
            outlet=item.outlet,
            canonical_url=canonical,
            fetched_url=item.url,
            other_urls=tuple(normalize_url(u) for u in (item.request_url, item.url, item.discovered_url)),
            http_status=item.status,
            content_type=item.content_type,
            raw_html=item.body,
            fetched_at=item.fetched_at,
            text=extracted.text,
            content_hash=extracted.content_hash,
            title=extracted.title,
            authors=extracted.authors,
            published=extracted.published,
            language=extracted.language,
            site_name=extracted.site_name,
            next_revisit_at=next_revisit(item.fetched_at, spider.outlet.revisit, item.fetched_at),
        )
        try:
            outcome = await asyncio.to_thread(self._archive, page)
        except Exception as exc:  # a database that refuses one page must not lose it silently
            message = describe_failure(exc)
            spider.archive_failed(item, message)
            raise DropItem(f"archive failed: {message}") from None
        self.crawler.stats.inc_value(f"newswatch/articles_{outcome}")
        return item

    def _archive(self, page: ArchivedPage) -> str:
        """Archive one page (in a thread, off the reactor); any failure is recorded by the caller and retried next poll."""
        with self.db.session() as session:
            outcome, _article_id = archive_page(session, page)
        return outcome


class CrawlRecorder:
    """Write one crawl_runs row per outlet when its spider closes: counters, errors, finish reason."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db = _archive_of(crawler)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecorder:
        return cls(crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if getattr(spider, "abandoned", False):  # the engine already reported this crawl as cancelled
            return
        all_stats: dict[str, Any] = self.crawler.stats.get_stats()
        stats = {k: v for k, v in all_stats.items() if k in RECORDED_STATS or k.startswith("newswatch/")}
        finished_at = dt.datetime.now(dt.timezone.utc)
        stats["newswatch/duration_seconds"] = round((finished_at - spider.started_at).total_seconds(), 3)
        with self.db.session() as session:
            record_crawl_run(
                session,
                cycle_id=spider.cycle_id,
                outlet=spider.outlet.name,
                started_at=spider.started_at,
                finished_at=finished_at,
                finish_reason=reason,
                stats=stats,
                errors=spider.errors,
            )
        spider.run_recorded = True
