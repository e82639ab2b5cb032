"""Scrapy side of the target policy (crawler/targets.py): every request, every redirect hop.

- `TargetGuardMiddleware` (before robots.txt) refuses a request whose URL alone breaks the policy:
  not http(s), or a host that spells a non-public address outside the outlet's own origins.
  Redirect hops, revisits, child sitemaps and meta refreshes are new requests and pass it again.
- `RedirectGuardMiddleware` (before Scrapy's RedirectMiddleware) refuses a redirect to a refused
  target, including `file:`, `ftp:` and `data:` ones Scrapy would otherwise hand on as a 3xx.
- `crawler.guarded_http.GuardedDownloadHandler` checks the address actually connected to.

A refused request raises `BlockedTarget`, which the spider records as `blocked_target`.
"""
from __future__ import annotations

import weakref
from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from w3lib.url import safe_url_string

from crawler.errors import BlockedTarget
from crawler.targets import TargetPolicy

GUARD_PRIORITY = 45  # process_request before OffsiteMiddleware (50) and RobotsTxtMiddleware (100)
REDIRECT_GUARD_PRIORITY = 650  # process_response before RedirectMiddleware (600)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
INDEX_ROLES = ("feed", "sitemap", "page")
HANDLER = "crawler.guarded_http.GuardedDownloadHandler"

_policies: weakref.WeakKeyDictionary[Crawler, TargetPolicy] = weakref.WeakKeyDictionary()


def target_settings(allow_private: list[str]) -> dict[str, Any]:
    """Scrapy settings that put every request under the target policy; only http(s) has a handler at all."""
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER, "file": None, "ftp": None, "data": None, "s3": None},
        "NEWSWATCH_ALLOW_PRIVATE": list(allow_private),
    }


def target_middlewares() -> dict[str, int]:
    return {
        "crawler.guard.TargetGuardMiddleware": GUARD_PRIORITY,
        "crawler.guard.RedirectGuardMiddleware": REDIRECT_GUARD_PRIORITY,
    }


def policy_of(crawler: Crawler) -> TargetPolicy:
    """The policy of the crawler's outlet: its configured URLs' origins, global and per-outlet allow_private."""
    policy = _policies.get(crawler)
    if policy is None:
        outlet = getattr(crawler.spider, "outlet", None)
        own = [*outlet.feeds, *outlet.sitemaps, *outlet.pages] if outlet is not None else []
        allow = [*crawler.settings.getlist("NEWSWATCH_ALLOW_PRIVATE"), *(outlet.allow_private if outlet is not None else [])]
        policy = _policies[crawler] = TargetPolicy.build(own, allow)
    return policy


def refuse(crawler: Crawler, request: Request, target: str, reason: str) -> BlockedTarget:
    """Count a refused target and build the exception that carries it to the request's errback."""
    stats = crawler.stats
    stats.inc_value("newswatch/blocked_targets")
    if request.meta.get("role") in INDEX_ROLES:
        stats.inc_value("newswatch/indexes_blocked")
    return BlockedTarget(target, reason)


class TargetGuardMiddleware:
    """Refuse a request on its URL alone: scheme, and a host that is a non-public address."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TargetGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        reason = policy_of(self.crawler).refusal(request.url)
        if reason is not None:
            raise refuse(self.crawler, request, request.url, reason)


class RedirectGuardMiddleware:
    """Refuse a redirect whose Location is a refused target, before RedirectMiddleware follows or drops it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        target = redirect_target(request, response, getattr(self.crawler.spider, "handle_httpstatus_list", ()))
        if target is None:
            return response
        reason = policy_of(self.crawler).refusal(target)
        if reason is not None:
            raise refuse(self.crawler, request, target, f"redirect from {request.url}: {reason}")
        return response


def redirect_target(request: Request, response: Response, spider_statuses: Any = ()) -> str | None:
    """Where Scrapy's RedirectMiddleware would send this response's request next; None if it would not."""
    meta = request.meta
    if (
        response.status not in REDIRECT_STATUSES
        or b"Location" not in response.headers
        or meta.get("dont_redirect")
        or meta.get("handle_httpstatus_all")
        or response.status in meta.get("handle_httpstatus_list", ())
        or response.status in spider_statuses
    ):
        return None
    raw = response.headers[b"Location"]
    location = safe_url_string(raw)
    if raw.startswith(b"//"):
        location = urlparse_cached(request).scheme + "://" + location.lstrip("/")
    return urljoin(request.url, location)
