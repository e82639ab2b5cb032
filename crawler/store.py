"""One archive connection per crawl engine process, shared by the spiders and pipelines in it."""
from __future__ import annotations

from storage.db import Database

_open: dict[str, Database] = {}


def database(url: str) -> Database:
    if url not in _open:
        _open[url] = Database(url)
    return _open[url]
