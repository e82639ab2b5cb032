"""The web view's reads that lean on id order: the first article of a time window, and counts per day."""
from __future__ import annotations

import datetime as dt
import hashlib
import random

from sqlalchemy import insert

from storage.db import Database
from storage.models import Article
from storage.web_queries import first_id_since, new_articles_per_day, new_articles_since

START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _archive(url: str, times: list[dt.datetime]) -> Database:
    db = Database(url)
    db.migrate()
    rows = [{"url_key": hashlib.sha256(str(i).encode()).hexdigest(), "canonical_url": f"https://o{i % 3}.example/{i}",
             "url": f"https://o{i % 3}.example/{i}", "outlet": f"o{i % 3}", "text": "", "content_hash": "h",
             "first_seen": t, "fetched_at": t} for i, t in enumerate(times)]
    with db.session() as session:
        session.execute(insert(Article), rows)
    return db


def test_first_id_since_agrees_with_a_scan_on_uneven_arrivals(database_url) -> None:
    rng = random.Random(1)
    times = sorted(START + dt.timedelta(minutes=rng.expovariate(1 / 30) * i ** 0.5) for i in range(1500))
    times[700:720] = [times[700]] * 20  # a burst found in the same second
    db = _archive(database_url, times)
    try:
        with db.reading() as session:
            for _ in range(150):
                since = START + dt.timedelta(minutes=rng.uniform(-100, (times[-1] - START).total_seconds() / 60 + 100))
                expected = next((i + 1 for i, t in enumerate(times) if t >= since), len(times) + 1)
                assert first_id_since(session, since) == expected, since
                assert first_id_since(session, since, rng.randint(1, expected)) == expected
            assert first_id_since(session, times[700]) == 701
    finally:
        db.close()


def test_counts_per_outlet_and_per_day(tmp_path) -> None:
    times = [START + dt.timedelta(hours=h) for h in range(0, 72, 2)]  # 12 a day for three days
    db = _archive(f"sqlite:///{tmp_path / 'a.db'}", times)
    try:
        with db.reading() as session:
            assert new_articles_since(session, START + dt.timedelta(days=1)) == {"o0": 8, "o1": 8, "o2": 8}
            days = [START + dt.timedelta(days=n) for n in range(3)]
            per_day = new_articles_per_day(session, days)
            assert per_day == {f"o{k}": {f"2026-01-0{d + 1}": 4 for d in range(3)} for k in range(3)}
            assert new_articles_per_day(session, days[2:]) == {f"o{k}": {"2026-01-03": 4} for k in range(3)}
            assert first_id_since(session, START + dt.timedelta(days=9)) == len(times) + 1
    finally:
        db.close()
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    empty.migrate()
    with empty.reading() as session:
        assert first_id_since(session, START) == 1 and new_articles_since(session, START) == {}
    empty.close()
