"""Main text and metadata of an article page, with trafilatura (pure: bytes in, data out)."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document
from trafilatura.utils import load_html

from crawler.charset import decode_page
from crawler.exclusion import remove_excluded
from crawler.pagekind import PageSignals, fallback_text, not_an_article, read_signals
from crawler.timebox import TimeLimitExceeded, time_limit
from crawler.urls import canonical_fits, same_site

LXML_MAX_DEPTH = 255  # libxml2's HTML parser drops what is nested deeper than this
WHITESPACE = re.compile(r"\s+")
LANGUAGE_SUBTAG = re.compile(r"[a-z]{2,3}")  # ISO 639-1/-2/-3 primary subtag
PUBLISHED_XPATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//*[@itemprop='datePublished']/@datetime",
    "//meta[@name='pubdate']/@content",
    "//article//time/@datetime",
)


@dataclass(frozen=True)
class ExtractedArticle:
    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: dt.datetime | None = None
    language: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    source: str = "trafilatura"  # where the text came from: trafilatura, json-ld, article or description
    excluded_by_outlet: int = 0  # elements removed before extraction by the outlet's `exclude` selectors
    excluded_by_default: int = 0  # comment and related-content containers removed by the defaults

    content_hash: str = field(init=False, default="")  # computed where the article is made: in the extraction worker, not on the reactor

    def __post_init__(self) -> None:
        object.__setattr__(self, "content_hash", text_hash(self.text))


class NotAnArticle(Exception):
    """The page is not an article: it says it is something else (crawler/pagekind.py), or it has no text at all."""

    kind = "not_an_article"


class HtmlTooDeep(NotAnArticle):
    """No main text, and the markup is nested deeper than the HTML parser follows (hostile or broken)."""

    kind = "html_too_deep"


class ExtractTimeout(NotAnArticle):
    """Extraction took longer than its bound (crawler.extract_timeout)."""

    kind = "extract_timeout"


def text_hash(text: str) -> str:
    """Hash of the text with white space folded: re-wrapped text is the same text."""
    return hashlib.sha256(WHITESPACE.sub(" ", text).strip().encode("utf-8")).hexdigest()


def decode_html(body: bytes, content_type: str | None) -> str:
    """Bytes to text: see crawler/charset.py for the order of evidence (BOM, UTF-8, declarations, detection)."""
    return decode_page(body, content_type).text


def extract_article(
    body: bytes, url: str, content_type: str | None = None, timeout: float = 0,
    exclude: tuple[str, ...] | list[str] = (), via: str = "",
) -> ExtractedArticle:
    """Extract main text (never comments) and metadata; raises NotAnArticle when the page is not an article.

    `exclude`: the outlet's CSS selectors, removed before extraction together with the default
    comment and related-content containers (crawler/exclusion.py). `via`: where the link came from
    (feed, sitemap, page, revisit; '' when unknown), one of the signals of what the page is.
    With `timeout` > 0 the whole extraction is bounded in wall-clock time (ExtractTimeout).
    """
    try:
        with time_limit(timeout):
            return _extract(body, url, content_type, tuple(exclude), via)
    except TimeLimitExceeded:
        raise ExtractTimeout(f"extraction took longer than {timeout:g}s") from None


WARM_UP_PAGE = (
    "<html lang='en'><head><title>Harbour notice</title><link rel='canonical' href='https://example.org/news/notice.html'>"
    "</head><body><nav><a href='/'>Home</a></nav><article><h1>Harbour notice</h1>"
    "<p>The ferry to the island leaves at nine on Saturday.</p></article></body></html>"
)


def warm_up() -> None:
    """Pay trafilatura's lazy one-time set-up now instead of inside the first page's time bound.

    A short page makes trafilatura try justext, which first reads the stoplists of every
    language, and the metadata step loads the list of top-level domains: about 1 s of CPU
    together on the first page a process extracts (cProfile), enough to push a worker's first
    page past a tight `crawler.extract_timeout`. The extraction workers' fork server does it once
    before forking them (crawler/extract_pool.py).
    """
    try:
        extract_article(WARM_UP_PAGE.encode(), "https://example.org/news/notice.html", "text/html; charset=utf-8")
    except Exception:  # noqa: BLE001 only a head start: a failure here must not stop the fork server or the engine
        pass


def _extract(body: bytes, url: str, content_type: str | None, exclude: tuple[str, ...], via: str) -> ExtractedArticle:
    html = decode_html(body, content_type)
    tree = load_html(html)  # parsed once, as trafilatura parses (comments and processing instructions dropped)
    handed: str | lxml.html.HtmlElement = html
    if tree is None:  # trafilatura's parser refuses it (a fragment, say): ours still reads signals and fallbacks
        tree = _parse(html)
    else:
        handed = tree  # trafilatura works on a copy of it, so the fallbacks below still read the whole page
    signals = read_signals(tree)
    reason = not_an_article(signals, via)
    if reason:
        raise NotAnArticle(reason)
    published, language, canonical = _published(tree), _language(tree), _canonical(tree, url)
    by_outlet = remove_excluded(tree, exclude, defaults=False) if tree is not None else 0
    by_default = remove_excluded(tree) if tree is not None else 0
    if (by_outlet or by_default) and handed is html:
        handed = lxml.html.tostring(tree, encoding="unicode")
    doc = trafilatura.bare_extraction(
        handed,
        url=url,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        with_metadata=True,
        deduplicate=False,
    )
    text, source = ((doc.text or "").strip(), "trafilatura") if doc is not None else ("", "")
    if not text:
        text, source = fallback_text(tree, signals)
    if not text:
        if _depth(tree) >= LXML_MAX_DEPTH:
            raise HtmlTooDeep(f"no main text; elements nested {LXML_MAX_DEPTH}+ deep, deeper content is dropped by the parser")
        raise NotAnArticle("no text at all: no main text, no article element, no JSON-LD body, no description")
    return ExtractedArticle(
        text=text,
        title=_title(doc, signals),
        authors=_authors(doc.author if doc is not None else None),
        published=published or _parse_datetime(doc.date if doc is not None else None),
        language=language or language_code(doc.language if doc is not None else None),
        site_name=((doc.sitename or "").strip() or None) if doc is not None else None,
        canonical_url=canonical,
        source=source,
        excluded_by_outlet=by_outlet,
        excluded_by_default=by_default,
    )


def _title(doc: Document | None, signals: PageSignals) -> str | None:
    title = (doc.title or "").strip() if doc is not None else ""
    return title or signals.title or None


def _parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None


def _depth(tree: lxml.html.HtmlElement | None) -> int:
    depth = deepest = 0
    if tree is None:
        return 0
    for event, _element in etree.iterwalk(tree, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def _first(tree: lxml.html.HtmlElement | None, xpaths: tuple[str, ...]) -> str | None:
    if tree is None:
        return None
    for xpath in xpaths:
        for value in tree.xpath(xpath):
            if str(value).strip():
                return str(value).strip()
    return None


def _canonical(tree: lxml.html.HtmlElement | None, url: str) -> str | None:
    """rel=canonical or og:url, only when it points to the same site and fits the page (crawler.urls.canonical_fits)."""
    href = _first(tree, ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"))
    if not href:
        return None
    absolute = urljoin(url, href)
    if not absolute.startswith(("http://", "https://")) or not same_site(absolute, url) or not canonical_fits(absolute, url):
        return None
    return absolute


def _language(tree: lxml.html.HtmlElement | None) -> str | None:
    for xpath in ("/html/@lang", "//meta[@http-equiv='content-language']/@content", "//meta[@property='og:locale']/@content"):
        code = language_code(_first(tree, (xpath,)))
        if code:
            return code
    return None


def language_code(value: str | None) -> str | None:
    """The primary language subtag of a tag (`en-GB`, `ru_RU`, `UK` → `en`, `ru`, `uk`); None for what is
    not a language tag (`Russian Federation`, `english`, `*`)."""
    if not value:
        return None
    primary = re.split(r"[-_,;\s]", value.strip(), maxsplit=1)[0].lower()
    return primary if LANGUAGE_SUBTAG.fullmatch(primary) else None


def _published(tree: lxml.html.HtmlElement | None) -> dt.datetime | None:
    return _parse_datetime(_first(tree, PUBLISHED_XPATHS))


def _parse_datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _authors(value: str | None) -> list[str]:
    if not value:
        return []
    return [name.strip() for name in re.split(r";|\band\b", value) if name.strip()]
