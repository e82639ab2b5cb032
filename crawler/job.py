"""What one crawl run is asked to do: the `crawler:` config section plus the outlets and the archive."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from crawler.outlets import Outlet
from newswatch.durations import Duration, Pause

MIB = 1024 * 1024


class CrawlSettings(BaseModel):
    """Politeness and limits shared by every outlet (the `crawler:` section of the config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str = Field(default="newswatch/0.1 (+https://github.com/newswatch/newswatch)")
    obey_robots: bool = True
    delay: Pause = Field(default=dt.timedelta(seconds=1), description="pause between requests to one site")
    concurrency_per_site: int = Field(default=2, ge=1, le=16)
    timeout: Duration = Field(default=dt.timedelta(seconds=20), description="connect + read time per request")
    max_page_bytes: int = Field(default=5 * MIB, ge=64 * 1024, le=100 * MIB)
    cycle_timeout: Duration = Field(default=dt.timedelta(minutes=15), description="a crawl run is killed after this")
    # hostile input (docs/robustness.md)
    max_redirects: int = Field(default=5, ge=0, le=20, description="redirects followed per request")
    extract_timeout: Duration = Field(default=dt.timedelta(seconds=10), description="wall-clock bound on one page's extraction")
    retry_after_max: Pause = Field(
        default=dt.timedelta(seconds=30), description="a 429/503 Retry-After up to this long is waited out once; longer gives up"
    )


class CrawlJob(BaseModel):
    """Handed to the crawl worker process on its standard input, as JSON."""

    model_config = ConfigDict(extra="forbid")

    cycle_id: str
    database: str
    outlets: list[Outlet]
    settings: CrawlSettings = CrawlSettings()
    log_level: str = "WARNING"
