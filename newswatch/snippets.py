"""Search snippets: the sentence around the first match, with the matched words' offsets for highlighting."""
from __future__ import annotations

from dataclasses import dataclass

from newswatch.searchquery import Query, Word
from rules.text import sentence_at, tokenize

LIMIT = 240


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) character offsets of matched words in `text`


def _matched(words: list[Word], token: str) -> bool:
    return any(w.matches(part) for part in token.split("_") if part for w in words)


def snippet(query: Query, title: str, text: str, limit: int = LIMIT) -> Snippet:
    """The sentence of `text` holding the first matched word (or its opening when only the title matches)."""
    wanted = query.positive_words()
    tokens = tokenize(text)
    first = next((t for t in tokens if _matched(wanted, t.norm)), None)
    if first is None:
        cut = " ".join(text[: limit * 2].split())[:limit]
        return Snippet(cut, ())
    sentence = sentence_at(text, first.start, first.end, limit)
    return Snippet(sentence, tuple((t.start, t.end) for t in tokenize(sentence) if _matched(wanted, t.norm)))


def highlight_title(query: Query, title: str) -> tuple[tuple[int, int], ...]:
    wanted = query.positive_words()
    return tuple((t.start, t.end) for t in tokenize(title) if _matched(wanted, t.norm))


def marked(value: Snippet, before: str = "[", after: str = "]") -> str:
    """The snippet with each highlight wrapped in markers (for plain output)."""
    out, last = [], 0
    for start, end in value.highlights:
        out += [value.text[last:start], before, value.text[start:end], after]
        last = end
    out.append(value.text[last:])
    return "".join(out)
