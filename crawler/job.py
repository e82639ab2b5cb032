"""The `crawler:` config section: politeness, limits and the crawl engine's bounds."""
from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from crawler.outlets import AllowPrivate
from newswatch.durations import Duration, Pause

MIB = 1024 * 1024
TRAILING_COMMENT = re.compile(r"\s*\([^()]*\)\s*$")
CONTACT = re.compile(r"(https?://\S+|mailto:\S+|[^\s@()]+@[^\s@()]+\.[^\s@()]+)")


class CrawlSettings(BaseModel):
    """Politeness and limits shared by every outlet (the `crawler:` section of the config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact: str | None = Field(
        default=None, description="URL or e-mail address for site owners; replaces the user agent's (…) comment"
    )
    user_agent: str = Field(default="newswatch/0.1 (+https://github.com/newswatch/newswatch)", min_length=1)
    obey_robots: bool = True
    delay: Pause = Field(default=dt.timedelta(seconds=1), description="pause between requests to one site")
    concurrency_per_site: int = Field(default=2, ge=1, le=16)
    timeout: Duration = Field(default=dt.timedelta(seconds=20), description="connect + read time per request")
    max_page_bytes: int = Field(default=5 * MIB, ge=64 * 1024, le=100 * MIB)
    cycle_timeout: Duration = Field(
        default=dt.timedelta(minutes=15), description="one outlet's crawl (and `crawl --once` as a whole) is cancelled after this"
    )
    backoff_max: Duration = Field(
        default=dt.timedelta(hours=1),
        description="longest pause for an outlet that keeps failing (never shorter than the outlet's own `every`)",
    )

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        if value is not None and not CONTACT.fullmatch(value.strip()):
            raise ValueError("expected an http(s):// URL, a mailto: URL or an e-mail address")
        return value.strip() if value else value

    @field_validator("user_agent")
    @classmethod
    def _honest_user_agent(cls, value: str, info: ValidationInfo) -> str:
        if not info.data.get("contact") and not CONTACT.search(value):
            raise ValueError(
                "the user agent carries no contact: add one, e.g. 'mybot/1.0 (+https://example.org/contact)', "
                "or set crawler.contact to a URL or e-mail address where site owners can reach you"
            )
        return value

    @property
    def effective_user_agent(self) -> str:
        """The User-Agent header sent: `user_agent`, with `(+contact)` in place of its comment when `contact` is set."""
        if not self.contact:
            return self.user_agent
        product = TRAILING_COMMENT.sub("", self.user_agent).strip()
        return f"{product} (+{self.contact})"
    # the crawl engine (docs/engine.md)
    engine_max_age: Duration = Field(default=dt.timedelta(hours=6), description="the engine process is replaced after this long")
    engine_max_memory: int = Field(
        default=768 * MIB, ge=128 * MIB, description="bytes; the engine is replaced when its resident memory passes this"
    )
    engine_concurrency: int = Field(default=32, ge=1, le=1000, description="outlets crawled at once by the engine")
    extract_workers: int | None = Field(
        default=None, ge=0, le=64, description="extraction processes (None: one per core; 0: in the engine itself)"
    )
    # hostile input (docs/robustness.md)
    max_redirects: int = Field(default=5, ge=0, le=20, description="redirects followed per request")
    extract_timeout: Duration = Field(default=dt.timedelta(seconds=10), description="wall-clock bound on one page's extraction")
    retry_after_max: Pause = Field(
        default=dt.timedelta(seconds=30), description="a 429/503 Retry-After up to this long is waited out once; longer gives up"
    )
    allow_private: list[AllowPrivate] = Field(
        default_factory=list, description="non-public networks or host:port every outlet may reach (crawler/targets.py)"
    )
