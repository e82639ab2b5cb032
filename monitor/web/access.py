"""Who may see the web view: loopback binds need nothing, other binds need `web.token` (a bearer header, the login
cookie, or `?token=` on feeds). Pure functions on plain values."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit

SESSION_COOKIE = "newswatch_session"
SESSION_DAYS = 30


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost`; any other name or address (0.0.0.0 included) is not."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_refusal(host: str, token: str | None) -> str | None:
    """Why the web view must not be served on `host`, or None."""
    if token or is_loopback(host):
        return None
    return (f"refusing to serve the web view on {host or 'every address'} without a token: "
            "set web.token in the config (for example web: {token: ${NEWSWATCH_WEB_TOKEN}}), or listen on 127.0.0.1")


def session_value(token: str) -> str:
    """What the login cookie holds: derived from the token, so the cookie never carries the token itself."""
    return hmac.new(token.encode(), b"newswatch web session", hashlib.sha256).hexdigest()


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def authorised(token: str | None, authorization: str | None, cookie: str | None, query_token: str | None, feed: bool) -> bool:
    """No token configured: everyone (the view is on loopback). Otherwise the bearer header, the cookie, or (feeds) `?token=`."""
    if not token:
        return True
    if authorization and authorization[:7].lower() == "bearer " and same(authorization[7:].strip(), token):
        return True
    if same(cookie, session_value(token)):
        return True
    return feed and same(query_token, token)


def host_allowed(host_header: str | None, token: str | None) -> bool:
    """Without a token only loopback names may be asked for, so a web page cannot reach the view by DNS rebinding."""
    if token:
        return True
    hostname = urlsplit(f"//{host_header or ''}").hostname or ""
    return is_loopback(hostname)


def same_origin(origin: str | None, host_header: str | None, fetch_site: str | None = None) -> bool:
    """Whether a POST comes from this site's own pages: a browser's `Sec-Fetch-Site` says so, else its `Origin`.

    With `Referrer-Policy: no-referrer` a browser sends `Origin: null` for the view's own forms, so
    `Sec-Fetch-Site` decides where it is sent; a client that sends neither (curl) is not a browser
    another site could drive.
    """
    if fetch_site:
        return fetch_site in ("same-origin", "none")
    if not origin or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() == (host_header or "").lower()


def local_path(target: str | None) -> str:
    """Where to go after logging in: a path on this site only."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
