"""What a watch does after a story's first alert (issue 5): follow-ups, cooldown, max_age, digests.

Kept apart from rules/model.py: Watch inherits these fields, so the matching schema stays where it is.
See docs/alerts.md for what each option does.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, field_validator, model_validator

from newswatch.durations import Duration, format_duration, parse_duration

NAMED_PERIODS = {"hourly": "1h", "daily": "1d"}


def parse_digest_period(value: object) -> dt.timedelta:
    """`hourly`, `daily`, or a duration of at least one minute."""
    if isinstance(value, str) and value.strip().lower() in NAMED_PERIODS:
        value = NAMED_PERIODS[value.strip().lower()]
    period = parse_duration(value)
    if period.total_seconds() < 60:
        raise ValueError("a digest period must be hourly, daily or a duration of at least 1m")
    return period


DigestPeriod = Annotated[dt.timedelta, BeforeValidator(parse_digest_period), PlainSerializer(format_duration)]


class AlertOptions(BaseModel):
    """The alerting keys of a watch; every one is optional."""

    followups: Literal["off", "digest", "each"] = "digest"
    cooldown: Duration = parse_duration("6h")
    max_age: Duration | None = None  # None: the config's alerts.max_age
    digest: dict[str, DigestPeriod] = Field(default_factory=dict)  # channel → hourly | daily | a duration

    @field_validator("followups", mode="before")
    @classmethod
    def _unquoted_off(cls, value: object) -> object:
        return "off" if value is False else value  # YAML 1.1 reads a bare `off` as false

    @model_validator(mode="after")
    def _digest_channels(self) -> AlertOptions:
        notify = getattr(self, "notify", [])
        unknown = [channel for channel in self.digest if channel not in notify]
        if unknown:
            raise ValueError(f"digest names channel(s) not in notify: {', '.join(unknown)} (notify: {', '.join(notify) or 'none'})")
        return self
