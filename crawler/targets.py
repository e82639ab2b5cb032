"""Which URLs and addresses a crawl may reach: the target policy against server-side request forgery (pure).

An outlet's feeds, sitemaps and pages hand newswatch URLs it then fetches from inside the server
it runs on. A URL is refused when it is not http(s), or when the address it reaches is not public
(loopback, private, link-local, carrier-grade NAT, multicast, reserved …), unless it has the same
origin (scheme, host, port) as one of the outlet's own configured URLs or is allowed explicitly
(`allow_private`: networks and host:port pairs).

`TargetPolicy.refusal` judges a URL alone (its scheme, and its host when that spells an address,
in any spelling a resolver accepts: `2130706433`, `0x7f.1`, `0177.0.0.1`, `[::ffff:127.0.0.1]`);
`TargetPolicy.address_refusal` judges the address actually connected to, at connect time.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

FETCHED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$")

# IANA special-purpose registries, and what to call each block in an error message.
IPV4_NOT_PUBLIC = tuple(
    (ipaddress.IPv4Network(net), kind)
    for net, kind in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)
IPV6_NOT_PUBLIC = tuple(
    (ipaddress.IPv6Network(net), kind)
    for net, kind in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "private"),
        ("100::/64", "reserved"),
        ("2001::/23", "reserved"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "reserved"),
        ("fc00::/7", "private"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "private"),
        ("ff00::/8", "multicast"),
    )
)
IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# IPv6 blocks that carry an IPv4 address in their last 32 bits: judged by that address too.
IPV4_IN_LAST_32_BITS = tuple(
    (ipaddress.IPv6Network(net), name)
    for net, name in (
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("::ffff:0:0:0/96", "IPv4-translated"),
        ("64:ff9b::/96", "NAT64"),
        ("::/96", "IPv4-compatible"),
    )
)


class TargetRefused(Exception):
    """A URL the target policy refuses (outside Scrapy: `newswatch rules test`, a future web rule tester)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason


def address_class(address: IPAddress) -> str | None:
    """Why an address is not public ("loopback", "private", "carrier-grade NAT" …); None for a public one."""
    if isinstance(address, ipaddress.IPv4Address):
        return next((kind for net, kind in IPV4_NOT_PUBLIC if address in net), None)
    for net, kind in IPV6_NOT_PUBLIC:
        if address in net:
            return kind
    embedded = embedded_ipv4(address)
    if embedded is not None:
        inner = address_class(embedded[0])
        return f"{inner} ({embedded[1]})" if inner else None
    if address not in IPV6_GLOBAL_UNICAST:
        return "reserved"
    return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 address carries (mapped, translated, NAT64, compatible, 6to4), and how."""
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    for net, name in IPV4_IN_LAST_32_BITS:
        if address in net:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), name
    return None


def host_address(host: str) -> IPAddress | None:
    """The address a URL's host spells, in any form resolvers accept; None when the host is a name.

    IPv4 follows the WHATWG URL parser (the forms glibc's inet_aton takes as well): one to four
    parts, each decimal, octal (`0177`) or hex (`0x7f`), the last one filling the remaining bytes
    (`127.1`, `2130706433`). IPv6 may come in brackets, with an embedded IPv4 and a zone id.
    """
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    return _ipv4_number_form(text)


def _ipv4_number_form(text: str) -> ipaddress.IPv4Address | None:
    parts = text.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # one trailing dot: "127.0.0.1."
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_part(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _ipv4_part(part: str) -> int | None:
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
        if digits == "":
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    try:
        return int(digits, base) if digits.isalnum() and digits.isascii() else None
    except ValueError:
        return None


def canonical_host(host: str) -> str:
    """A host as compared for origins: an address in its standard form, a name in lower case without the final dot."""
    address = host_address(host)
    return str(address) if address is not None else host.strip().lower().rstrip(".")


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def origin_of(url: str) -> Origin | None:
    """(scheme, canonical host, port with the scheme's default filled in); None when the URL has no host or port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname:
        return None
    port = port if port is not None else DEFAULT_PORTS.get(scheme)
    if port is None:
        return None
    return Origin(scheme, canonical_host(parts.hostname), port)


AllowEntry = IPNetwork | tuple[str, int]


def parse_allow_entry(text: str) -> AllowEntry:
    """One `allow_private` entry: a network (`10.0.0.0/8`, `fd00::/8`), an address, or `host:port`.

    Raises ValueError with the accepted forms.
    """
    value = text.strip()
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        pass
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = value.rpartition(":")
    if port.isdigit() and 1 <= int(port) <= 65535 and host:
        address = host_address(host)
        if address is not None or HOST_NAME.match(host.lower().rstrip(".")):
            return canonical_host(host), int(port)
    raise ValueError(
        f"expected a network (10.0.0.0/8, fd00::/8), an address (192.168.1.20) "
        f"or host:port (intranet.example:8080), got {text!r}"
    )


@dataclass(frozen=True)
class TargetPolicy:
    """Which targets one outlet may reach: its own origins and the explicit allows, plus every public address."""

    origins: frozenset[Origin] = frozenset()
    networks: tuple[IPNetwork, ...] = ()
    endpoints: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def build(cls, own_urls: Iterable[str], allow: Iterable[str] = ()) -> TargetPolicy:
        """The policy for an outlet with these configured URLs and `allow_private` entries (already validated)."""
        origins = frozenset(origin for origin in map(origin_of, own_urls) if origin is not None)
        entries = [parse_allow_entry(entry) for entry in allow]
        return cls(
            origins=origins,
            networks=tuple(entry for entry in entries if not isinstance(entry, tuple)),
            endpoints=frozenset(entry for entry in entries if isinstance(entry, tuple)),
        )

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched, judged on the URL alone; None when it may be tried.

        A host that is a name is judged later, on the address connected to (`address_refusal`).
        """
        scheme = _scheme(url)
        if scheme not in FETCHED_SCHEMES:
            return f"only http and https are fetched, not {scheme + ':' if scheme else 'a URL without a scheme'}"
        origin = origin_of(url)
        if origin is None:
            return "not a URL with a host and a port"
        if self.trusts(origin):
            return None
        address = host_address(origin.host)
        return None if address is None else self._address_refusal(origin, address)

    def address_refusal(self, url: str, address: str) -> str | None:
        """Why connecting to `address` (as resolved, e.g. '127.0.0.1' or '::1') for `url` is refused; None if allowed."""
        origin = origin_of(url)
        if origin is None:
            return "not a URL with a host and a port"
        if self.trusts(origin):
            return None
        try:
            parsed = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address!r} is not an IP address"
        return self._address_refusal(origin, parsed)

    def trusts(self, origin: Origin) -> bool:
        """One of the outlet's own origins, or a host:port allowed explicitly."""
        return origin in self.origins or (origin.host, origin.port) in self.endpoints

    def _address_refusal(self, origin: Origin, address: IPAddress) -> str | None:
        kind = address_class(address)
        if kind is None or any(form in net for form in _forms(address) for net in self.networks if form.version == net.version):
            return None
        where = f"{origin.host} resolves to {address}" if host_address(origin.host) is None else str(address)
        return f"{where}: not a public address ({kind}); {origin} is not one of the outlet's own origins nor in allow_private"


def _scheme(url: str) -> str:
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return url.split(":", 1)[0].lower() if ":" in url else ""


def _forms(address: IPAddress) -> Iterator[IPAddress]:
    """The address, and the IPv4 address it carries if any (so 10.0.0.0/8 allows ::ffff:10.1.2.3)."""
    yield address
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            yield embedded[0]
