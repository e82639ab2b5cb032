"""Channel URLs checked against apprise's own plugin registry when the config loads.

A URL no apprise plugin accepts can never be sent, so it is a config error (with a did-you-mean
among the schemes apprise knows), not a delivery that is retried for hours.
"""
from __future__ import annotations

import difflib
import logging
import threading
from functools import lru_cache

import apprise
from apprise.manager_plugins import NotificationManager

from newswatch.secrets import redact_url

_quiet = threading.Lock()


@lru_cache(maxsize=1)
def known_schemes() -> tuple[str, ...]:
    """Every URL scheme an installed apprise plugin handles (json, mailto, tgram, …)."""
    return tuple(sorted(NotificationManager().schemas()))


def channel_url_problem(url: str) -> str | None:
    """Why apprise cannot use this URL, or None when it can. Secrets never appear in the answer."""
    scheme = url.split("://", 1)[0].lower()
    schemes = known_schemes()
    if scheme not in schemes:
        close = difflib.get_close_matches(scheme, schemes, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}://'?)" if close else " (see the apprise wiki for the services and their URLs)"
        return f"no apprise service is called '{scheme}://'{hint}"
    with _quiet:  # apprise logs an ERROR with the URL in it for a URL it cannot parse; we say it ourselves
        apprise_logger = logging.getLogger("apprise")
        disabled, apprise_logger.disabled = apprise_logger.disabled, True
        try:
            plugin = apprise.Apprise.instantiate(url)
        finally:
            apprise_logger.disabled = disabled
    if plugin is None:
        return f"apprise cannot read this {scheme}:// URL ({redact_url(url)}); check it against the apprise wiki page for {scheme}://"
    return None
