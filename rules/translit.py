"""Spelling variants of a name across Cyrillic and Latin transliteration systems (our own tables).

`variants("Пономарёв")` gives the Latin spellings of the six systems below (Ponomarev, Ponomaryov,
Ponomarjow, Ponomariow, Ponomariov, …); `variants("Ponomarev")` first reads the Latin spelling back
into Cyrillic (Пономарев, and Пономарёв for a final -ev, which Russian often writes -ёв) and then
does the same. Variants are compared after normalisation, so diacritics (ż, ł, ë) are dropped here.

Systems (a letter maps to its usual value; the second value applies at the start of a word and
after a vowel, ъ or ь):
- simple: the common English / passport spelling (е→e, ё→e, ж→zh, х→kh, ц→ts, ю→yu, я→ya);
- bgn: BGN/PCGN as used by English-language media (ё→yo, initial е→ye);
- german: Duden (в→w, ж→sch, з→s, х→ch, ц→z, ч→tsch, ш→sch, ё→jo, ю→ju, я→ja, й→j);
- polish: (в→w, ж→ż, х→ch, ц→c, ч→cz, ш→sz, щ→szcz, ё→io, ю→iu, я→ia, л→ł);
- french: (у→ou, ж→j, ч→tch, ш→ch, щ→chtch, ё→io, ю→iou, я→ia);
- ukrainian: the national system of 2010 (г→h, и→y, і→i, ї→i/yi, є→ie/ye, й→i/y, ю→iu/yu, я→ia/ya).
"""
from __future__ import annotations

from rules.morphology import is_cyrillic
from rules.text import WORD

VOWELS = set("аеёиоуыэюяієї")
SOFT_SIGNS = set("ьъ")

_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}


def _system(changes: dict[str, str], initial: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    table = {**_COMMON, **changes}
    return table, {**table, **(initial or {})}


SYSTEMS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "simple": _system({}),
    "bgn": _system({"ё": "yo", "ьо": "yo"}, {"е": "ye", "ё": "yo"}),
    "german": _system(
        {"в": "w", "ж": "sch", "з": "s", "й": "j", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch",
         "ё": "jo", "ю": "ju", "я": "ja", "ьо": "jo", "є": "je", "ї": "ji"},
        {"е": "je"},
    ),
    "polish": _system(
        {"в": "w", "ж": "z", "й": "j", "л": "l", "х": "ch", "ц": "c", "ч": "cz", "ш": "sz", "щ": "szcz",
         "ё": "io", "ю": "iu", "я": "ia", "ьо": "io", "є": "ie", "ї": "ji"},
        {"е": "je", "ё": "jo", "ю": "ju", "я": "ja"},
    ),
    "french": _system(
        {"у": "ou", "ж": "j", "й": "i", "х": "kh", "ч": "tch", "ш": "ch", "щ": "chtch", "ё": "io", "ю": "iou",
         "я": "ia", "ьо": "io"},
    ),
    "ukrainian": _system(
        {"г": "h", "и": "y", "й": "i", "ї": "i", "є": "ie", "ю": "iu", "я": "ia", "ьо": "io"},
        {"й": "y", "ї": "yi", "є": "ye", "ю": "yu", "я": "ya"},
    ),
}

# Latin back to Cyrillic: longest spelling first.
_REVERSE = sorted(
    {
        "schtsch": "щ", "shch": "щ", "szcz": "щ", "chtch": "щ", "tsch": "ч", "sch": "ш", "tch": "ч", "iou": "ю",
        "zh": "ж", "kh": "х", "ts": "ц", "tz": "ц", "ch": "ч", "cz": "ч", "sz": "ш", "sh": "ш",
        "yo": "ё", "jo": "ё", "io": "ё", "yu": "ю", "ju": "ю", "iu": "ю", "ya": "я", "ja": "я", "ia": "я",
        "ye": "е", "je": "е", "ou": "у", "iy": "ий", "yy": "ый", "ey": "ей", "ay": "ай", "oy": "ой",
        "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и", "j": "й",
        "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р", "s": "с", "t": "т",
        "u": "у", "v": "в", "w": "в", "x": "кс", "y": "ы", "z": "з",
    }.items(),
    key=lambda item: -len(item[0]),
)


def to_latin(word: str, system: str) -> str:
    """One Cyrillic word in one system (letters it does not know are kept)."""
    table, initial = SYSTEMS[system]
    lower = word.casefold()
    out: list[str] = []
    i = 0
    while i < len(lower):
        ch = lower[i]
        previous = lower[i - 1] if i else ""
        at_start = not previous or previous in VOWELS or previous in SOFT_SIGNS
        if lower[i : i + 2] == "ьо" and "ьо" in table:
            out.append(table["ьо"])
            i += 2
            continue
        out.append((initial if at_start else table).get(ch, ch))
        i += 1
    return "".join(out)


def to_cyrillic(word: str) -> str:
    """A Latin spelling read back into Russian Cyrillic (a best guess: one reading)."""
    lower = word.casefold()
    out: list[str] = []
    i = 0
    while i < len(lower):
        for latin, cyrillic in _REVERSE:
            if lower.startswith(latin, i):
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            out.append(lower[i])
            i += 1
    return "".join(out)


def _is_latin(text: str) -> bool:
    return any("a" <= ch <= "z" for ch in text.casefold()) and not is_cyrillic(text)


def _map_words(alias: str, convert) -> str:
    """Convert word by word, keeping a capital initial (morphology treats capitalised words as names)."""

    def one(word: str) -> str:
        converted = convert(word)
        return converted[:1].upper() + converted[1:] if word[:1].isupper() else converted

    return WORD.sub(lambda m: one(m.group()), alias)


def variants(alias: str) -> list[str]:
    """Spellings of `alias` in other scripts and systems (the alias itself first, no duplicates)."""
    readings = [alias]
    if _is_latin(alias):
        cyrillic = _map_words(alias, to_cyrillic)
        readings = [cyrillic]
        if cyrillic.endswith("ев"):
            readings.append(cyrillic[:-2] + "ёв")
    found = [alias, *(r for r in readings if r != alias)]
    for reading in readings:
        for system in SYSTEMS:
            found.append(_map_words(reading, lambda w, s=system: to_latin(w, s) if not _is_latin(w) else w))
    seen: dict[str, str] = {}
    for spelling in found:
        seen.setdefault(spelling.casefold(), spelling)
    return list(seen.values())
