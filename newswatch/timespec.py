"""Points in time written on the command line: `7d` (that long ago), `2023-05-22`, or an ISO date and time."""
from __future__ import annotations

import datetime as dt

from newswatch.durations import parse_duration


def parse_since(value: str, now: dt.datetime) -> dt.datetime:
    """`7d` → now minus seven days; a date → its midnight (UTC); a date and time → that moment (UTC if no zone)."""
    try:
        return now - parse_duration(value)
    except ValueError:
        return _moment(value, end_of_day=False)


def parse_until(value: str) -> dt.datetime:
    """A date → the end of that day (the day is included); a date and time → that moment."""
    return _moment(value, end_of_day=True)


def _moment(value: str, end_of_day: bool) -> dt.datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
            return start + dt.timedelta(days=1) if end_of_day else start
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"expected a duration like 7d, a date like 2023-05-22 or a time like 2023-05-22T18:00, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
