"""The schema of a watch-rule file: entities with aliases, and watches over them.

Terms inside `all`, `any`, `none` and `near` may be plain text or nested mappings; their shape is
checked by rules.conditions (which knows where each one is in the file), not here.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.alert_options import AlertOptions

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$"
FieldName = Literal["title", "lead", "text", "url", "author"]
FIELD_NAMES: tuple[str, ...] = ("title", "lead", "text", "url", "author")
DEFAULT_FIELDS: tuple[str, ...] = ("title", "text")


class Entity(BaseModel):
    """A subject spelled many ways: every alias (and every pattern) finds it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aliases: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)  # re2 regular expressions
    transliterate: bool = False  # also look for Latin/Cyrillic spellings of every alias
    inflect: bool = True  # Cyrillic aliases match their inflected forms

    @field_validator("aliases", "patterns")
    @classmethod
    def _non_empty(cls, values: list[str]) -> list[str]:
        for value in values:
            if not isinstance(value, str) or not value.strip():
                raise ValueError("each alias or pattern must be non-empty text")
        return values

    @model_validator(mode="after")
    def _needs_a_spelling(self) -> Entity:
        if not (self.aliases or self.patterns):
            raise ValueError("an entity needs at least one alias or pattern")
        return self


class Watch(AlertOptions):
    """Alert when all of `all`, at least one of `any` (if given), the `near` terms close together
    (if given), and none of `none` are found, in the watched fields of an article that passes the
    outlet and language filters, with at least `min_mentions` mentions.

    The alerting keys (followups, cooldown, max_age, digest) come from AlertOptions.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    all_: list[Any] = Field(default_factory=list, alias="all")
    any_: list[Any] = Field(default_factory=list, alias="any")
    none: list[Any] = Field(default_factory=list)
    near: list[Any] = Field(default_factory=list)
    within: int = Field(default=10, ge=1, le=1000)  # words, for `near`
    in_: list[FieldName] = Field(default_factory=lambda: list(DEFAULT_FIELDS), alias="in", min_length=1)
    outlets: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    min_mentions: int = Field(default=1, ge=1, le=1000)
    notify: list[str] = Field(default_factory=list)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, languages: list[str]) -> list[str]:
        for code in languages:
            if not (isinstance(code, str) and code.isalpha() and 2 <= len(code) <= 3 and code.islower()):
                raise ValueError(f"languages are ISO 639-1 codes such as en, ru, uk (got {code!r})")
        return languages

    @model_validator(mode="after")
    def _needs_terms(self) -> Watch:
        if not (self.all_ or self.any_ or self.near):
            raise ValueError("a watch needs at least one term in `all` or `any`")
        if not self.name:
            object.__setattr__(self, "name", self.id)
        return self


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entities: dict[str, Entity] = Field(default_factory=dict)
    watches: list[Watch] = Field(default_factory=list)
