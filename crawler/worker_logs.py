"""The crawl worker's logging: the parent's secrets masked, and ordinary network failures kept out
of the log as tracebacks (below -vv).

Scrapy logs a refused connection, a timeout or a failed DNS lookup as an ERROR with a long
Twisted traceback (robots.txt download, retry give-up). newswatch records each of these against its
outlet by kind and its spider logs one WARNING line for it, so the library's own lines go to DEBUG.
"""
from __future__ import annotations

import logging
import sys

from scrapy import exceptions as scrapy_errors

from newswatch.logformat import JsonFormatter
from newswatch.secrets import import_secrets

NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    scrapy_errors.DownloadConnectionRefusedError, scrapy_errors.CannotResolveHostError, scrapy_errors.DownloadTimeoutError,
    scrapy_errors.DownloadCancelledError, scrapy_errors.DownloadFailedError, scrapy_errors.ResponseDataLossError,
    ConnectionError, TimeoutError,
)
NOISY_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry", "scrapy.core.scraper",
                 "scrapy.core.engine")
GAVE_UP = "Gave up retrying"


def is_network_error(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, NETWORK_ERRORS) or type(exc).__module__.startswith(("twisted.internet.error", "twisted.web._newclient")):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class NetworkErrorsToDebug(logging.Filter):
    """An ERROR about a plain network failure becomes a DEBUG line without its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        network = record.exc_info is not None and is_network_error(record.exc_info[1])
        if network or (record.levelno >= logging.ERROR and record.getMessage().startswith(GAVE_UP)):
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG) or logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def configure_worker_logging(log_level: str, log_format: str = "text") -> None:
    """Mask the secrets the daemon exported (`${VAR}` values in outlet URLs, channel tokens), write JSON
    lines when the daemon does (`--log-format json`), and install the network-error filter unless the
    crawl runs at DEBUG (-vv), where every traceback is shown."""
    import_secrets()
    if log_format == "json":  # Scrapy was told not to install its root handler: a crawler would replace it with text
        handler = logging.StreamHandler(sys.stderr)  # the daemon's stderr
        handler.setFormatter(JsonFormatter())
        handler.setLevel(log_level.upper())
        logging.root.setLevel(logging.NOTSET)
        logging.root.addHandler(handler)
    if log_level.upper() == "DEBUG":
        return
    for name in NOISY_LOGGERS:
        logging.getLogger(name).addFilter(NetworkErrorsToDebug())
