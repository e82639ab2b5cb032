"""--since and --until values: durations back from now, dates, times."""
from __future__ import annotations

import datetime as dt

import pytest

from newswatch.timespec import parse_since, parse_until

NOW = dt.datetime(2023, 5, 25, 12, 0, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7d", dt.datetime(2023, 5, 18, 12, 0, tzinfo=UTC)),
        ("12h", dt.datetime(2023, 5, 25, 0, 0, tzinfo=UTC)),
        ("2023-05-22", dt.datetime(2023, 5, 22, tzinfo=UTC)),
        ("2023-05-22T18:10", dt.datetime(2023, 5, 22, 18, 10, tzinfo=UTC)),
        ("2023-05-22T18:10:00+03:00", dt.datetime(2023, 5, 22, 15, 10, tzinfo=UTC)),
        ("2023-05-22T18:10:00Z", dt.datetime(2023, 5, 22, 18, 10, tzinfo=UTC)),
    ],
)
def test_since(value: str, expected: dt.datetime) -> None:
    assert parse_since(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-05-22", dt.datetime(2023, 5, 23, tzinfo=UTC)),  # the whole day is included
        ("2023-05-22T18:10", dt.datetime(2023, 5, 22, 18, 10, tzinfo=UTC)),
    ],
)
def test_until(value: str, expected: dt.datetime) -> None:
    assert parse_until(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2023-13-01", "22.05.2023", ""])
def test_bad_values_say_what_is_expected(value: str) -> None:
    with pytest.raises(ValueError, match="expected a duration like 7d, a date like 2023-05-22"):
        parse_since(value, NOW)
