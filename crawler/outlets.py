"""Outlets as data: what to crawl and how often (the `outlets:` section of the config)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from newswatch.durations import Duration


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class Outlet(BaseModel):
    """One news outlet: its feeds, news sitemaps and section pages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$", description="short id, lower case")
    feeds: list[HttpUrl] = Field(default_factory=list, description="RSS or Atom feed URLs")
    sitemaps: list[HttpUrl] = Field(default_factory=list, description="news sitemap URLs")
    pages: list[HttpUrl] = Field(default_factory=list, description="section pages whose article links are followed")
    every: Duration = Field(default=dt.timedelta(minutes=10), description="how often the daemon crawls it")
    max_articles: int = Field(default=200, ge=1, le=10_000, description="article pages fetched per cycle at most")

    @model_validator(mode="after")
    def _has_a_source(self) -> Outlet:
        if not (self.feeds or self.sitemaps or self.pages):
            raise ValueError("an outlet needs at least one of feeds, sitemaps or pages")
        return self
