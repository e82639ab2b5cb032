"""One spider per outlet: discover article links in feeds, sitemaps and section pages, fetch new ones."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from twisted.python.failure import Failure

from crawler.discovery import DiscoveryError, SitemapLinks, feed_links, page_links, sitemap_links
from crawler.errors import failure_details, failure_kind
from crawler.items import FetchedPage
from crawler.outlets import Outlet
from crawler.store import database
from crawler.urls import normalize_url
from storage.archive import known_urls

MAX_SITEMAP_DEPTH = 3


class OutletSpider(scrapy.Spider):
    name = "outlet"

    def __init__(self, outlet: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(name=f"outlet:{outlet['name']}", **kwargs)
        self.outlet = Outlet.model_validate(outlet)
        self.errors: list[dict[str, str]] = []
        self.started_at = dt.datetime.now(dt.timezone.utc)
        self._seen: set[str] = set()
        self._queued = 0

    # -- discovery -------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.outlet.feeds:
            yield self._index_request(url, self.parse_feed, "feed")
        for url in self.outlet.sitemaps:
            yield self._index_request(url, self.parse_sitemap, "sitemap")
        for url in self.outlet.pages:
            yield self._index_request(url, self.parse_page, "page")

    def _index_request(self, url: str, callback, role: str, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, dont_filter=True, meta={"role": role, **meta})

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._discovered(response, lambda: feed_links(response.body, response.url), "feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        found = SitemapLinks()

        def links() -> list[str]:
            body = response.body
            if gzip_magic_number(response):  # a .xml.gz file; Content-Encoding gzip is undone by Scrapy
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            parsed = sitemap_links(body, response.url)
            found.sitemaps.extend(parsed.sitemaps)
            return parsed.articles

        yield from self._discovered(response, links, "sitemap")
        depth = response.meta.get("sitemap_depth", 0)
        if found.sitemaps and depth >= MAX_SITEMAP_DEPTH:
            self.record_error("bad_sitemap", response.url, f"sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH}")
            return
        for child in found.sitemaps:
            yield self._index_request(child, self.parse_sitemap, "sitemap", sitemap_depth=depth + 1)

    def parse_page(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._discovered(response, lambda: page_links(response.text, response.url), "page")

    def _discovered(self, response: Response, links, via: str) -> Iterator[scrapy.Request]:
        try:
            found: Iterable[str] = links()
        except DiscoveryError as exc:
            self.record_error(f"bad_{via}", response.url, str(exc))
            return
        except Exception as exc:  # a hostile index must not end the outlet's crawl
            self.record_error(f"bad_{via}", response.url, f"{type(exc).__name__}: {exc}")
            return
        self.crawler.stats.inc_value(f"newswatch/{via}_fetched")
        yield from self._article_requests(found, via)

    def _article_requests(self, links: Iterable[str], via: str) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        candidates: dict[str, str] = {}  # normalised URL -> link as found
        for link in links:
            url = normalize_url(link)
            if url not in self._seen and url not in candidates:
                candidates[url] = link
        self._seen.update(candidates)
        stats.inc_value("newswatch/links_found", len(candidates))
        if not candidates:
            return
        with database(self.settings.get("NEWSWATCH_DATABASE")).session() as session:
            known = known_urls(session, list(candidates))
        stats.inc_value("newswatch/links_known", len(known))
        for url, link in candidates.items():
            if url in known:
                continue
            if self._queued >= self.outlet.max_articles:
                stats.inc_value("newswatch/links_over_limit")
                continue
            self._queued += 1
            yield scrapy.Request(
                url, callback=self.parse_article, errback=self.on_error, meta={"role": "article", "discovered_url": link, "via": via}
            )

    # -- articles --------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        content_type = response.headers.get(b"Content-Type")
        yield FetchedPage(
            outlet=self.outlet.name,
            request_url=response.request.url if response.request else response.url,
            discovered_url=response.meta.get("discovered_url", response.url),
            url=response.url,
            status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            body=response.body,
            fetched_at=dt.datetime.now(dt.timezone.utc),
            via=response.meta.get("via", ""),
        )

    # -- failures --------------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else ""
        self.record_error(failure_kind(failure), url, failure.getErrorMessage(), **failure_details(failure))

    def record_error(self, kind: str, url: str, message: str, **details: str) -> None:
        self.crawler.stats.inc_value(f"newswatch/errors/{kind}")
        if len(self.errors) < 100:
            self.errors.append({"kind": kind, "url": url, "message": message[:500], **details})
        self.logger.warning("%s %s: %s", kind, url, message[:200])
