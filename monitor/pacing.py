"""When the daemon first polls each outlet (pure): spread over the interval, the same for an outlet on every start."""
from __future__ import annotations

import datetime as dt
import hashlib

START_SLOT = dt.timedelta(milliseconds=250)  # first polls are spread over at least this much per outlet


def spread_fraction(name: str) -> float:
    """A number in [0, 1) fixed by the outlet's name (a hash, not Python's salted hash())."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") / 2**64


def first_poll_delay(name: str, every: dt.timedelta, outlets: int) -> dt.timedelta:
    """How long after start-up the outlet is first polled.

    Spread over the outlet's interval, or over `outlets` × START_SLOT when that is shorter: 300
    outlets polled every minute start over that minute; three demo outlets start within a second.
    """
    window = min(every, START_SLOT * max(outlets, 1))
    return window * spread_fraction(name)
