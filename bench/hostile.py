"""Wall time and the crawl engine's peak RSS for one cycle per hostile endpoint.

    .venv/bin/python bench/hostile.py [--timeout 5s] [--extract-timeout 1s] [--only NAME ...]

Each cycle (`newswatch crawl --once` with one hostile outlet) runs in its own child process, so
that the child's RUSAGE_CHILDREN peak is that cycle's largest process: the crawl engine, or an
extraction worker when one page costs more than the engine itself. `baseline` is the demo
`wire` outlet alone (4 normal articles), for comparison.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from monitor.sites import SiteServer  # noqa: E402
from tests.hostile import CONTENT, NETWORK, HostileServer  # noqa: E402

DEMO_WIRE = ROOT / "monitor" / "demo_site" / "wire"


def one_cycle(config_path: str) -> None:
    """Child: run one cycle, print its wall time and the worker's peak RSS as JSON."""
    from monitor.cli import main

    started = time.monotonic()
    code = main(["--config", config_path, "crawl", "--once"])
    seconds = time.monotonic() - started
    rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"code": code, "seconds": seconds, "rss_mib": rss_mib}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", default="5s", help="crawler.timeout for the cycles (default 5s)")
    parser.add_argument("--extract-timeout", default="1s", help="crawler.extract_timeout (default 1s)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="only these outlets (repeatable)")
    parser.add_argument("--child", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        one_cycle(args.child)
        return 0

    outlets = [o for o in NETWORK + CONTENT if not args.only or o.name in args.only]
    with tempfile.TemporaryDirectory() as tmp:
        secret = Path(tmp) / "secret.txt"
        secret.write_text("bench-secret\n", encoding="utf-8")
        with HostileServer(secret) as hostile, SiteServer(DEMO_WIRE) as wire:
            print(f"crawler.timeout={args.timeout} extract_timeout={args.extract_timeout} max_page_bytes=5 MiB (default)")
            print(f"{'outlet':<12} {'wall s':>7} {'worker peak RSS MiB':>20}  errors recorded")
            rows = [("baseline", {"name": "wire", "pages": [wire.url("/world/")]})]
            rows += [(o.name, o.config(hostile.base_url)) for o in outlets]
            for index, (label, outlet) in enumerate(rows):
                directory = Path(tmp) / f"cycle-{index}"
                directory.mkdir()
                config = {
                    "database": f"sqlite:///{directory / 'archive.db'}",
                    "outlets": [outlet],
                    "crawler": {"delay": "0s", "timeout": args.timeout, "extract_timeout": args.extract_timeout},
                }
                path = directory / "newswatch.yaml"
                path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
                child = subprocess.run(
                    [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, cwd=ROOT, check=False
                )
                lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
                if not lines:
                    print(f"{label:<12} failed: {child.stderr.strip()[-300:]}")
                    continue
                result = json.loads(lines[-1])
                print(f"{label:<12} {result['seconds']:>7.1f} {result['rss_mib']:>20.0f}  {errors_of(directory / 'archive.db')}")
    return 0


def errors_of(database: Path) -> str:
    import sqlite3

    with sqlite3.connect(database) as conn:
        kinds: list[str] = []
        for (errors,) in conn.execute("SELECT errors FROM crawl_runs"):
            kinds.extend(e["kind"] for e in json.loads(errors))
    return ", ".join(sorted(set(kinds))) or "-"


if __name__ == "__main__":
    sys.exit(main())
