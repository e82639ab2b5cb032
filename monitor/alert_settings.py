"""Config schema for channels, alerting and delivery (the `channels`, `alerts` and `delivery` keys)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newswatch.durations import Duration, Pause, parse_duration

Format = Literal["text", "markdown", "html"]


class Channel(BaseModel):
    """One destination. In YAML either just its apprise URL, or a mapping with `url` and options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    format: Format | None = None  # default: what the service renders (email html, chat markdown, webhooks text)
    max_length: int | None = Field(default=None, ge=200)  # default: the apprise plugin's own limit
    timeout: Duration | None = None  # connect and read timeout of one send (apprise cto/rto)

    @field_validator("url")
    @classmethod
    def _apprise_url(cls, url: str) -> str:
        if "://" not in url:
            raise ValueError("must be an apprise URL such as mailto://… or json://…")
        from monitor.channel_urls import channel_url_problem

        problem = channel_url_problem(url)
        if problem:
            raise ValueError(problem)
        return url


class AlertSettings(BaseModel):
    """How matches become alerts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_age: Duration = parse_duration("3d")  # older when found: archived, not alerted (a watch may override)
    templates: str | None = None  # a folder whose template files replace the built-in ones

    def template_dir(self, base_dir: Path) -> str | None:
        """The template folder, relative to the config file's folder."""
        return str((base_dir / Path(self.templates).expanduser()).resolve()) if self.templates else None


class DeliverySettings(BaseModel):
    """How the outbox is sent: retries with exponential backoff, then `failed`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff: Pause = parse_duration("30s")  # wait after the first failure; doubles each time
    max_backoff: Duration = parse_duration("1h")
    every: Duration = parse_duration("15s")  # how often the daemon's delivery worker looks for due messages
    lease: Duration = parse_duration("2m")  # a send interrupted by a crash is retried after this


def backoff_delay(attempts: int, settings: DeliverySettings) -> dt.timedelta:
    """The wait after `attempts` failed attempts: backoff · 2^(attempts-1), at most max_backoff."""
    if attempts < 1:
        return dt.timedelta(0)
    factor = 2 ** min(attempts - 1, 30)
    return min(settings.backoff * factor, settings.max_backoff)
