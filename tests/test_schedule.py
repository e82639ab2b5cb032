"""The daemon's jobs (monitor/schedule.py): outlet jobs wait, paused, until the engine is ready; the rest do not."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.pacing import first_poll_delay
from monitor.schedule import build_scheduler, start_first_polls
from storage.db import Database
from tests.test_engine import write_config

START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.timezone.utc)


def test_outlet_jobs_are_paused_until_their_first_polls_are_started(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'a.db'}"
    outlets = [{"name": f"o{i}", "feeds": [f"http://127.0.0.1:9/o{i}/feed.xml"], "every": "1m"} for i in range(5)]
    config = load_config(write_config(tmp_path, database_url, outlets))
    db = Database(database_url)
    try:
        scheduler = build_scheduler(Daemon(config, db))
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert [jobs[f"outlet:o{i}"].next_run_time for i in range(5)] == [None] * 5  # no poll before the engine can take it
        assert jobs["deliveries"].next_run_time is not None  # alerts left from before the restart do not wait for it

        backed_off = START + dt.timedelta(hours=1)
        scheduler.modify_job("outlet:o0", next_run_time=backed_off)  # e.g. moved by a backoff meanwhile: kept
        start_first_polls(scheduler, config, START)
        got = {i: scheduler.get_job(f"outlet:o{i}").next_run_time for i in range(5)}
        assert got[0] == backed_off
        for i in range(1, 5):
            assert got[i] == START + first_poll_delay(f"o{i}", dt.timedelta(minutes=1), 5)
        assert len(set(got.values())) == 5 and max(got[i] for i in range(1, 5)) < START + dt.timedelta(minutes=1)
    finally:
        db.close()
