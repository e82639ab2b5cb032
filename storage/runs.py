"""Crawl-run records: what each outlet's crawl did in each cycle."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CrawlRun


def record_crawl_run(
    session: Session,
    *,
    cycle_id: str,
    outlet: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    finish_reason: str,
    stats: dict[str, Any],
    errors: list[dict[str, str]],
) -> None:
    session.add(
        CrawlRun(
            cycle_id=cycle_id,
            outlet=outlet,
            started_at=started_at,
            finished_at=finished_at,
            finish_reason=finish_reason,
            stats=stats,
            errors=errors,
        )
    )


def runs_of_cycle(session: Session, cycle_id: str) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.cycle_id == cycle_id).order_by(CrawlRun.outlet)))
