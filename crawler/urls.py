"""URL identity: normalisation, tracking-parameter and AMP-variant removal, same-site checks (pure).

w3lib's `canonicalize_url` does the RFC work (case, percent-encoding, query order); the rules
here add what it cannot know: which parameters only track, and how outlets spell AMP copies.
"""
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
AMP_PARAMS = frozenset({"amp", "amp_js_v", "usqp", "amp_gsa", "amp_tf"})  # ?amp=1, and AMP-cache additions
DEFAULT_PORTS = {"http": 80, "https": 443}
SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_NAMES or lowered.startswith(TRACKING_PREFIXES)


def is_amp_param(name: str, value: str) -> bool:
    lowered = name.lower()
    return lowered in AMP_PARAMS or (lowered == "outputtype" and value.lower() == "amp")


def normalize_url(url: str) -> str:
    """The form of a URL used for identity: no fragment, no tracking parameters, no AMP variant,
    sorted query, no default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[len("amp."):]
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_param(k) and not is_amp_param(k, v)
        ]
    )
    path = strip_amp_path(parts.path or "/")
    return canonicalize_url(urlunsplit((scheme, netloc, path, query, "")), keep_fragments=False)


def strip_amp_path(path: str) -> str:
    """`/amp/x`, `/x/amp`, `/x/amp/` → `/x`, `/x`, `/x/`; `/x.amp.html` → `/x.html`; `/x.amp` → `/x`."""
    segments = path.split("/")
    kept = [segment for segment in segments if segment.lower() != "amp"]
    if len(kept) != len(segments):
        trailing = path.endswith("/")
        path = "/".join(kept).rstrip("/") or ""
        path = "/" + path.lstrip("/")
        if trailing and not path.endswith("/"):
            path += "/"
    lowered = path.lower()
    if lowered.endswith(".amp.html") or lowered.endswith(".amp.htm"):
        cut = lowered.rindex(".amp.")
        path = path[:cut] + path[cut + len(".amp"):]
    elif lowered.endswith(".amp") and len(path) > len("/.amp"):
        path = path[: -len(".amp")]
    return path


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
