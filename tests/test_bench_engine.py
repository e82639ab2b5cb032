"""A seconds-long run of bench/engine.py (`--smoke`): every scenario but the long `run` ones, at toy sizes, on generated pages."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_engine_benchmark_runs_end_to_end_and_writes_its_table(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "engine.py"), "--smoke", "--output", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "bench" / "engine-results.json").read_text(encoding="utf-8"))
    assert results["once_idle"]["outlets"] == 5 and results["once_idle"]["cpu_ms_per_outlet"] > 0
    pages = results["pages"]
    assert pages["archived"] == pages["pages"] == 8  # every page served was crawled, extracted and archived
    assert 0 < pages["crawl_phase_s"] <= pages["crawl_wall_s"]
    assert set(results["matching"]["mb_per_s"]["same hits"]) == {"10", "100"}
    assert results["memory"]["10"]["watches"] == 10
    near = results["near_dup"]["sqlite"]["200"]
    assert near["copies_found"] == "100/100" and near["false_matches"] == "0/100"
    report = (tmp_path / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert "Produced by `python bench/engine.py --smoke" in report
    for line in ("crawl --once, 5 outlets all 304", "crawl --once, 8 new pages / 4 outlets", "crawl phase only",
                 "matching, one core", "matcher memory", "near-duplicate lookup, 200 archived articles"):
        assert line in report, line
    assert "ms per corpus page on one core" in report  # the machine's speed, to compare runs across machines
    assert "crawl --once" in done.stdout  # the table is printed too
