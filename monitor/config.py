"""The config file (newswatch.yaml): schema, loading, environment variables, strict validation."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from crawler.job import CrawlSettings
from crawler.outlets import Outlet
from monitor.alert_settings import AlertSettings, Channel, DeliverySettings
from monitor.ops_settings import HealthSettings, HttpSettings, WebSettings
from monitor.retention import ArchiveSettings
from newswatch.secrets import MASKER, export_secrets
from newswatch.yamlsource import ConfigError, Problem, load_yaml, validate
from rules.ruleset import RuleSet, load_rules

DEFAULT_PATH = "newswatch.yaml"
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CHANNEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class Settings(BaseModel):
    """The whole config file."""

    model_config = ConfigDict(extra="forbid")

    database: str = "sqlite:///newswatch.db"
    outlets: list[Outlet] = Field(default_factory=list)
    channels: dict[str, Channel] = Field(default_factory=dict)
    rules: list[str] = Field(default_factory=list)
    admin: list[str] = Field(default_factory=list)  # channels told when an edited rule file is broken
    crawler: CrawlSettings = CrawlSettings()
    alerts: AlertSettings = AlertSettings()
    delivery: DeliverySettings = DeliverySettings()
    archive: ArchiveSettings = ArchiveSettings()
    http: HttpSettings = HttpSettings()
    health: HealthSettings = HealthSettings()
    web: WebSettings = WebSettings()

    @field_validator("database")
    @classmethod
    def _database_url(cls, url: str) -> str:
        return normalise_database_url(url)

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_urls(cls, channels: object) -> object:
        """A channel given as a bare URL is a channel with default options."""
        if isinstance(channels, dict):
            return {name: {"url": value} if isinstance(value, str) else value for name, value in channels.items()}
        return channels

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, channels: dict[str, Channel]) -> dict[str, Channel]:
        for name in channels:
            if not re.match(CHANNEL_NAME, name):
                raise ValueError(f"channel name {name!r} must be letters, digits, '.', '_' or '-'")
        return channels

    @field_validator("rules", mode="before")
    @classmethod
    def _rules_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("admin")
    @classmethod
    def _admin_channels(cls, admin: list[str], info: ValidationInfo) -> list[str]:
        channels = info.data.get("channels") or {}
        unknown = [name for name in admin if name not in channels]
        if unknown:
            raise ValueError(f"admin channel(s) {', '.join(unknown)} not in `channels` ({', '.join(sorted(channels)) or 'none defined'})")
        return admin

    @model_validator(mode="after")
    def _unique_outlets(self) -> Settings:
        names = [o.name for o in self.outlets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"outlet names must be unique: {', '.join(duplicates)}")
        return self


@dataclass(frozen=True)
class Config:
    path: Path
    settings: Settings

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def database_url(self) -> str:
        return resolve_database_url(self.settings.database, self.base_dir)

    def outlet(self, name: str) -> Outlet | None:
        return next((o for o in self.settings.outlets if o.name == name), None)

    def load_rules(self) -> RuleSet:
        return load_rules(self.settings.rules, self.base_dir, set(self.settings.channels), {o.name for o in self.settings.outlets})


def config_path(explicit: str | None) -> Path:
    return Path(explicit or os.environ.get("NEWSWATCH_CONFIG") or DEFAULT_PATH)


def load_config(path: Path) -> Config:
    """Load and validate the config; ${VAR} references are read from the environment."""
    document = load_yaml(path)
    problems: list[Problem] = []
    document.data = _expand_env(document.data, (), document, problems)
    if problems:
        raise ConfigError(problems)
    settings = validate(Settings, document)
    templates = settings.alerts.template_dir(path.resolve().parent)
    if templates:
        from monitor.render import template_problems

        problems = [document.problem(("alerts", "templates"), problem) for problem in template_problems(templates)]
        if problems:
            raise ConfigError(problems)
    for channel in settings.channels.values():
        MASKER.add_url(channel.url)
    MASKER.add_url(settings.database)
    if settings.web.token:
        MASKER.add(settings.web.token)
    export_secrets()  # crawl workers mask ${VAR} values in outlet URLs too
    return Config(path=path.resolve(), settings=settings)


def normalise_database_url(url: str) -> str:
    """`postgres://` and `postgresql://` (as many hosts write them) mean PostgreSQL through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def resolve_database_url(url: str, base_dir: Path) -> str:
    """A relative SQLite path is relative to the config file, not to wherever newswatch was started."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url[len(prefix):] not in ("", ":memory:"):
        return prefix + str((base_dir / url[len(prefix):]).resolve())
    return url


def _expand_env(value: object, path: tuple, document, problems: list[Problem]) -> object:
    if isinstance(value, dict):
        return {k: _expand_env(v, (*path, k), document, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, (*path, i), document, problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                problems.append(document.problem(path, f"environment variable {name} is not set"))
                return ""
            secret = os.environ[name]
            MASKER.add(secret)
            return secret

        return ENV_REF.sub(replace, value)
    return value
