"""Source health: an outlet that keeps failing, or falls silent for much longer than it usually does,
is told to the `admin` channels once, and its recovery once more.

The decisions are pure functions on plain data (table-tested): `usual_gap` learns an outlet's cadence
from when its articles were first found, `assess` names the problem, `decide` turns the stored episode
and the new assessment into at most one message. `check_sources` is the thin layer over the database
(table `source_health`) and the admin channels.
"""
from __future__ import annotations

import datetime as dt
import logging
import statistics
from dataclasses import dataclass

from crawler.outlets import Outlet
from monitor.ops_settings import HealthSettings
from newswatch.durations import format_duration
from storage.db import Database
from storage.models import OutletState, SourceHealth
from storage.operations import first_seen_times, last_first_seen

log = logging.getLogger(__name__)
FAILING, SILENT = "failing", "silent"


@dataclass(frozen=True)
class Observation:
    """What the archive says about one outlet now."""

    error_streak: int  # failed polls in a row
    last_error_kind: str | None
    last_new_article: dt.datetime | None  # when its newest article was first found
    usual_gap: dt.timedelta | None  # its median gap between new articles; None: too little history
    last_success: dt.datetime | None = None  # its last poll that did not fail


@dataclass(frozen=True)
class Episode:
    """The stored state: the open problem (None when healthy) and since when."""

    problem: str | None = None
    since: dt.datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Notice:
    kind: str  # failing | silent | recovered
    title: str
    body: str


def usual_gap(first_seen: list[dt.datetime], every: dt.timedelta, min_articles: int) -> dt.timedelta | None:
    """The median time between arrivals of new articles, or None with fewer than `min_articles`.

    Articles found within one poll interval of the previous arrival count as the same arrival, so a
    feed's back catalogue found at once, or a busy outlet polled every 10 minutes, is not mistaken
    for an outlet that publishes every few seconds.
    """
    if len(first_seen) < min_articles:
        return None
    arrivals: list[dt.datetime] = []
    for when in sorted(first_seen):
        if not arrivals or when - arrivals[-1] >= every:
            arrivals.append(when)
    if len(arrivals) < 3:
        return None
    gaps = [(b - a).total_seconds() for a, b in zip(arrivals, arrivals[1:])]
    return dt.timedelta(seconds=statistics.median(gaps))


def assess(observation: Observation, settings: HealthSettings, now: dt.datetime) -> tuple[str | None, str]:
    """The outlet's problem now (failing wins over silent) and a one-line description."""
    if observation.error_streak >= settings.failures:
        kind = f" (last error: {observation.last_error_kind})" if observation.last_error_kind else ""
        return FAILING, f"{observation.error_streak} polls in a row failed{kind}"
    # silence is measured up to the last good poll, not to now: a daemon that was stopped for a day
    # has not watched the outlet, and must not call every outlet silent when it starts again
    gap, last, polled = observation.usual_gap, observation.last_new_article, observation.last_success
    if gap is not None and last is not None and polled is not None and gap.total_seconds() > 0 \
            and polled - last >= gap * settings.silence_factor:
        quiet = polled - last
        return SILENT, f"no new article for {_human(quiet)}; it usually has one every {_human(gap)}"
    return None, ""


def decide(previous: Episode, problem: str | None, detail: str, outlet: str, now: dt.datetime) -> tuple[Episode, Notice | None]:
    """The new stored state and the message to send, if any: one when a problem starts, one when it ends.

    A problem that changes kind (silent, then failing) stays one episode and sends nothing more.
    """
    if problem is not None and previous.problem is None:
        title = f"newswatch: outlet {outlet} is {problem}"
        body = f"Outlet {outlet}: {detail}.\nYou will get one more message when it recovers."
        return Episode(problem, now, detail), Notice(problem, title, body)
    if problem is not None:
        return Episode(problem, previous.since, detail), None
    if previous.problem is not None:
        lasted = _human(now - previous.since) if previous.since else "a while"
        title = f"newswatch: outlet {outlet} has recovered"
        body = f"Outlet {outlet} is working again after being {previous.problem} for {lasted}."
        return Episode(), Notice("recovered", title, body)
    return previous, None


def _human(delta: dt.timedelta) -> str:
    """A length of time as people say it: 45m, 6h, 3d."""
    seconds = delta.total_seconds()
    if seconds >= 2 * 86400:
        return f"{round(seconds / 86400)}d"
    if seconds >= 3 * 3600:
        return f"{round(seconds / 3600)}h"
    return format_duration(dt.timedelta(minutes=max(1, round(seconds / 60))))


def observe(db: Database, outlet: Outlet, settings: HealthSettings, now: dt.datetime) -> Observation:
    with db.session() as session:
        state = session.get(OutletState, outlet.name)
        times = first_seen_times(session, outlet.name, now - settings.history)
        newest = times[-1] if times else last_first_seen(session, outlet.name)
    return Observation(
        error_streak=state.error_streak if state else 0,
        last_error_kind=state.last_error_kind if state else None,
        last_new_article=newest,
        usual_gap=usual_gap(times, outlet.every, settings.min_articles),
        last_success=state.last_success_at if state else None,
    )


def check_sources(db: Database, outlets: list[Outlet], settings: HealthSettings, tell, now: dt.datetime | None = None) -> list[Notice]:
    """Assess every outlet, store each episode, and pass each new notice to `tell(notice)` (the admin channels)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    notices = []
    for outlet in outlets:
        problem, detail = assess(observe(db, outlet, settings, now), settings, now)
        with db.session() as session:
            row = session.get(SourceHealth, outlet.name)
            previous = Episode(row.problem, row.since, row.detail) if row else Episode()
            episode, notice = decide(previous, problem, detail, outlet.name, now)
            if row is None:
                if episode == previous and notice is None:
                    continue
                row = SourceHealth(outlet=outlet.name)
                session.add(row)
            row.problem, row.since, row.detail = episode.problem, episode.since, episode.detail
            if notice is not None:
                row.notified_at = now
        if notice is not None:  # the episode is stored first: a crash here loses a message, never floods
            log.warning("%s", notice.title.removeprefix("newswatch: ") + (f": {detail}" if detail else ""))
            tell(notice)
            notices.append(notice)
    return notices
