"""The hand-over between the scheduler and a crawl engine: plain JSON messages, one per line.

Due polls go in, results come out. Every message is a flat JSON object with a `type`, so the same
shapes can later travel over a Redis list or a PostgreSQL queue table instead of a pipe.

scheduler → engine: `start` (first line: archive, crawl settings), `poll`, `cancel`, `ping`, `drain`
engine → scheduler: `ready`, `pong`, `result`
"""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from crawler.job import CrawlSettings
from crawler.outlets import Outlet


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Start(_Message):
    """First line to an engine: where the archive is and how to crawl (the `crawler:` config section)."""

    type: Literal["start"] = "start"
    database: str
    settings: CrawlSettings = CrawlSettings()
    log_level: str = "WARNING"
    log_format: Literal["text", "json"] = "text"  # the daemon's --log-format: the engine's log lines match it


class Poll(_Message):
    """Crawl one outlet once. `cycle_id` goes into the crawl_runs row (shared by the outlets of one `crawl --once`)."""

    type: Literal["poll"] = "poll"
    poll_id: str
    cycle_id: str
    outlet: Outlet
    timeout: float = Field(gt=0, description="seconds; the engine cancels the crawl after this (finish reason `timeout`)")


class Cancel(_Message):
    type: Literal["cancel"] = "cancel"
    poll_id: str
    reason: str = "timeout"


class Ping(_Message):
    type: Literal["ping"] = "ping"
    seq: int


class Drain(_Message):
    """Take no more polls; exit once the running ones are done."""

    type: Literal["drain"] = "drain"


class Ready(_Message):
    type: Literal["ready"] = "ready"
    pid: int
    extract_workers: int = 0


class Pong(_Message):
    type: Literal["pong"] = "pong"
    seq: int
    rss_bytes: int = Field(description="resident memory of the engine and its extraction workers")
    running: int


class Result(_Message):
    """How one poll ended. `recorded` is False when the engine could not write its crawl_runs row."""

    type: Literal["result"] = "result"
    poll_id: str
    outlet: str
    finish_reason: str
    stats: dict[str, Any] = Field(default_factory=dict)
    errors: list[dict[str, str]] = Field(default_factory=list)
    recorded: bool = True


ToEngine = Annotated[Union[Start, Poll, Cancel, Ping, Drain], Field(discriminator="type")]
FromEngine = Annotated[Union[Ready, Pong, Result], Field(discriminator="type")]
_to_engine: TypeAdapter[ToEngine] = TypeAdapter(ToEngine)
_from_engine: TypeAdapter[FromEngine] = TypeAdapter(FromEngine)


def encode(message: _Message) -> bytes:
    return message.model_dump_json().encode("utf-8") + b"\n"


def decode_to_engine(line: bytes | str) -> ToEngine:
    return _to_engine.validate_python(json.loads(line))


def decode_from_engine(line: bytes | str) -> FromEngine:
    return _from_engine.validate_python(json.loads(line))
