"""Russian and Ukrainian word forms from one written form, with pymorphy3 and its Russian and Ukrainian dictionaries.

An alias word written in Cyrillic matches every word that is its stem followed by an ending
pymorphy3 knows for it (its whole paradigm: `Пономарёв` → `Пономарёва`, `Пономарёвым`). A
capitalised word (a name or a place) also matches the usual derived nouns and adjectives:
`Белгород` → `Белгородской` (-ск-), `Бєлгородщина` (-щин-), `белгородцы` (-ц-), each followed by
any adjective or noun ending. Latin words are never inflected: English matches whole words.

Each word's endings map to the grammatical slots (case × number) that the ending can stand for,
so that the words of a phrase can be made to agree (see rules.agreement); a single word takes any
slot. Endings tables are shared between words with the same paradigm, and the derived endings are
one table for every name: a Matcher of thousands of aliases holds one small object per word.
"""
from __future__ import annotations

import os
import re
import threading
from functools import lru_cache
from typing import Mapping

from rules.text import normalize_word

UKRAINIAN_LETTERS = set("іїєґ")
RUSSIAN_LETTERS = set("ыэъё")
UKRAINIAN_SOFT_O = re.compile("ьо(?!н)")  # `Пономарьов`, `сьогодні`; Russian writes `ьо` in `батальон`, `бульон`
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
DERIVED_ENDINGS = frozenset(suffix + ending for suffix in DERIVATIONS for ending in ENDINGS)

# Grammatical slots: one bit per case and number. Oblique variants (gen2, loc2, acc2) count as their case.
CASES = {"nomn": 0, "gent": 1, "gen2": 1, "datv": 2, "accs": 3, "acc2": 3, "ablt": 4, "loct": 5, "loc2": 5, "voct": 6}
ANY_SLOT = (1 << (2 * 7)) - 1


def slot(case: str | None, plural: bool) -> int:
    """The bit of one case and number (every slot when the case is unknown)."""
    return ANY_SLOT if case not in CASES else 1 << (2 * CASES[case] + plural)


_TABLES: dict[frozenset, Mapping[str, int]] = {}


def shared_endings(endings: Mapping[str, int]) -> Mapping[str, int]:
    """One table object for every word whose ending → slots table is the same (most paradigms repeat)."""
    with _lock:
        return _TABLES.setdefault(frozenset(endings.items()), dict(endings))


class WordForms:
    """A word that matches `stem` + one of `endings` (each ending standing for some slots), or, for a
    name (`derived`), `stem` + a derivation + an adjective or noun ending (any slot)."""

    __slots__ = ("stem", "endings", "derived")

    def __init__(self, stem: str, endings: Mapping[str, int], derived: bool = False) -> None:
        self.stem, self.endings, self.derived = stem, shared_endings(endings), derived

    def slots(self, word: str) -> int:
        """The slots `word` can fill as a form of this word (0: it is not one)."""
        if not word.startswith(self.stem):
            return 0
        rest = word[len(self.stem):]
        found = self.endings.get(rest, 0)
        if not found and self.derived and rest in DERIVED_ENDINGS:
            return ANY_SLOT
        return found

    def matches(self, word: str) -> bool:
        return self.slots(word) != 0

    def _key(self) -> tuple:
        return (self.stem, id(self.endings), self.derived)  # tables are shared: one identity per content

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordForms) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"WordForms({self.stem!r}, {len(self.endings)} endings{', derived' if self.derived else ''})"


_analyzers: dict[str, object] = {}
_lock = threading.Lock()


def analyzer(lang: str):
    """The pymorphy3 analyser of `lang` (ru or uk), loaded once per process."""
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
    if letters & UKRAINIAN_LETTERS or UKRAINIAN_SOFT_O.search(lower):
        return ("uk",)
    return ("ru", "uk")


def _paradigm(written: str, lang: str) -> set[str]:
    parses = analyzer(lang).parse(written.casefold())
    return {normalize_word(form.word) for form in parses[0].lexeme} if parses else set()


@lru_cache(maxsize=100_000)
def word_forms(written: str) -> WordForms | None:
    """The forms a Cyrillic alias word stands for, or None when it must match as written.

    When the letters do not tell Russian from Ukrainian, the dictionary that knows the word wins
    (`Русский` is Russian); when both or neither know it, both are asked and the longer stem wins
    (the cautious reading), or, when the stems are the same, the endings of both count (`Дружина`
    finds the Ukrainian `Дружини`).
    """
    word = normalize_word(written)
    if not is_cyrillic(word) or not word.isalpha():
        return None
    langs = languages_of(written)
    known = [lang for lang in langs if analyzer(lang).word_is_known(written.casefold())]
    if len(known) == 1:
        langs = tuple(known)
    best: tuple[str, set[str]] | None = None
    for lang in langs:
        forms = _paradigm(written, lang) | {word}
        if len(forms) < 2:
            continue
        stem = os.path.commonprefix(sorted(forms))
        if best is not None and stem == best[0]:
            best = (stem, best[1] | forms)  # both languages read it alike: either's endings
        elif best is None or len(stem) > len(best[0]):
            best = (stem, forms)
    if best is None:
        return None
    stem, forms = best
    if len(stem) < MIN_STEM or len(word) - len(stem) > MAX_CUT:
        return None
    return WordForms(stem, {form[len(stem):]: ANY_SLOT for form in forms}, derived=written[:1].isupper())
