"""The changes between two versions of an article's text: a unified diff, with the changed words of each line."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

TOKEN = re.compile(r"\w+|\W")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # " " context, "-" removed, "+" added, "@" hunk header, "=" file header
    text: str
    changed: tuple[tuple[int, int], ...] = ()  # [start, end) of the words that differ from the paired line


def unified(old: str, new: str, old_label: str, new_label: str, context: int = 1) -> list[str]:
    """Plain unified-diff lines (no trailing new lines) of two texts compared line by line."""
    return [line.rstrip("\n") for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, n=context, lineterm="")]


def diff_lines(old: str, new: str, old_label: str, new_label: str, context: int = 1) -> list[DiffLine]:
    """The unified diff with, for each removed line paired with an added one, the words that changed in both."""
    lines = [DiffLine("=" if line.startswith(("---", "+++")) else line[:1] or " ", line)
             for line in unified(old, new, old_label, new_label, context)]
    out: list[DiffLine] = []
    i = 0
    while i < len(lines):
        if lines[i].kind != "-":
            out.append(lines[i])
            i += 1
            continue
        removed = []
        while i < len(lines) and lines[i].kind == "-":
            removed.append(lines[i])
            i += 1
        added = []
        while i < len(lines) and lines[i].kind == "+":
            added.append(lines[i])
            i += 1
        pairs = list(zip(removed, added))
        marked = [_mark_pair(r.text, a.text) for r, a in pairs]
        out += [DiffLine("-", r.text, m[0]) for (r, _a), m in zip(pairs, marked)] + removed[len(pairs):]
        out += [DiffLine("+", a.text, m[1]) for (_r, a), m in zip(pairs, marked)] + added[len(pairs):]
    return out


def _mark_pair(removed: str, added: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """Character spans of the words that differ, in the removed and in the added line (after the +/- sign)."""
    old, new = TOKEN.findall(removed[1:]), TOKEN.findall(added[1:])
    old_at, new_at = _offsets(old, 1), _offsets(new, 1)
    old_spans, new_spans = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            old_spans.append((old_at[i1], old_at[i2]))
        if j2 > j1:
            new_spans.append((new_at[j1], new_at[j2]))
    return tuple(old_spans), tuple(new_spans)


def _offsets(tokens: list[str], start: int) -> list[int]:
    offsets = [start]
    for token in tokens:
        offsets.append(offsets[-1] + len(token))
    return offsets
