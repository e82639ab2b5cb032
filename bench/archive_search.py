"""Search latency (p50, p95) and index size over a generated archive, on SQLite and PostgreSQL side by side.

    .venv/bin/python bench/archive_search.py [--articles 100000] [--repeat 5] [--pg-admin URL] [--keep DIR]

Articles are generated here from word lists (Russian and Ukrainian words in all their forms from
the rules' morphology dictionaries, English words, and made-up filler words on a Zipf curve), so
the numbers need no corpus. Each database gets the same articles through the same code the
migration uses to index an existing archive; each query then runs `repeat` times through
`storage.search.search` (candidates, the exact match check, ranking and snippets). Timings are
wall-clock on a shared machine: compare the two columns of one run rather than runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from newswatch.searchquery import parse_query  # noqa: E402
from rules.morphology import analyzer as _analyzer  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Article  # noqa: E402
from storage.search import Filters, index_size, reindex, search  # noqa: E402

RU = ("граница область губернатор обстрел город житель школа больница дорога мост армия отряд заявление интервью "
      "депутат выборы бюджет налог рынок цена газ нефть завод рабочий театр премьера погода жара дождь поезд "
      "самолёт аэропорт суд приговор полиция митинг улица деревня село район власть министр президент").split()
UK = ("кордон область губернатор обстріл місто мешканець школа лікарня дорога міст армія загін заява інтерв'ю "
      "депутат вибори бюджет податок ринок ціна газ нафта завод робітник театр прем'єра погода спека дощ потяг "
      "літак аеропорт суд вирок поліція мітинг вулиця село район влада міністр президент").split()
EN = ("border region governor shelling city resident school hospital road bridge army group statement interview "
      "deputy election budget tax market price gas oil plant worker theatre premiere weather heat rain train "
      "plane airport court sentence police rally street village district government minister president").split()
NAMES = ("Белгород Шебекино Грайворон Пономарёв Курск Брянск Бєлгород Пономарьов Київ Харків Belgorod Shebekino "
         "Graivoron Ponomarev Kursk Bryansk Kyiv Kharkiv").split()
OUTLETS = [f"outlet{i:02d}" for i in range(40)]
SYLLABLES = "ka ro mi ten vol sar bri lun de po za ki nor vel tra mo su ga ne li".split()
QUERIES = [
    ("common word", "президент", {}),
    ("inflected Russian", "граница", {}),
    ("inflected Ukrainian", "кордон", {}),
    ("name, derived forms", "Белгород", {}),
    ("English word", "bridge", {}),
    ("rare word", "Пономарёв", {}),
    ("phrase", '"губернатор заявил"', {}),
    ("OR", "Shebekino OR Шебекино OR Грайворон", {}),
    ("exclusion", "обстрел -погода", {}),
    ("filters", "губернатор", {"outlets": ("outlet03", "outlet07"), "since_days": 30}),
    ("no match", "zzyzx", {}),
]


def forms(words: list[str], lang: str) -> list[str]:
    out = []
    for word in words:
        parses = _analyzer(lang).parse(word)
        out += sorted({f.word for f in parses[0].lexeme}) if parses else [word]
    return out


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """The words and their cumulative Zipf weights."""
    words = forms(RU, "ru") + forms(UK, "uk") + EN * 3 + NAMES + ["заявил", "заявила", "сообщил", "said", "заявив"]
    words += ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(30000)]
    rng.shuffle(words)
    weights = list(itertools.accumulate(1 / (rank + 10) for rank in range(len(words))))
    return words, weights


def generate(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
    rows = []
    for i in range(count):
        size = rng.randint(60, 400)
        body = rng.choices(words, cum_weights=weights, k=size)
        if rng.random() < 0.05:
            at = rng.randrange(size)
            body[at:at] = ["губернатор", "заявил"]
        sentences = [" ".join(body[j : j + 12]).capitalize() + "." for j in range(0, len(body), 12)]
        text = "\n".join(" ".join(sentences[k : k + 4]) for k in range(0, len(sentences), 4))
        title = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(5, 10))).capitalize()
        when = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 365))
        url = f"https://{rng.choice(OUTLETS)}.example.org/{i}.html"
        rows.append({
            "url_key": hashlib.sha256(url.encode()).hexdigest(), "canonical_url": url, "url": url, "outlet": url.split("//")[1].split(".")[0],
            "title": title, "authors": [], "published": when, "language": rng.choice(["ru", "uk", "en"]), "text": text,
            "content_hash": hashlib.sha256(text.encode()).hexdigest(), "first_seen": when, "fetched_at": when,
            "revision_count": 1, "match_pending": False,
        })
    return rows


def load(db: Database, rows: list[dict]) -> tuple[float, float]:
    """Insert the articles, then index them as the migration does; returns (insert s, index s)."""
    db.migrate()
    began = time.perf_counter()
    for start in range(0, len(rows), 2000):
        with db.session() as session:
            session.execute(insert(Article), rows[start : start + 2000])
    inserted = time.perf_counter()
    with db.engine.begin() as connection:
        reindex(connection, batch=2000)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")  # as autovacuum would after a bulk load
    return inserted - began, time.perf_counter() - inserted


def measure(db: Database, repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    for label, query, options in QUERIES:
        filters = Filters(outlets=options.get("outlets", ()),
                          since=now - dt.timedelta(days=options["since_days"]) if "since_days" in options else None)
        parsed = parse_query(query)
        for _ in range(repeat):
            with db.session() as session:
                began = time.perf_counter()
                hits = search(session, parsed, filters, 20)
                timings.setdefault(label, []).append((time.perf_counter() - began) * 1000)
        timings.setdefault("hits:" + label, []).append(len(hits))
    return timings


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", metavar="DIR", help="keep the SQLite file here")
    args = parser.parse_args()

    began = time.perf_counter()
    rows = generate(args.articles)
    print(f"generated {len(rows):,} articles, {sum(len(r['text']) for r in rows) / 1e6:.0f} MB of text, "
          f"in {time.perf_counter() - began:.0f}s")
    directory = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="nw-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    sqlite_path = directory / "bench.db"
    sqlite_path.unlink(missing_ok=True)
    name = f"nw_bench_{uuid.uuid4().hex[:8]}"
    admin = Database(args.pg_admin)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    databases = {"SQLite": Database(f"sqlite:///{sqlite_path}"),
                 "PostgreSQL": Database(args.pg_admin.rsplit("/", 1)[0] + "/" + name)}
    results = {}
    try:
        for label, db in databases.items():
            insert_s, index_s = load(db, rows)
            with db.engine.connect() as connection:
                size = index_size(connection)
            results[label] = (insert_s, index_s, size, measure(db, args.repeat))
            print(f"{label}: inserted in {insert_s:.0f}s, indexed in {index_s:.0f}s ({len(rows) / index_s:,.0f} articles/s), "
                  f"index {size / 1e6:.0f} MB")
    finally:
        for db in databases.values():
            db.close()
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    print(f"\nsearch latency over {len(rows):,} articles, {args.repeat} runs per query, limit 20 (ms; noisy shared machine)")
    print(f"{'query':<24}{'hits':>6}  {'SQLite p50':>11}{'p95':>8}  {'PostgreSQL p50':>15}{'p95':>8}")
    every = {label: [] for label in results}
    for label, query, _options in QUERIES:
        cells = []
        for db_label, (_i, _x, _s, timings) in results.items():
            cells.append((pct(timings[label], 50), pct(timings[label], 95)))
            every[db_label] += timings[label]
        hits = int(results["SQLite"][3]["hits:" + label][0])
        print(f"{label:<24}{hits:>6}  {cells[0][0]:>11.1f}{cells[0][1]:>8.1f}  {cells[1][0]:>15.1f}{cells[1][1]:>8.1f}")
    print(f"{'all queries':<24}{'':>6}  {pct(every['SQLite'], 50):>11.1f}{pct(every['SQLite'], 95):>8.1f}  "
          f"{pct(every['PostgreSQL'], 50):>15.1f}{pct(every['PostgreSQL'], 95):>8.1f}")
    print(f"\nindex size: SQLite FTS5 {results['SQLite'][2] / 1e6:.0f} MB, PostgreSQL tsvector + GIN {results['PostgreSQL'][2] / 1e6:.0f} MB "
          f"(SQLite file {sqlite_path.stat().st_size / 1e6:.0f} MB in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
