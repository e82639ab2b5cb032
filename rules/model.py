"""The schema of a watch-rule file: entities with aliases, and watches over them."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from newswatch.durations import Duration, format_duration, parse_duration

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$"


class Entity(BaseModel):
    """A subject spelled many ways: every alias finds it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aliases: list[str] = Field(min_length=1)

    @field_validator("aliases")
    @classmethod
    def _non_empty(cls, aliases: list[str]) -> list[str]:
        for alias in aliases:
            if not isinstance(alias, str) or not alias.strip():
                raise ValueError("an alias must be non-empty text")
        return aliases


def parse_digest_period(value: object):
    """`hourly`, `daily`, or a duration of at least one minute."""
    named = {"hourly": "1h", "daily": "1d"}
    if isinstance(value, str) and value.strip().lower() in named:
        value = named[value.strip().lower()]
    period = parse_duration(value)
    if period.total_seconds() < 60:
        raise ValueError("a digest period must be hourly, daily or a duration of at least 1m")
    return period


DigestPeriod = Annotated[dt.timedelta, BeforeValidator(parse_digest_period), PlainSerializer(format_duration)]


class Watch(BaseModel):
    """Alert when all of `all`, at least one of `any` (if given) and none of `none` are found."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    all_: list[str] = Field(default_factory=list, alias="all")
    any_: list[str] = Field(default_factory=list, alias="any")
    none: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    # What happens after a story's first alert (issue 5, see docs/alerts.md)
    followups: Literal["off", "digest", "each"] = "digest"
    cooldown: Duration = parse_duration("6h")
    max_age: Duration | None = None  # None: the config's alerts.max_age
    digest: dict[str, DigestPeriod] = Field(default_factory=dict)  # channel → hourly | daily | a duration

    @field_validator("all_", "any_", "none", mode="before")
    @classmethod
    def _terms(cls, terms: object) -> object:
        if isinstance(terms, list):
            for term in terms:
                if not isinstance(term, str) or not term.strip():
                    raise ValueError("each term must be an entity id or a non-empty phrase")
        return terms

    @field_validator("followups", mode="before")
    @classmethod
    def _unquoted_off(cls, value: object) -> object:
        return "off" if value is False else value  # YAML 1.1 reads a bare `off` as false

    @model_validator(mode="after")
    def _digest_channels(self) -> Watch:
        unknown = [channel for channel in self.digest if channel not in self.notify]
        if unknown:
            raise ValueError(f"digest names channel(s) not in notify: {', '.join(unknown)} (notify: {', '.join(self.notify) or 'none'})")
        return self

    @model_validator(mode="after")
    def _needs_terms(self) -> Watch:
        if not (self.all_ or self.any_):
            raise ValueError("a watch needs at least one term in `all` or `any`")
        if not self.name:
            object.__setattr__(self, "name", self.id)
        return self


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entities: dict[str, Entity] = Field(default_factory=dict)
    watches: list[Watch] = Field(default_factory=list)
