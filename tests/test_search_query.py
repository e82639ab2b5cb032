"""The search language as plain data: parsing, folding, inflected forms, phrases, OR and exclusion."""
from __future__ import annotations

import pytest

from newswatch.searchquery import QueryError, document_matches, parse_query, search_words
from newswatch.snippets import marked, snippet
from storage.search import candidate_query


def matches(query: str, title: str, text: str = "") -> bool:
    return document_matches(parse_query(query), [search_words(title), search_words(text)])


@pytest.mark.parametrize(
    ("query", "title", "text", "expected"),
    [
        # case folding, Cyrillic as Latin
        ("белгород", "", "Обстрел БЕЛГОРОДА продолжился ночью.", True),
        ("БЕЛГОРОД", "", "Власти Белгород сообщили о пожаре.", True),
        ("legion", "", "The LEGION said it crossed the border.", True),
        # ё/е and ї/і fold the way the rules fold them
        ("Пономарёв", "", "Илья Пономарев дал интервью.", True),
        ("Пономарев", "", "Слова Пономарёва повторили другие.", True),
        ("Київ", "", "Місто КИІВ прокинулося.", True),
        ("країна", "", "Події в краіні тривають.", True),
        # inflected Russian and Ukrainian forms through the rules' morphology
        ("область", "", "Жителей Белгородской области эвакуировали.", True),
        ("області", "", "Мешканців області попередили про загрозу.", True),
        ("Шебекино", "", "Снаряды упали в Шебекине утром.", True),
        ("Бєлгород", "", "Бєлгородщина знову під обстрілом.", True),  # a capitalised name: its derived region too
        ("граница", "", "Группа перешла границу на рассвете.", True),
        ("кордон", "", "Загін перетнув кордону не було.", True),
        # a word matches whole, not as part of another word
        ("border", "", "The borderland was quiet.", False),
        ("border*", "", "The borderland was quiet.", True),
        ("кот", "", "Котировки упали.", False),
        # phrases: in order, adjacent, within one field
        ('"Russian Volunteer Corps"', "", "Fighters of the Russian Volunteer Corps said so.", True),
        ('"Volunteer Russian Corps"', "", "Fighters of the Russian Volunteer Corps said so.", False),
        ('"Белгородская область"', "", "В Белгородской области объявлен режим КТО.", True),
        ('"область Белгородская"', "", "В Белгородской области объявлен режим КТО.", False),
        ('"raid over"', "The raid", "over the weekend", False),
        # OR, exclusion, and all of them together
        ("хоккей OR футбол", "", "Вечером прошёл футбольный матч и футбол в парке.", True),
        ("хоккей OR теннис", "", "Вечером прошёл футбол.", False),
        ("Белгород -хоккей", "", "В Белгороде прошёл хоккейный матч и хоккей.", False),
        ("Белгород -хоккей", "", "В Белгороде прошёл митинг.", True),
        ('Белгород -"хоккейный клуб"', "", "В Белгороде хоккейный клуб выиграл.", False),
        ("raid Belgorod OR Shebekino -hockey", "Raid near Shebekino", "Shelling reported.", True),
        ("raid Belgorod OR Shebekino -hockey", "Raid near Shebekino", "A hockey game went on.", False),
        ("raid Belgorod OR Shebekino", "Raid report", "Nothing about towns.", False),
    ],
)
def test_query_table(query: str, title: str, text: str, expected: bool) -> None:
    assert matches(query, title, text) is expected


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"unclosed phrase', "unclosed quote"),
        ("OR raid", "OR must stand between"),
        ("raid OR", "OR must stand between"),
        ("raid OR OR border", "OR must stand between"),
        ("raid OR -border", "excluded word cannot be one side of OR"),
        ("-hockey", "only excludes"),
        ("  ", "no word to look for"),
        ('"" -', "no word to look for"),
    ],
)
def test_bad_queries_say_why(query: str, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        parse_query(query)


@pytest.mark.parametrize(
    ("query", "sqlite", "postgresql"),
    [
        ("raid", '("raid")', "(('raid'))"),
        ("Пономарёв", '("пономарев"*)', "(('пономарев':*))"),
        ('"Russian Volunteer Corps" OR legion*', '("russian" + "volunteer" + "corps" OR "legion"*)',
         "(('russian' <-> 'volunteer' <-> 'corps') | ('legion':*))"),
        # input that means something to FTS5 or to_tsquery is only ever quoted words
        # (words joined by punctuation are a phrase, as in the rules; a trailing * is a prefix)
        ('NEAR(a b) "x" AND y:* \'z\' !w', '("near" + "a") AND ("b") AND ("x") AND ("and") AND ("y"*) AND ("z") AND ("w")',
         "(('near' <-> 'a')) & (('b')) & (('x')) & (('and')) & (('y':*)) & (('z')) & (('w'))"),
    ],
)
def test_database_queries_quote_every_word(query: str, sqlite: str, postgresql: str) -> None:
    parsed = parse_query(query)
    assert candidate_query(parsed, "sqlite") == sqlite
    assert candidate_query(parsed, "postgresql") == postgresql


def test_snippet_is_the_matching_sentence_with_its_words_marked() -> None:
    text = ("Погода была ясной. Вечером группа вошла в Белгородскую область со стороны Грайворона. "
            "Потом всё стихло.")
    found = snippet(parse_query("Белгородская"), "Заголовок", text)
    assert marked(found) == "Вечером группа вошла в [Белгородскую] область со стороны Грайворона."


def test_snippet_of_a_title_only_match_is_the_opening() -> None:
    found = snippet(parse_query("Shebekino"), "Shebekino shelled", "Residents left the town overnight. More later.")
    assert found.text.startswith("Residents left the town overnight.") and found.highlights == ()
