"""Failures of a crawl, named by kind so they can be counted per outlet."""
from __future__ import annotations

import datetime as dt

from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError

from newswatch.secrets import mask_url_credentials


class Throttled(IgnoreRequest):
    """The server asked us (429/503 + Retry-After) to come back later than this cycle can wait."""

    def __init__(self, status: int, retry_after: dt.datetime, url: str) -> None:
        super().__init__(f"HTTP {status}: server asks to retry after {retry_after.isoformat()}")
        self.status = status
        self.retry_after = retry_after
        self.url = url


class BlockedTarget(IgnoreRequest):
    """A URL the target policy refuses (crawler/targets.py): never fetched, recorded as `blocked_target`.

    `url` is the refused target (a redirect's destination, not the URL that redirected), with
    credentials masked.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = mask_url_credentials(url)
        self.reason = reason
        super().__init__(f"refused {self.url}: {reason}")


def failure_url(failure: Failure) -> str:
    """The URL to record for a failed request: the refused target for `blocked_target`, else the request's."""
    if failure.check(BlockedTarget):
        return failure.value.url
    request = getattr(failure, "request", None)
    return request.url if request is not None else ""


def failure_details(failure: Failure) -> dict[str, str]:
    """Extra fields for a crawl_runs error; `throttled` carries `retry_after` (ISO-8601 UTC), read by backoff."""
    if failure.check(Throttled):
        return {"retry_after": failure.value.retry_after.astimezone(dt.timezone.utc).isoformat()}
    return {}


def failure_kind(failure: Failure) -> str:
    """A short, stable name for what went wrong with a request."""
    if failure.check(BlockedTarget):
        return "blocked_target"
    if failure.check(Throttled):
        return "throttled"
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(DNSLookupError):
        return "dns"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timeout"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return "connection_refused"
    if failure.check(ResponseDataLossError):
        return "truncated"
    if failure.check(DownloadCancelledError):
        # Scrapy's HTTP/1.1 handler cancels a download only when it passes DOWNLOAD_MAXSIZE: announced
        # by Content-Length (with a message) or counted while receiving (without one)
        return "too_large"
    if failure.check(ResponseNeverReceived, ResponseFailed, ConnectionLost, DownloadFailedError):
        return "connection_lost"
    if failure.check(ConnectError):
        return "connect_error"
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        if "download_maxsize" in message:  # HttpCompressionMiddleware: the body inflated past the limit
            return "too_large"
        if "max redirections" in message:
            return "redirect_loop"
        return "robots_txt" if "robots" in message else "ignored"
    return type(failure.value).__name__.lower()
