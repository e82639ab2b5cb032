"""Log lines as JSON objects, shared by the daemon (monitor/logsetup.py) and the crawl engine (crawler/worker_logs.py)."""
from __future__ import annotations

import json
import logging
import time

from newswatch.secrets import MASKER


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message (and the traceback, masked)."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = MASKER.mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
