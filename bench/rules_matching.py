"""Matching speed against the number of watches: MB/s of article text per core for 10, 100 and 1,000 watches.

Everything is generated here: a vocabulary of Latin and Cyrillic pseudo-words, entities of 10
aliases each (1 to 3 words; some inflected Cyrillic names, some wildcards, some transliterated),
watches over them (all/any/none, some with `near` or a field scope), and about 4 MB of article text
in which aliases of the largest rule set appear now and then. The same text is matched by each
rule set, one document at a time, in this one process (one core).

    .venv/bin/python bench/rules_matching.py [--mb 4] [--seed 1] [--repeat 3]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rules.matcher import Document, Matcher  # noqa: E402
from rules.ruleset import load_rules  # noqa: E402
from rules.text import words  # noqa: E402

LATIN = "abcdefghiklmnoprstuvyz"
CYRILLIC = "абвгдежзиклмнопрстуфхцчшыэюя"
SIZES = (10, 100, 1000)


def word(rng: random.Random, letters: str, low: int = 4, high: int = 10) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(low, high)))


def make_rules(rng: random.Random, watches: int) -> dict:
    entities, rule_watches = {}, []
    for i in range(watches):
        names = []
        for j in range(10):
            letters = CYRILLIC if j % 2 else LATIN
            words = [word(rng, letters) for _ in range(rng.choice((1, 1, 2, 3)))]
            if j % 2:
                words[0] = words[0].capitalize()  # a Cyrillic name: matched with its inflections
            alias = " ".join(words)
            if j == 9:
                alias += "*"
            names.append(alias)
        entities[f"e{i}"] = {"aliases": names, "transliterate": i % 10 == 0}
        watch = {"id": f"w{i}", "all": [f"e{i}"], "any": [f"e{(i + 1) % watches}", f"e{(i + 3) % watches}"], "none": [word(rng, LATIN)]}
        if i % 7 == 0:
            watch["near"] = [f"e{i}", f"e{(i + 2) % watches}"]
            watch["within"] = 8
        if i % 5 == 0:
            watch["in"] = ["title", "lead"]
        rule_watches.append(watch)
    return {"entities": entities, "watches": rule_watches}


def make_documents(rng: random.Random, megabytes: float, entities: dict, common: list[str]) -> list[Document]:
    """Articles of common words; names (aliases) are rare, as in real news; some articles name two related entities."""
    aliases = [a.rstrip("*") for e in entities.values() for a in e["aliases"]]
    ids = sorted(entities, key=lambda k: int(k[1:]))
    documents, size = [], 0
    while size < megabytes * 1_000_000:
        words = []
        for _ in range(450):
            words.append(rng.choice(aliases) if rng.random() < 0.002 else rng.choice(common))
            if rng.random() < 0.07:
                words[-1] += "."
        if rng.random() < 0.3:  # a story about entity i and its neighbour: watch i alerts
            i = rng.randrange(len(ids))
            for entity in (ids[i], ids[(i + 1) % len(ids)]):
                words[rng.randrange(len(words))] = rng.choice(entities[entity]["aliases"]).rstrip("*")
        text = " ".join(words)
        title = " ".join(rng.choice(common) for _ in range(9))
        documents.append(Document(title, text))
        size += len(text.encode()) + len(title.encode())
    return documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=4.0, help="megabytes of text to match (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per rule set; the fastest counts (default 3)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    common = [word(rng, LATIN) for _ in range(3000)] + [word(rng, CYRILLIC) for _ in range(3000)]
    rule_sets = {size: make_rules(rng, size) for size in SIZES}
    documents = make_documents(rng, args.mb, rule_sets[max(SIZES)]["entities"], common)
    for document in documents:  # fill the word-normalisation cache once, so that no run pays for it
        words(document.title), words(document.text)
    megabytes = sum(len(d.text.encode()) + len(d.title.encode()) for d in documents) / 1_000_000
    print(f"{len(documents)} documents, {megabytes:.1f} MB of text (UTF-8), matched on one core")
    print(f"{'watches':>8} {'aliases':>8} {'patterns':>9} {'compile s':>10} {'match s':>8} {'MB/s':>7} {'alerts':>7}")
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            path = Path(folder) / f"rules-{size}.yaml"
            path.write_text(yaml.safe_dump(rule_sets[size], allow_unicode=True), encoding="utf-8")
            started = time.process_time()
            matcher = Matcher(load_rules([path.name], Path(folder)))
            compiled = time.process_time() - started
            timings = []
            for _ in range(args.repeat):  # the best of a few runs: the machine may be busy with other work
                started = time.process_time()
                alerts = sum(len(matcher.match(d)) for d in documents)
                timings.append(time.process_time() - started)
            elapsed = min(timings)
            rates[size] = megabytes / elapsed
            aliases = sum(len(e["aliases"]) for e in rule_sets[size]["entities"].values())
            print(f"{size:>8} {aliases:>8} {len(matcher.patterns):>9} {compiled:>10.2f} {elapsed:>8.2f} {rates[size]:>7.2f} {alerts:>7}")
    print("(the text names entities of the 1,000-watch set: the smaller sets find fewer hits in it)")
    print(f"1,000 watches run at {rates[1000] / rates[10]:.2f}x the speed of 10 watches (the target is at least 0.5x)")


if __name__ == "__main__":
    main()
