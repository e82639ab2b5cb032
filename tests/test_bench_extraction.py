"""A seconds-long run of bench/extraction.py on a three-page corpus written here, in the benchmark's format."""
from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BODIES = {
    "ferry": ("Ferry service to the island resumes",
              ["The ferry between the harbour and the island sailed again on Thursday after a week of storms kept it in port.",
               "The operator said that extra crossings would run over the weekend for residents who had waited on the mainland.",
               "Freight for the island shop and the clinic went on the first boat, ahead of cars and passengers."]),
    "library": ("Village library gets a new roof",
                ["Volunteers finished the new roof of the village library on Saturday, three months after a storm tore off the old one.",
                 "Books that had been stored in the school gym are being carried back this week, shelf by shelf."]),
    "flash": ("Road to the pass closed", ["Snow closed the road to the pass on Friday night. Police turned back lorries at the foot of the valley."]),
}


def _page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang='en'><head><title>{title}</title><meta property='og:type' content='article'></head>"
            f"<body><nav><a href='/'>Home</a> <a href='/local/'>Local</a></nav><article><h1>{title}</h1>{body}</article>"
            f"<aside><h2>Most read</h2><ul><li><a href='/x-1'>Council votes on parking fees</a></li></ul></aside>"
            f"<footer>Sample corpus page written for the newswatch tests.</footer></body></html>")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "html").mkdir()
    truth = {}
    for key, (title, paragraphs) in BODIES.items():
        (tmp_path / "html" / f"{key}.html.gz").write_bytes(gzip.compress(_page(title, paragraphs).encode("utf-8")))
        truth[key] = {"articleBody": "\n".join([title, *paragraphs]), "url": f"https://news.example.org/{key}"}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return tmp_path


def test_bench_crawls_the_corpus_and_prints_both_scores(corpus: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "extraction.py"), "--corpus", str(corpus), "--per-page"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    rows = {line[:22].strip(): line[22:].split() for line in done.stdout.splitlines() if line.startswith(("newswatch", "trafilatura"))}
    assert set(rows) == {"newswatch crawl path", "trafilatura.extract"}
    precision, recall, f1, empty = rows["newswatch crawl path"]
    assert float(recall) == 1.0 and float(precision) > 0.9 and empty == "0"  # the flash too: nothing is dropped
    assert "3 pages from" in done.stdout and "crawl error" not in done.stdout
    assert all(key in done.stdout for key in BODIES)  # --per-page


def test_scoring_follows_the_benchmark(monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location("bench_extraction", ROOT / "bench" / "extraction.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    truth = {"a": "one two three four five six", "b": "alpha beta gamma delta epsilon"}
    perfect, _ = bench.score(truth, dict(truth))
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    # "b" gives nothing: it counts 0 for recall and is left out of precision, as in the benchmark
    half, per_page = bench.score(truth, {"a": "one two three four five six seven eight nine", "b": ""})
    assert per_page["b"] == (0.0, 0.0) and half.empty == 1
    assert half.precision == pytest.approx(3 / 6) and half.recall == pytest.approx(0.5)
