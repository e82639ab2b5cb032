"""Matching articles against watches (pure).

Every alias of every entity and every phrase, in every spelling (transliterations included), is a
key of one Aho-Corasick automaton over the normalised words of a field. One pass per field finds
all candidates; each candidate is checked word by word (inflections, wildcards); only watches
with at least one hit (or with a regular expression) have their boolean logic evaluated. So the
cost of matching grows with the text and the number of hits, hardly with the number of watches.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from rules.agreement import QUOTES, clear_caches
from rules.conditions import Group, Near, Regex, Term, WatchLogic, compile_regex
from rules.evaluate import Evaluator, FieldIndex, Mention
from rules.model import FIELD_NAMES, Watch
from rules.patterns import AliasPattern, WordPattern, compile_alias
from rules.ruleset import RuleSet
from rules.text import lead_of, words
from rules.translit import variants



@dataclass(frozen=True)
class Document:
    """What a watch is matched against: the article's fields and what the filters look at."""

    title: str
    text: str
    lead: str | None = None  # None: the first paragraph of `text`
    url: str = ""
    authors: tuple[str, ...] | list[str] = ()
    outlet: str = ""
    language: str = ""

    def field(self, name: str) -> str:
        if name == "lead":
            return lead_of(self.text, self.title) if self.lead is None else self.lead
        if name == "author":
            return "\n".join(self.authors)
        return getattr(self, name)


@dataclass(frozen=True)
class Hit:
    term: str  # as written in the watch (entity id, phrase or pattern)
    alias: str  # the alias, phrase or pattern that matched, as written
    field: str  # title, lead, text, url or author
    start: int  # character offsets in that field
    end: int
    word: int = 0  # position in the field, in words from 0
    found: str = ""  # the text as it appears in the article
    spelling: str = ""  # the spelling that matched, when it was generated (a transliteration)


@dataclass(frozen=True)
class WatchResult:
    watch: Watch
    hits: list[Hit] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        """The aliases and phrases that matched, as written in the rules."""
        return list(dict.fromkeys(hit.alias for hit in self.hits))

    @property
    def matched(self) -> list[str]:
        """Each alias that matched, with the form found when it differs: `Пономарёв («Пономарёва»)`."""
        found: dict[str, list[str]] = {}
        for hit in self.hits:
            shown = hit.alias[1:] if hit.alias.startswith("=") else hit.alias  # `=` (no inflection) is rule syntax
            forms = found.setdefault(shown, [])
            if hit.found and words(hit.found) != words(shown) and hit.found not in forms:
                forms.append(hit.found)
        return [f"{alias} ({', '.join('«' + f + '»' for f in forms[:3])})" if forms else alias for alias, forms in found.items()]


class Matcher:
    """Watches compiled against their entities; `match` is a pure function of a document."""

    def __init__(self, rules: RuleSet) -> None:
        self.watches = rules.watches
        self.logic: list[WatchLogic] = [rules.logic[w.id] for w in rules.watches if w.id in rules.logic]
        self.patterns: list[AliasPattern] = []
        self.entity_patterns: dict[str, list[tuple[str, Any]]] = {}
        self.candidates: dict[str, list[int]] = defaultdict(list)  # term key → watches it can trigger
        self.always: list[int] = []  # watches the automaton cannot trigger (regexes, only `none`): always evaluated
        self.fields: set[str] = set()
        self._compile(rules)
        clear_caches()
        for i, logic in enumerate(self.logic):
            triggers = self._triggers(logic.root)
            if triggers is None:
                self.always.append(i)
            for key in triggers or ():
                self.candidates[key].append(i)
            self.fields |= _fields_of(logic.root)
        self.automaton = ahocorasick.Automaton()
        by_key: dict[str, dict[WordPattern, list[int]]] = defaultdict(dict)
        for index, pattern in enumerate(self.patterns):
            by_key[pattern.key()].setdefault(pattern.words[0], []).append(index)
        for key, by_first in by_key.items():  # patterns under one key grouped by their first word: it is checked once
            self.automaton.add_word(key, (len(key), tuple((first, tuple(indexes)) for first, indexes in by_first.items())))
        if by_key:
            self.automaton.make_automaton()

    def _triggers(self, condition) -> frozenset[str] | None:
        """Terms of which at least one must be found for the condition to hold (None: cannot tell, always evaluate).

        A watch is evaluated only for documents in which one of its triggers was found.
        """
        if isinstance(condition, Term):
            return None if condition.key in self.entity_patterns else frozenset([condition.key])
        if isinstance(condition, Regex):
            return None
        if isinstance(condition, Near):
            return self._triggers(condition.items[0])
        if condition.op == "none":
            return None
        found = [self._triggers(item) for item in condition.items]
        if condition.op == "any":
            return None if any(f is None for f in found) else frozenset().union(*found)
        known = [f for f in found if f is not None]
        return min(known, key=len) if known else None

    def _compile(self, rules: RuleSet) -> None:
        """The alias patterns (every spelling) of every term the watches use, and the entities' regexes."""
        used = {key for logic in self.logic for key in logic.terms}
        for key in sorted(used):
            kind, _, name = key.partition(":")
            if kind == "entity":
                entity = rules.entities[name]
                aliases, inflect, transliterate = entity.aliases, entity.inflect, entity.transliterate
                if entity.patterns:
                    self.entity_patterns[key] = [(p, compile_regex(p)) for p in entity.patterns]
            else:
                aliases, inflect, transliterate = [name], True, False
            seen: set[tuple] = set()
            for alias in aliases:
                spellings = variants(alias) if transliterate and not alias.startswith("=") else [alias]
                for spelling in spellings:
                    pattern = compile_alias(key, alias, spelling, inflect)
                    if pattern.words and (pattern.words, alias) not in seen:
                        seen.add((pattern.words, alias))
                        self.patterns.append(pattern)

    def _term_hits(self, document: Document) -> tuple[dict[str, list[Mention]], dict[str, FieldIndex]]:
        found: dict[str, list[Mention]] = defaultdict(list)
        fields: dict[str, FieldIndex] = {}
        for name in FIELD_NAMES:
            if name not in self.fields:
                continue
            current = fields[name] = FieldIndex.of(document.field(name))
            if not current.words or not self.patterns:
                continue
            best: dict[tuple[str, int], tuple[int, int]] = {}  # one hit per term and place: longest, then first listed
            for index, pattern_index in self._scan(current):
                pattern = self.patterns[pattern_index]
                rank = (-len(pattern.words), pattern_index)
                place = (pattern.term, index)
                if place not in best or rank < best[place]:
                    best[place] = rank
            for (term, index), (length, pattern_index) in sorted(best.items(), key=lambda item: item[0][1]):
                found[term].append(Mention(name, index, -length, pattern_index))
        return found, fields

    def _scan(self, current: FieldIndex) -> list[tuple[int, int]]:
        """(word index, pattern index) of every verified match in one field.

        Every key starts with a space and spaces only separate words, so a match always begins at a
        word; its index is the number of spaces before it, counted incrementally (in C).
        """
        out: list[tuple[int, int]] = []
        words, joined = current.words, current.joined()
        position, spaces = 0, 0
        for end, (length, groups) in self.automaton.iter(joined):
            begin = end - length + 1  # the key's leading space
            if begin >= position:
                spaces += joined.count(" ", position, begin)
            else:
                spaces -= joined.count(" ", begin, position)
            position = begin
            for first, indexes in groups:
                slots = first.slots(words[spaces])
                if slots:
                    out.extend((spaces, i) for i in indexes if self.patterns[i].matches_after(words, spaces, slots))
        return out

    def match(self, document: Document) -> list[WatchResult]:
        """The watches this document satisfies, each with the hits that satisfied it."""
        return [result for result, ok, _reason in self._evaluate(document, explain=False) if ok]

    def match_and_misses(self, document: Document) -> tuple[list[WatchResult], list[tuple[WatchResult, str]]]:
        """The watches this document satisfies, and its near misses with their reason: watches whose
        terms are all there but whose `outlets`, `languages` or `min_mentions` filter says no."""
        matched, misses = [], []
        for result, ok, reason in self._evaluate(document, explain=False, misses=True):
            (matched.append(result) if ok else misses.append((result, reason)))
        return matched, misses

    def explain(self, document: Document) -> list[tuple[WatchResult, bool, str]]:
        """Every watch: its result (with every hit found for its terms), whether it matched, and why not."""
        return self._evaluate(document, explain=True)

    def _evaluate(self, document: Document, explain: bool, misses: bool = False) -> list[tuple[WatchResult, bool, str]]:
        term_hits, fields = self._term_hits(document)
        todo = set(self.always)
        for key in term_hits:
            todo.update(self.candidates.get(key, ()))
        evaluator = Evaluator(document, term_hits, fields, self.entity_patterns)
        out = []
        for i in range(len(self.logic)) if explain else sorted(todo):  # never a loop over every watch
            logic = self.logic[i]
            ok, mentions, reason = evaluator.watch(logic)
            if not (ok or explain or (misses and _filtered(logic, evaluator))):
                continue
            if not ok and not mentions and misses:
                mentions = evaluator.condition(logic.root)[0] or []
            out.append((WatchResult(logic.watch, self._hits(mentions, fields)), ok, reason))
        return out

    def _hits(self, mentions: list[Mention], fields: dict[str, FieldIndex]) -> list[Hit]:
        hits = []
        for m in sorted(set(mentions), key=lambda m: (FIELD_NAMES.index(m.field), m.word, m.start)):
            if m.pattern < 0:
                hits.append(Hit(m.term, m.alias, m.field, m.start, m.end, m.word, m.found))
                continue
            pattern, current = self.patterns[m.pattern], fields[m.field]
            spans = current.spans()
            start, end = spans[m.word][0], spans[m.word + m.length - 1][1]
            if pattern.alias[-1:] in QUOTES and current.text[end : end + 1] in QUOTES:
                end += 1  # `Легиона «Свобода России»`: the name's closing quote, as the alias has it
            spelling = pattern.spelling if pattern.spelling != pattern.alias else ""
            hits.append(Hit(_label(pattern.term), pattern.alias, m.field, start, end, m.word, current.text[start:end], spelling))
        return hits


def _filtered(logic: WatchLogic, evaluator: Evaluator) -> bool:
    """The watch's condition holds, so only its outlets, languages or min_mentions filter kept it from matching."""
    watch = logic.watch
    if not (watch.outlets or watch.languages or watch.min_mentions > 1):
        return False
    return evaluator.condition(logic.root)[0] is not None


def _label(key: str) -> str:
    return key.partition(":")[2]


def _fields_of(condition) -> set[str]:
    found = set(condition.fields)
    if isinstance(condition, (Group, Near)):
        for item in condition.items:
            found |= _fields_of(item)
    return found


def snippet(document: Document, hits: list[Hit], width: int = 240) -> str:
    """About `width` characters of main text around a hit in the text, cut at word boundaries.

    The first hit of a term the title does not already show is preferred: it says the most.
    """
    text = document.text
    in_title = {h.term for h in hits if h.field == "title"}
    in_text = [h for h in hits if h.field == "text"]
    first = next((h for h in in_text if h.term not in in_title), in_text[0] if in_text else None)
    if not text:
        return ""
    if first is None:
        start, end = 0, min(len(text), width)
    else:
        half = max((width - (first.end - first.start)) // 2, 0)
        start, end = max(first.start - half, 0), min(first.end + half, len(text))
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (first.start if first else end) else start
    if end < len(text):
        space = text.rfind(" ", (first.end if first else start), end)
        end = space if space > 0 else end
    body = " ".join(text[start:end].split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
