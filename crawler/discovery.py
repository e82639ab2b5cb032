"""Article links from feeds, news sitemaps and section pages (pure functions on bytes)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from scrapy.utils.sitemap import Sitemap

from crawler.linkfilter import LinkFilter
from crawler.urls import normalize_url, same_site

# Paths that are navigation, not articles: tag, author, topic and media pages, search, accounts.
DEFAULT_DENY = re.compile(
    r"/(tags?|topics?|authors?|category|categories|section|sections|search|login|signin|register|"
    r"subscribe|subscription|account|video|videos|photos?|gallery|galleries|podcasts?|newsletters?|"
    r"about|contact|privacy|terms|cookies?|feed|rss|sitemap)(/|$)|"
    r"\.(jpe?g|png|gif|webp|svg|pdf|mp3|mp4|zip|css|js|xml)$",
    re.IGNORECASE,
)
BOILERPLATE_CONTAINERS = (
    "ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside "
    "or ancestor::*[@role='navigation' or @role='complementary']"
)


class DiscoveryError(Exception):
    """An index document (feed, sitemap, section page) could not be read."""


@dataclass
class SitemapLinks:
    articles: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


def feed_links(body: bytes, base_url: str) -> list[str]:
    """Entry links of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    links: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link") or _url_or_none(entry.get("id"))
        if link:
            links.append(urljoin(base_url, link.strip()))
    if parsed.bozo and not links:  # broken XML that yielded nothing usable (recovered entries are kept)
        raise DiscoveryError(f"not a readable feed: {type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}")
    return links


def sitemap_links(body: bytes, base_url: str) -> SitemapLinks:
    """Article URLs of a (news) sitemap, or child sitemaps of a sitemap index."""
    try:
        sitemap = Sitemap(body)
    except (StopIteration, ValueError, SyntaxError) as exc:
        raise DiscoveryError(f"not a readable sitemap: {exc!r}") from None
    result = SitemapLinks()
    target = result.sitemaps if sitemap.type == "sitemapindex" else result.articles
    if sitemap.type not in ("sitemapindex", "urlset"):
        raise DiscoveryError(f"not a sitemap: root element is <{sitemap.type}>")
    for entry in sitemap:
        loc = (entry.get("loc") or "").strip()
        if loc:
            target.append(urljoin(base_url, loc))
    return result


def page_links(html: str, base_url: str, links_filter: LinkFilter | None = None) -> list[str]:
    """Links on a section page that look like articles of the same site, in page order.

    With `allow` patterns, a same-site link matching one of them is followed even where the
    default heuristics would skip it; `deny` patterns always exclude.
    """
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise DiscoveryError(f"not a readable page: {exc}") from None
    base_path = urlsplit(base_url).path.rstrip("/")
    links: list[str] = []
    for anchor in tree.xpath(f"//a[@href][not({BOILERPLATE_CONTAINERS})]"):
        url = urljoin(base_url, anchor.get("href").strip())
        if links_filter is not None and links_filter.has_allow:
            wanted = urlsplit(url).scheme in ("http", "https") and same_site(url, base_url) and links_filter.accepts(normalize_url(url))
        else:
            wanted = looks_like_article(url, base_url, base_path) and (links_filter is None or links_filter.accepts(normalize_url(url)))
        if wanted:
            links.append(url)
    return list(dict.fromkeys(links))


def looks_like_article(url: str, base_url: str, base_path: str = "") -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not same_site(url, base_url):
        return False
    path = parts.path
    if DEFAULT_DENY.search(path):
        return False
    stripped = path.rstrip("/")
    if not stripped or stripped == base_path or base_path.startswith(stripped + "/"):
        return False  # the section page itself, or one of its parents
    last = stripped.rsplit("/", 1)[-1]
    if last in ("index.html", "index.htm", "index.php"):
        return False
    return "-" in last or "_" in last or any(ch.isdigit() for ch in last) or last.endswith((".html", ".htm"))


def _url_or_none(value: str | None) -> str | None:
    if value and value.startswith(("http://", "https://")):
        return value
    return None
