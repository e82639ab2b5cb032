"""Outlets as data: what to crawl and how often (the `outlets:` section of the config)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from crawler.exclusion import compile_selector
from crawler.linkfilter import compile_pattern
from crawler.targets import parse_allow_entry
from newswatch.durations import Duration

DEFAULT_REVISITS = (dt.timedelta(minutes=15), dt.timedelta(hours=1), dt.timedelta(hours=6), dt.timedelta(hours=24))


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


def _pattern(value: str) -> str:
    compile_pattern(value)
    return value


def _selector(value: str) -> str:
    compile_selector(value)  # BadSelector is a ValueError: a config error naming file, line and field
    return value


def _allow_entry(value: str) -> str:
    parse_allow_entry(value)
    return value.strip()


HttpUrl = Annotated[str, AfterValidator(_http_url)]
AllowPrivate = Annotated[str, AfterValidator(_allow_entry)]
UrlPattern = Annotated[str, AfterValidator(_pattern)]
CssSelector = Annotated[str, AfterValidator(_selector)]


class Outlet(BaseModel):
    """One news outlet: its feeds, news sitemaps and section pages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$", description="short id, lower case")
    feeds: list[HttpUrl] = Field(default_factory=list, description="RSS or Atom feed URLs")
    sitemaps: list[HttpUrl] = Field(default_factory=list, description="news sitemap URLs")
    pages: list[HttpUrl] = Field(default_factory=list, description="section pages whose article links are followed")
    every: Duration = Field(default=dt.timedelta(minutes=10), description="how often the daemon crawls it")
    max_articles: int = Field(default=200, ge=1, le=10_000, description="article pages fetched per cycle at most (revisits included)")
    revisit: list[Duration] = Field(
        default_factory=lambda: list(DEFAULT_REVISITS), max_length=20,
        description="revisit a new article this long after it was first seen; [] disables revisits",
    )
    full_fetch_every: Duration = Field(
        default=dt.timedelta(hours=6), description="fetch each index without validators at least this often"
    )
    obey_robots: bool | None = Field(default=None, description="override crawler.obey_robots for this outlet")
    allow: list[UrlPattern] = Field(default_factory=list, description="follow only article links matching one of these")
    deny: list[UrlPattern] = Field(default_factory=list, description="never follow article links matching any of these")
    exclude: list[CssSelector] = Field(
        default_factory=list, max_length=100,
        description="CSS selectors of page parts that are not the article (comments, teasers); removed before extraction",
    )
    allow_private: list[AllowPrivate] = Field(
        default_factory=list, description="non-public networks or host:port this outlet may reach besides its own origins"
    )

    @model_validator(mode="after")
    def _has_a_source(self) -> Outlet:
        if not (self.feeds or self.sitemaps or self.pages):
            raise ValueError("an outlet needs at least one of feeds, sitemaps or pages")
        return self

    @field_validator("revisit")
    @classmethod
    def _growing(cls, revisit: list[dt.timedelta]) -> list[dt.timedelta]:
        if any(later <= earlier for earlier, later in zip(revisit, revisit[1:])):
            raise ValueError("revisit times must grow, e.g. [15m, 1h, 6h, 24h]")
        return revisit
