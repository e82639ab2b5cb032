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
import hashlib
import importlib.metadata
import json
import os
import platform
import random
import re
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGETS = {
    "idle_due_pct": ">= 95 %", "idle_cpu_ms_per_poll": "<= 20 ms", "once_idle_cpu_ms_per_outlet": "<= 15 ms",
    "pages_cpu_ratio": "<= 2.0x", "pages_wall_speedup": ">= 1.6x", "latency_p95_s": "<= 40 s", "rss_growth_mb": "growth <= 50 MB",
}
WORDS = ("harbour ledger quorum timber lantern orchard meadow copper falcon thistle granite willow beacon "
         "marble ember canyon saffron tundra juniper cobalt prairie hazel mosaic summit valley river").split()


# -- the outlets ---------------------------------------------------------------------------------
class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a crawler that hangs up mid-answer (a cancelled crawl) is not news here


class Outlets:
    """Feeds and pages for many outlets on one loopback server: /<outlet>/feed.xml, /<outlet>/a/<n>.html."""

    def __init__(self) -> None:
        self.items: dict[str, list[tuple[str, str, dt.datetime]]] = {}  # outlet -> (path, title, date)
        self.pages: dict[str, bytes] = {}
        self.lock = threading.Lock()
        outlets = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/robots.txt":
                    return self.answer(200, b"User-agent: *\nAllow: /\n", "text/plain")
                if path.endswith("/feed.xml"):
                    body = outlets.feed(path.split("/")[1], self.server_origin())
                    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    return self.answer(200, body, "application/rss+xml", etag)
                with outlets.lock:
                    page = outlets.pages.get(path)
                if page is None:
                    return self.answer(404, b"not here", "text/plain")
                return self.answer(200, page, "text/html; charset=utf-8")

            def server_origin(self) -> str:
                host, port = self.server.server_address[:2]
                return f"http://{host}:{port}"

            def answer(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, outlet: str, n: int, title: str, html: bytes) -> str:
        path = f"/{outlet}/a/{n}.html"
        with self.lock:
            self.pages[path] = html
            self.items.setdefault(outlet, []).append((path, title, dt.datetime.now(dt.timezone.utc)))
        return path

    def feed(self, outlet: str, origin: str) -> bytes:
        with self.lock:
            items = list(self.items.get(outlet, []))[-50:]
        entries = "".join(
            f"<item><title>{title}</title><link>{origin}{path}</link><guid>{origin}{path}</guid>"
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
            for path, title, when in items
        )
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
                f"<link>{origin}/{outlet}/</link><description>bench</description>{entries}</channel></rss>").encode()

    def stop(self) -> None:
        self.server.shutdown()


# -- running newswatch ---------------------------------------------------------------------------
def python_of(repo: Path) -> str:
    venv = repo / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


CRAWLER_EXTRA: dict[str, Any] = {}  # crawler settings from the command line (e.g. extract_workers)


def write_config(folder: Path, outlets: list[dict], **extra: Any) -> Path:
    (folder / "watch").mkdir(parents=True, exist_ok=True)
    rules = extra.pop("rules", {"watches": [{"id": "bench", "any": ["Quillfeather"], "notify": list(extra.get("channels", {}))}]})
    (folder / "watch" / "rules.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    config = {"database": f"sqlite:///{folder / 'bench.db'}", "outlets": outlets, "rules": ["watch/*.yaml"],
              "crawler": {"delay": "0s", "timeout": "10s", "concurrency_per_site": 4, "contact": "bench@example.org", **CRAWLER_EXTRA},
              "alerts": {"max_age": "3650d"}, **extra}
    path = folder / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def cli(repo: Path, config: Path, *args: str) -> list[str]:
    return [python_of(repo), "-m", "monitor.cli", "--config", str(config), *args]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(repo: Path, config: Path) -> tuple[float, float]:
    """CPU seconds (the process and everything it waited for) and wall seconds of one `crawl --once`."""
    before, started = children_cpu(), time.monotonic()
    done = subprocess.run(cli(repo, config, "crawl", "--once"), cwd=repo, capture_output=True, text=True)
    wall, cpu = time.monotonic() - started, children_cpu() - before
    if done.returncode != 0:
        raise SystemExit(f"crawl --once failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return cpu, wall


def tree_cpu(root: int) -> float:
    """CPU seconds of a process, the children it reaped, and its live descendants (from /proc)."""
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    stats[int(entry)] = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
    parents = {pid: int(fields[1]) for pid, fields in stats.items()}
    tree = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    total = 0
    for pid in tree:
        fields = stats.get(pid)
        if fields:  # utime stime cutime cstime are fields 14-17 (index 11-14 after the command name)
            total += sum(int(v) for v in fields[11:15])
    return total / CLK_TCK


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def count_runs(db: Path, since: dt.datetime | None = None, until: dt.datetime | None = None) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            query, args = "SELECT count(*) FROM crawl_runs WHERE 1=1", []
            if since:
                query += " AND started_at >= ?"
                args.append(since.replace(tzinfo=None).isoformat(" "))
            if until:
                query += " AND started_at < ?"
                args.append(until.replace(tzinfo=None).isoformat(" "))
            return conn.execute(query, args).fetchone()[0]
    except sqlite3.Error:
        return 0


def start_daemon(repo: Path, config: Path, log: Path) -> subprocess.Popen:
    with log.open("wb") as err:
        return subprocess.Popen(cli(repo, config, "-v", "run"), cwd=repo, stdout=subprocess.DEVNULL, stderr=err)


def stop_daemon(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def article_html(n: int, title: str, rng: random.Random) -> bytes:
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + f" (report {n}.{p}).</p>" for p in range(4)
    )
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<header><nav><a href='/'>Home</a></nav></header><article><h1>{title}</h1>{paragraphs}</article>"
            f"<footer>© bench</footer></body></html>").encode("utf-8")


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


# -- report --------------------------------------------------------------------------------------
def sub_benchmark(repo: Path, script: str, *args: str) -> Any:
    """Run another bench/ script of the checkout under test and read the figures it writes with --json."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run([python_of(repo), str(repo / "bench" / script), *args, "--json", out.name], cwd=repo,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"bench/{script} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return json.loads(Path(out.name).read_text(encoding="utf-8"))


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    versions = {}
    for name in ("scrapy", "twisted", "trafilatura", "lxml", "sqlalchemy", "apscheduler"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "?"
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform(),
            "versions": versions, "load_at_start": os.getloadavg()}


def table(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    if "idle" in results:
        r = results["idle"]
        late = r[f"rss_mb_after_{r['late_mark']}"]
        engine_late = r[f"engine_rss_mb_after_{r['late_mark']}"]
        rows += [(f"run, {r['outlets']} idle outlets every {r['every_s']} s: due polls made", f"{r['made']}/{r['due']} = {r['due_pct']} %", TARGETS["idle_due_pct"]),
                 ("run: CPU per poll (daemon + engine + workers)", f"{r['cpu_ms_per_poll']} ms", TARGETS["idle_cpu_ms_per_poll"]),
                 (f"run: daemon RSS after 10 → {r['late_mark']} polls (engine and workers)",
                  f"{r['rss_mb_after_10']} → {late} MB ({r['engine_rss_mb_after_10']} → {engine_late} MB)",
                  TARGETS["rss_growth_mb"])]
    if "once_idle" in results:
        r = results["once_idle"]
        rows.append((f"crawl --once, {r['outlets']} outlets all 304: CPU per outlet", f"{r['cpu_ms_per_outlet']} ms ({r['wall_s']} s wall)", TARGETS["once_idle_cpu_ms_per_outlet"]))
    if "pages" in results:
        r = results["pages"]
        rows += [(f"crawl --once, {r['pages']} new pages / {r['outlets']} outlets: CPU vs trafilatura.extract",
                  f"{r['crawl_cpu_s']} s vs {r['trafilatura_cpu_s']} s = {r['cpu_ratio']}×", TARGETS["pages_cpu_ratio"]),
                 ("  wall throughput vs trafilatura on one core", f"{r['trafilatura_wall_s']} s / {r['crawl_wall_s']} s wall = {r['wall_speedup']}×", TARGETS["pages_wall_speedup"])]
    if "pages" in results:
        r = results["pages"]
        rows.append(("  crawl phase only (first poll's start → last poll's end), against the same",
                     f"{r['trafilatura_wall_s']} s / {r['crawl_phase_s']} s = {r['crawl_phase_speedup']}×", "(no target: start-up left out)"))
    if "matching" in results:
        rates = results["matching"]["mb_per_s"]["same hits"]
        rows.append(("matching, one core: MB/s of article text at " + " / ".join(f"{int(k):,}" for k in rates) + " watches",
                     " / ".join(f"{v:.2f}" for v in rates.values()) + " MB/s", "1,000 within 2× of 10"))
    if "memory" in results:
        mem = results["memory"]
        rows.append(("matcher memory (RSS after build − before) at " + " / ".join(f"{int(k):,}" for k in mem) + " watches",
                     " / ".join(f"{v['after_mb'] - v['before_mb']:.0f}" for v in mem.values()) + " MB", "(reported)"))
    if "near_dup" in results:
        for size, r in results["near_dup"].get("sqlite", {}).items():
            rows.append((f"near-duplicate lookup, {int(size):,} archived articles (SQLite)",
                         f"p50 {r['lookup_ms_median']:.2f} ms, p95 {r['lookup_ms_p95']:.2f} ms; copies found {r['copies_found']}", "(reported)"))
    if "latency" in results:
        r = results["latency"]
        rows.append((f"alert latency, feed polled every {r['every_s']} s ({r['alerted']}/{r['articles']} alerted)",
                     f"p50 {r['p50_s']} s, p95 {r['p95_s']} s", TARGETS["latency_p95_s"]))
    return rows


def render(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| what | measured | target |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def write_report(results: dict[str, Any], command: str, out: Path) -> None:
    info = results["machine"]
    rows = render(table(results))
    speed = ""
    if "pages" in results:
        speed = (f"Speed of this machine: `trafilatura.extract` took {results['pages']['trafilatura_ms_per_page']} ms per corpus page on one core "
                 "(compare runs on other machines by it; the absolute CPU targets of issue 10 were set where it took about 20 ms).\n")
    text = f"""# Benchmarks

Produced by `{command}` on {results['date']}.

Machine: {info['cpu']}, {info['cores']} cores, {info['system']}; Python {info['python']};
{', '.join(f'{k} {v}' for k, v in info['versions'].items())}. Load average at start {', '.join(f'{x:.2f}' for x in info['load_at_start'])}
(a shared machine: other jobs ran at the same time, so figures are noisy; ratios are measured side by side in one run).
{speed}

{rows}

Raw figures: `bench/engine-results.json`. What the lines mean and how they are measured: the docstring of
`bench/engine.py` and docs/engine.md. The matching, matcher-memory and near-duplicate lines come from
`bench/rules_matching.py`, `bench/rules_memory.py` and `bench/near_duplicates.py`, run by `bench/engine.py`
(each also runs alone and prints more detail).
"""
    out.write_text(text, encoding="utf-8")


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
    write_report(results, "python bench/engine.py " + " ".join(sys.argv[1:]), args.output / "BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
