"""The daemon's APScheduler jobs: what runs when, on which thread (an adapter: the work is the Daemon's).

Outlet jobs take milliseconds (they hand a poll over), so two threads serve them all. They are
added paused and started by `start_first_polls` once the crawl engine is ready, each at its own
point of its interval (monitor/pacing.py): polls that fell due while the engine was still
starting would otherwise all begin together the moment it was.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.outlets import Outlet
from monitor.config import Config
from monitor.config_change import ConfigChange
from monitor.pacing import first_poll_delay
from monitor.retention import RETENTION_EVERY, retention_job
from storage.leases import LEASE_TTL

if TYPE_CHECKING:
    from monitor.daemon import Daemon

RULES_POLL = dt.timedelta(seconds=2)  # how often the rule files are checked for edits
MATCH_EVERY = dt.timedelta(minutes=1)  # pending articles are matched at least this often (also after each crawl that archived)


def build_scheduler(daemon: Daemon) -> BlockingScheduler:
    """Jobs and executors; outlet jobs are added paused (see `start_first_polls`).

    misfire_grace_time: a poll up to one interval late still runs; coalesce: several missed runs
    make one. Delivery, the rule-file check and retention have their own threads; lease renewal
    and match requests share the default one (both take milliseconds).
    """
    scheduler = BlockingScheduler(
        timezone=dt.timezone.utc,
        executors={
            "default": ThreadPoolExecutor(max_workers=1),
            "polls": ThreadPoolExecutor(max_workers=2),
            "rules": ThreadPoolExecutor(max_workers=1),
            "delivery": ThreadPoolExecutor(max_workers=1),
            "retention": ThreadPoolExecutor(max_workers=1),  # a long pruning pass never holds up lease renewal
        },
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    now = dt.datetime.now(dt.timezone.utc)
    for outlet in daemon.config.settings.outlets:
        add_outlet_job(daemon, scheduler, outlet, None)
    every = daemon.config.settings.delivery.every.total_seconds()
    scheduler.add_job(  # max_instances 2 on a one-thread executor: new alerts during a pass queue one more pass
        daemon.deliver, IntervalTrigger(seconds=every, timezone=dt.timezone.utc), id="deliveries",
        executor="delivery", next_run_time=now, misfire_grace_time=max(1, int(every)), max_instances=2,
    )
    scheduler.add_job(
        daemon.rules.current, IntervalTrigger(seconds=RULES_POLL.total_seconds(), timezone=dt.timezone.utc),
        id="rules", executor="rules", misfire_grace_time=int(RULES_POLL.total_seconds()),
    )
    scheduler.add_job(
        daemon.renew_leases, IntervalTrigger(seconds=LEASE_TTL.total_seconds() / 4, timezone=dt.timezone.utc),
        id="leases", misfire_grace_time=int(LEASE_TTL.total_seconds() / 4),
    )
    scheduler.add_job(
        daemon.request_match, IntervalTrigger(seconds=MATCH_EVERY.total_seconds(), timezone=dt.timezone.utc),
        id="matching", misfire_grace_time=int(MATCH_EVERY.total_seconds()),
    )
    scheduler.add_job(
        retention_job, IntervalTrigger(seconds=RETENTION_EVERY.total_seconds(), timezone=dt.timezone.utc), id="retention",
        executor="retention", args=[daemon.config.settings.archive.keep_raw, daemon.db], next_run_time=now, misfire_grace_time=int(RETENTION_EVERY.total_seconds()),
    )
    daemon.scheduler = scheduler
    return scheduler


def start_first_polls(scheduler: BaseScheduler, config: Config, start: dt.datetime) -> None:
    """Give each outlet job that is still paused its first poll: `start` plus its place in its interval."""
    outlets = config.settings.outlets
    for outlet in outlets:
        job = scheduler.get_job(f"outlet:{outlet.name}")
        if job is not None and job.next_run_time is None:
            scheduler.modify_job(job.id, next_run_time=start + first_poll_delay(outlet.name, outlet.every, len(outlets)))


def add_outlet_job(daemon: Daemon, scheduler: BaseScheduler, outlet: Outlet, first: dt.datetime | None) -> None:
    """The outlet's polling job; `first` None adds it paused."""
    every = outlet.every.total_seconds()
    scheduler.add_job(
        daemon.crawl_outlet, IntervalTrigger(seconds=every, timezone=dt.timezone.utc), args=[outlet.name],
        id=f"outlet:{outlet.name}", executor="polls", misfire_grace_time=max(1, int(every)), next_run_time=first,
    )


def apply_schedule(daemon: Daemon, scheduler: BaseScheduler, old: Config, new: Config, change: ConfigChange) -> None:
    """The scheduler's jobs after a reload: outlet jobs added, removed or rescheduled; delivery and retention."""
    now = dt.datetime.now(dt.timezone.utc)
    for name in change.removed:
        scheduler.remove_job(f"outlet:{name}")
    for name in change.added:
        outlet = new.outlet(name)
        assert outlet is not None
        add_outlet_job(daemon, scheduler, outlet, now + first_poll_delay(name, outlet.every, len(change.added)))
    for name in change.changed:
        before, after = old.outlet(name), new.outlet(name)
        assert before is not None and after is not None
        if before.every != after.every:  # other changes are read at the next poll
            every = after.every.total_seconds()
            scheduler.reschedule_job(f"outlet:{name}", trigger=IntervalTrigger(seconds=every, timezone=dt.timezone.utc))
            scheduler.modify_job(f"outlet:{name}", misfire_grace_time=max(1, int(every)))
    if old.settings.delivery.every != new.settings.delivery.every:
        every = new.settings.delivery.every.total_seconds()
        scheduler.reschedule_job("deliveries", trigger=IntervalTrigger(seconds=every, timezone=dt.timezone.utc))
    scheduler.modify_job("retention", args=[new.settings.archive.keep_raw, daemon.db])
