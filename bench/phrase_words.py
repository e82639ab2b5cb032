"""Real Russian and Ukrainian words for the benchmarks' multi-word Cyrillic names (our own lists).

Names are built the way the press names units, parties and bodies: adjective + noun
(`Северный флот`), adjective + adjective + noun (`Русский добровольческий корпус`) and a head noun
with a quoted name (`Батальон «Свобода»`). `inflected(name, case, number)` writes a name in another
case with pymorphy3, its adjectives agreeing with the noun, a quoted part left as written.
"""
from __future__ import annotations

import random
import re
from functools import lru_cache

ADJECTIVES = {
    "ru": """русский добровольческий национальный военный народный северный южный восточный западный
        центральный морской воздушный пограничный территориальный особый специальный государственный
        федеральный областной городской свободный новый белый чёрный красный синий летний горный
        речной лесной железный стальной независимый республиканский украинский грузинский сибирский
        уральский балтийский""".split(),
    "uk": """російський добровольчий національний військовий народний північний південний східний
        західний центральний морський повітряний прикордонний територіальний особливий спеціальний
        державний вільний новий білий чорний червоний синій гірський річковий лісовий сталевий
        незалежний український грузинський литовський польський""".split(),
}
NOUNS = {
    "ru": """корпус легион батальон полк отряд фронт союз комитет совет центр штаб округ флот альянс
        бригада армия гвардия служба партия группа организация дружина сотня рота управление
        агентство движение братство ополчение""".split(),
    "uk": """корпус легіон батальйон полк загін фронт союз комітет центр штаб округ флот альянс
        бригада армія гвардія служба партія група організація дружина сотня рота управління
        агентство рух братство ополчення""".split(),
}
CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


def phrase_name(rng: random.Random, lang: str) -> str:
    """One multi-word name in the nominative (its adjectives agreeing), capitalised as names are."""
    shape = rng.choice(("adj noun", "adj adj noun", "noun quoted"))
    if shape == "noun quoted":
        return f"{rng.choice(NOUNS[lang]).capitalize()} «{rng.choice(NOUNS[lang]).capitalize()}»"
    adjectives = rng.sample(ADJECTIVES[lang], shape.count("adj"))
    return inflected(" ".join([adjectives[0].capitalize(), *adjectives[1:], rng.choice(NOUNS[lang])]), lang, "nomn")


@lru_cache(maxsize=None)
def _analyzers() -> dict:
    import pymorphy3

    return {lang: pymorphy3.MorphAnalyzer(lang=lang) for lang in ("ru", "uk")}


def inflected(name: str, lang: str, case: str, number: str = "sing") -> str:
    """`name` in `case` and `number`: the noun declined, adjectives agreeing, a quoted part kept."""
    morph = _analyzers()[lang]
    head, quoted = re.match(r"([^«]*)(«.*»)?", name).groups()
    words = head.split()
    parses = [p for p in morph.parse(words[-1].lower()) if p.tag.POS == "NOUN"]
    noun = next((p for p in parses if p.tag.case == "nomn" and "plur" not in p.tag), parses[0])
    singular = {"sing"} if lang == "ru" else ({str(noun.tag.gender)} if noun.tag.gender else set())  # uk tags have no `sing`
    plural = {"plur"} if number == "plur" else singular
    noun_form = noun.inflect({case} | plural)
    if noun_form is None:  # a noun with no plural (`ополчение`): the singular
        number, plural = "sing", singular
        noun_form = noun.inflect({case} | plural) or noun
    gender = {noun.tag.gender} if number == "sing" and noun.tag.gender else set()
    out = []
    for word in words[:-1]:
        adjective = next(p for p in morph.parse(word.lower()) if p.tag.POS == "ADJF")
        grammemes = {case} | plural | gender
        inanimate = adjective.inflect(grammemes | {"inan"}) if case == "accs" and "femn" not in gender else None
        form = inanimate or adjective.inflect(grammemes) or adjective  # an inanimate noun's accusative
        out.append(form.word)
    out.append(noun_form.word)
    if words[0][:1].isupper():
        out[0] = out[0].capitalize()
    return " ".join(out) + (" " + quoted if quoted else "")
