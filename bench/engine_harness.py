"""The loopback outlets bench/engine.py serves, and how it runs and measures newswatch processes."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml


ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
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


