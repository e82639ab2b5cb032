"""Fetch one URL outside Scrapy under a target policy: `newswatch rules test URL`, and any later tool that
fetches on someone else's say-so (a web rule tester).

Only http and https, no proxy, no file/ftp/data handlers. Each redirect hop is judged by the
policy before it is followed, and the connection itself goes only to an address the policy allows
for that URL: the name is resolved here and the socket connects to the address that passed.
"""
from __future__ import annotations

import http.client
import socket
import urllib.request
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urljoin

from crawler.targets import TargetPolicy, TargetRefused


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    body: bytes
    content_type: str | None


def fetch_checked(url: str, policy: TargetPolicy, *, user_agent: str, timeout: float, max_bytes: int) -> Fetched:
    """GET `url` under `policy`; reads at most `max_bytes + 1` bytes of the body.

    Raises TargetRefused for a refused URL, redirect hop or address; urllib's HTTPError and
    URLError (and OSError) for the rest.
    """
    opener = checked_opener(policy)
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    with opener.open(request, timeout=timeout) as response:
        return Fetched(response.geturl(), response.read(max_bytes + 1), response.headers.get("Content-Type"))


def checked_opener(policy: TargetPolicy) -> urllib.request.OpenerDirector:
    """A urllib opener with only http(s), a policy check on every URL and redirect, and checked connections."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _CheckedHTTPHandler(policy), _CheckedHTTPSHandler(policy), _CheckedRedirectHandler(policy),
        urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _judge(policy: TargetPolicy, url: str) -> None:
    reason = policy.refusal(url)
    if reason is not None:
        raise TargetRefused(url, reason)


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, policy: TargetPolicy) -> None:
        super().__init__()
        self.policy = policy

    def http_open(self, req: urllib.request.Request) -> Any:
        _judge(self.policy, req.full_url)
        return self.do_open(partial(CheckedHTTPConnection, policy=self.policy, url=req.full_url), req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, policy: TargetPolicy) -> None:
        super().__init__()
        self.policy = policy

    def https_open(self, req: urllib.request.Request) -> Any:
        _judge(self.policy, req.full_url)
        return self.do_open(partial(CheckedHTTPSConnection, policy=self.policy, url=req.full_url), req, context=self._context)


class _CheckedRedirectHandler(urllib.request.HTTPRedirectHandler):
    def __init__(self, policy: TargetPolicy) -> None:
        super().__init__()
        self.policy = policy

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urljoin(req.full_url, location.strip())
            reason = self.policy.refusal(target)
            if reason is not None:
                fp.close()
                raise TargetRefused(target, f"redirect from {req.full_url}: {reason}")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _checked_connection(policy: TargetPolicy, url: str, address: tuple[str, int], timeout: Any, source_address: Any) -> socket.socket:
    """socket.create_connection that skips addresses the policy refuses for `url` and checks the peer."""
    host, port = address
    refusals: list[str] = []
    last_error: OSError | None = None
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        reason = policy.address_refusal(url, str(sockaddr[0]))
        if reason is not None:
            refusals.append(reason)
            continue
        try:
            sock = socket.create_connection(sockaddr[:2], timeout, source_address)
        except OSError as exc:
            last_error = exc
            continue
        reason = policy.address_refusal(url, str(sock.getpeername()[0]))
        if reason is not None:
            sock.close()
            raise TargetRefused(url, reason)
        return sock
    if last_error is not None:
        raise last_error
    raise TargetRefused(url, refusals[0] if refusals else f"{host} has no address")


class CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, policy: TargetPolicy, url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = partial(_checked_connection, policy, url)


class CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, policy: TargetPolicy, url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = partial(_checked_connection, policy, url)
