"""Each construct of the rule language, on small texts (the matcher is a pure function)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from rules.matcher import Document, Matcher
from rules.morphology import word_forms
from rules.ruleset import load_rules
from rules.text import sentence_at, tokenize, words
from rules.translit import to_cyrillic, to_latin, variants


def matcher_for(tmp_path: Path, rules: str) -> Matcher:
    (tmp_path / "rules.yaml").write_text(rules, encoding="utf-8")
    return Matcher(load_rules(["rules.yaml"], tmp_path))


def ids(matcher: Matcher, text: str = "", title: str = "", **fields) -> list[str]:
    return [r.watch.id for r in matcher.match(Document(title, text, **fields))]


def one(tmp_path: Path, watch: str, entities: str = "") -> Matcher:
    return matcher_for(tmp_path, f"entities:\n{entities or '  {}'}\nwatches:\n  - id: w\n{watch}")


# --- words, phrases, whole words -----------------------------------------------------------

def test_english_is_whole_word_unless_wildcard(tmp_path: Path) -> None:
    plain = one(tmp_path, "    any: [Belgorod]")
    assert ids(plain, "shelling in Belgorod overnight") == ["w"]
    assert ids(plain, "the Belgorodsky district") == []
    wild = one(tmp_path, "    any: [Belgorod*]")
    assert ids(wild, "the Belgorodsky district") == ["w"]
    assert ids(wild, "Belgorod") == ["w"]
    assert ids(wild, "near Bel") == []


def test_phrase_words_in_order_punctuation_ignored(tmp_path: Path) -> None:
    m = one(tmp_path, '    any: ["Freedom of Russia Legion"]')
    assert ids(m, "fighters of the Freedom-of-Russia  Legion said") == ["w"]
    assert ids(m, "the Legion of Freedom of Russia") == []


@pytest.mark.parametrize(
    ("alias", "text"),
    [
        ("Легион «Свобода России»", 'бойцы Легиона "Свобода России" заявили'),
        ("Легион «Свобода России»", "о ЛЕГИОНЕ “СВОБОДА РОССИИ”"),
        ("Пономарёв", "Пономарев сказал"),
        ("Ponomarëv", "ponomarev said"),
        ("Freedom of Russia Legion", "Freedom of Russia\u00a0Legion —\tsaid"),
    ],
)
def test_normalisation_case_diacritics_yo_quotes_dashes_space(tmp_path: Path, alias: str, text: str) -> None:
    assert ids(one(tmp_path, f"    any: [{alias!r}]"), text) == ["w"]


def test_normalize_text_agrees_with_word_normalisation() -> None:
    sample = "Ёлка Café «Бєлгород» ПОНОМАРЁВ Їжак й naïve Straße e\u0301"
    assert words(sample) == ["елка", "cafe", "бєлгород", "пономарев", "іжак", "й", "naive", "strasse", "e"]
    assert words(sample) == [t.norm for t in tokenize(sample)]


# --- inflections ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("alias", "found", "not_found"),
    [
        ("Белгород", ["Белгорода", "Белгороде", "Белгородской", "белгородцы"], ["Белгородка", "Белград"]),
        ("Пономарёв", ["Пономарёва", "Пономарёвым", "Пономареву"], ["Пономаренко", "Пономаревич", "пономарь"]),
        ("Бєлгород", ["Бєлгороді", "Бєлгородщина", "Бєлгородщині", "бєлгородська"], ["Бєлгородка"]),
        ("Пономарьов", ["Пономарьова", "Пономарьовим"], ["пономаря"]),
        ("Свобода России", ["Свободы России", "Свободой России"], ["Свободы Росгвардии"]),
    ],
)
def test_russian_and_ukrainian_inflections(tmp_path: Path, alias: str, found: list[str], not_found: list[str]) -> None:
    m = one(tmp_path, f"    any: [{alias!r}]")
    for text in found:
        assert ids(m, f"слово {text} слово") == ["w"], text
    for text in not_found:
        assert ids(m, f"слово {text} слово") == [], text


def test_derived_forms_only_for_names(tmp_path: Path) -> None:
    assert word_forms("Белгород").matches("белгородской")
    assert not word_forms("область").matches("областной")  # a common noun gets its own paradigm only


def test_literal_alias_is_not_inflected(tmp_path: Path) -> None:
    m = one(tmp_path, "    any: ['=Белгород']")
    assert ids(m, "в Белгород") == ["w"]
    assert ids(m, "в Белгороде") == []


def test_entity_inflect_false(tmp_path: Path) -> None:
    m = one(tmp_path, "    any: [city]", "  city:\n    aliases: [Белгород]\n    inflect: false")
    assert ids(m, "в Белгороде") == []
    assert ids(m, "город Белгород") == ["w"]


# --- transliteration ------------------------------------------------------------------------

def test_transliteration_tables() -> None:
    assert to_latin("Пономарёв", "bgn") == "ponomaryov"
    assert to_latin("Пономарёв", "german") == "ponomarjow"
    assert to_latin("Пономарёв", "polish") == "ponomariow"
    assert to_latin("Пономарёв", "simple") == "ponomarev"
    assert to_latin("Пономарьов", "ukrainian") == "ponomario" + "v"
    assert to_latin("Шебекино", "german") == "schebekino"
    assert to_cyrillic("Ponomaryov") == "пономарёв"
    assert to_cyrillic("Ponomarjow") == "пономарёв"
    assert to_cyrillic("Shebekino") == "шебекино"
    assert {"Ponomaryov", "Ponomarjow", "Ponomariow", "Пономарев", "Пономарёв"} <= set(variants("Ponomarev"))
    assert {"Ponomarev", "Ponomaryov", "Ponomarjow"} <= set(variants("Пономарёв"))


def test_transliterate_finds_other_scripts_only_when_asked(tmp_path: Path) -> None:
    entity = "  p:\n    aliases: [Ponomarev]\n    transliterate: {}"
    on = matcher_for(tmp_path, f"entities:\n{entity.format('true')}\nwatches:\n  - id: w\n    any: [p]\n")
    off = matcher_for(tmp_path, f"entities:\n{entity.format('false')}\nwatches:\n  - id: w\n    any: [p]\n")
    for text in ("Ponomaryov said", "Ponomarjow sagte", "Ponomariow powiedział", "слова Пономарёва"):
        assert ids(on, text) == ["w"], text
        assert ids(off, text) == [], text
    (result,) = on.match(Document("", "слова Пономарёва"))
    assert result.hits[0].alias == "Ponomarev" and result.hits[0].spelling == "Пономарев"


# --- groups, proximity, scope, filters ------------------------------------------------------

def test_nested_groups(tmp_path: Path) -> None:
    m = one(tmp_path, """    all:
      - any: [Belgorod, Shebekino]
      - any:
          - all: [Legion, raid]
          - Volunteer Corps
    none:
      - any: [hockey, {all: [football, match]}]
""")
    assert ids(m, "Legion raid near Shebekino") == ["w"]
    assert ids(m, "Volunteer Corps in Belgorod") == ["w"]
    assert ids(m, "Legion in Belgorod") == []  # the inner all needs raid too
    assert ids(m, "Volunteer Corps in Belgorod hockey") == []
    assert ids(m, "Volunteer Corps in Belgorod football") == ["w"]  # football alone does not exclude
    assert ids(m, "Volunteer Corps in Belgorod football match") == []


def test_near_within_words(tmp_path: Path) -> None:
    m = one(tmp_path, "    near: [legion, Belgorod]\n    within: 3", "  legion:\n    aliases: [Legion, Легион]")
    assert ids(m, "the Legion entered Belgorod today") == ["w"]
    assert ids(m, "Belgorod: the Legion") == ["w"]
    assert ids(m, "the Legion said on Monday it entered Belgorod") == []
    assert ids(m, "Legion.\n" + "word " * 50 + "Belgorod, and then Legion again") == ["w"]


def test_near_as_a_nested_term(tmp_path: Path) -> None:
    m = one(tmp_path, "    any:\n      - near: [Ponomarev, raids]\n        within: 2\n      - Shebekino")
    assert ids(m, "Ponomarev promised raids") == ["w"]
    assert ids(m, "Ponomarev promised more and more raids") == []
    assert ids(m, "Shebekino") == ["w"]


def test_field_scope(tmp_path: Path) -> None:
    m = one(tmp_path, "    any: [Ponomarev]\n    in: [title]")
    assert ids(m, text="Ponomarev", title="other") == []
    assert ids(m, text="other", title="Ponomarev speaks") == ["w"]
    by_author = one(tmp_path, "    all: [Belgorod, {phrase: Ellery, in: [author]}]")
    assert ids(by_author, "Belgorod", authors=("Margaret Ellery",)) == ["w"]
    assert ids(by_author, "Belgorod Ellery", authors=("Someone Else",)) == []
    by_url = one(tmp_path, "    any: [{phrase: 'belgorod*', in: [url]}]")
    assert ids(by_url, "nothing", url="https://x.example/news/belgorodskaya-oblast-raid") == ["w"]
    lead = one(tmp_path, "    any: [raid]\n    in: [lead]")
    assert ids(lead, "Headline\nThe raid began at dawn.\nMore text.", title="Headline") == ["w"]
    assert ids(lead, "Headline\nIt began at dawn.\nThe raid went on.", title="Headline") == []


def test_outlet_and_language_filters(tmp_path: Path) -> None:
    m = one(tmp_path, "    any: [Belgorod, Белгород]\n    outlets: [ledger, wire]\n    languages: [ru]")
    assert ids(m, "Белгород", outlet="ledger", language="ru") == ["w"]
    assert ids(m, "Белгород", outlet="chronicle", language="ru") == []
    assert ids(m, "Belgorod", outlet="wire", language="en") == []


def test_min_mentions(tmp_path: Path) -> None:
    m = one(tmp_path, "    any: [Belgorod, Shebekino]\n    min_mentions: 3")
    assert ids(m, "Belgorod and Shebekino") == []
    assert ids(m, "Belgorod, Shebekino, and Belgorod again") == ["w"]
    # a headline repeated as the first line of the text counts once
    assert ids(m, "Belgorod\nThen Shebekino.", title="Belgorod") == []
    assert ids(m, "Belgorod\nThen Shebekino and Belgorod.", title="Belgorod") == ["w"]


# --- regular expressions --------------------------------------------------------------------

def test_regex_terms_and_entity_patterns(tmp_path: Path) -> None:
    m = one(tmp_path, r"    all: [{re: '\d+ (?:fighters|бойц\pL*)'}, p]", "  p:\n    patterns: ['пономар[её]в\\pL*']")
    assert ids(m, "около 70 бойцов, сказал Пономарёва") == ["w"]
    assert ids(m, "около семидесяти бойцов, сказал Пономарёв") == []
    (result,) = m.match(Document("", "120 fighters, said ПОНОМАРЁВ"))
    assert {h.found for h in result.hits} == {"120 fighters", "ПОНОМАРЁВ"}


def test_catastrophic_pattern_runs_in_linear_time(tmp_path: Path) -> None:
    m = one(tmp_path, r"    any: [{re: '^(\w+\s?)+$'}]")
    hostile = "a" * 200_000 + "!"
    started = time.monotonic()
    assert ids(m, hostile) == []
    assert time.monotonic() - started < 5  # Python's re would need longer than the age of the universe


# --- explanations ---------------------------------------------------------------------------

def test_hits_carry_alias_field_position_and_sentence(tmp_path: Path) -> None:
    m = one(tmp_path, "    any: [p]", "  p:\n    aliases: [Пономарёв]")
    text = "Первое предложение. Слова Пономарёва прозвучали вчера! Третье."
    (result,) = m.match(Document("", text))
    (hit,) = result.hits
    assert (hit.alias, hit.field, hit.word, hit.found) == ("Пономарёв", "text", 3, "Пономарёва")
    assert text[hit.start:hit.end] == "Пономарёва"
    assert sentence_at(text, hit.start, hit.end) == "Слова Пономарёва прозвучали вчера!"
    assert result.matched == ["Пономарёв («Пономарёва»)"]
    assert result.terms == ["Пономарёв"]


def test_only_watches_with_hits_are_evaluated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rules.evaluate import Evaluator

    rules = "watches:\n" + "".join(f"  - id: w{i}\n    any: [word{i}]\n" for i in range(200))
    m = matcher_for(tmp_path, rules)
    assert len(m.patterns) == 200 and m.always == []
    evaluated: list[object] = []
    real = Evaluator.watch
    monkeypatch.setattr(Evaluator, "watch", lambda self, logic: evaluated.append(logic) or real(self, logic))
    assert ids(m, "word7 and word150") == ["w7", "w150"]
    assert len(evaluated) == 2  # the boolean logic of the other 198 watches never runs
