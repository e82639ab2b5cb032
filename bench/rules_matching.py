"""Matching speed against the number of watches: MB/s of article text per core for 10, 100 and 1,000 watches.

Everything is generated here: a vocabulary of Latin and Cyrillic pseudo-words; 1,000 entities of
10 aliases each (1 to 3 words; Cyrillic names matched with their inflections, a wildcard, every
tenth entity transliterated); watches over them (all/any/none, some with `near` or a field scope).
The rule sets of 10, 100 and 1,000 watches are the first 10, 100 and 1,000 of these, so the largest
holds 10,000 aliases. Two texts of about 4 MB each are matched by each rule set, one document at a
time, in this one process (one core):

- "same hits": the articles name only the entities of the first 10 watches, so every rule set
  finds the same hits and raises the same alerts; what changes is only the number of rules. This
  is the figure for "matching cost independent of the number of rules".
- "more hits": the articles name entities of all 1,000 watches, so a larger rule set also finds
  more (each hit is checked, and its watch evaluated): the cost of the hits themselves.

A second table does the same with multi-word Russian and Ukrainian names of real words (1,000
entities of two names each, `Русский добровольческий корпус`, `Батальйон «Рух»`, see
bench/phrase_words.py), one watch per entity, over articles that write the names of all 1,000
entities in every case: "expected" counts the (article, watch) pairs whose name is in the article,
"alerts" how many were found. "spellings" is the number of alias patterns (the automaton has one
key per distinct start: leading whole words and the first stem).

    .venv/bin/python bench/rules_matching.py [--mb 4] [--seed 1] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import random
from collections import Counter
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project and bench/ as a package

from bench.phrase_words import CASES, inflected, phrase_name  # noqa: E402
from rules.matcher import Document, Matcher  # noqa: E402
from rules.ruleset import load_rules  # noqa: E402
from rules.text import words  # noqa: E402

LATIN = "abcdefghiklmnoprstuvyz"
CYRILLIC = "абвгдежзиклмнопрстуфхцчшыэюя"
SIZES = (10, 100, 1000)


def word(rng: random.Random, letters: str, low: int = 4, high: int = 10) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(low, high)))


def make_entities(rng: random.Random, count: int) -> dict:
    entities = {}
    for i in range(count):
        names = []
        for j in range(10):
            letters = CYRILLIC if j % 2 else LATIN
            parts = [word(rng, letters) for _ in range(rng.choice((1, 1, 2, 3)))]
            if j % 2:
                parts[0] = parts[0].capitalize()  # a Cyrillic name: matched with its inflections
            names.append(" ".join(parts) + ("*" if j == 9 else ""))
        entities[f"e{i}"] = {"aliases": names, "transliterate": i % 10 == 0}
    return entities


def neighbour(i: int, k: int) -> str:
    """The entity k places after entity i in its group of ten."""
    return f"e{i - i % 10 + (i + k) % 10}"


def make_rules(entities: dict, watches: int) -> dict:
    """The first `watches` watches; each names its own entity and neighbours in its group of ten
    (so the first ten watches are the same in every rule set)."""
    rng = random.Random(0)
    rule_watches = []
    for i in range(watches):
        watch = {"id": f"w{i}", "all": [f"e{i}"], "any": [neighbour(i, 1), neighbour(i, 3)], "none": [word(rng, LATIN)]}
        if i % 7 == 0:
            watch["near"] = [f"e{i}", neighbour(i, 2)]
            watch["within"] = 8
        if i % 5 == 0:
            watch["in"] = ["title", "lead"]
        rule_watches.append(watch)
    return {"entities": {f"e{i}": entities[f"e{i}"] for i in range(watches)}, "watches": rule_watches}


def make_documents(rng: random.Random, megabytes: float, entities: dict, named: int, common: list[str]) -> list[Document]:
    """Articles of common words; names of the first `named` entities are rare, as in real news, and
    some articles name two neighbouring entities (so their watch alerts)."""
    ids = [f"e{i}" for i in range(named)]
    aliases = [a.rstrip("*") for i in ids for a in entities[i]["aliases"]]
    documents, size = [], 0
    while size < megabytes * 1_000_000:
        text_words = []
        for _ in range(450):
            text_words.append(rng.choice(aliases) if rng.random() < 0.002 else rng.choice(common))
            if rng.random() < 0.07:
                text_words[-1] += "."
        if rng.random() < 0.3:
            i = rng.randrange(named)
            for entity in (ids[i], neighbour(i, 1)):
                text_words[rng.randrange(len(text_words))] = rng.choice(entities[entity]["aliases"]).rstrip("*")
        text = " ".join(text_words)
        title = " ".join(rng.choice(common) for _ in range(9))
        documents.append(Document(title, text))
        size += len(text.encode()) + len(title.encode())
    return documents


def make_phrase_rules(rng: random.Random, count: int) -> dict:
    """`count` entities of a Russian and a Ukrainian multi-word name, one watch each."""
    names: set[tuple[str, ...]] = set()
    runs: set[tuple[str, ...]] = set()  # every run of words of every name taken

    def unique(lang: str) -> str:
        """A name that neither contains nor is contained in another (so "expected" is exact)."""
        while True:
            name = phrase_name(rng, lang)
            key = tuple(words(name))
            own = {key[i:j] for i in range(len(key)) for j in range(i + 1, len(key) + 1)}
            if key not in runs and not own & names:
                names.add(key)
                runs.update(own)
                return name

    entities = {f"p{i}": {"aliases": [unique("ru"), unique("uk")]} for i in range(count)}
    return {"entities": entities, "watches": [{"id": f"pw{i}", "any": [f"p{i}"]} for i in range(count)]}


def phrase_documents(rng: random.Random, megabytes: float, rules: dict, common: list[str]) -> tuple[list[Document], Counter]:
    """Articles naming three entities each, in a random case and number; and per rule-set size, how
    many (article, watch) pairs should alert."""
    entities = list(rules["entities"].items())
    langs = ("ru", "uk")
    documents, size, expected = [], 0, Counter()
    while size < megabytes * 1_000_000:
        text_words = [rng.choice(common) for _ in range(450)]
        named = rng.sample(range(len(entities)), 3)
        for i in named:
            which = rng.randrange(2)
            name = inflected(entities[i][1]["aliases"][which], langs[which], rng.choice(CASES), rng.choice(("sing", "sing", "plur")))
            text_words[rng.randrange(len(text_words))] = name
        for limit in SIZES:
            expected[limit] += sum(1 for i in named if i < limit)
        text = " ".join(text_words)
        documents.append(Document(" ".join(rng.choice(common) for _ in range(9)), text))
        size += len(text.encode()) + len(documents[-1].title.encode())
    return documents, expected


def measure(matcher: Matcher, documents: list[Document], repeat: int) -> tuple[float, int]:
    """The fastest of `repeat` runs over all documents (the machine may be busy), and the alerts."""
    timings, alerts = [], 0
    for _ in range(repeat):
        started = time.process_time()
        alerts = sum(len(matcher.match(d)) for d in documents)
        timings.append(time.process_time() - started)
    return min(timings), alerts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=4.0, help="megabytes of text per scenario (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per rule set; the fastest counts (default 3)")
    parser.add_argument("--json", type=Path, help="also write the MB/s figures to this file (bench/engine.py reads it)")
    parser.add_argument("--no-phrases", action="store_true", help="leave out the second table (multi-word Cyrillic names)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="watch counts to measure, from 10,100,1000 (default all)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    common = [word(rng, LATIN) for _ in range(3000)] + [word(rng, CYRILLIC) for _ in range(3000)]
    entities = make_entities(rng, max(SIZES))
    rule_sets = {size: make_rules(entities, size) for size in SIZES}
    scenarios = {
        "same hits": make_documents(rng, args.mb, entities, SIZES[0], common),
        "more hits": make_documents(rng, args.mb, entities, max(SIZES), common),
    }
    for documents in scenarios.values():
        for document in documents:  # fill the word-normalisation cache once, so that no run pays for it
            words(document.title), words(document.text)
    sizes = {name: sum(len(d.text.encode()) + len(d.title.encode()) for d in docs) / 1e6 for name, docs in scenarios.items()}
    print(f"{', '.join(f'{name}: {len(docs)} documents, {sizes[name]:.1f} MB' for name, docs in scenarios.items())} (UTF-8); one core")
    print(f"{'watches':>8} {'aliases':>8} {'patterns':>9} {'compile s':>10}" + "".join(f" | {name + ' MB/s':>15} {'alerts':>6}" for name in scenarios))
    rates: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in [int(n) for n in args.sizes.split(",")]:
            path = Path(folder) / f"rules-{size}.yaml"
            path.write_text(yaml.safe_dump(rule_sets[size], allow_unicode=True), encoding="utf-8")
            started = time.process_time()
            matcher = Matcher(load_rules([path.name], Path(folder)))
            compiled = time.process_time() - started
            aliases = sum(len(e["aliases"]) for e in rule_sets[size]["entities"].values())
            line = f"{size:>8} {aliases:>8} {len(matcher.patterns):>9} {compiled:>10.2f}"
            for name, documents in scenarios.items():
                elapsed, alerts = measure(matcher, documents, args.repeat)
                rates[(name, size)] = sizes[name] / elapsed
                line += f" | {rates[(name, size)]:>15.2f} {alerts:>6}"
            print(line)
    if ("same hits", 1000) in rates and ("same hits", 10) in rates:
        for name in scenarios:
            print(f"{name}: 1,000 watches run at {rates[(name, 1000)] / rates[(name, 10)]:.2f}x the speed of 10 watches")
        print("(target for the same hits: at least 0.5x, i.e. within 2x)")
    if args.json:
        args.json.write_text(json.dumps({"mb": sizes, "mb_per_s": {name: {str(size): round(rate, 2) for (of, size), rate in rates.items() if of == name}
                                                                     for name in scenarios}}), encoding="utf-8")
    if not args.no_phrases:
        phrases(rng, args, common)


def phrases(rng: random.Random, args: argparse.Namespace, common: list[str]) -> None:
    """The second table: multi-word Cyrillic names in every case."""
    rules = make_phrase_rules(rng, max(SIZES))
    documents, expected = phrase_documents(rng, args.mb / 2, rules, common)
    for document in documents:
        words(document.title), words(document.text)
    megabytes = sum(len(d.text.encode()) + len(d.title.encode()) for d in documents) / 1e6
    print()
    print(f"multi-word Cyrillic names: {len(documents)} documents, {megabytes:.1f} MB (UTF-8); one core")
    print(f"{'watches':>8} {'aliases':>8} {'spellings':>9} {'automaton KB':>12} {'compile s':>10} | {'MB/s':>6} {'alerts':>6} {'expected':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            subset = {"entities": {f"p{i}": rules["entities"][f"p{i}"] for i in range(size)}, "watches": rules["watches"][:size]}
            path = Path(folder) / f"phrases-{size}.yaml"
            path.write_text(yaml.safe_dump(subset, allow_unicode=True), encoding="utf-8")
            started = time.process_time()
            matcher = Matcher(load_rules([path.name], Path(folder)))
            compiled = time.process_time() - started
            automaton = matcher.automaton.get_stats()["total_size"] / 1024
            elapsed, alerts = measure(matcher, documents, args.repeat)
            print(f"{size:>8} {2 * size:>8} {len(matcher.patterns):>9} {automaton:>12.0f} {compiled:>10.2f} | {megabytes / elapsed:>6.2f} {alerts:>6} {expected[size]:>8}")


if __name__ == "__main__":
    main()
