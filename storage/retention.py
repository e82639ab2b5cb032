"""Raw-page retention: empty the raw HTML of revisions fetched before a cut-off; text and metadata stay."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update

from storage.db import Database
from storage.models import Revision


@dataclass(frozen=True)
class PruneReport:
    revisions: int  # raw pages removed (or, on a dry run, that would be)
    cutoff: dt.datetime
    dry_run: bool


def prunable(db: Database, cutoff: dt.datetime) -> list[int]:
    """Revisions fetched before `cutoff` whose raw page is still kept, oldest first."""
    with db.session() as session:
        return list(session.scalars(
            select(Revision.id).where(Revision.fetched_at < cutoff, Revision.raw_pruned_at.is_(None)).order_by(Revision.id)))


def prune_raw(db: Database, keep_raw: dt.timedelta, now: dt.datetime, dry_run: bool = False, batch: int = 500,
              progress: Callable[[int, int], None] | None = None) -> PruneReport:
    """Remove raw pages older than `keep_raw`, one short transaction per batch; a dry run only counts them."""
    cutoff = now - keep_raw
    ids = prunable(db, cutoff)
    if dry_run:
        return PruneReport(len(ids), cutoff, True)
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with db.session() as session:
            session.execute(update(Revision).where(Revision.id.in_(chunk), Revision.raw_pruned_at.is_(None))
                            .values(raw_html=b"", raw_pruned_at=now))
        if progress:
            progress(start + len(chunk), len(ids))
    return PruneReport(len(ids), cutoff, False)


def kept_raw_pages(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Revision).where(Revision.raw_pruned_at.is_(None)))
