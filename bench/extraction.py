"""Extraction fidelity: newswatch's real crawl path beside `trafilatura.extract`, scored like the Article Extraction Benchmark.

Run: .venv/bin/python bench/extraction.py --corpus DIR [--per-page]

DIR holds `ground-truth.json` (`{id: {"articleBody": ..., "url": ...}}`) and `html/<id>.html.gz`
(the page as downloaded). The pages are served on 127.0.0.1 (as `text/html`, no charset, so the
crawler decodes them from their own bytes) behind a news sitemap that lists them all; one
`newswatch crawl --once` crawls that outlet into a temporary SQLite archive, and each page's text
is read back from the archive. The same pages go through `trafilatura.extract` directly, as the
benchmark runs it.

Scoring, as the benchmark does it: texts are split into `\\w+` tokens and cut into 4-token
shingles; per page, true positives, false positives and false negatives are the multiset
overlaps, divided by their sum so that long pages weigh no more than short ones. Precision is
the mean over pages with a non-empty prediction, recall the mean over pages with a non-empty
truth, and F1 is computed from those two means. A page that gives nothing scores 0 recall.
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402
from sqlalchemy import select  # noqa: E402

from monitor.cli import main as newswatch  # noqa: E402
from monitor.sites import LoopbackServer  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Article, ArticleUrl, CrawlRun  # noqa: E402

TOKEN = re.compile(r"\w+")
SHINGLE = 4


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    empty: int  # pages that gave no text at all


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)) if tokens[i:i + SHINGLE])


def page_counts(truth: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of one page, normalised by their sum."""
    true, pred = shingles(truth), shingles(predicted)
    tp, fp, fn = sum((true & pred).values()), sum((pred - true).values()), sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else tp / (tp + fn)


def score(truths: dict[str, str], predictions: dict[str, str]) -> tuple[Scores, dict[str, tuple[float, float]]]:
    """Corpus scores, and (precision, recall) per page."""
    counts = {key: page_counts(truth, predictions.get(key) or "") for key, truth in truths.items()}
    precisions = {k: _precision(*c) for k, c in counts.items() if c[0] + c[1] > 0}
    recalls = {k: _recall(*c) for k, c in counts.items() if c[0] + c[2] > 0}
    precision = statistics.mean(precisions.values()) if precisions else 0.0
    recall = statistics.mean(recalls.values()) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    empty = sum(1 for key in truths if not (predictions.get(key) or "").strip())
    per_page = {k: (precisions.get(k, 0.0), recalls.get(k, 0.0)) for k in truths}
    return Scores(precision, recall, f1, empty), per_page


def load_corpus(directory: Path) -> tuple[dict[str, str], dict[str, bytes]]:
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {key: gzip.decompress((directory / "html" / f"{key}.html.gz").read_bytes()) for key in truth}
    return {key: value.get("articleBody") or "" for key, value in truth.items()}, pages


class CorpusServer(LoopbackServer):
    """The corpus as one outlet: `/news-sitemap.xml` lists `/a/<id>.html`; no robots.txt."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/news-sitemap.xml":
                    self._send(server.sitemap(), "application/xml; charset=utf-8")
                elif path.startswith("/a/") and path.endswith(".html") and path[3:-5] in pages:
                    self._send(pages[path[3:-5]], "text/html")
                else:
                    self.send_error(404)

            def _send(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.keys = list(pages)
        super().__init__(Handler, "corpus")

    def page_url(self, key: str) -> str:
        return f"{self.base_url}/a/{key}.html"

    def sitemap(self) -> bytes:
        urls = "".join(f"<url><loc>{escape(self.page_url(key))}</loc></url>" for key in self.keys)
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def crawl_path(pages: dict[str, bytes]) -> tuple[dict[str, str], list[dict], float]:
    """Each page's archived text after one real `crawl --once` over loopback; the crawl's errors; seconds."""
    with tempfile.TemporaryDirectory() as directory, CorpusServer(pages) as server:
        database = f"sqlite:///{directory}/bench.db"
        config = {
            "database": database,
            "outlets": [{
                "name": "corpus", "sitemaps": [f"{server.base_url}/news-sitemap.xml"],
                "max_articles": max(len(pages), 1), "revisit": [],
            }],
            "crawler": {"delay": "0s", "concurrency_per_site": 4, "timeout": "30s", "obey_robots": False},
        }
        path = Path(directory) / "newswatch.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            status = newswatch(["--config", str(path), "crawl", "--once"])
        elapsed = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"crawl --once exited with {status}")
        db = Database(database)
        try:
            with db.session() as session:
                rows = session.execute(select(ArticleUrl.url, Article.text).join(Article, Article.id == ArticleUrl.article_id)).all()
                errors = [e for run in session.scalars(select(CrawlRun)) for e in run.errors]
        finally:
            db.close()
        by_url = dict(rows)
        return {key: by_url.get(server.page_url(key), "") for key in pages}, errors, elapsed


def trafilatura_direct(pages: dict[str, bytes]) -> dict[str, str]:
    return {key: trafilatura.extract(body, include_comments=False) or "" for key, body in pages.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, required=True, help="folder with ground-truth.json and html/<id>.html.gz")
    parser.add_argument("--per-page", action="store_true", help="also list every page with its precision and recall")
    args = parser.parse_args(argv)
    truths, pages = load_corpus(args.corpus)
    crawled, errors, seconds = crawl_path(pages)
    direct = trafilatura_direct(pages)
    results = [("newswatch crawl path", *score(truths, crawled)), ("trafilatura.extract", *score(truths, direct))]
    print(f"{len(pages)} pages from {args.corpus}; crawl --once took {seconds:.1f}s (timings are noisy)")
    print(f"{'extractor':<22} {'precision':>9} {'recall':>7} {'F1':>6} {'empty':>6}")
    for name, scores, _ in results:
        print(f"{name:<22} {scores.precision:>9.3f} {scores.recall:>7.3f} {scores.f1:>6.3f} {scores.empty:>6}")
    for error in errors:
        print(f"crawl error: {error.get('kind')} {error.get('url')}: {error.get('message')}")
    if args.per_page:
        ours, theirs = results[0][2], results[1][2]
        print(f"\n{'page':<20} {'P ours':>7} {'R ours':>7} {'P traf':>7} {'R traf':>7}")
        for key in sorted(truths, key=lambda k: sum(ours[k])):
            print(f"{key[:20]:<20} {ours[key][0]:>7.3f} {ours[key][1]:>7.3f} {theirs[key][0]:>7.3f} {theirs[key][1]:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
