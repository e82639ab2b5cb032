"""Multi-word Russian and Ukrainian names inflected as phrases: which words agree, and each word's
forms by case and number (pymorphy3).

A name is read the way the press declines it:
- adjectives (and participles) before the first noun agree with that noun, the head:
  `Русский добровольческий корпус` → `Русского добровольческого корпуса`, `Русским
  добровольческим корпусом`; an adjective only takes the head's gender (or the plural), so
  `Русская добровольческий корпус` is not a form of it;
- a noun in the nominative right after the head (a first name and surname, `Илья Пономарёв`)
  agrees with it too, and also matches as written (`в городе Белгород`);
- everything else after the head is its complement and stays as written: `Свобода России` →
  `Свободы России`, `Министерство обороны` → `Министерству обороны`;
- a part in quotes is a name of its own, read by the same rules independently of the words
  around it: `Легион «Свобода России»` finds `Легиона «Свобода России»` and (as some writers
  decline it) `Легиона «Свободы России»`;
- words joined by a hyphen (`Санкт-Петербург`), numbers, Latin words and wildcards take no part in
  agreement; a part that cannot be read this way (no noun, a verb first) and a part with a single
  Cyrillic word keep the per-word inflection of rules.morphology.

Every word is then `WordForms` whose endings carry the slots (case × number) they stand for; words
of one group agree when their slots intersect. The language is told by the letters, or else by
which dictionary knows more of the words (on a tie, the reading that finds more names).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from rules.morphology import ANY_SLOT, MIN_STEM, WordForms, analyzer, is_cyrillic, languages_of, slot, word_forms
from rules.text import normalize_word

QUOTES = set("«»“”„‟\"‹›")
HYPHENS = set("-‐‑")
ADJECTIVE = ("ADJF", "PRTF")
NO_GROUP = -1


@dataclass(frozen=True)
class AliasWord:
    """One word of an alias as written, with where it stands."""

    text: str
    part: int  # which quoted (or unquoted) part of the alias it is in
    hyphen: bool = False  # joined to a neighbour by a hyphen
    prefix: bool = False  # written with a trailing `*`


@dataclass(frozen=True)
class Agreeing:
    """What one alias word matches: its forms (None: the word as written) and its agreement group."""

    forms: WordForms | None
    group: int = NO_GROUP


def alias_words(body: str, matches) -> tuple[AliasWord, ...]:
    """The alias's words (from the `(\\w+)(\\*?)` matches of `body`) with their part and hyphen marks."""
    found = list(matches)
    part, out = 0, []
    for i, match in enumerate(found):
        before = body[found[i - 1].end() : match.start()] if i else body[: match.start()]
        after = body[match.end() : found[i + 1].start()] if i + 1 < len(found) else ""
        part += sum(1 for ch in before if ch in QUOTES) if i else 0
        hyphen = (len(before) == 1 and before in HYPHENS and i > 0) or (len(after) == 1 and after in HYPHENS)
        out.append(AliasWord(match.group(1), part, hyphen, bool(match.group(2))))
    return tuple(out)


def clear_caches() -> None:
    """Drop what compiling aliases cached (pymorphy3 parses, paradigms): a built Matcher needs none of it."""
    for cached in (phrase_forms, _parses, _noun_forms, _adjective_forms, word_forms):
        cached.cache_clear()


def _eligible(word: AliasWord) -> bool:
    return not (word.hyphen or word.prefix) and word.text.isalpha() and is_cyrillic(word.text)


@lru_cache(maxsize=20_000)
def phrase_forms(words: tuple[AliasWord, ...]) -> tuple[Agreeing, ...] | None:
    """What each word of a multi-word alias matches, or None when no part of it agrees (then every
    word inflects on its own, as a single word does)."""
    cyrillic = [w.text for w in words if _eligible(w)]
    if len(cyrillic) < 2:
        return None
    best: tuple[int, list[Agreeing | None]] = (0, [])
    for lang in _languages(cyrillic):
        reading = _read(words, lang)
        if reading[0] > best[0]:
            best = reading
    groups, out = best
    if groups == 0:
        return None
    return tuple(agreeing or Agreeing(None if words[i].prefix else word_forms(words[i].text)) for i, agreeing in enumerate(out))


def _read(words: tuple[AliasWord, ...], lang: str) -> tuple[int, list[Agreeing | None]]:
    """The agreement groups found in each part of the alias in one language, and each word's reading."""
    out: list[Agreeing | None] = [None] * len(words)
    groups = 0
    for part in sorted({w.part for w in words}):
        indexes = [i for i, w in enumerate(words) if w.part == part and _eligible(w)]
        read = _read_part([words[i].text for i in indexes], lang, groups) if len(indexes) > 1 else None
        if read is not None:
            groups += 1
            for i, agreeing in zip(indexes, read):
                out[i] = agreeing
    return groups, out


def _languages(texts: list[str]) -> list[str]:
    """ru or uk from the letters; else the one whose dictionary knows more of the words; on a tie,
    both are tried (ru first) and the reading that finds more names wins."""
    langs = languages_of(" ".join(texts))
    if len(langs) == 1:
        return list(langs)
    known = {lang: sum(analyzer(lang).word_is_known(text.casefold()) for text in texts) for lang in langs}
    if known["ru"] == known["uk"]:
        return ["ru", "uk"]
    return [max(langs, key=known.__getitem__)]


def _case(tag) -> str | None:
    """The case of a tag; the Ukrainian dictionary leaves it out of some nominatives (`дружина`)."""
    return tag.case or ("nomn" if tag.POS in ("NOUN", *ADJECTIVE) else None)


def _best(parses, pos: tuple[str, ...]):
    return next((p for p in parses if p.tag.POS in pos and _case(p.tag) == "nomn"), None)


def _read_part(texts: list[str], lang: str, group: int) -> list[Agreeing] | None:
    """Agreement in one part (its Cyrillic words in order), or None when it cannot be read as a name."""
    parses = [_parses(lang, text.casefold()) for text in texts]
    head = None
    for i, found in enumerate(parses):
        noun = _best(found, ("NOUN",))
        if _best(found, ADJECTIVE) is not None and i + 1 < len(texts):
            continue
        if noun is None:
            return None
        head = i
        break
    if head is None:
        return None
    noun = _best(parses[head], ("NOUN",))
    plural = "plur" in noun.tag
    gender = str(noun.tag.gender) if noun.tag.gender else None  # plain text: Ukrainian tags know no `ms-f`
    genders = {"masc", "femn"} if gender == "ms-f" else {gender}
    out = [_agreeing(texts[i], dict(_adjective_forms(_best(parses[i], ADJECTIVE), frozenset(genders))), group) for i in range(head)]
    out.append(_agreeing(texts[head], dict(_noun_forms(noun, lang)), group))
    for i in range(head + 1, len(texts)):
        first = parses[i][0]
        if first.tag.POS == "NOUN" and _case(first.tag) == "nomn" and ("plur" in first.tag) == plural:
            forms = dict(_noun_forms(first, lang))
            forms[normalize_word(texts[i])] = ANY_SLOT  # also as written: `в городе Белгород`
            out.append(_agreeing(texts[i], forms, group))
        else:
            out.append(Agreeing(None))  # the complement: as written
    return out


def _agreeing(written: str, forms: dict[str, int], group: int) -> Agreeing:
    """A word of an agreement group; one the dictionary does not decline inflects on its own instead."""
    found = _forms(written, forms)
    return Agreeing(found, group) if found is not None else Agreeing(word_forms(written))


@lru_cache(maxsize=20_000)
def _parses(lang: str, word: str) -> tuple:
    return tuple(analyzer(lang).parse(word))


def _slot(tag) -> int:
    return slot(_case(tag), "plur" in tag)


@lru_cache(maxsize=20_000)
def _noun_forms(parse, lang: str) -> dict[str, int]:
    """The noun's forms (cached: callers copy the table before they add to it).

    A Ukrainian masculine genitive takes -а or -у (`корпуса`, `корпусу`): the dictionary often
    lists one, the press writes both, so both count."""
    forms: dict[str, int] = {}
    for form in parse.lexeme:
        if form.tag.POS == "NOUN":
            word = normalize_word(form.word)
            forms[word] = forms.get(word, 0) | _slot(form.tag)
    if lang == "uk" and parse.tag.gender and str(parse.tag.gender) == "masc":
        genitive = slot("gent", False)
        for word, slots in list(forms.items()):
            if slots & genitive and word[-1:] in ("а", "у"):
                other = word[:-1] + ("у" if word.endswith("а") else "а")
                forms[other] = forms.get(other, 0) | genitive
    return forms


@lru_cache(maxsize=20_000)
def _adjective_forms(parse, genders: frozenset[str | None]) -> dict[str, int]:
    """The full forms of the adjective (or participle) in the head's gender and in the plural (cached:
    callers copy the table before they add to it)."""
    forms: dict[str, int] = {}
    kind = (parse.tag.POS, parse.tag.tense, parse.tag.voice)
    for form in parse.lexeme:
        tag = form.tag
        if (tag.POS, tag.tense, tag.voice) != kind or "Supr" in tag or "COMP" in tag:
            continue
        if "plur" not in tag and (str(tag.gender) if tag.gender else None) not in genders:
            continue
        word = normalize_word(form.word)
        forms[word] = forms.get(word, 0) | _slot(tag)
    return forms


def _forms(written: str, forms: dict[str, int]) -> WordForms | None:
    """`forms` as a stem and endings; None (as written) when the word does not decline."""
    word = normalize_word(written)
    if word not in forms:
        forms[word] = ANY_SLOT
    if len(set(forms)) < 2:
        return None
    stem = os.path.commonprefix(sorted(forms))
    if len(stem) < MIN_STEM:  # a suppletive form (человек/люди): keep those that share the written start
        forms = {form: slots for form, slots in forms.items() if form.startswith(word[:MIN_STEM])}
        stem = os.path.commonprefix(sorted(forms))
    if len(forms) < 2 or len(stem) < min(MIN_STEM, len(word)):
        return None
    return WordForms(stem, {form[len(stem):]: slots for form, slots in forms.items()})
