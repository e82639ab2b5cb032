"""One article that makes matching raise is rolled back alone, recorded, retried with backoff, then
given up; every other article is matched (a real failure: a trigger in the database refuses it)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, text

from crawler.outlets import Outlet
from monitor.cycle import CycleReport
from monitor.delivery import DeliveryReport
from monitor.matching import match_pending
from monitor.outlet_table import outlet_rows, render_table
from monitor.report import cycle_summary
from newswatch.secrets import MASKER
from storage.db import Database
from storage.match_failures import MAX_ATTEMPTS, retry_delay
from storage.models import Alert, Article, MatchFailure
from tests.alerting import archive, matcher, page, watch

SECRET = "hunter2-token-7f3a9c"  # as if a channel password had found its way into an error
TEXT = ("Fighters of the Freedom of Russia Legion crossed into Belgorod region at dawn, a spokesman said; "
        "story number {n} of the morning, with its own details about the village of Kozinka and the roads around it.")


def refuse(db: Database, article_id: int) -> None:
    """A trigger that makes placing this one article in a story fail, as a bad row or a broken constraint would."""
    with db.session() as session:
        if db.dialect == "sqlite":
            session.execute(text(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON story_articles "
                f"WHEN NEW.article_id = {article_id} BEGIN SELECT RAISE(ABORT, 'refused article {article_id} for {SECRET}'); END"))
        else:
            session.execute(text(
                "CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.article_id = {article_id} THEN RAISE EXCEPTION 'refused article {article_id} for {SECRET}'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"))
            session.execute(text("CREATE TRIGGER refuse_one BEFORE INSERT ON story_articles FOR EACH ROW EXECUTE FUNCTION refuse_one()"))


def allow(db: Database) -> None:
    with db.session() as session:
        session.execute(text("DROP TRIGGER refuse_one" if db.dialect == "sqlite" else "DROP TRIGGER refuse_one ON story_articles"))


def test_a_failing_article_is_isolated_recorded_retried_and_given_up(tmp_path: Path, database_url: str) -> None:
    MASKER.add(SECRET)
    db = Database(database_url)
    db.migrate()
    try:
        rules = matcher(tmp_path, [watch("raid", ["chat"], followups="off")], {"chat"})
        ids = [archive(db, page(f"o{n}", f"/raid-{n}", TEXT.format(n=n) + " " + ("x" * n))) for n in range(5)]
        bad = ids[2]
        refuse(db, bad)
        now = dt.datetime.now(dt.timezone.utc)

        first = match_pending(db, rules, now=now)
        assert first.articles == 4 and first.alerts == 4
        (failed,) = first.failed
        assert (failed.article_id, failed.outlet, failed.attempts) == (bad, "o2", 1)
        assert f"refused article {bad} for ***" in failed.message and failed.retry_at == now + retry_delay(1)
        with db.reading() as session:
            assert sorted(session.scalars(select(Alert.article_id))) == sorted(set(ids) - {bad})
            assert session.get(Article, bad).match_pending is True

        summary = cycle_summary(CycleReport(None, first, DeliveryReport()))
        assert f"matching failed for article {bad} [o2] (attempt 1): " in summary and f"refused article {bad}" in summary

        again = match_pending(db, rules, now=now + dt.timedelta(seconds=5))  # before its retry time: skipped
        assert (again.articles, again.failed) == (0, [])

        rows = outlet_rows(db, [Outlet(name="o2", feeds=["http://o2.example.org/feed.xml"])], now)
        assert (rows[0]["match_failing"], rows[0]["match_given_up"]) == (1, 0) and f"refused article {bad}" in rows[0]["last_match_error"]
        assert "1 retrying, 0 given up" in render_table(rows)

        at = now
        for attempt in range(2, MAX_ATTEMPTS + 1):  # each retry after its backoff fails again
            at += retry_delay(attempt - 1)
            (failed,) = match_pending(db, rules, now=at).failed
            assert failed.attempts == attempt
        assert failed.retry_at is None  # given up until the article changes
        with db.reading() as session:
            assert session.get(Article, bad).match_pending is False
            assert session.get(MatchFailure, bad).attempts == MAX_ATTEMPTS
        assert match_pending(db, rules, now=at + dt.timedelta(days=1)).failed == []
        assert outlet_rows(db, [Outlet(name="o2", feeds=["http://o2.example.org/feed.xml"])], now)[0]["match_given_up"] == 1

        allow(db)  # the cause is fixed; a new revision of the article brings it back
        archive(db, page("o2", "/raid-2", TEXT.format(n=2) + " Updated at noon."))
        fixed = match_pending(db, rules, now=at + dt.timedelta(days=1))
        assert (fixed.articles, fixed.alerts, fixed.failed) == (1, 1, [])
        with db.reading() as session:
            assert session.get(MatchFailure, bad) is None
            assert session.scalar(select(Alert.id).where(Alert.article_id == bad)) is not None
    finally:
        db.close()
