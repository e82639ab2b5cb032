"""The `archive` config key and the retention job the daemon runs every hour (and `archive prune` by hand)."""
from __future__ import annotations

import datetime as dt
import logging

from pydantic import BaseModel, ConfigDict

from newswatch.durations import Duration
from storage.db import Database
from storage.retention import PruneReport, prune_raw

RETENTION_EVERY = dt.timedelta(hours=1)
log = logging.getLogger(__name__)


class ArchiveSettings(BaseModel):
    """How long the archive keeps what. Text and metadata are kept for good."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keep_raw: Duration | None = None  # raw pages (revisions' HTML) older than this are removed; None: kept for ever


def retention_job(keep_raw: dt.timedelta | None, db: Database) -> PruneReport | None:
    """One retention pass for the daemon: never raises, logs what it removed."""
    if keep_raw is None:
        return None
    try:
        report = prune_raw(db, keep_raw, dt.datetime.now(dt.timezone.utc))
    except Exception:
        log.exception("retention pass failed; raw pages are kept until the next pass")
        return None
    if report.revisions:
        log.info("retention: removed %d raw page(s) fetched before %s", report.revisions, report.cutoff.isoformat(timespec="seconds"))
    return report
