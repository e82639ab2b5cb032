"""The boolean logic of the watches over the hits found in one document (pure; used by rules.matcher)."""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from rules.conditions import Group, Near, Regex, Term, WatchLogic
from rules.text import WORD, title_repeat, words

if TYPE_CHECKING:
    from rules.matcher import Document

MAX_REGEX_HITS = 100  # per pattern and field: enough to explain and count, bounded on hostile text


class Mention(NamedTuple):
    """A hit while the logic runs: positions in words; turned into a Hit only for what is shown."""

    field: str
    word: int
    length: int  # in words
    pattern: int  # index of the alias pattern, or -1 for a regular expression
    term: str = ""  # regular expressions only: their term, pattern, offsets and text
    alias: str = ""
    start: int = 0
    end: int = 0
    found: str = ""


@dataclass
class FieldIndex:
    """One field of one document: its normalised words, and (on demand) their offsets in the original."""

    text: str
    words: list[str]
    _spans: list[tuple[int, int]] | None = None

    @classmethod
    def of(cls, text: str) -> FieldIndex:
        return cls(text, words(text))

    def spans(self) -> list[tuple[int, int]]:
        """Character offsets of each word (the same `\\w+` runs that `words` normalised)."""
        if self._spans is None:
            self._spans = [m.span() for m in WORD.finditer(self.text)]
        return self._spans

    def joined(self) -> str:
        """The words joined by single spaces, with a space either side (what the automaton reads)."""
        return " " + " ".join(self.words) + " "


class Evaluator:
    """The boolean logic of the watches over the hits of one document."""

    def __init__(self, document: Document, term_hits: dict[str, list[Mention]], fields: dict[str, FieldIndex], entity_patterns) -> None:
        self.document, self.term_hits, self.fields, self.entity_patterns = document, term_hits, fields, entity_patterns
        self._regex_cache: dict[tuple[str, str], list[Mention]] = {}
        self._repeat: int | None = None

    def title_words_in_text(self) -> int:
        """How many words at the start of the text repeat the headline (not counted twice by min_mentions)."""
        if self._repeat is None:
            chars = title_repeat(self.document.text, self.document.title)
            self._repeat = len(WORD.findall(self.document.text[:chars])) if chars else 0
        return self._repeat

    def watch(self, logic: WatchLogic) -> tuple[bool, list[Mention], str]:
        watch = logic.watch
        if watch.outlets and self.document.outlet not in watch.outlets:
            return False, [], f"outlet {self.document.outlet or '(none)'} is not in {', '.join(watch.outlets)}"
        if watch.languages and (self.document.language or "").lower() not in watch.languages:
            return False, [], f"language {self.document.language or '(unknown)'} is not in {', '.join(watch.languages)}"
        hits, reason = self.condition(logic.root)
        if hits is None:
            return False, self._all_hits(logic.root), reason
        if watch.min_mentions > 1:
            repeat = self.title_words_in_text()
            mentions = len({(h.field, h.word) for h in hits if not (h.field == "text" and h.word < repeat)})
            if mentions < watch.min_mentions:
                return False, hits, f"{mentions} mention(s), min_mentions is {watch.min_mentions}"
        return True, hits, ""

    def _all_hits(self, condition) -> list[Mention]:
        """Every hit of every term under a condition (to explain a watch that did not match)."""
        if isinstance(condition, (Group, Near)):
            return [h for item in condition.items for h in self._all_hits(item)]
        return self.leaf(condition)

    def leaf(self, condition: Term | Regex) -> list[Mention]:
        if isinstance(condition, Regex):
            return [h for name in condition.fields for h in self._regex(condition.pattern, condition.pattern, condition.compiled, name)]
        hits = [h for h in self.term_hits.get(condition.key, ()) if h.field in condition.fields]
        for pattern, compiled in self.entity_patterns.get(condition.key, ()):
            for name in condition.fields:
                hits.extend(self._regex(condition.label, pattern, compiled, name))
        return hits

    def _regex(self, term: str, pattern: str, compiled, name: str) -> list[Mention]:
        key = (pattern, name)
        if key not in self._regex_cache:
            current = self.fields[name]
            hits: list[Mention] = []
            starts: list[int] | None = None
            for n, match in enumerate(compiled.finditer(current.text)):
                if n >= MAX_REGEX_HITS:
                    break
                if match.end() == match.start():
                    continue
                starts = starts if starts is not None else [s for s, _e in current.spans()]
                word = max(bisect.bisect_right(starts, match.start()) - 1, 0)
                hits.append(Mention(name, word, 1, -1, term, f"re:{pattern}", match.start(), match.end(), match.group()))
            self._regex_cache[key] = hits
        return self._regex_cache[key]

    def condition(self, condition) -> tuple[list[Mention] | None, str]:
        """The hits that satisfy a condition, or None and the reason it is not satisfied."""
        if isinstance(condition, (Term, Regex)):
            hits = self.leaf(condition)
            return (hits, "") if hits else (None, f"{describe(condition)} not found in {', '.join(condition.fields)}")
        if isinstance(condition, Near):
            return self.near(condition)
        if condition.op == "all":
            found: list[Mention] = []
            for item in condition.items:
                hits, reason = self.condition(item)
                if hits is None:
                    return None, reason
                found.extend(hits)
            return found, ""
        results = [self.condition(item) for item in condition.items]
        if condition.op == "any":
            if any(hits is not None for hits, _ in results):
                return [h for hits, _ in results if hits is not None for h in hits], ""
            return None, "none of " + ", ".join(describe(i) for i in condition.items) + " found"
        for item, (hits, _) in zip(condition.items, results):
            if hits is not None:
                return None, f"excluded: {describe(item)} found"
        return [], ""

    def near(self, condition: Near) -> tuple[list[Mention] | None, str]:
        per_term = [self.leaf(item) for item in condition.items]
        best: list[Mention] | None = None
        for name in condition.fields:
            events = sorted(((h.word, i, h) for i, hits in enumerate(per_term) for h in hits if h.field == name), key=lambda e: (e[0], e[1]))
            window = smallest_window(events, len(per_term))
            if window is not None and window[0] <= condition.within:
                best = (best or []) + window[1]
        if best is not None:
            return best, ""
        return None, f"{' and '.join(describe(i) for i in condition.items)} not within {condition.within} words of each other"


def smallest_window(events: list[tuple[int, int, Mention]], kinds: int) -> tuple[int, list[Mention]] | None:
    """The narrowest run of word positions that contains a hit of every term: (span in words, hits)."""
    count: dict[int, int] = defaultdict(int)
    best: tuple[int, list[Mention]] | None = None
    left = 0
    for right, (word, kind, _hit) in enumerate(events):
        count[kind] += 1
        while len(count) == kinds:
            span = word - events[left][0]
            if best is None or span < best[0]:
                best = (span, [e[2] for e in events[left : right + 1]])
            count[events[left][1]] -= 1
            if count[events[left][1]] == 0:
                del count[events[left][1]]
            left += 1
    return best


def describe(condition) -> str:
    if isinstance(condition, Term):
        return condition.label
    if isinstance(condition, Regex):
        return f"re:{condition.pattern}"
    if isinstance(condition, Near):
        return "near(" + ", ".join(describe(i) for i in condition.items) + ")"
    return f"{condition.op}(" + ", ".join(describe(i) for i in condition.items) + ")"
