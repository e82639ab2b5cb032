"""An alias or phrase as written in a rule file, compiled to the word patterns it matches (pure).

Syntax of one alias:
- words in order (`Freedom of Russia Legion`); punctuation, quotes and dashes between them are ignored;
- `word*` matches every word that starts with `word` (at least 3 letters before the `*`);
- a leading `=` (`=Белгород`) matches the words exactly as written: no inflection;
- otherwise a Cyrillic word matches its inflected forms (see rules.morphology), a Latin word
  matches only itself (whole word); the words of a Russian or Ukrainian name inflect together, in
  agreement (see rules.agreement).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rules.agreement import NO_GROUP, alias_words, phrase_forms
from rules.morphology import ANY_SLOT, WordForms, word_forms
from rules.text import WORD, normalize_word

MIN_PREFIX = 3
WILDCARD_WORD = re.compile(r"(\w+)(\*?)")


@dataclass(frozen=True, slots=True)
class WordPattern:
    kind: Literal["exact", "prefix", "forms"]
    text: str  # the normalised word, prefix or stem
    forms: WordForms | None = None
    group: int = NO_GROUP  # words of one group must agree in case and number

    def slots(self, word: str) -> int:
        """The slots (case × number) `word` fills as a form of this word; 0 when it is none."""
        if self.kind == "exact":
            return ANY_SLOT if word == self.text else 0
        if self.kind == "prefix":
            return ANY_SLOT if word.startswith(self.text) else 0
        assert self.forms is not None
        return self.forms.slots(word)

    def matches(self, word: str) -> bool:
        if self.kind == "exact":
            return word == self.text
        if self.kind == "prefix":
            return word.startswith(self.text)
        assert self.forms is not None
        return self.forms.slots(word) != 0


@dataclass(frozen=True, slots=True)
class AliasPattern:
    """One spelling to look for: the words it matches, and what the user wrote."""

    term: str  # the term key: "entity:<id>" or "phrase:<text>"
    alias: str  # the alias as written in the rule file
    spelling: str  # the spelling this pattern was built from (the alias, or a transliteration of it)
    words: tuple[WordPattern, ...]
    agrees: bool = False  # some words form an agreement group

    def key(self) -> str:
        """The automaton key: leading exact words (whole), then the first stem or prefix."""
        parts: list[str] = []
        for word in self.words:
            parts.append(word.text)
            if word.kind != "exact":
                return " " + " ".join(parts)
        return " " + " ".join(parts) + " "

    def matches_at(self, words: list[str], index: int) -> bool:
        if index >= len(words):
            return False
        first = self.words[0].slots(words[index])
        return first != 0 and self.matches_after(words, index, first)

    def matches_after(self, words: list[str], index: int, first: int) -> bool:
        """Whether the words from `index` on match, the first one known to fill the slots `first`."""
        if index + len(self.words) > len(words):
            return False
        if not self.agrees:
            return all(self.words[i].matches(words[index + i]) for i in range(1, len(self.words)))
        head = self.words[0]
        common = {head.group: first} if head.group != NO_GROUP else {}  # group → slots every word of it so far can fill
        for i in range(1, len(self.words)):
            pattern = self.words[i]
            found = pattern.slots(words[index + i])
            if found and pattern.group != NO_GROUP:
                found &= common.get(pattern.group, ANY_SLOT)
                common[pattern.group] = found
            if not found:
                return False
        return True


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
    written = alias_words(body, WILDCARD_WORD.finditer(body))
    agreeing = None if (exact or not inflect) else phrase_forms(written)
    words: list[WordPattern] = []
    for i, word in enumerate(written):
        norm = normalize_word(word.text)
        if word.prefix:
            words.append(WordPattern("prefix", norm))
            continue
        if agreeing is not None:
            forms, group = agreeing[i].forms, agreeing[i].group
        else:
            forms, group = (None if (exact or not inflect) else word_forms(word.text)), NO_GROUP
        words.append(WordPattern("forms", forms.stem, forms, group) if forms else WordPattern("exact", norm))
    agrees = sum(1 for w in words if w.group != NO_GROUP) > 1
    return AliasPattern(term, alias, spelling, tuple(words), agrees)
