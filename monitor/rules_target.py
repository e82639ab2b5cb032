"""What `rules test` reads: a URL (fetched under the crawler's limits), a file, or an archived article."""
from __future__ import annotations

import datetime as dt
import urllib.error
from dataclasses import dataclass, replace
from pathlib import Path


from crawler.checked_fetch import fetch_checked
from crawler.extract import NotAnArticle, extract_article
from crawler.targets import TargetPolicy, TargetRefused
from crawler.urls import same_site
from monitor.config import Config
from monitor.matching import document_of
from newswatch.secrets import mask_url_credentials
from rules.matcher import Document
from storage.db import Database
from storage.models import Article


TEXT_PREVIEW_CHARS = 600
TEXT_SOURCES = {
    "json-ld": "the page's JSON-LD articleBody (trafilatura found no main text)",
    "article": "the page's <article> element (trafilatura found no main text)",
    "description": "the page's og:description or meta description (no main text, no <article>, no JSON-LD body)",
}


class TargetError(Exception):
    """The URL, file or article to test could not be read."""


def fetch(url: str, config: Config, policy: TargetPolicy | None = None) -> tuple[bytes, str | None]:
    """GET one page with the crawler's user agent, timeout and size limit, under the target policy.

    By default the URL is the user's own, so its origin is trusted; redirects elsewhere are judged
    like an outlet's links (only http and https; no non-public address outside the configured
    origins and `allow_private`). The web view passes `untrusted_url_policy` instead.
    """
    settings = config.settings.crawler
    try:
        fetched = fetch_checked(
            url, policy or user_url_policy(config, url), user_agent=settings.effective_user_agent,
            timeout=settings.timeout.total_seconds(), max_bytes=settings.max_page_bytes,
        )
    except TargetRefused as exc:
        raise TargetError(f"{mask_url_credentials(exc.url)}: refused: {exc.reason}") from None
    except urllib.error.HTTPError as exc:
        raise TargetError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise TargetError(f"{url}: {getattr(exc, 'reason', exc)}") from None
    if len(fetched.body) > settings.max_page_bytes:
        raise TargetError(f"{url}: page larger than crawler.max_page_bytes ({settings.max_page_bytes} bytes)")
    return fetched.body, fetched.content_type


def user_url_policy(config: Config, url: str) -> TargetPolicy:
    """The target policy for a URL the user gave: its origin, every outlet's origins, every allow_private."""
    outlets = config.settings.outlets
    own = [url, *(u for outlet in outlets for u in (*outlet.feeds, *outlet.sitemaps, *outlet.pages))]
    allow = [*config.settings.crawler.allow_private, *(entry for outlet in outlets for entry in outlet.allow_private)]
    return TargetPolicy.build(own, allow)


def untrusted_url_policy(config: Config) -> TargetPolicy:
    """The target policy for a URL someone else typed (the web rule tester): only the outlets' origins and allow_private."""
    outlets = config.settings.outlets
    own = [u for outlet in outlets for u in (*outlet.feeds, *outlet.sitemaps, *outlet.pages)]
    allow = [*config.settings.crawler.allow_private, *(entry for outlet in outlets for entry in outlet.allow_private)]
    return TargetPolicy.build(own, allow)


def outlet_for(config: Config, url: str) -> str:
    """The configured outlet whose feeds, sitemaps or pages are on the URL's site ('' if none)."""
    for outlet in config.settings.outlets:
        if any(same_site(url, u) for u in (*outlet.feeds, *outlet.sitemaps, *outlet.pages)):
            return outlet.name
    return ""


@dataclass(frozen=True)
class Target:
    """What `rules test` looks at: the document, a line that says what it is, and what decisions need."""

    document: Document
    described: str
    published: dt.datetime | None = None
    article_id: int | None = None  # an archived article: its story and recorded decisions count


def document_for(config: Config, target: str, outlet: str | None = None) -> Target:
    """The document behind a URL, an HTML file or an archived article id, and what it is (with what extraction removed)."""
    if target.startswith(("http://", "https://")):
        return url_target(config, target, outlet)
    path = Path(target)
    if path.is_file():
        return _extracted(config, path.read_bytes(), path.resolve().as_uri(), None, outlet or "", str(path))
    if target.isdigit():
        db = Database(config.database_url)
        try:
            db.migrate()
            with db.reading() as session:
                article = session.get(Article, int(target))
                if article is None:
                    raise TargetError(f"no article {target} in the archive")
                document = document_of(article)
                return Target((replace(document, outlet=outlet) if outlet else document),
                              f"article {target}: {article.canonical_url}", article.published, article.id)
        finally:
            db.close()
    raise TargetError(f"{target}: not an http(s) URL, an existing file or an article id")


def url_target(config: Config, url: str, outlet: str | None = None, policy: TargetPolicy | None = None) -> Target:
    """Fetch a page (under `policy`, see `fetch`) and extract it as the crawl would for its outlet."""
    body, content_type = fetch(url, config, policy)
    return _extracted(config, body, url, content_type, outlet if outlet is not None else outlet_for(config, url), url)


def _extracted(config: Config, body: bytes, url: str, content_type: str | None, outlet: str, described: str) -> Target:
    """Extract as the crawl would for this outlet (its `exclude` selectors and the defaults)."""
    settings = config.outlet(outlet) if outlet else None
    selectors = settings.exclude if settings is not None else []
    try:
        article = extract_article(body, url, content_type, exclude=selectors)
    except NotAnArticle as exc:
        raise TargetError(f"{url}: not an article: {exc}") from None
    document = Document(
        title=article.title or "", text=article.text, url=article.canonical_url or url,
        authors=tuple(article.authors), outlet=outlet, language=article.language or "",
    )
    removed = (f"Removed before extraction: {article.excluded_by_outlet} element(s) by the outlet's `exclude`, "
               f"{article.excluded_by_default} comment/related container(s) by the defaults")
    if article.source in TEXT_SOURCES:
        removed += f"\nText from {TEXT_SOURCES[article.source]}"
    return Target(document, f"{described}\n{removed}", article.published)


def text_section(text: str, show_all: bool) -> str:
    """The text that is matched (the title is matched too), shortened unless `show_all`."""
    if show_all or len(text) <= TEXT_PREVIEW_CHARS:
        return f"Text matched ({len(text)} characters):\n{text}\n"
    return (f"Text matched ({len(text)} characters; the first {TEXT_PREVIEW_CHARS}, --show-text prints all):\n"
            f"{text[:TEXT_PREVIEW_CHARS].rstrip()} …\n")
