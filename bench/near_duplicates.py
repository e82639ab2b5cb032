"""Near-duplicate lookup time per article at two archive sizes (default 1,000 and 100,000 articles).

    .venv/bin/python bench/near_duplicates.py [--sizes 1000 100000] [--postgres URL]

Each archive is a real SQLite file (and, with --postgres, a fresh PostgreSQL database) built with
the project's migrations. The background articles get random MinHash signatures — the band keys
of unrelated texts are effectively random — and 200 articles get fingerprints of real synthetic
text. Then 200 new texts are looked up the way the matcher does it (fingerprint, band-key query,
signature comparison): 100 are edited copies of archived articles, 100 are new stories.
The archive is ANALYZEd after the bulk load, as autovacuum would have done on a real one (without
it PostgreSQL plans a parallel scan for a freshly loaded table and a lookup takes ~8 ms).
Printed: milliseconds per article for fingerprinting and for the database lookup (band-key query
plus signature comparison, inside one transaction as in the matcher's batches), how many copies were found, how many new stories wrongly matched, build time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text as sql_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newswatch.fingerprint import NUM_PERM, Fingerprint, fingerprint  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Article, Story, StoryArticle, StoryBand  # noqa: E402
from storage.stories import similar_article  # noqa: E402

WORDS = [f"w{i}" for i in range(20_000)]
REAL, QUERIES, CHUNK = 200, 200, 5_000


def text(rng: random.Random, words: int = 250) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def edited(original: str, rng: random.Random) -> str:
    """A syndicated copy: own dateline and credit, a sentence changed, a paragraph added."""
    words = original.split()
    cut = rng.randrange(50, 150)
    words[cut : cut + 8] = [rng.choice(WORDS) for _ in range(8)]
    return "LONDON (Ledger) — " + " ".join(words) + " " + text(rng, 30) + " Reporting by the desk."


def build(db: Database, size: int, rng: random.Random) -> list[str]:
    """Fill the archive; returns the real texts (their article ids are 1..REAL)."""
    now = dt.datetime.now(dt.timezone.utc)
    real_texts = [text(rng) for _ in range(REAL)]
    np_rng = np.random.default_rng(7)
    for start in range(1, size + 1, CHUNK):
        ids = range(start, min(size, start + CHUNK - 1) + 1)
        articles, stories, placed, bands = [], [], [], []
        for i in ids:
            body = real_texts[i - 1] if i <= REAL else ""
            found = fingerprint(body) if body else Fingerprint(np_rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64).tobytes(), 200)
            articles.append({"id": i, "url_key": uuid.uuid4().hex, "canonical_url": f"http://x.example.org/{i}", "url": f"http://x.example.org/{i}",
                             "outlet": "wire", "authors": [], "text": body, "content_hash": "h", "first_seen": now, "fetched_at": now,
                             "revision_count": 1, "match_pending": False})
            stories.append({"id": i, "first_article_id": i, "created_at": now})
            placed.append({"article_id": i, "story_id": i, "joined_at": now, "signature": found.signature, "shingles": found.shingles})
            bands.extend({"band": band, "article_id": i} for band in found.bands())
        with db.session() as session:
            for model, rows in ((Article, articles), (Story, stories), (StoryArticle, placed), (StoryBand, bands)):
                session.execute(insert(model), rows)
    return real_texts


def measure(db: Database, real_texts: list[str], rng: random.Random) -> dict:
    queries = [(edited(real_texts[i], rng), i + 1) for i in range(QUERIES // 2)] + [(text(rng), None) for _ in range(QUERIES // 2)]
    fingerprint_ms, lookup_ms, found_right, false_hits = [], [], 0, 0
    with db.session() as session:  # the matcher places a batch of articles in one transaction, too
        for body, expected in queries:
            t0 = time.perf_counter()
            found = fingerprint(body)
            t1 = time.perf_counter()
            match = similar_article(session, found)
            t2 = time.perf_counter()
            fingerprint_ms.append((t1 - t0) * 1000)
            lookup_ms.append((t2 - t1) * 1000)
            if expected is not None and match is not None and match[0] == expected:
                found_right += 1
            if expected is None and match is not None:
                false_hits += 1
    return {
        "fingerprint_ms": statistics.median(fingerprint_ms),
        "lookup_ms_median": statistics.median(lookup_ms),
        "lookup_ms_p95": statistics.quantiles(lookup_ms, n=20)[18],
        "copies_found": f"{found_right}/{QUERIES // 2}",
        "false_matches": f"{false_hits}/{QUERIES // 2}",
    }


def run(url: str, size: int) -> dict:
    db = Database(url)
    try:
        db.migrate()
        t0 = time.perf_counter()
        real_texts = build(db, size, random.Random(size))
        with db.engine.begin() as connection:  # planner statistics, as autovacuum / a long-running archive has them
            connection.execute(sql_text("ANALYZE"))
        built = time.perf_counter() - t0
        result = measure(db, real_texts, random.Random(1))
        result["build_s"] = built
        return result
    finally:
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--postgres", metavar="URL", help="also measure on this PostgreSQL server (admin URL; a database is created and dropped)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file (bench/engine.py reads it)")
    args = parser.parse_args()
    results: dict[str, dict[str, dict]] = {}
    print(f"{'backend':<10} {'articles':>9} {'fingerprint':>12} {'lookup p50':>11} {'lookup p95':>11} {'copies found':>13} {'false':>7} {'build':>7}")
    with tempfile.TemporaryDirectory(prefix="nw-bench-") as directory:
        for size in args.sizes:
            targets = [("sqlite", f"sqlite:///{Path(directory) / f'bench-{size}.db'}")]
            if args.postgres:
                targets.append(("postgresql", _pg_database(args.postgres, size)))
            for backend, url in targets:
                try:
                    r = run(url, size)
                finally:
                    if backend == "postgresql":
                        _pg_drop(args.postgres, url)
                print(f"{backend:<10} {size:>9,} {r['fingerprint_ms']:>9.2f} ms {r['lookup_ms_median']:>8.2f} ms {r['lookup_ms_p95']:>8.2f} ms "
                      f"{r['copies_found']:>13} {r['false_matches']:>7} {r['build_s']:>6.0f}s", flush=True)
                results.setdefault(backend, {})[str(size)] = r
    if args.json:
        args.json.write_text(json.dumps(results), encoding="utf-8")
    return 0


def _pg_database(admin_url: str, size: int) -> str:
    from sqlalchemy import create_engine, text as sql

    name = f"nw_bench_{size}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sql(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _pg_drop(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text as sql

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
