"""URL identity: normalisation, tracking-parameter and AMP-variant removal, same-site checks (pure).

w3lib's `canonicalize_url` does the RFC work (case, percent-encoding, query order); the rules
here add what it cannot know: which parameters only track, which name an item, and how outlets
spell AMP copies.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Only parameters known to track a click or a campaign are removed; anything else may name content
# (`news.php?cid=101`, `?src=…`, `?from=…`, `?ref=…`), and the page's canonical URL folds real variants.
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "at_")  # Google/Matomo/Piwik/HubSpot ads/AT Internet campaigns
TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid", "twclid", "ttclid",
        "li_fat_id", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp",
        "_openstat", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "s_cid", "ocid", "cmpid", "xtor",
        "smid", "sr_share", "ref_src", "ns_campaign", "ns_mchannel", "ns_source", "ns_linkname", "ns_fee",
        "__twitter_impression",
    }
)
AMP_PARAMS = frozenset({"amp", "amp_js_v", "usqp", "amp_gsa", "amp_tf"})  # ?amp=1, and AMP-cache additions
# Query parameters that make a page a listing (search, tag, category, pagination), not one article.
LISTING_PARAMS = frozenset({"q", "query", "s", "search", "tag", "tags", "cat", "category", "page", "paged", "sort", "order", "author"})
LISTING_VIEWS = frozenset({"category", "categories", "section", "sections", "tag", "tags", "archive", "featured", "frontpage", "search", "author", "list", "blog"})
# Query parameters that name one item: `?p=4711`, `?id=5`, `?cid=101`, `?articleid=…`, `?news_id=…`.
# Other names ending in "id" count too, except those below (a category, a tag, a user, a session).
IDENTITY_PARAMS = frozenset({"id", "p", "a", "n", "cid", "aid", "nid", "pid", "article", "story", "news", "item", "post", "doc", "entry"})
NOT_IDENTITY_PARAMS = frozenset(
    {"catid", "cat_id", "categoryid", "category_id", "tagid", "tag_id", "sectionid", "section_id", "authorid",
     "author_id", "userid", "user_id", "uid", "sid", "sessionid", "session_id", "phpsessid", "jsessionid"}
)
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


def query_names_item(query: str) -> bool | None:
    """True: the query names one item; False: it makes a listing; None: it says nothing either way."""
    params = [
        (name.lower(), value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if not is_tracking_param(name) and not is_amp_param(name, value)
    ]
    if not params:
        return None
    for name, value in params:
        if name in LISTING_PARAMS or (name in ("view", "layout") and value.lower() in LISTING_VIEWS):
            return False
    for name, value in params:
        named = name in IDENTITY_PARAMS or (name not in NOT_IDENTITY_PARAMS and name.endswith("id") and len(name) > 2)
        if named and value.strip():
            return True
    return None


def canonical_fits(canonical: str, fetched: str) -> bool:
    """Whether a page's canonical URL may stand for the fetched URL. Not when it is the site's front
    page, nor when it drops the query that names the item from the same path (`news.php?cid=101` →
    `news.php`): sites that print one canonical on every article would fold them all into one."""
    target, page = urlsplit(canonical), urlsplit(fetched)
    if target.path in ("", "/") and not target.query and (page.path not in ("", "/") or page.query):
        return False
    if target.path == page.path and query_names_item(page.query) and not query_names_item(target.query):
        return False
    return True
