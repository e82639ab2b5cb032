"""URL identity: normalisation, tracking-parameter removal, keys and same-site checks (pure)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_")
TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
        "_ga", "_gl", "_hsenc", "_hsmi", "cmpid", "ocid", "ref", "ref_src", "ref_url", "s_cid", "share",
        "smid", "sr_share", "ito", "xtor", "ns_campaign", "ns_mchannel", "ns_source", "ns_linkname",
        "__twitter_impression", "rss", "from", "via", "spm", "cid", "src",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}
SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_NAMES or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """The form of a URL used for identity: no fragment, no tracking parameters, sorted query, no default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)])
    path = parts.path or "/"
    return canonicalize_url(urlunsplit((scheme, netloc, path, query, "")), keep_fragments=False)


def site_of(url: str) -> str:
    """host[:port] without the www./m./amp. prefixes, lower case."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in SITE_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix):]
            break
    port = parts.port
    if port is not None and DEFAULT_PORTS.get(parts.scheme.lower()) != port:
        return f"{host}:{port}"
    return host


def same_site(a: str, b: str) -> bool:
    return bool(site_of(a)) and site_of(a) == site_of(b)
