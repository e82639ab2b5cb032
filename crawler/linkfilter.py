"""Per-outlet `allow` / `deny` URL patterns for discovered article links (pure).

Patterns are user-written regular expressions, searched in the normalised URL. They run with the
`regex` module and a time limit, so a catastrophic pattern costs milliseconds, not the cycle.
"""
from __future__ import annotations

from collections.abc import Sequence

import regex

MATCH_TIMEOUT_SECONDS = 0.05


def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """Compile one pattern; a ValueError says what is wrong with it."""
    if not pattern:
        raise ValueError("an empty pattern would match every URL")
    try:
        return regex.compile(pattern, regex.IGNORECASE | regex.V0)
    except regex.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None


class LinkFilter:
    """A link passes when it matches some `allow` pattern (or there are none) and no `deny` pattern."""

    def __init__(self, allow: Sequence[str] = (), deny: Sequence[str] = ()) -> None:
        self.allow = [compile_pattern(p) for p in allow]
        self.deny = [compile_pattern(p) for p in deny]

    @property
    def has_allow(self) -> bool:
        return bool(self.allow)

    def accepts(self, url: str) -> bool:
        if self.allow and not any(_search(p, url) for p in self.allow):
            return False
        return not any(_search(p, url) for p in self.deny)


def _search(pattern: regex.Pattern[str], url: str) -> bool:
    """A pattern that runs past its time limit counts as not matching."""
    try:
        return pattern.search(url, timeout=MATCH_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        return False
