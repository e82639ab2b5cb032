"""Helpers for the crawling tests: configs for fixture outlets, one `crawl --once`, reading the archive."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from monitor.cli import main
from storage.db import Database
from storage.models import CrawlRun
from tests.conftest import FIXTURES

BORDERLAND = FIXTURES / "borderland"


def copy_site(source: Path, tmp_path: Path) -> Path:
    """A private copy of a fixture outlet that a test may edit."""
    target = tmp_path / "site" / source.name
    shutil.copytree(source, target)
    return target


def write_outlets_config(directory: Path, database_url: str, outlets: list[dict[str, Any]], **crawler: Any) -> Path:
    config = {
        "database": database_url,
        "outlets": outlets,
        "crawler": {"delay": "0s", "timeout": "10s", **crawler},
    }
    path = directory / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def crawl_once(config: Path, *args: str) -> None:
    assert main(["--config", str(config), "crawl", "--once", *args]) == 0


def last_run(db: Database, outlet: str) -> CrawlRun:
    with db.session() as s:
        return s.scalars(select(CrawlRun).where(CrawlRun.outlet == outlet).order_by(CrawlRun.id.desc())).first()


def answered(site, status: int | None = None) -> list[str]:
    """Paths the site answered (with `status`), robots.txt left out."""
    return [path for path in site.served_paths(status) if path != "/robots.txt"]
