"""Durations written by people in YAML: `90s`, `10m`, `1h30m`, `2d`, or a number of seconds."""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[smhdw]\s*)+$")


def parse_duration(value: object, allow_zero: bool = False) -> dt.timedelta:
    """Parse `10m`, `1h30m`, `45s`, `2d` or a bare number of seconds."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30s, 10m, 2h or 1d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and WHOLE.match(value.lower()):
        seconds = sum(float(n) * UNITS[u] for n, u in PART.findall(value.lower()))
    else:
        raise ValueError(f"expected a duration like 30s, 10m, 2h or 1d, got {value!r}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError("a duration must be longer than zero")
    return dt.timedelta(seconds=seconds)


def format_duration(value: dt.timedelta) -> str:
    if value.total_seconds() != int(value.total_seconds()):  # sub-second bounds (tests) survive a round trip
        return f"{value.total_seconds():g}s"
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]

# Pauses may be zero (no delay); periods and timeouts may not.
Pause = Annotated[dt.timedelta, BeforeValidator(lambda v: parse_duration(v, allow_zero=True)), PlainSerializer(format_duration)]
