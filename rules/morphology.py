"""Russian and Ukrainian word forms from one written form, with pymorphy3 and the OpenCorpora / VESUM dictionaries.

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


def language_of(word: str) -> str:
    """ru or uk, from the letters only one of the two alphabets has (ru when neither tells)."""
    letters = set(word.casefold())
    return "uk" if letters & UKRAINIAN_LETTERS and not letters & RUSSIAN_LETTERS else "ru"


@lru_cache(maxsize=100_000)
def word_forms(written: str) -> WordForms | None:
    """The forms a Cyrillic alias word stands for, or None when it must match as written."""
    word = normalize_word(written)
    if not is_cyrillic(word) or not word.isalpha():
        return None
    analyzer = _analyzer(language_of(written))
    parses = analyzer.parse(written.casefold())
    forms = {normalize_word(form.word) for form in parses[0].lexeme} | {word} if parses else {word}
    stem = os.path.commonprefix(sorted(forms))
    if len(stem) < MIN_STEM or len(word) - len(stem) > MAX_CUT:
        return None
    endings = {form[len(stem):] for form in forms}
    if written[:1].isupper():
        endings |= {suffix + ending for suffix in DERIVATIONS for ending in ENDINGS}
    return WordForms(stem, frozenset(endings))
