"""Logging for people and for log shippers.

Default level: warnings (what needs a human) plus one summary line per minute from the daemon
(logger `newswatch.summary`). `-v` adds newswatch's own info lines; `-vv` adds debug output and the
chatter of APScheduler, Alembic, apprise and the crawler. `--log-format json` writes one JSON object
per line. Secrets are masked in every record (newswatch.secrets.install_log_masking).
"""
from __future__ import annotations

import logging
import sys

from newswatch.logformat import JsonFormatter
from newswatch.secrets import install_log_masking

SUMMARY_LOGGER = "newswatch.summary"
CHATTY = ("apscheduler", "alembic", "scrapy", "twisted", "urllib3", "filelock")
_format = {"current": "text"}  # what the crawl engine is told to use (monitor.crawl.engine_start)


def log_format() -> str:
    """The format `configure_logging` set: "text" or "json"."""
    return _format["current"]


def configure_logging(verbosity: int, log_format: str = "text") -> None:
    install_log_masking()
    _format["current"] = log_format
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        formatter: logging.Formatter = JsonFormatter()
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger(SUMMARY_LOGGER).setLevel(logging.INFO)
    for name in CHATTY:  # third-party chatter only at -vv
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING if verbosity == 1 else logging.ERROR)
    # apprise's own failure lines repeat what monitor.delivery reports (with the reason) per delivery
    logging.getLogger("apprise").setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING if verbosity == 1 else logging.ERROR)
