"""Scrapy's HTTP/1.1 download handler, connecting only to addresses the outlet's target policy allows.

The check happens where the connection is made, on the addresses the name resolved to for this
very connection (so a name that resolves to a private address, or changes its answer between
checks as in DNS rebinding, is caught): refused addresses are dropped before any connection
attempt, and the peer of the connection that was made is checked once more before the request is sent
(over https the TLS handshake may have begun by then; the request itself never leaves).
Scrapy's own DNS cache and resolver (`DNS_RESOLVER`) stay in place; they only supply the answers.

Through an HTTP proxy (`proxy` meta, `http_proxy` environment) the proxy makes the connection, so
the target's name is resolved here and every address it has must pass; the proxy resolves again.
"""
from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler, _BindAddressAgent, _ScrapyAgent
from scrapy.http import Response
from scrapy.utils._download_handlers import normalize_bind_address, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure
from twisted.web.client import URI
from twisted.web.error import SchemeNotSupported
from zope.interface import implementer

from crawler.guard import policy_of, refuse

AddressCheck = Callable[[str], "str | None"]  # address as resolved -> why it is refused, or None


class AddressRefused(Exception):
    """Every address the target resolved to, or the peer connected to, is refused by the policy."""


class GuardedDownloadHandler(HTTP11DownloadHandler):
    """HTTP11DownloadHandler whose connections go through `CheckedEndpoint`."""

    async def download_request(self, request: Request) -> Response:
        policy = policy_of(self._crawler)

        def check(address: str) -> str | None:
            return policy.address_refusal(request.url, address)

        try:
            if request.meta.get("proxy"):
                await _check_name(request, check)
            agent = _GuardedScrapyAgent(
                check=check,
                contextFactory=self._contextFactory,
                bindAddress=self._bind_address,
                pool=self._pool,
                maxsize=self._default_maxsize,
                warnsize=self._default_warnsize,
                fail_on_dataloss=self._fail_on_dataloss,
                crawler=self._crawler,
                tls_verbose_logging=self._tls_verbose_logging,
            )
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except AddressRefused as exc:
            raise refuse(self._crawler, request, request.url, str(exc)) from None


async def _check_name(request: Request, check: AddressCheck) -> None:
    """Behind a proxy: every address the target's name has must pass (the proxy connects, not us)."""
    parsed = urlparse_cached(request)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        found = await maybe_deferred_to_future(deferToThread(socket.getaddrinfo, parsed.hostname, port, 0, socket.SOCK_STREAM))
    except OSError:
        return  # unresolvable here: the proxy answers for it
    for *_, sockaddr in found:
        reason = check(str(sockaddr[0]))
        if reason is not None:
            raise AddressRefused(reason)


class _GuardedScrapyAgent(_ScrapyAgent):
    def __init__(self, *, check: AddressCheck, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._check = check

    def _get_agent(self, request: Request, timeout: float) -> Any:
        if request.meta.get("proxy"):
            return super()._get_agent(request, timeout)
        from twisted.internet import reactor

        return _GuardedAgent(
            reactor, self._contextFactory, timeout,
            normalize_bind_address(request.meta.get("bindaddress") or self._bindAddress), self._pool, check=self._check,
        )


class _GuardedAgent(_BindAddressAgent):
    """Twisted's standard endpoints (TCP for http, TCP+TLS for https), with `CheckedEndpoint` underneath."""

    def __init__(self, *args: Any, check: AddressCheck, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._check = check

    def _getEndpoint(self, uri: URI) -> Any:
        factory = self._endpointFactory
        kwargs: dict[str, Any] = {"bindAddress": factory._bindAddress}
        if factory._connectTimeout is not None:
            kwargs["timeout"] = factory._connectTimeout
        endpoint = CheckedEndpoint(self._reactor, uri.host.decode("ascii"), uri.port, check=self._check, **kwargs)
        if uri.scheme == b"http":
            return endpoint
        if uri.scheme == b"https":
            return wrapClientTLS(factory._policyForHTTPS.creatorForNetloc(uri.host, uri.port), endpoint)
        raise SchemeNotSupported(f"Unsupported scheme: {uri.scheme!r}")


class CheckedEndpoint(HostnameEndpoint):
    """A HostnameEndpoint that never tries a refused address and checks the peer it connected to."""

    def __init__(self, reactor: Any, host: str, port: int, *, check: AddressCheck, **kwargs: Any) -> None:
        self._check = check
        self._refusals: list[str] = []
        super().__init__(reactor, host, port, **kwargs)

    def _getNameResolverAndMaybeWarn(self, reactor: object) -> IHostnameResolver:
        return _FilteringResolver(super()._getNameResolverAndMaybeWarn(reactor), self._admit)

    def _admit(self, address: IAddress) -> bool:
        reason = self._check(address.host)
        if reason is not None:
            self._refusals.append(reason)
        return reason is None

    def connect(self, protocolFactory: Any) -> Any:
        self._refusals.clear()
        connecting = super().connect(protocolFactory)
        connecting.addCallbacks(self._verify_peer, self._explain)
        return connecting

    def _verify_peer(self, protocol: Any) -> Any:
        reason = self._check(protocol.transport.getPeer().host)
        if reason is not None:
            protocol.transport.abortConnection()
            raise AddressRefused(reason)
        return protocol

    def _explain(self, failure: Failure) -> Failure:
        if self._refusals and failure.check(DNSLookupError):  # every address was refused: say why
            raise AddressRefused(self._refusals[0])
        return failure


@implementer(IHostnameResolver)
class _FilteringResolver:
    def __init__(self, resolver: IHostnameResolver, admit: Callable[[IAddress], bool]) -> None:
        self._resolver = resolver
        self._admit = admit

    def resolveHostName(
        self, resolutionReceiver: IResolutionReceiver, hostName: str, portNumber: int = 0,
        addressTypes: Any = None, transportSemantics: str = "TCP",
    ) -> IHostResolution:
        return self._resolver.resolveHostName(
            _FilteringReceiver(resolutionReceiver, self._admit), hostName, portNumber, addressTypes, transportSemantics
        )


@implementer(IResolutionReceiver)
class _FilteringReceiver:
    def __init__(self, receiver: IResolutionReceiver, admit: Callable[[IAddress], bool]) -> None:
        self._receiver = receiver
        self._admit = admit

    def resolutionBegan(self, resolutionInProgress: IHostResolution) -> None:
        self._receiver.resolutionBegan(resolutionInProgress)

    def addressResolved(self, address: IAddress) -> None:
        if self._admit(address):
            self._receiver.addressResolved(address)

    def resolutionComplete(self) -> None:
        self._receiver.resolutionComplete()
