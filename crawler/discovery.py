"""Article links from feeds, news sitemaps and section pages (pure functions on bytes)."""
from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree
from scrapy.utils.sitemap import Sitemap

from crawler.linkfilter import LinkFilter
from crawler.urls import normalize_url, query_names_item, same_site

# Paths that are navigation, not articles: tag, author, topic and media pages, search, accounts.
DEFAULT_DENY = re.compile(
    r"/(tags?|topics?|authors?|category|categories|section|sections|search|login|signin|register|"
    r"subscribe|subscription|account|video|videos|photos?|gallery|galleries|podcasts?|newsletters?|"
    r"about|contact|privacy|terms|cookies?|feed|rss|sitemap)(/|$|\.(php|aspx?|jsp|cgi|html?)$)|"
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


def feed_links(body: bytes, base_url: str, headers: Mapping[str, str] | None = None) -> list[str]:
    """Entry links of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order; [] for a readable feed with no entries.

    `headers` are the response's own (lower-case names), or None. A feed is judged by what was
    parsed, whatever its Content-Type: feedparser's complaints about the media type or the charset
    do not make a readable feed unreadable, and an empty feed is a quiet one, not a broken one.
    """
    parsed = feedparser.parse(body, response_headers=_feed_headers(body, headers))
    links: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link") or _url_or_none(entry.get("id"))
        if link:
            links.append(urljoin(base_url, link.strip()))
    if links:  # recovered entries of broken XML are kept
        return links
    problem = parsed.get("bozo_exception") if parsed.bozo else None
    if not parsed.get("version"):
        detail = f"{type(problem).__name__}: {problem}" if problem else "no RSS or Atom root element"
        raise DiscoveryError(f"not a readable feed: {detail}")
    if problem is not None and not isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe):
        raise DiscoveryError(f"not a readable feed: {type(problem).__name__}: {problem}")
    return links


def _feed_headers(body: bytes, headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """The headers feedparser gets. A charset that the bytes contradict (a BOM, or valid non-ASCII
    UTF-8) is left out of the Content-Type, as for pages (crawler/charset.py): a server-wide
    `charset=windows-1251` must not garble a UTF-8 feed's links."""
    if not headers:
        return None
    result = {name.lower(): value for name, value in headers.items()}
    media_type, _, params = result.get("content-type", "").partition(";")
    if "charset" in params.lower() and _self_evident_encoding(body):
        result["content-type"] = media_type.strip()
    return result


def _self_evident_encoding(body: bytes) -> bool:
    if body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
    if not target:  # an empty urlset is a quiet sitemap, but only if it is a whole document
        problem = _xml_problem(body)
        if problem:
            raise DiscoveryError(f"not a readable sitemap: {problem}")
    return result


def _xml_problem(body: bytes) -> str | None:
    """Why the bytes are not a whole XML document (truncated, not XML), or None.

    Entities are never expanded nor loaded; entity trouble alone (undefined, or refused as a
    billion-laughs amplification) leaves the document readable: it was parsed, without them.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False)
    try:
        etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        if not parser.error_log:
            return str(exc)
        structural = [e for e in parser.error_log if "ENTITY" not in e.type_name and e.type_name != "ERR_RESOURCE_LIMIT"]
        if structural:
            return f"{structural[0].message.strip()} (line {structural[0].line})"
    return None


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
    """A same-site link that names one article: by its path (`/2023/05/raid-on-border.html`) or by
    its query (`/news.php?cid=101`, `/?p=4711`), and not a navigation, tag, search or listing page."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not same_site(url, base_url):
        return False
    path = parts.path
    if DEFAULT_DENY.search(path):
        return False
    query = query_names_item(parts.query) if parts.query else None
    if query is not None:
        return query and normalize_url(url) != normalize_url(base_url)
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
