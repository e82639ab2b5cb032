"""Resident memory of building the Matcher for 10, 100, 1,000 and 3,000 watches (4 aliases each).

Each size is built in a fresh process, as `crawl --once` or `rules test` would: the rule file is
written, loaded, then compiled into a Matcher. The rules are generated here, as a new user might
write them: one entity per watch with four aliases (a Latin name, a Russian surname, a Russian
multi-word name, a Ukrainian multi-word name; see bench/phrase_words.py), every fourth entity
transliterated, each watch naming its entity and two neighbours. Printed per size: aliases,
spellings (alias patterns after transliteration), the process's resident memory before the
Matcher is built (Python, the libraries and the loaded rules) and after it (both after garbage
collection and `malloc_trim`: what stays), the process's peak, and the build's CPU seconds. `--trace N` prints the N source lines that hold the most memory after the
build of the largest size (tracemalloc; slow).

    .venv/bin/python bench/rules_memory.py [--sizes 10,100,1000,3000] [--trace 15]
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project and bench/ as a package

from bench.phrase_words import phrase_name  # noqa: E402

LATIN = "abcdefghiklmnoprstuvyz"
CYRILLIC = "абвгдежзиклмнопрстуфхцчшэюя"
SURNAME_ENDINGS = ("ов", "ев", "ин", "ский", "енко", "ук", "чук", "ич")


def _word(rng: random.Random, letters: str, low: int = 4, high: int = 9) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(low, high)))


def make_rules(watches: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    entities, rule_watches = {}, []
    for i in range(watches):
        latin = " ".join(_word(rng, LATIN).capitalize() for _ in range(rng.choice((1, 2, 2, 3))))
        surname = _word(rng, CYRILLIC, 3, 6).capitalize() + rng.choice(SURNAME_ENDINGS)
        aliases = [latin, surname, phrase_name(rng, "ru"), phrase_name(rng, "uk")]
        entities[f"e{i}"] = {"aliases": aliases, "transliterate": i % 4 == 0}
    for i in range(watches):
        group = i - i % 10
        neighbours = [f"e{min(group + (i + k) % 10, watches - 1)}" for k in (1, 2)]
        rule_watches.append({"id": f"w{i}", "all": [f"e{i}"], "any": neighbours})
    return {"entities": entities, "watches": rule_watches}


def trimmed_rss_mb() -> float:
    """Resident memory once garbage is collected and free heap pages are handed back to the system."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_mb()


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def one(path: Path, trace: int) -> dict:
    """Build the Matcher of the rule file `path` in this process and measure it."""
    import tracemalloc

    from rules.matcher import Matcher
    from rules.morphology import word_forms
    from rules.ruleset import load_rules

    loaded = load_rules([path.name], path.parent)
    word_forms("Бєлгород"), word_forms("Белгород")  # both dictionaries loaded: part of the baseline, not of the Matcher
    before = trimmed_rss_mb()
    if trace:
        tracemalloc.start(1)
    started = time.process_time()
    matcher = Matcher(loaded)
    seconds = time.process_time() - started
    after = trimmed_rss_mb()
    top = []
    if trace:
        snapshot = tracemalloc.take_snapshot()
        top = [f"{stat.size / 1e6:8.1f} MB {stat.count:>9} blocks  {stat.traceback}" for stat in snapshot.statistics("lineno")[:trace]]
    return {
        "watches": len(loaded.watches),
        "aliases": sum(len(e.aliases) for e in loaded.entities.values()),
        "spellings": len(matcher.patterns),
        "before_mb": before,
        "after_mb": after,
        "peak_mb": rss_mb("VmHWM"),
        "seconds": seconds,
        "top": top,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,3000", help="watch counts, comma-separated")
    parser.add_argument("--trace", type=int, default=0, help="print the N lines holding the most memory (largest size)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file (bench/engine.py reads it)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # internal: measure one rule file in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.trace)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print("Matcher build, one fresh process per size; RSS in MB (noisy: other work on the machine)")
    print(f"{'watches':>8} {'aliases':>8} {'spellings':>9} {'RSS before':>10} {'RSS after':>10} {'matcher':>8} {'peak':>6} {'build s':>8}")
    folder = tempfile.TemporaryDirectory()
    rows: dict[str, dict] = {}
    for size in sizes:
        path = Path(folder.name) / f"rules-{size}.yaml"  # written here: the measured process only loads it
        path.write_text(yaml.safe_dump(make_rules(size), allow_unicode=True), encoding="utf-8")
        trace = args.trace if size == sizes[-1] else 0
        command = [sys.executable, __file__, "--one", str(path), "--trace", str(trace)]
        row = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        print(
            f"{row['watches']:>8} {row['aliases']:>8} {row['spellings']:>9} {row['before_mb']:>10.0f} {row['after_mb']:>10.0f}"
            f" {row['after_mb'] - row['before_mb']:>8.0f} {row['peak_mb']:>6.0f} {row['seconds']:>8.2f}"
        )
        if row["top"]:
            print(f"\nwhere the memory of the {size}-watch build is (tracemalloc, by source line):")
            print("\n".join(row["top"]))
        rows[str(size)] = {k: v for k, v in row.items() if k != "top"}
    folder.cleanup()
    if args.json:
        args.json.write_text(json.dumps(rows), encoding="utf-8")


if __name__ == "__main__":
    main()
