from pathlib import Path

import pytest

from rules.matcher import Document, Matcher, snippet
from rules.ruleset import load_rules
from rules.text import normalize_word, phrase_tokens

RULES = """
entities:
  legion:
    aliases: ["Freedom of Russia Legion", "Легион «Свобода России»"]
  ponomarev:
    aliases: [Ponomarev, Пономарёв]
watches:
  - id: raid
    all: [Belgorod]
    any: [legion, "Russian Volunteer Corps", ponomarev]
    none: [hockey]
  - id: ponomarev
    any: [ponomarev]
"""


@pytest.fixture
def matcher(tmp_path: Path) -> Matcher:
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    return Matcher(load_rules(["*.yaml"], tmp_path))


def ids(matcher: Matcher, title: str, text: str) -> list[str]:
    return [r.watch.id for r in matcher.match(Document(title, text))]


def test_all_and_any(matcher: Matcher) -> None:
    assert ids(matcher, "", "The Russian Volunteer Corps entered the Belgorod region.") == ["raid"]
    assert ids(matcher, "", "Belgorod was quiet today.") == []
    assert ids(matcher, "", "The Freedom of Russia Legion said nothing.") == []


def test_none_excludes(matcher: Matcher) -> None:
    assert ids(matcher, "", "Belgorod hockey fans cheered the Russian Volunteer Corps.") == []


def test_case_and_cyrillic_and_yo(matcher: Matcher) -> None:
    assert ids(matcher, "", "ПОНОМАРЕВ заявил") == ["ponomarev"]
    assert ids(matcher, "", "пономарёв заявил") == ["ponomarev"]
    assert ids(matcher, "", 'Бойцы: Легион "Свобода России" вошли в BELGOROD') == ["raid"]


def test_whole_words_only(matcher: Matcher) -> None:
    assert ids(matcher, "", "Belgorodsky district and the Russian Volunteer Corps") == []
    assert ids(matcher, "", "Ponomarevich said") == []


def test_phrase_needs_words_in_order(matcher: Matcher) -> None:
    assert ids(matcher, "", "Belgorod: Russia's freedom legion") == []


def test_title_counts_too(matcher: Matcher) -> None:
    result = matcher.match(Document("Ponomarev speaks", "He said more raids would come."))
    assert [(r.watch.id, r.hits[0].field) for r in result] == [("ponomarev", "title")]


def test_hits_say_which_alias_matched(matcher: Matcher) -> None:
    (result,) = [r for r in matcher.match(Document("", "Пономарёв и Belgorod")) if r.watch.id == "raid"]
    assert result.terms == ["Пономарёв", "Belgorod"]


def test_snippet_centres_on_first_text_hit() -> None:
    text = "word " * 200 + "Belgorod raid here " + "tail " * 200
    doc = Document("t", text)
    start = text.index("Belgorod")
    from rules.matcher import Hit

    out = snippet(doc, [Hit("Belgorod", "Belgorod", "text", start, start + 8)], width=60)
    assert "Belgorod" in out and out.startswith("…") and out.endswith("…")
    assert len(out) <= 64


def test_normalisation() -> None:
    assert normalize_word("Ёлка") == "елка"
    assert normalize_word("Café") == "cafe"
    assert normalize_word("Бєлгород") == "бєлгород"
    assert normalize_word("й") == "й"
    assert phrase_tokens("Легион «Свобода  России»") == ("легион", "свобода", "россии")
