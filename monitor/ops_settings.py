"""Config schema for running as a service: the HTTP endpoint (`http`), source-health alerts (`health`) and the web view (`web`)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newswatch.durations import Duration, parse_duration

DEFAULT_LISTEN = "127.0.0.1:8040"
MIN_TOKEN_CHARS = 16


class HttpSettings(BaseModel):
    """`/healthz`, `/readyz` and `/metrics` on `listen` (HOST:PORT), or `off`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listen: str = DEFAULT_LISTEN

    @field_validator("listen", mode="before")
    @classmethod
    def _listen(cls, value: object) -> object:
        if value is False:  # YAML reads a bare `off` as false
            return "off"
        if not isinstance(value, str):
            raise ValueError("expected HOST:PORT such as 127.0.0.1:8040, or off")
        if value == "off":
            return value
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8040, or off; got {value!r}")
        return value

    @property
    def address(self) -> tuple[str, int] | None:
        if self.listen == "off":
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


class HealthSettings(BaseModel):
    """When an outlet is unwell enough to tell the `admin` channels (once per episode)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    failures: int = Field(default=3, ge=1)  # polls failed in a row
    silence_factor: float = Field(default=4.0, ge=1.5)  # silent for this many times its usual gap between new articles
    min_articles: int = Field(default=10, ge=3)  # history needed before silence is judged
    history: Duration = parse_duration("14d")  # how far back the usual gap is learned
    check_every: Duration = parse_duration("1m")


class WebSettings(BaseModel):
    """The web view (`newswatch web`, and `run`'s HTTP endpoint): `token` is required off loopback."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str | None = None  # sent as `Authorization: Bearer`, a login cookie, or `?token=` on feeds

    @field_validator("token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) < MIN_TOKEN_CHARS or any(c.isspace() for c in value) or not value.isprintable():
            raise ValueError(f"web.token must be at least {MIN_TOKEN_CHARS} printable characters without spaces")
        return value
