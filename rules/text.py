"""Text normalisation and tokenisation for matching: case, diacritics, ё/е, quotes and dashes fold away.

A word is a run of letters and digits (`\\w+`), so quotes («» “” ""), dashes and white space only
separate words and never take part in a match.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

WORD = re.compile(r"\w+", re.UNICODE)
FOLD = str.maketrans({"ё": "е", "Ё": "е", "ї": "і", "Ї": "і"})
KEEP_MARKS = {"\u0306"}  # the breve of й/ў must survive diacritic stripping
SENTENCE_END = re.compile(r"[.!?…]+[\"'»”)\]]*\s+|\n+")


@dataclass(frozen=True)
class Token:
    norm: str
    start: int
    end: int


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """Case-fold, strip diacritics (but not й), fold ё→е and ї→і."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch) or ch in KEEP_MARKS)
    return unicodedata.normalize("NFC", stripped).translate(FOLD)


class _Normalised(dict):
    """Word → normalised word, filled on first use (news text repeats its words a lot)."""

    def __missing__(self, word: str) -> str:
        if len(self) > 500_000:
            self.clear()
        value = self[word] = normalize_word.__wrapped__(word)  # this dict is the cache: not the lru_cache too
        return value


_NORMALISED = _Normalised()


def words(text: str) -> list[str]:
    """The normalised words of a text, without offsets (the fast path used for every document)."""
    return list(map(_NORMALISED.__getitem__, WORD.findall(text)))


def tokenize(text: str) -> list[Token]:
    """Words with their character offsets in the original text."""
    return [Token(normalize_word(m.group()), m.start(), m.end()) for m in WORD.finditer(text)]


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """A phrase as the sequence of normalised words it must match (quotes, dashes, spacing ignored)."""
    return tuple(normalize_word(m.group()) for m in WORD.finditer(phrase))


def sentence_at(text: str, start: int, end: int, limit: int = 400) -> str:
    """The sentence around text[start:end], white space folded, cut to about `limit` characters."""
    bounds = [0] + [m.end() for m in SENTENCE_END.finditer(text)] + [len(text)]
    i = bisect.bisect_right(bounds, start) - 1
    j = bisect.bisect_left(bounds, end, lo=i + 1)
    sentence_start, sentence_end = bounds[max(i, 0)], bounds[min(j, len(bounds) - 1)]
    if sentence_end - sentence_start > limit:
        half = limit // 2
        sentence_start, sentence_end = max(sentence_start, start - half), min(sentence_end, end + half)
    return " ".join(text[sentence_start:sentence_end].split())


def title_repeat(text: str, title: str) -> int:
    """How many characters at the start of `text` repeat the title (trafilatura often keeps the headline)."""
    first = text.lstrip().split("\n", 1)[0]
    if title and " ".join(first.split()) == " ".join(title.split()):
        return len(text) - len(text.lstrip()) + len(first)
    return 0


def lead_of(text: str, title: str = "", limit: int = 600) -> str:
    """An article's lead: its first paragraph that is not the headline (paragraphs are separated by new lines)."""
    for paragraph in text[title_repeat(text, title):].split("\n"):
        if paragraph.strip():
            return paragraph.strip()[:limit]
    return ""
