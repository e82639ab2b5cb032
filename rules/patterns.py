"""An alias or phrase as written in a rule file, compiled to the word patterns it matches (pure).

Syntax of one alias:
- words in order (`Freedom of Russia Legion`); punctuation, quotes and dashes between them are ignored;
- `word*` matches every word that starts with `word` (at least 3 letters before the `*`);
- a leading `=` (`=Белгород`) matches the words exactly as written: no inflection;
- otherwise a Cyrillic word matches its inflected forms (see rules.morphology), a Latin word
  matches only itself (whole word).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rules.morphology import WordForms, word_forms
from rules.text import WORD, normalize_word

MIN_PREFIX = 3
WILDCARD_WORD = re.compile(r"(\w+)(\*?)")


@dataclass(frozen=True)
class WordPattern:
    kind: Literal["exact", "prefix", "forms"]
    text: str  # the normalised word, prefix or stem
    forms: WordForms | None = None

    def matches(self, word: str) -> bool:
        if self.kind == "exact":
            return word == self.text
        if self.kind == "prefix":
            return word.startswith(self.text)
        assert self.forms is not None
        return self.forms.matches(word)


@dataclass(frozen=True)
class AliasPattern:
    """One spelling to look for: the words it matches, and what the user wrote."""

    term: str  # the term key: "entity:<id>" or "phrase:<text>"
    alias: str  # the alias as written in the rule file
    spelling: str  # the spelling this pattern was built from (the alias, or a transliteration of it)
    words: tuple[WordPattern, ...]

    def key(self) -> str:
        """The automaton key: leading exact words (whole), then the first stem or prefix."""
        parts: list[str] = []
        for word in self.words:
            parts.append(word.text)
            if word.kind != "exact":
                return " " + " ".join(parts)
        return " " + " ".join(parts) + " "

    def matches_at(self, words: list[str], index: int) -> bool:
        if index + len(self.words) > len(words):
            return False
        return all(pattern.matches(words[index + i]) for i, pattern in enumerate(self.words))


def check_alias(alias: str) -> str | None:
    """What is wrong with how an alias is written, or None."""
    body = alias[1:] if alias.startswith("=") else alias
    if not WORD.search(body):
        return "an alias needs at least one letter or digit"
    for star in re.finditer(r"\*", body):
        before = body[: star.start()]
        if star.start() + 1 < len(body) and re.match(r"\w", body[star.start() + 1]):
            return "a wildcard `*` may only end a word (write `Белгород*`)"
        stem = re.search(r"(\w*)$", before).group(1)
        if len(stem) < MIN_PREFIX:
            return f"a wildcard needs at least {MIN_PREFIX} letters before `*` (got {stem + '*'!r})"
    return None


def compile_alias(term: str, alias: str, spelling: str, inflect: bool = True) -> AliasPattern:
    """Word patterns of one spelling; `check_alias` must have accepted the alias."""
    exact = spelling.startswith("=")
    body = spelling[1:] if exact else spelling
    words: list[WordPattern] = []
    for match in WILDCARD_WORD.finditer(body):
        word, star = match.group(1), match.group(2)
        norm = normalize_word(word)
        if star:
            words.append(WordPattern("prefix", norm))
            continue
        forms = None if (exact or not inflect) else word_forms(word)
        words.append(WordPattern("forms", forms.stem, forms) if forms else WordPattern("exact", norm))
    return AliasPattern(term, alias, spelling, tuple(words))
