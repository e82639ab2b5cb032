"""Text normalisation and tokenisation for matching: case, diacritics, ё/е, quotes and dashes fold away."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

WORD = re.compile(r"\w+", re.UNICODE)
FOLD = str.maketrans({"ё": "е", "Ё": "е", "ї": "і", "Ї": "і"})
KEEP_MARKS = {"\u0306"}  # the breve of й/ў must survive diacritic stripping


@dataclass(frozen=True)
class Token:
    norm: str
    start: int
    end: int


def normalize_word(word: str) -> str:
    """Case-fold, strip diacritics (but not й), fold ё→е."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch) or ch in KEEP_MARKS)
    return unicodedata.normalize("NFC", stripped).translate(FOLD)


def tokenize(text: str) -> list[Token]:
    """Words with their character offsets in the original text."""
    return [Token(normalize_word(m.group()), m.start(), m.end()) for m in WORD.finditer(text)]


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """A phrase as the sequence of normalised words it must match (quotes, dashes, spacing ignored)."""
    return tuple(normalize_word(m.group()) for m in WORD.finditer(phrase))
