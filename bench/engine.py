"""The crawl engine's benchmark: polls kept, CPU per poll, extraction throughput, alert latency, daemon memory.

Every outlet is served on 127.0.0.1 by this script; the newswatch under test runs as real
`newswatch run` / `newswatch crawl --once` processes, so the same script measures any checkout
(`--repo`), e.g. main before this engine, side by side with this one.

    .venv/bin/python bench/engine.py --corpus DIR/extraction-dev/html        # about 12 minutes
    .venv/bin/python bench/engine.py --corpus DIR --quick                          # about 3 minutes, smaller scales
    .venv/bin/python bench/engine.py --only idle,once-idle --repo ../other-checkout   # another checkout
    .venv/bin/python bench/engine.py --smoke --output /tmp/smoke                  # seconds: what the test suite runs

Scenarios (each prints one line of the table; all are written to bench/engine-results.json and
BENCHMARKS.md with the machine, versions and date):

- idle: `run` with 300 outlets answering 304, each polled every 60 s. After a 60 s warm-up, the
  polls started in the next `--idle-seconds` are counted against those due (outlets × window /
  interval), and the CPU of the daemon and all its processes over that window is divided by them.
  The daemon's resident memory is read after 10 and after 1,000 polls.
- once-idle: `crawl --once` over 200 outlets, all answering 304 (a first run primes validators).
- pages: `crawl --once` over the corpus pages (*.html or *.html.gz, passed by path) spread over
  20 outlets; its CPU and wall time against `trafilatura.extract` alone on the same pages, timed
  in this process on one core just before.
  A second line gives the same ratio for the crawl phase alone (from the first poll's start to
  the last poll's end, from crawl_runs): the throughput once the command and engine have started.
- latency: `run` with one outlet polled every 30 s; articles are added to its feed at random
  moments, and the time from each addition to its webhook is measured (p50, p95).
- matching, memory, near-dup: bench/rules_matching.py (MB/s at 10, 100, 1,000 watches),
  bench/rules_memory.py (the matcher's resident memory at 10, 100, 1,000 watches) and
  bench/near_duplicates.py (lookup at 1,000 and 100,000 archived articles), run as subprocesses.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project and bench/ as a package

from bench.engine_harness import (  # noqa: E402
    CRAWLER_EXTRA, ROOT, WORDS, Outlets, article_html, count_runs, descendants, rss_mb, run_once, start_daemon, stop_daemon,
    tree_cpu, write_config,
)
from bench.engine_report import machine, sub_benchmark, table, write_report  # noqa: E402


# -- scenarios -----------------------------------------------------------------------------------
def idle(repo: Path, work: Path, outlets_count: int, every: int, warmup: float, window: float, late_mark: int = 1000) -> dict[str, Any]:
    site = Outlets()
    rng = random.Random(1)
    for i in range(outlets_count):
        site.add(f"o{i}", 0, f"Old story {i}", article_html(i, f"Old story {i}", rng))
    outlets = [{"name": f"o{i}", "feeds": [f"{site.base}/o{i}/feed.xml"], "every": f"{every}s", "revisit": []}
               for i in range(outlets_count)]
    config = write_config(work, outlets)
    db = work / "bench.db"
    process = start_daemon(repo, config, work / "daemon.log")
    started = time.monotonic()
    rss: dict[str, float] = {}
    try:
        window_start = window_end = None
        cpu_start = cpu_end = 0.0
        while True:
            time.sleep(1)
            if process.poll() is not None:
                raise SystemExit(f"the daemon exited: {(work / 'daemon.log').read_text()[-3000:]}")
            runs = count_runs(db)
            for mark in (10, late_mark):
                if runs >= mark and f"after_{mark}" not in rss:
                    rss[f"after_{mark}"] = rss_mb(process.pid)
                    rss[f"engine_after_{mark}"] = sum(rss_mb(pid) for pid in descendants(process.pid))
            elapsed = time.monotonic() - started
            if window_start is None and elapsed >= warmup:
                window_start, cpu_start = dt.datetime.now(dt.timezone.utc), tree_cpu(process.pid)
            if window_start is not None and elapsed >= warmup + window:
                window_end, cpu_end = dt.datetime.now(dt.timezone.utc), tree_cpu(process.pid)
                if f"after_{late_mark}" in rss or elapsed > warmup + window + 120:
                    break
    finally:
        stop_daemon(process)
        site.stop()
    made = count_runs(db, window_start, window_end)
    due = outlets_count * (window_end - window_start).total_seconds() / every
    return {
        "outlets": outlets_count, "every_s": every, "window_s": round((window_end - window_start).total_seconds()),
        "due": round(due), "made": made, "due_pct": round(100 * made / due, 1),
        "cpu_ms_per_poll": round(1000 * (cpu_end - cpu_start) / max(made, 1), 1),
        "rss_mb_after_10": round(rss.get("after_10", 0), 1), "late_mark": late_mark,
        f"rss_mb_after_{late_mark}": round(rss.get(f"after_{late_mark}", 0), 1),
        "engine_rss_mb_after_10": round(rss.get("engine_after_10", 0), 1),
        f"engine_rss_mb_after_{late_mark}": round(rss.get(f"engine_after_{late_mark}", 0), 1),
    }


def once_idle(repo: Path, work: Path, outlets_count: int) -> dict[str, Any]:
    site = Outlets()
    rng = random.Random(2)
    for i in range(outlets_count):  # one known article each: an empty feed counts as failed in older versions (then skipped)
        site.add(f"o{i}", 0, f"Old story {i}", article_html(i, f"Old story {i}", rng))
    outlets = [{"name": f"o{i}", "feeds": [f"{site.base}/o{i}/feed.xml"], "revisit": []} for i in range(outlets_count)]
    config = write_config(work, outlets)
    try:
        run_once(repo, config)  # primes the validators: every feed answers 304 from now on
        cpu, wall = run_once(repo, config)
    finally:
        site.stop()
    return {"outlets": outlets_count, "cpu_ms_per_outlet": round(1000 * cpu / outlets_count, 1), "wall_s": round(wall, 1)}


def corpus_pages(folder: Path, repeat: int) -> list[bytes]:
    files = sorted(p for p in folder.iterdir() if p.name.endswith((".html", ".htm", ".html.gz")))
    if not files:
        raise SystemExit(f"no .html or .html.gz pages in {folder}")
    pages = [gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes() for p in files]
    return pages * repeat


def trafilatura_alone(pages: list[bytes]) -> tuple[float, float]:
    """CPU and wall seconds of trafilatura.extract on each page, with the options newswatch uses, on one core."""
    import trafilatura

    cpu, wall = time.process_time(), time.monotonic()
    for page in pages:
        trafilatura.extract(page.decode("utf-8", "replace"), include_comments=False, include_tables=True,
                            favor_precision=True, with_metadata=True, deduplicate=False)
    return time.process_time() - cpu, time.monotonic() - wall


def pages_run(repo: Path, work: Path, pages: list[bytes], outlets_count: int) -> dict[str, Any]:
    site = Outlets()
    for n, page in enumerate(pages):
        site.add(f"p{n % outlets_count}", n, f"Page {n}", page)
    outlets = [{"name": f"p{i}", "feeds": [f"{site.base}/p{i}/feed.xml"], "revisit": [], "max_articles": 1000}
               for i in range(outlets_count)]
    config = write_config(work, outlets)
    try:
        alone, alone_wall = trafilatura_alone(pages)
        cpu, wall = run_once(repo, config)
    finally:
        site.stop()
    with sqlite3.connect(work / "bench.db") as conn:
        archived = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        first, last = conn.execute("SELECT min(started_at), max(finished_at) FROM crawl_runs").fetchone()
    phase = (dt.datetime.fromisoformat(last) - dt.datetime.fromisoformat(first)).total_seconds()
    return {
        "pages": len(pages), "outlets": outlets_count, "archived": archived,
        "trafilatura_cpu_s": round(alone, 2), "trafilatura_wall_s": round(alone_wall, 2),
        "trafilatura_ms_per_page": round(1000 * alone / len(pages), 1),
        "crawl_cpu_s": round(cpu, 2), "crawl_wall_s": round(wall, 2),
        "cpu_ratio": round(cpu / alone, 2), "wall_speedup": round(alone_wall / wall, 2),
        "crawl_phase_s": round(phase, 2), "crawl_phase_speedup": round(alone_wall / phase, 2),
    }


def latency(repo: Path, work: Path, articles: int, every: int) -> dict[str, Any]:
    from monitor.sites import WebhookReceiver

    site = Outlets()
    hook = WebhookReceiver().start()
    outlets = [{"name": "desk", "feeds": [f"{site.base}/desk/feed.xml"], "every": f"{every}s", "revisit": []}]
    config = write_config(work, outlets, channels={"hook": f"json://{hook.netloc}/x"})
    process = start_daemon(repo, config, work / "daemon.log")
    rng = random.Random(7)
    added: dict[int, float] = {}
    arrived: dict[int, float] = {}

    def watch_hook() -> None:
        seen = 0
        while process.poll() is None:
            received = list(hook.received)
            for body in received[seen:]:
                for found in re.findall(r"item-(\d+)", body.decode("utf-8", "replace")):
                    arrived.setdefault(int(found), time.monotonic())
            seen = len(received)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_hook, daemon=True)
    watcher.start()
    try:
        time.sleep(every + 5)  # let the first poll (of an empty feed) happen
        for n in range(articles):
            time.sleep(rng.uniform(0.5, 1.5) * every / 5)
            title = f"Quillfeather item-{n} " + " ".join(rng.choice(WORDS) for _ in range(4))
            site.add("desk", n, title, article_html(n, title, rng))
            added[n] = time.monotonic()
        deadline = time.monotonic() + 3 * every + 60
        while len(arrived) < articles and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop_daemon(process)
        hook.stop()
        site.stop()
    waits = sorted(arrived[n] - added[n] for n in added if n in arrived)
    if not waits:
        raise SystemExit(f"no alert arrived; daemon log:\n{(work / 'daemon.log').read_text()[-3000:]}")
    return {"articles": articles, "alerted": len(waits), "every_s": every,
            "p50_s": round(statistics.median(waits), 1), "p95_s": round(waits[min(len(waits) - 1, int(0.95 * len(waits)))], 1)}


def shown_command(argv: list[str], corpus: Path | None) -> str:
    """The command as BENCHMARKS.md shows it: the corpus folder, which lies outside the project, as DIR/<its last two parts>."""
    shown = ["python", "bench/engine.py"]
    for arg in argv:
        if corpus is not None and arg in (str(corpus), f"--corpus={corpus}"):
            arg = arg.replace(str(corpus), f"DIR/{corpus.parent.name}/{corpus.name}")
        shown.append(arg)
    return " ".join(shown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="folder of .html/.html.gz article pages for the `pages` line")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the newswatch checkout to measure (default: this one)")
    parser.add_argument("--only", default="idle,once-idle,pages,latency,matching,memory,near-dup", help="comma-separated scenarios")
    parser.add_argument("--quick", action="store_true", help="smaller scales and shorter runs (a few minutes)")
    parser.add_argument("--repeat", type=int, default=2, help="serve each corpus page this many times (new URLs)")
    parser.add_argument("--extract-workers", type=int, help="set crawler.extract_workers (default: the config default)")
    parser.add_argument("--output", type=Path, default=ROOT, help="folder for BENCHMARKS.md and bench/engine-results.json")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds-long run of every scenario but idle and latency at toy sizes, on generated pages (the test suite's check)")
    args = parser.parse_args()
    if args.smoke:
        args.quick = True
        if args.only == parser.get_default("only"):
            args.only = "once-idle,pages,matching,memory,near-dup"
    chosen = set(args.only.split(","))
    if args.extract_workers is not None:
        CRAWLER_EXTRA["extract_workers"] = args.extract_workers
    results: dict[str, Any] = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
                               "repo": str(args.repo.resolve()), "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="nw-bench-") as tmp:
        work = Path(tmp)
        if "idle" in chosen:
            (work / "idle").mkdir()
            results["idle"] = idle(args.repo, work / "idle", 100 if args.quick else 300, 20 if args.quick else 60,
                                   20 if args.quick else 60, 40 if args.quick else 180, 500 if args.quick else 1000)
            print("idle:", results["idle"], flush=True)
        if "once-idle" in chosen:
            (work / "once").mkdir()
            results["once_idle"] = once_idle(args.repo, work / "once", 5 if args.smoke else 50 if args.quick else 200)
            print("once-idle:", results["once_idle"], flush=True)
        if "pages" in chosen:
            if args.corpus is None and not args.smoke:
                parser.error("the pages scenario needs --corpus DIR (or leave it out with --only)")
            (work / "pages").mkdir()
            if args.smoke:  # generated pages: a fresh clone has no corpus
                rng = random.Random(3)
                pages = [article_html(n, f"Smoke story {n}", rng) for n in range(8)]
            else:
                pages = corpus_pages(args.corpus, 1 if args.quick else args.repeat)
            results["pages"] = pages_run(args.repo, work / "pages", pages, 4 if args.smoke else 20)
            print("pages:", results["pages"], flush=True)
        if "matching" in chosen:
            sizes = "10,100" if args.smoke else "10,100,1000"
            results["matching"] = sub_benchmark(args.repo, "rules_matching.py", "--no-phrases", "--sizes", sizes,
                                                "--mb", "0.05" if args.smoke else "1" if args.quick else "4", "--repeat", "1" if args.quick else "3")
            print("matching:", results["matching"], flush=True)
        if "memory" in chosen:
            results["memory"] = sub_benchmark(args.repo, "rules_memory.py", "--sizes", "10" if args.smoke else "10,100,1000")
            print("memory:", results["memory"], flush=True)
        if "near-dup" in chosen:
            results["near_dup"] = sub_benchmark(args.repo, "near_duplicates.py", "--sizes",
                                                *(["200"] if args.smoke else ["1000"] if args.quick else ["1000", "100000"]))
            print("near-dup:", results["near_dup"], flush=True)
        if "latency" in chosen:
            (work / "latency").mkdir()
            results["latency"] = latency(args.repo, work / "latency", 10 if args.quick else 50, 30)
            print("latency:", results["latency"], flush=True)
    results["machine"]["load_at_end"] = os.getloadavg()
    rows = table(results)
    width = max(len(a) for a, _, _ in rows) if rows else 0
    print()
    for a, b, c in rows:
        print(f"{a:<{width}}  {b:<32}  target {c}")
    (args.output / "bench").mkdir(exist_ok=True)
    (args.output / "bench" / "engine-results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_report(results, shown_command(sys.argv[1:], args.corpus), args.output / "BENCHMARKS.md",
                 " (DIR: where the benchmark pages lie, outside the project)" if args.corpus else "")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
