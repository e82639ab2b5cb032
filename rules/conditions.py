"""A watch's terms as a tree of conditions, parsed from the rule file with a location for every problem.

A term is one of:
- text: the id of an entity if one is defined, otherwise a phrase (see rules.patterns for its syntax);
- `{entity: ID}` or `{phrase: TEXT}`: the same, said explicitly;
- `{re: PATTERN}`: an RE2 regular expression (linear time; case-insensitive unless it says `(?-i)`);
- `{all: [...]}`, `{any: [...]}`, `{none: [...]}`: nested groups;
- `{near: [A, B, ...], within: N}`: every listed term within N words of each other in one field.
Any mapping may add `in: [title, lead, text, url, author]` to scope it (and everything inside it).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import re2

from newswatch.yamlsource import Path_, Problem, YamlDocument, unknown_name
from rules.model import DEFAULT_FIELDS, FIELD_NAMES, Watch
from rules.patterns import check_alias

KINDS = ("entity", "phrase", "re", "all", "any", "none", "near")
OPTIONS = {"near": ("within", "in")}
SYNONYMS = {"regex": "re", "regexp": "re", "pattern": "re", "and": "all", "or": "any", "not": "none", "words": "phrase", "alias": "phrase"}
MAX_PATTERN = 2000
RE2_MAX_MEM = 8 << 20
ID_LIKE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
BACKREFERENCE = re.compile(r"\\[1-9]")


@dataclass(frozen=True)
class Term:
    """An entity or a phrase: found through the automaton."""

    key: str  # "entity:<id>" or "phrase:<text>"
    label: str  # as written
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Regex:
    pattern: str
    compiled: Any = field(compare=False, repr=False)
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    op: Literal["all", "any", "none"]
    items: tuple[Condition, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Near:
    items: tuple[Term, ...]
    within: int
    fields: tuple[str, ...]


Condition = Term | Regex | Group | Near


@dataclass(frozen=True)
class WatchLogic:
    """A watch compiled: its condition tree and filters."""

    watch: Watch
    root: Group
    terms: frozenset[str]  # keys of every Term in the tree (what the automaton must look for)


def compile_regex(pattern: str) -> Any:
    """An RE2 pattern, case-insensitive by default; ValueError says what is wrong."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"a pattern may be at most {MAX_PATTERN} characters")
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        hint = ""
        if any(token in pattern for token in ("(?=", "(?!", "(?<=", "(?<!")) or BACKREFERENCE.search(pattern):
            hint = " (RE2 runs in linear time, so it has no look-around and no back-references)"
        raise ValueError(f"bad regular expression: {reason}{hint}") from None


class _Parser:
    def __init__(self, document: YamlDocument, entities: set[str], problems: list[Problem]) -> None:
        self.document, self.entities, self.problems = document, entities, problems
        self.terms: set[str] = set()

    def fail(self, path: Path_, message: str) -> None:
        self.problems.append(self.document.problem(path, message))

    def scope(self, raw: dict, path: Path_, inherited: tuple[str, ...]) -> tuple[str, ...]:
        if "in" not in raw:
            return inherited
        value = raw["in"]
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            self.fail((*path, "in"), f"`in` takes a list of fields: {', '.join(FIELD_NAMES)}")
            return inherited
        for i, name in enumerate(names):
            if name not in FIELD_NAMES:
                self.fail((*path, "in", i), _unknown("field", str(name), FIELD_NAMES))
        return tuple(n for n in names if n in FIELD_NAMES) or inherited

    def term_text(self, text: Any, path: Path_, fields: tuple[str, ...], kind: str | None = None) -> Term | None:
        if not isinstance(text, str) or not text.strip():
            self.fail(path, "a term must be an entity id or a non-empty phrase")
            return None
        if kind == "entity" or (kind is None and text in self.entities):
            if text not in self.entities:
                self.fail(path, _unknown("entity", text, sorted(self.entities)))
                return None
            self.terms.add(f"entity:{text}")
            return Term(f"entity:{text}", text, fields)
        if kind is None and ID_LIKE.match(text):  # written like an id (lower case, no spaces): maybe a mistyped one
            close = difflib.get_close_matches(text, sorted(self.entities), n=1, cutoff=0.8)
            if close:
                self.fail(path, f"'{text}' is not an entity (did you mean '{close[0]}'?); "
                                f"to look for the word itself write {{phrase: {text}}}")
                return None
        error = check_alias(text)
        if error:
            self.fail(path, error)
            return None
        self.terms.add(f"phrase:{text}")
        return Term(f"phrase:{text}", text, fields)

    def condition(self, raw: Any, path: Path_, fields: tuple[str, ...]) -> Condition | None:
        if not isinstance(raw, dict):
            return self.term_text(raw, path, fields)
        kinds = [k for k in raw if k in KINDS]
        if len(kinds) != 1:
            if kinds:
                self.fail(path, f"a term has exactly one of {', '.join(KINDS)} (got {', '.join(kinds)})")
            else:
                unknown = [k for k in raw if k != "in"]
                if not unknown:
                    self.fail(path, f"a term needs one of: {', '.join(KINDS)}")
                elif str(unknown[0]) in SYNONYMS:
                    self.fail((*path, unknown[0]), f"unknown key '{unknown[0]}' (did you mean '{SYNONYMS[str(unknown[0])]}'?)")
                else:
                    self.fail((*path, unknown[0]), _unknown("key", str(unknown[0]), KINDS))
            return None
        kind = kinds[0]
        allowed = {kind, "in", *OPTIONS.get(kind, ())}
        for key in raw:
            if key not in allowed:
                self.fail((*path, key), _unknown("key", str(key), sorted(allowed)))
        scoped = self.scope(raw, path, fields)
        value = raw[kind]
        where = (*path, kind)
        if kind in ("entity", "phrase"):
            return self.term_text(value, where, scoped, kind)
        if kind == "re":
            if not isinstance(value, str) or not value:
                self.fail(where, "`re` takes a regular expression")
                return None
            try:
                compiled = compile_regex(value)
            except ValueError as exc:
                self.fail(where, str(exc))
                return None
            return Regex(value, compiled, scoped)
        if not isinstance(value, list) or not value:
            self.fail(where, f"`{kind}` takes a non-empty list of terms")
            return None
        if kind == "near":
            return self.near(value, raw.get("within", 10), where, (*path, "within"), scoped)
        items = [self.condition(item, (*where, i), scoped) for i, item in enumerate(value)]
        return Group(kind, tuple(i for i in items if i is not None), scoped)

    def near(self, value: list, within: Any, where: Path_, within_path: Path_, fields: tuple[str, ...]) -> Near | None:
        if not isinstance(within, int) or isinstance(within, bool) or not 1 <= within <= 1000:
            self.fail(within_path, f"`within` is a number of words from 1 to 1000 (got {within!r})")
            return None
        if len(value) < 2:
            self.fail(where, "`near` needs at least two terms")
            return None
        items = []
        for i, item in enumerate(value):
            if isinstance(item, dict) and not ({"entity", "phrase"} & set(item)):
                self.fail((*where, i), "`near` takes entities and phrases only (no groups or patterns)")
                continue
            term = self.condition(item, (*where, i), fields)
            if isinstance(term, Term):
                items.append(term)
        return Near(tuple(items), within, fields) if len(items) == len(value) else None


def parse_watch(watch: Watch, index: int, document: YamlDocument, entities: set[str], problems: list[Problem]) -> WatchLogic | None:
    """The watch's condition tree; None (with problems added) if any part of it is wrong."""
    parser = _Parser(document, entities, problems)
    before = len(problems)
    base: Path_ = ("watches", index)
    fields = tuple(watch.in_)
    parts: list[Condition] = []
    for op, items in (("all", watch.all_), ("any", watch.any_), ("none", watch.none)):
        if not items:
            continue
        parsed = [parser.condition(item, (*base, op, i), fields) for i, item in enumerate(items)]
        conditions = tuple(c for c in parsed if c is not None)
        parts.extend(conditions if op == "all" else [Group(op, conditions, fields)])
    if watch.near:
        near = parser.near(watch.near, watch.within, (*base, "near"), (*base, "within"), fields)
        if near is not None:
            parts.append(near)
    for i, outlet in enumerate(watch.outlets):
        if not isinstance(outlet, str) or not outlet:
            parser.fail((*base, "outlets", i), "an outlet is its name in the config")
    if len(problems) > before:
        return None
    return WatchLogic(watch, Group("all", tuple(parts), fields), frozenset(parser.terms))


def check_raw_terms(raw: dict, index: int, document: YamlDocument, entities: set[str], problems: list[Problem]) -> None:
    """The term problems of a watch that failed validation otherwise (so that all problems show at once)."""
    parser = _Parser(document, entities, problems)
    for name in ("all", "any", "none", "near"):
        items = raw.get(name)
        if isinstance(items, list):
            for i, item in enumerate(items):
                parser.condition(item, ("watches", index, name, i), DEFAULT_FIELDS)


def _unknown(what: str, name: str, known) -> str:
    return unknown_name(f"unknown {what} '{name}'", name, list(known), empty="none are defined")
