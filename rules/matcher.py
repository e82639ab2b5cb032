"""Matching articles against watches: whole words and phrases, case- and script-aware (pure)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rules.model import Watch
from rules.ruleset import RuleSet
from rules.text import Token, phrase_tokens, tokenize

FIELDS = ("title", "text")


@dataclass(frozen=True)
class Document:
    """What a watch is matched against: the article's title and main text, nothing else."""

    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    term: str  # as written in the watch (entity id or phrase)
    alias: str  # the alias or phrase that matched
    field: str  # title or text
    start: int  # character offsets in that field
    end: int


@dataclass(frozen=True)
class WatchResult:
    watch: Watch
    hits: list[Hit] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        """The aliases and phrases that matched, as written in the rules."""
        return list(dict.fromkeys(hit.alias for hit in self.hits))


@dataclass(frozen=True)
class _Term:
    term: str
    aliases: tuple[tuple[str, tuple[str, ...]], ...]  # (alias as written, its tokens)


class _Index:
    """Positions of each normalised word in each field of one document."""

    def __init__(self, document: Document) -> None:
        self.tokens: dict[str, list[Token]] = {name: tokenize(getattr(document, name)) for name in FIELDS}
        self.positions: dict[str, dict[str, list[int]]] = {}
        for name, tokens in self.tokens.items():
            positions: dict[str, list[int]] = defaultdict(list)
            for i, token in enumerate(tokens):
                positions[token.norm].append(i)
            self.positions[name] = positions

    def find(self, words: tuple[str, ...]) -> tuple[str, int, int] | None:
        """First occurrence of the word sequence: (field, start offset, end offset)."""
        for name in FIELDS:
            tokens = self.tokens[name]
            for i in self.positions[name].get(words[0], ()):
                if tuple(t.norm for t in tokens[i : i + len(words)]) == words:
                    return name, tokens[i].start, tokens[i + len(words) - 1].end
        return None


class Matcher:
    """Watches compiled against their entities; `match` is a pure function of a document."""

    def __init__(self, rules: RuleSet) -> None:
        self.watches = rules.watches
        self._terms: dict[str, _Term] = {}
        for watch in rules.watches:
            for term in (*watch.all_, *watch.any_, *watch.none):
                if term not in self._terms:
                    entity = rules.entities.get(term)
                    aliases = entity.aliases if entity is not None else [term]
                    compiled = tuple((a, phrase_tokens(a)) for a in aliases if phrase_tokens(a))
                    self._terms[term] = _Term(term, compiled)

    def _hit(self, index: _Index, term: str) -> Hit | None:
        for alias, words in self._terms[term].aliases:
            found = index.find(words)
            if found is not None:
                return Hit(term, alias, *found)
        return None

    def match(self, document: Document) -> list[WatchResult]:
        """The watches this document satisfies, each with the hits that satisfied it."""
        index = _Index(document)
        cache: dict[str, Hit | None] = {}

        def hit(term: str) -> Hit | None:
            if term not in cache:
                cache[term] = self._hit(index, term)
            return cache[term]

        results = []
        for watch in self.watches:
            all_hits = [hit(t) for t in watch.all_]
            if any(h is None for h in all_hits):
                continue
            any_hits = [h for h in (hit(t) for t in watch.any_) if h is not None]
            if watch.any_ and not any_hits:
                continue
            if any(hit(t) is not None for t in watch.none):
                continue
            hits = sorted([h for h in all_hits if h] + any_hits, key=lambda h: (FIELDS.index(h.field), h.start))
            results.append(WatchResult(watch, hits))
        return results


def snippet(document: Document, hits: list[Hit], width: int = 240) -> str:
    """About `width` characters of main text around the first hit in the text, cut at word boundaries."""
    text = document.text
    first = next((h for h in hits if h.field == "text"), None)
    if not text:
        return ""
    if first is None:
        start, end = 0, min(len(text), width)
    else:
        half = max((width - (first.end - first.start)) // 2, 0)
        start, end = max(first.start - half, 0), min(first.end + half, len(text))
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (first.start if first else end) else start
    if end < len(text):
        space = text.rfind(" ", (first.end if first else start), end)
        end = space if space > 0 else end
    body = " ".join(text[start:end].split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
