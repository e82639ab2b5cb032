"""One spider per outlet: discover article links in feeds, sitemaps and section pages, fetch new ones.

Indexes are asked for with the validators of their last answer (a 304 costs no body); articles
first seen recently are revisited on the outlet's `revisit` schedule.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from twisted.python.failure import Failure

from crawler.discovery import DiscoveryError, SitemapLinks, feed_links, page_links, sitemap_links
from crawler.errors import BlockedTarget, failure_details, failure_kind, failure_url
from crawler.extract_pool import current_pool
from crawler.items import FetchedPage
from crawler.linkfilter import LinkFilter
from crawler.outlets import Outlet
from crawler.schedule import index_request_headers, next_revisit
from crawler.store import database
from crawler.urls import normalize_url
from storage.archive import describe_failure, known_urls
from storage.crawlstate import (
    IndexFetch,
    Validators,
    child_sitemaps,
    forget_child_sitemaps,
    due_revisits,
    mark_removed,
    record_index_fetch,
    set_next_revisit,
    validators_for,
)

MAX_SITEMAP_DEPTH = 3
GONE = (404, 410)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class OutletSpider(scrapy.Spider):
    name = "outlet"

    def __init__(self, outlet: dict[str, Any], cycle_id: str = "", **kwargs: Any) -> None:
        super().__init__(name=f"outlet:{outlet['name']}", **kwargs)
        self.cycle_id = cycle_id
        self.run_recorded = False  # set once CrawlRecorder has written this crawl's crawl_runs row
        self.abandoned = False  # set by the engine when it reported this crawl as cancelled before it closed
        self.outlet = Outlet.model_validate(outlet)
        self.links = LinkFilter(self.outlet.allow, self.outlet.deny)
        self.errors: list[dict[str, str]] = []
        self.started_at = _now()
        self._seen: set[str] = set()
        self._queued = 0
        self._index_fetches: dict[str, IndexFetch] = {}  # saved when the spider closes
        self._incomplete: set[str] = set()  # indexes with links left unfetched: ask for them in full next time
        self._pending: Counter[str] = Counter()  # article requests not yet answered, by index
        self._children: dict[str, list[str]] = {}  # sitemap index read in full -> the sitemaps it lists
        self._revisited: dict[str, int] = {}  # page URL of a revisit -> its article, to retry it if archiving fails

    @property
    def db(self):
        return database(self.settings.get("NEWSWATCH_DATABASE"))

    # -- discovery -------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self._revisit_requests():
            yield request
        with self.db.reading() as session:  # one query for every index of the outlet
            known = validators_for(session, [*self.outlet.feeds, *self.outlet.sitemaps, *self.outlet.pages])
        for url in self.outlet.feeds:
            yield self._index_request(url, known.get(url), self.parse_feed, "feed")
        for url in self.outlet.sitemaps:
            yield self._index_request(url, known.get(url), self.parse_sitemap, "sitemap")
        for url in self.outlet.pages:
            yield self._index_request(url, known.get(url), self.parse_page, "page")

    def _child_sitemap_requests(self, children: list[str], depth: int, parent_url: str) -> list[scrapy.Request]:
        if not children:
            return []
        with self.db.reading() as session:
            known = validators_for(session, children)
        return [
            self._index_request(child, known.get(child), self.parse_sitemap, "sitemap", sitemap_depth=depth + 1, parent_url=parent_url)
            for child in children
        ]

    def _index_request(self, url: str, state: Validators | None, callback: Callable, role: str, **meta: Any) -> scrapy.Request:
        headers = index_request_headers(
            state.etag if state else None, state.last_modified if state else None,
            state.last_full_fetch_at if state else None, _now(), self.outlet.full_fetch_every,
        )
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, dont_filter=True, headers=headers,
            meta={"role": role, "index_url": url, "conditional": bool(headers), "handle_httpstatus_list": [304], **meta},
        )

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if not self._not_modified(response):
            yield from self._discovered(response, lambda: feed_links(response.body, response.url, _response_headers(response)), "feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        depth = response.meta.get("sitemap_depth", 0)
        if self._not_modified(response):
            # the index is unchanged, but the sitemaps it lists may not be: ask each of them
            with self.db.reading() as session:
                children = child_sitemaps(session, self.outlet.name, response.meta["index_url"])
            if depth < MAX_SITEMAP_DEPTH:
                yield from self._child_sitemap_requests(children, depth, response.meta["index_url"])
            return
        found = SitemapLinks()

        def links() -> list[str]:
            body = response.body
            if gzip_magic_number(response):  # a .xml.gz file; Content-Encoding gzip is undone by Scrapy
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            parsed = sitemap_links(body, response.url)
            found.sitemaps.extend(parsed.sitemaps)
            return parsed.articles

        yield from self._discovered(response, links, "sitemap")
        if found.sitemaps and depth >= MAX_SITEMAP_DEPTH:
            self.record_error("bad_sitemap", response.url, f"sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH}")
            return
        self._children[response.meta["index_url"]] = list(found.sitemaps)
        yield from self._child_sitemap_requests(list(found.sitemaps), depth, response.meta["index_url"])

    def parse_page(self, response: Response) -> Iterator[scrapy.Request]:
        if not self._not_modified(response):
            yield from self._discovered(response, lambda: page_links(response.text, response.url, self.links), "page")

    def _not_modified(self, response: Response) -> bool:
        """Count and remember a 304; remember a full answer's validators. True when there is nothing to read."""
        stats = self.crawler.stats
        meta = response.meta
        if response.status == 304:
            stats.inc_value("newswatch/not_modified")
            stats.inc_value("newswatch/indexes_ok")
        header = response.headers.get
        self._index_fetches[meta["index_url"]] = IndexFetch(
            url=meta["index_url"],
            status=response.status,
            fetched_at=_now(),
            etag=_text(header(b"ETag")),
            last_modified=_text(header(b"Last-Modified")),
            full=not meta.get("conditional"),
            parent_url=meta.get("parent_url"),
        )
        return response.status == 304

    def _discovered(self, response: Response, links: Callable[[], Iterable[str]], via: str) -> Iterator[scrapy.Request]:
        index_url = response.meta["index_url"]
        try:
            found: Iterable[str] = links()
        except DiscoveryError as exc:
            self._incomplete.add(index_url)
            self.record_error(f"bad_{via}", response.url, str(exc))
            return
        except Exception as exc:  # a hostile index must not end the outlet's crawl
            self._incomplete.add(index_url)
            self.record_error(f"bad_{via}", response.url, f"{type(exc).__name__}: {exc}")
            return
        self.crawler.stats.inc_value(f"newswatch/{via}_fetched")
        self.crawler.stats.inc_value("newswatch/indexes_ok")
        yield from self._article_requests(found, via, index_url)

    def _article_requests(self, links: Iterable[str], via: str, index_url: str) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        candidates: dict[str, str] = {}  # normalised URL -> link as found
        for link in links:
            try:
                url = normalize_url(link)
            except ValueError:  # e.g. a port that is not a number: one bad link must not lose the others
                stats.inc_value("newswatch/links_unreadable")
                continue
            if url in self._seen or url in candidates:
                continue
            if via != "page" and not self.links.accepts(url):  # section pages apply the filter themselves
                stats.inc_value("newswatch/links_filtered")
                continue
            candidates[url] = link
        self._seen.update(candidates)
        stats.inc_value("newswatch/links_found", len(candidates))
        if not candidates:
            return
        with self.db.reading() as session:
            known = known_urls(session, list(candidates))
        stats.inc_value("newswatch/links_known", len(known))
        for url, link in candidates.items():
            if url in known:
                continue
            if self._queued >= self.outlet.max_articles:
                stats.inc_value("newswatch/links_over_limit")
                self._incomplete.add(index_url)
                continue
            self._queued += 1
            self._pending[index_url] += 1
            current_pool().prepare()  # the extraction workers start while the pages download
            yield scrapy.Request(
                url, callback=self.parse_article, errback=self.on_error,
                meta={"role": "article", "discovered_url": link, "via": via, "index_url": index_url},
            )

    # -- revisits --------------------------------------------------------------------------------
    def _revisit_requests(self) -> list[scrapy.Request]:
        """Due revisits, at most half of `max_articles`, so new articles keep the rest of the budget."""
        if not self.outlet.revisit:
            return []
        with self.db.reading() as session:
            due = due_revisits(session, self.outlet.name, _now(), self.outlet.max_articles // 2)
        self._queued += len(due)
        self.crawler.stats.inc_value("newswatch/revisits", len(due))
        return [
            scrapy.Request(
                revisit.url, callback=self.parse_revisit, errback=self.on_revisit_error, dont_filter=True,
                meta={"role": "revisit", "article_id": revisit.article_id, "first_seen": revisit.first_seen,
                      "discovered_url": revisit.url, "via": "revisit", "handle_httpstatus_list": list(GONE)},
            )
            for revisit in due
        ]

    def parse_revisit(self, response: Response) -> Iterator[FetchedPage]:
        article_id = response.meta["article_id"]
        if response.status in GONE:
            with self.db.session() as session:
                mark_removed(session, article_id, _now())
            self.crawler.stats.inc_value("newswatch/articles_removed")
            return
        self._schedule_next_revisit(response.meta)
        self._revisited[response.url] = article_id
        yield from self.parse_article(response)

    def on_revisit_error(self, failure: Failure) -> None:
        self._schedule_next_revisit(failure.request.meta)
        self.on_error(failure)

    def _schedule_next_revisit(self, meta: dict[str, Any]) -> None:
        when = next_revisit(meta["first_seen"], self.outlet.revisit, _now())
        with self.db.session() as session:
            set_next_revisit(session, meta["article_id"], when)

    # -- articles --------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        if response.meta.get("role") == "article":
            self._pending[response.meta["index_url"]] -= 1
        content_type = response.headers.get(b"Content-Type")
        yield FetchedPage(
            outlet=self.outlet.name,
            request_url=response.request.url if response.request else response.url,
            discovered_url=response.meta.get("discovered_url", response.url),
            url=response.url,
            status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            body=response.body,
            fetched_at=_now(),
            via=response.meta.get("via", ""),
            index_url=response.meta.get("index_url"),
        )

    # -- failures --------------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = failure_url(failure)  # a refused target, masked, rather than the URL that redirected to it
        if request is not None and request.meta.get("role") == "article":
            self._pending[request.meta["index_url"]] -= 1
            if not failure.check(BlockedTarget):  # a refused link stays refused: no reason to read its index again
                self._incomplete.add(request.meta["index_url"])  # its link must be seen again next cycle
        if request is not None and request.meta.get("role") in ("feed", "sitemap", "page"):
            self.crawler.stats.inc_value("newswatch/indexes_failed")
            if request.meta.get("parent_url"):  # a child sitemap failed: read its index in full next time
                self._incomplete.add(request.meta["parent_url"])
        self.record_error(failure_kind(failure), url, failure.getErrorMessage(), **failure_details(failure))

    def archive_failed(self, item: FetchedPage, message: str) -> None:
        """A fetched page could not be archived: record it, and retry it next cycle (its index is read in
        full; a revisit is due again at once)."""
        self.record_error("archive_failed", item.url, message)
        if item.index_url:
            self._incomplete.add(item.index_url)
        article_id = self._revisited.get(item.url)
        if article_id is not None:
            try:
                with self.db.session() as session:
                    set_next_revisit(session, article_id, _now())
            except Exception as exc:  # the database may be what failed: the error above is on record anyway
                self.logger.warning("revisit of %s not rescheduled: %s", item.url, describe_failure(exc))

    def record_error(self, kind: str, url: str, message: str, **extra: str) -> None:
        """Count an error by kind and keep the first 100 for crawl_runs.errors (`extra`: e.g. retry_after)."""
        self.crawler.stats.inc_value(f"newswatch/errors/{kind}")
        if len(self.errors) < 100:
            self.errors.append({"kind": kind, "url": url, "message": message[:500], **extra})
        self.logger.warning("%s %s: %s", kind, url, message[:200])

    def closed(self, reason: str) -> None:
        """Save what each index answered; one whose links were not all fetched loses its validators."""
        unanswered = {url for url, count in self._pending.items() if count > 0}  # e.g. the crawl timed out
        with self.db.session() as session:
            for url, fetch in self._index_fetches.items():
                if url in self._incomplete or url in unanswered:
                    fetch = replace(fetch, keep_validators=False)
                record_index_fetch(session, self.outlet.name, fetch)
            for parent, children in self._children.items():
                forget_child_sitemaps(session, self.outlet.name, parent, keep=children)


def _response_headers(response: Response) -> dict[str, str]:
    """The response's own Content-Type and Content-Language for feedparser (none it did not send),
    and its URL as Content-Location, the base for relative links."""
    headers = {"content-location": response.url}
    for name in ("Content-Type", "Content-Language"):
        value = _text(response.headers.get(name.encode("ascii")))
        if value:
            headers[name.lower()] = value
    return headers


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None
