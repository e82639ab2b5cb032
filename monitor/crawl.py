"""Running one crawl in a worker process and reading back what each outlet did.

Why a process per crawl: Twisted's reactor cannot be restarted in a long-lived process
(scrapy #2941), a hung crawl must be killable, and memory returns to the OS after each run.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from crawler.job import CrawlJob
from crawler.outlets import Outlet
from monitor.config import Config
from monitor.health import record_health
from storage.db import Database
from storage.runs import record_crawl_run, runs_of_cycle

log = logging.getLogger(__name__)
KILL_GRACE_SECONDS = 10
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()
_stopping = threading.Event()


@dataclass
class OutletResult:
    outlet: str
    finish_reason: str
    stats: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def count(self, name: str) -> int:
        return int(self.stats.get(name, 0))


@dataclass
class CrawlReport:
    cycle_id: str
    outlets: list[OutletResult]
    worker_error: str | None = None


def crawl(config: Config, db: Database, outlets: list[Outlet], log_level: str = "WARNING") -> CrawlReport:
    """Crawl the outlets in one worker process, bounded by `crawler.cycle_timeout`."""
    job = CrawlJob(
        cycle_id=str(uuid.uuid4()),
        database=config.database_url,
        outlets=outlets,
        settings=config.settings.crawler,
        log_level=log_level,
    )
    started = dt.datetime.now(dt.timezone.utc)
    worker_error = _run_worker(job, config.settings.crawler.cycle_timeout.total_seconds())
    with db.reading() as session:
        runs = {run.outlet: run for run in runs_of_cycle(session, job.cycle_id)}
    results = []
    for outlet in outlets:
        run = runs.get(outlet.name)
        if run is None:  # the worker died or was killed before this outlet's crawl closed
            reason = "worker_failed"
            errors = [{"kind": "worker_failed", "url": "", "message": worker_error or "no record of the crawl"}]
            with db.session() as session:
                record_crawl_run(
                    session, cycle_id=job.cycle_id, outlet=outlet.name, started_at=started,
                    finished_at=dt.datetime.now(dt.timezone.utc), finish_reason=reason, stats={}, errors=errors,
                )
            results.append(OutletResult(outlet.name, reason, {}, errors))
        else:
            results.append(OutletResult(outlet.name, run.finish_reason, dict(run.stats), list(run.errors)))
    if not _stopping.is_set():  # a crawl cut short by our own shutdown says nothing about the outlet
        record_health(db, {o.name: o for o in outlets}, results, started, config.settings.crawler.backoff_max)
    return CrawlReport(job.cycle_id, results, worker_error)


def _run_worker(job: CrawlJob, timeout: float) -> str | None:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.worker"], stdin=subprocess.PIPE, env=env, start_new_session=True
    )
    with _running_lock:
        _running.add(process)
    try:
        process.communicate(job.model_dump_json().encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        return f"crawl worker killed after {timeout:.0f}s (crawler.cycle_timeout)"
    finally:
        with _running_lock:
            _running.discard(process)
    if process.returncode != 0:
        return f"crawl worker exited with status {process.returncode}"
    return None


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM lets Scrapy close its spiders; SIGKILL follows if it does not."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def stop_all_workers() -> None:
    """Used by the daemon on shutdown."""
    _stopping.set()
    with _running_lock:
        running = list(_running)
    for process in running:
        _stop(process)
