"""Russian and Ukrainian word forms from one written form, with pymorphy3 and its Russian and Ukrainian dictionaries.

An alias word written in Cyrillic matches every word that is its stem followed by an ending
pymorphy3 knows for it (its whole paradigm: `Пономарёв` → `Пономарёва`, `Пономарёвым`). A
capitalised word (a name or a place) also matches the usual derived nouns and adjectives:
`Белгород` → `Белгородской` (-ск-), `Бєлгородщина` (-щин-), `белгородцы` (-ц-), each followed by
any adjective or noun ending. Latin words are never inflected: English matches whole words.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache

from rules.text import normalize_word

UKRAINIAN_LETTERS = set("іїєґ")
RUSSIAN_LETTERS = set("ыэъё")
MIN_STEM = 3
MAX_CUT = 4  # a stem may drop at most this many letters of the written word

# Derivational suffixes that turn a place or a person into an adjective, a region or its people.
DERIVATIONS = ("ск", "ськ", "цк", "щин", "ц", "ец", "чан", "ян")
# Noun and adjective endings of Russian and Ukrainian (normalised: ё→е, ї→і), used after a derivation.
ENDINGS = frozenset(
    """
    а я о е і и ы у ю ь й
    ая яя ое ее ые ие ий ый ой ей ую юю ого его ому ему ым им ых их ыми ими ою ею ом ем ам ям ах ях ами ями
    ов ев ів ей ьи ья ью ові еві ою ої ій ім іх іми ого ому ої ою ий ому і ь
    """.split()
) | {""}


@dataclass(frozen=True)
class WordForms:
    """A word that matches `stem` + one of `endings`."""

    stem: str
    endings: frozenset[str]

    def matches(self, word: str) -> bool:
        return word.startswith(self.stem) and word[len(self.stem):] in self.endings


_analyzers: dict[str, object] = {}
_lock = threading.Lock()


def _analyzer(lang: str):
    with _lock:
        if lang not in _analyzers:
            import pymorphy3

            _analyzers[lang] = pymorphy3.MorphAnalyzer(lang=lang)
        return _analyzers[lang]


def is_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


def languages_of(word: str) -> tuple[str, ...]:
    """ru, uk or both, from the letters (and the `ьо`) that only one of the two languages writes."""
    lower = word.casefold()
    letters = set(lower)
    if letters & RUSSIAN_LETTERS:
        return ("ru",)
    if letters & UKRAINIAN_LETTERS or "ьо" in lower:
        return ("uk",)
    return ("ru", "uk")


def _paradigm(written: str, lang: str) -> set[str]:
    parses = _analyzer(lang).parse(written.casefold())
    return {normalize_word(form.word) for form in parses[0].lexeme} if parses else set()


@lru_cache(maxsize=100_000)
def word_forms(written: str) -> WordForms | None:
    """The forms a Cyrillic alias word stands for, or None when it must match as written.

    When the letters do not tell Russian from Ukrainian, both dictionaries are asked and the longer
    stem wins (the cautious reading: `Пономарьов` is not the Russian `пономарь`).
    """
    word = normalize_word(written)
    if not is_cyrillic(word) or not word.isalpha():
        return None
    best: tuple[str, set[str]] | None = None
    for lang in languages_of(written):
        forms = _paradigm(written, lang) | {word}
        if len(forms) < 2:
            continue
        stem = os.path.commonprefix(sorted(forms))
        if best is None or len(stem) > len(best[0]):
            best = (stem, forms)
    if best is None:
        return None
    stem, forms = best
    if len(stem) < MIN_STEM or len(word) - len(stem) > MAX_CUT:
        return None
    endings = {form[len(stem):] for form in forms}
    if written[:1].isupper():
        endings |= {suffix + ending for suffix in DERIVATIONS for ending in ENDINGS}
    return WordForms(stem, frozenset(endings))
