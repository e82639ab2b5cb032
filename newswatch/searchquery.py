"""The archive search language, parsed into plain data and matched against plain word lists.

A query is words and "quoted phrases", all required; `a OR b` needs either; `-word` or
`-"a phrase"` excludes; `word*` is a prefix. Words are folded the way the rules fold them (case,
diacritics, ё/е, ї/і), and a Cyrillic word also finds its inflected forms through the rules'
morphology, so search and watches agree on what a word is. The databases only pick candidates;
`document_matches` here decides, so SQLite and PostgreSQL return the same articles.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rules.morphology import WordForms, word_forms
from rules.text import WORD, normalize_word, words

PIECE = re.compile(r'(-?)"([^"]*)("?)|(\S+)')


class QueryError(ValueError):
    """A query that cannot be searched for; the message says why."""


@dataclass(frozen=True)
class Word:
    written: str
    norm: str
    prefix: bool = False  # written with a trailing `*`
    forms: WordForms | None = None  # its inflected forms (Cyrillic words)

    @property
    def stem(self) -> str:
        """What every matching word starts with."""
        return self.forms.stem if self.forms is not None else self.norm

    @property
    def open_ended(self) -> bool:
        """True when matching words may be longer than `stem` (a prefix, or an inflected word)."""
        return self.prefix or self.forms is not None

    def matches(self, token: str) -> bool:
        if self.prefix:
            return token.startswith(self.norm)
        if self.forms is not None:
            return token == self.norm or self.forms.matches(token)
        return token == self.norm


@dataclass(frozen=True)
class Phrase:
    """Words that must follow each other (a single word is a phrase of one)."""

    words: tuple[Word, ...]

    def positions(self, tokens: list[str]) -> list[int]:
        """Where the phrase starts in a list of normalised words."""
        allowed = self._allowed(set(tokens))
        if not all(allowed):
            return []
        first, rest = allowed[0], allowed[1:]
        return [
            i for i, token in enumerate(tokens[: len(tokens) - len(rest)])
            if token in first and all(tokens[i + k] in ok for k, ok in enumerate(rest, 1))
        ]

    def count(self, tokens: list[str], counts: Counter[str]) -> int:
        """How often the phrase occurs in `tokens` (`counts`: Counter(tokens))."""
        if len(self.words) == 1:
            return sum(counts[t] for t in self._allowed(counts.keys())[0])
        return len(self.positions(tokens))

    def _allowed(self, distinct) -> list[set[str]]:
        """For each word, which of these distinct words it matches."""
        return [{t for t in distinct if t.startswith(w.stem) and w.matches(t)} for w in self.words]


@dataclass(frozen=True)
class Clause:
    """One of these phrases must be present (`a OR b OR "c d"`)."""

    options: tuple[Phrase, ...]


@dataclass(frozen=True)
class Query:
    required: tuple[Clause, ...]
    excluded: tuple[Phrase, ...]

    def positive_words(self) -> list[Word]:
        return [w for clause in self.required for phrase in clause.options for w in phrase.words]


def search_words(text: str) -> list[str]:
    """A text as the normalised words the index holds (letters and digits; `_` separates)."""
    found = words(text)
    if "_" not in text:
        return found
    return [part for word in found for part in word.split("_") if part]


def make_word(written: str, prefix: bool = False) -> Word:
    return Word(written, normalize_word(written), prefix, None if prefix else word_forms(written))


def _phrase(text: str, allow_prefix: bool) -> Phrase | None:
    prefix = allow_prefix and text.endswith("*")
    found = [m.group() for m in WORD.finditer(text)]
    parts = [part for word in found for part in word.split("_") if part]
    if not parts:
        return None
    built = [make_word(p) for p in parts[:-1]] + [make_word(parts[-1], prefix=prefix)]
    return Phrase(tuple(built))


def parse_query(query: str) -> Query:
    """Parse a search query; a query that cannot mean anything raises QueryError with the reason."""
    items: list[tuple[str, Phrase | None]] = []  # ("or", None) | ("+", phrase) | ("-", phrase)
    for match in PIECE.finditer(query):
        minus, quoted, closing, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                items.append(("or", None))
                continue
            negative = bare.startswith("-") and len(bare) > 1
            phrase = _phrase(bare[1:] if negative else bare, allow_prefix=True)
            if phrase is None:
                continue
            items.append(("-" if negative else "+", phrase))
            continue
        if not closing:
            raise QueryError(f"unclosed quote in {query!r}: close the phrase with \"")
        phrase = _phrase(quoted, allow_prefix=False)
        if phrase is None:
            continue
        items.append(("-" if minus else "+", phrase))
    required: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    joining = False
    for index, (kind, phrase) in enumerate(items):
        if kind == "or":
            if joining or not required or index == len(items) - 1 or items[index - 1][0] != "+":
                raise QueryError("OR must stand between two words or phrases (write `a OR b`)")
            joining = True
            continue
        if kind == "-":
            if joining:
                raise QueryError("an excluded word cannot be one side of OR")
            excluded.append(phrase)
            continue
        if joining:
            required[-1].append(phrase)
            joining = False
        else:
            required.append([phrase])
    if not required:
        raise QueryError("the query has no word to look for" + (" (it only excludes)" if excluded else ""))
    return Query(tuple(Clause(tuple(options)) for options in required), tuple(excluded))


def evaluate(query: Query, title: list[str], text: list[str]) -> float | None:
    """The article's score for the query, or None when it does not match.

    A phrase must lie within one field. Matches in the title count three times; long texts count less.
    """
    fields = [(title, Counter(title)), (text, Counter(text))]
    if any(phrase.count(tokens, counts) for phrase in query.excluded for tokens, counts in fields):
        return None
    score = 0.0
    for clause in query.required:
        found = False
        for phrase in clause.options:
            hits = 3 * phrase.count(*fields[0]) + phrase.count(*fields[1])
            if hits:
                found = True
                score += hits / (hits + 1.2 * (0.25 + 0.75 * len(text) / 400))
        if not found:
            return None
    return round(score, 6)


def document_matches(query: Query, fields: list[list[str]]) -> bool:
    """Whether an article whose title and text hold these normalised words matches the query."""
    title, text = fields
    return evaluate(query, title, text) is not None
