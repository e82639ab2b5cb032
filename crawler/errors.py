"""Failures of a crawl, named by kind so they can be counted per outlet."""
from __future__ import annotations

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

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError


def failure_kind(failure: Failure) -> str:
    """A short, stable name for what went wrong with a request."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(DNSLookupError):
        return "dns"
    if failure.check(TimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(ConnectionRefusedError):
        return "connection_refused"
    if failure.check(ResponseNeverReceived, ResponseFailed, ConnectionLost):
        return "connection_lost"
    if failure.check(ConnectError):
        return "connect_error"
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        return "robots_txt" if "robots" in message else "ignored"
    return type(failure.value).__name__.lower()
