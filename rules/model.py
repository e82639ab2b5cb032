"""The schema of a watch-rule file: entities with aliases, and watches over them."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.alert_options import AlertOptions

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


class Watch(AlertOptions):
    """Alert when all of `all`, at least one of `any` (if given) and none of `none` are found.

    The alerting keys (followups, cooldown, max_age, digest) come from AlertOptions.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    all_: list[str] = Field(default_factory=list, alias="all")
    any_: list[str] = Field(default_factory=list, alias="any")
    none: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)

    @field_validator("all_", "any_", "none", mode="before")
    @classmethod
    def _terms(cls, terms: object) -> object:
        if isinstance(terms, list):
            for term in terms:
                if not isinstance(term, str) or not term.strip():
                    raise ValueError("each term must be an entity id or a non-empty phrase")
        return terms

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
