"""One monitoring cycle: crawl → archive (in the crawl engine) → match → outbox → deliver."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from crawler.outlets import Outlet
from monitor.config import Config
from monitor.crawl import CrawlReport, crawl
from monitor.delivery import DeliveryReport, deliver_due
from monitor.health import due_outlets
from monitor.matching import MatchReport, match_pending
from rules.matcher import Matcher
from storage.db import Database


@dataclass
class CycleReport:
    crawl: CrawlReport | None
    matched: MatchReport
    delivered: DeliveryReport
    skipped: list[tuple[Outlet, dt.datetime, int]] = field(default_factory=list)  # backing off: until, failure streak


def run_cycle(
    config: Config, db: Database, matcher: Matcher, outlets: list[Outlet] | None = None, log_level: str = "WARNING",
    force: bool = False,
) -> CycleReport:
    """Crawl the given outlets (all when None; none when the list is empty), then match and deliver.

    Outlets backing off after repeated failures are skipped unless `force` is set.
    """
    chosen = config.settings.outlets if outlets is None else outlets
    skipped: list[tuple[Outlet, dt.datetime, int]] = []
    if not force:
        chosen, skipped = due_outlets(db, chosen, dt.datetime.now(dt.timezone.utc))
    crawled = crawl(config, db, chosen, log_level) if chosen else None
    settings = config.settings
    matched = match_pending(db, matcher, alerting=settings.alerts)
    delivered = deliver_due(db, settings.channels, settings.delivery, settings.alerts.template_dir(config.base_dir))
    return CycleReport(crawled, matched, delivered, skipped)
