"""Matching a backlog of pending articles, and what it costs everybody else on the same SQLite file.

    .venv/bin/python bench/match_backlog.py [--articles 3000]

Builds a backlog of invented articles (a third of them mention a watched place) in a temporary
SQLite file, matches it in this process, and meanwhile a second process reads (as `newswatch
outlets` does) and writes (as the crawler's archive does) every 0.2 s. Prints the matching time
(wall and CPU) and the longest wait of one read and of one write. These machines are noisy: run
it twice, and compare figures from one run.
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402
from sqlalchemy import delete, func, insert, select  # noqa: E402

from monitor.matching import match_pending  # noqa: E402
from rules.matcher import Matcher  # noqa: E402
from rules.ruleset import load_rules  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Article, OutletState  # noqa: E402
from tests.test_sqlite_backlog import PLACES, fill_backlog  # noqa: E402


def probe(url: str, stop, results) -> None:
    """Read and write every 0.2 s until told to stop; report the longest wait of each."""
    db = Database(url)
    longest_read = longest_write = 0.0
    reads = writes = 0
    while not stop.is_set():
        started = time.perf_counter()
        with db.reading() as session:
            session.scalar(select(func.count()).select_from(Article).where(Article.match_pending.is_(True)))
        longest_read = max(longest_read, time.perf_counter() - started)
        started = time.perf_counter()
        with db.session() as session:
            session.execute(insert(OutletState).values(outlet="probe", error_streak=0))
            session.execute(delete(OutletState).where(OutletState.outlet == "probe"))
        longest_write = max(longest_write, time.perf_counter() - started)
        reads, writes = reads + 1, writes + 1
        time.sleep(0.2)
    db.close()
    results.put((reads, longest_read, writes, longest_write))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nw-backlog-"))
    (folder / "rules.yaml").write_text(yaml.safe_dump({"watches": [{"id": "places", "any": PLACES}]}), encoding="utf-8")
    matcher = Matcher(load_rules(["rules.yaml"], folder))
    url = f"sqlite:///{folder / 'archive.db'}"
    db = Database(url)
    db.migrate()
    import tests.test_sqlite_backlog as backlog

    backlog.BACKLOG = args.articles
    fill_backlog(db)
    stop, results = multiprocessing.Event(), multiprocessing.Queue()
    prober = multiprocessing.Process(target=probe, args=(url, stop, results))
    prober.start()
    wall, cpu = time.perf_counter(), time.process_time()
    report = match_pending(db, matcher)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stop.set()
    reads, longest_read, writes, longest_write = results.get(timeout=120)
    prober.join()
    db.close()
    print(f"matched {report.articles} articles ({report.alerts} alerts, {len(report.failed)} failed): "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU, {1000 * cpu / max(report.articles, 1):.1f} ms CPU per article")
    print(f"meanwhile, another process: {reads} reads, longest {1000 * longest_read:.0f} ms; "
          f"{writes} writes, longest {1000 * longest_write:.0f} ms")


if __name__ == "__main__":
    main()
