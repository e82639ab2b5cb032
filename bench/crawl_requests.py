"""Requests and response bytes per cycle over the demo outlets: first, repeated, repeated with a full fetch due.

Run: .venv/bin/python bench/crawl_requests.py   (figures come from crawl_runs.stats)
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from monitor.config import load_config  # noqa: E402
from monitor.cycle import run_cycle  # noqa: E402
from monitor.demo import OUTLETS, SITE  # noqa: E402
from monitor.sites import SiteServer  # noqa: E402
from rules.matcher import Matcher  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import FetchState  # noqa: E402
from tests.helpers import write_config  # noqa: E402


def totals(report) -> tuple[int, int, int]:
    runs = report.crawl.outlets
    return (
        sum(r.count("downloader/request_count") for r in runs),
        sum(r.count("downloader/response_bytes") for r in runs),
        sum(r.count("newswatch/not_modified") for r in runs),
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        sites = {name: SiteServer(SITE / name).start() for name in OUTLETS}
        try:
            path = write_config(Path(directory), f"sqlite:///{directory}/bench.db", sites, {})
            config = load_config(path)
            db = Database(config.database_url)
            db.migrate()
            matcher = Matcher(config.load_rules())
            figures = [("first cycle", run_cycle(config, db, matcher)), ("repeated cycle", run_cycle(config, db, matcher))]
            with db.session() as session:
                for state in session.scalars(select(FetchState)):
                    state.last_full_fetch_at -= dt.timedelta(days=1)
            figures.append(("repeated, full fetch due", run_cycle(config, db, matcher)))
            db.close()
        finally:
            for site in sites.values():
                site.stop()
    print(f"{'cycle':<26} {'requests':>8} {'bytes':>9} {'not modified':>13}")
    for name, report in figures:
        requests, size, not_modified = totals(report)
        print(f"{name:<26} {requests:>8} {size:>9,} {not_modified:>13}")


if __name__ == "__main__":
    main()
