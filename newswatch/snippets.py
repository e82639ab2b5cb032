"""Search snippets: the sentence around the first match, with the matched words' offsets for highlighting."""
from __future__ import annotations

from dataclasses import dataclass

from newswatch.searchquery import Query, Word
from rules.text import WORD, normalize_word, sentence_at, title_repeat, tokenize

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
    body = title_repeat(text, title)  # trafilatura often keeps the headline as the text's first line
    seen: dict[str, bool] = {}

    def hit(word: str) -> bool:
        if word not in seen:
            seen[word] = _matched(wanted, normalize_word(word))
        return seen[word]

    first = next((m for m in WORD.finditer(text, body) if hit(m.group())), None)
    if first is None:
        cut = " ".join(text[body : body + limit * 2].split())[:limit]
        return Snippet(cut, ())
    sentence = _window(sentence_at(text, first.start(), first.end(), 20 * limit), wanted, limit)
    return Snippet(sentence, tuple((t.start, t.end) for t in tokenize(sentence) if _matched(wanted, t.norm)))


def _window(sentence: str, wanted: list[Word], limit: int) -> str:
    """A long sentence cut at word boundaries to about `limit` characters around its first match, with `…`."""
    if len(sentence) <= limit:
        return sentence
    at = next((t.start for t in tokenize(sentence) if _matched(wanted, t.norm)), 0)
    start = max(0, at - limit // 3)
    if start:
        start = sentence.find(" ", start) + 1 or start
    end = min(len(sentence), start + limit)
    if end < len(sentence):
        end = sentence.rfind(" ", start, end) if sentence.rfind(" ", start, end) > at else end
    return ("…" if start else "") + sentence[start:end].strip() + ("…" if end < len(sentence) else "")


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
