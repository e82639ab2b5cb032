"""`archive search` on SQLite FTS5 and PostgreSQL full-text: same query, same articles, same order."""
from __future__ import annotations

import datetime as dt
import json

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from crawler.extract import text_hash
from monitor.cli import main
from newswatch.searchquery import parse_query
from storage.archive import ArchivedPage, archive_page
from storage.db import MIGRATIONS, Database
from storage.models import Story, StoryArticle, WatchStory
from storage.search import Filters, search
from storage.watch_matches import articles_matched_by

DAY = dt.datetime(2023, 5, 22, 9, 0, tzinfo=dt.timezone.utc)

# Our own short articles: (outlet, slug, language, days after DAY, title, text)
ARTICLES = [
    ("ledger", "raid", "ru", 0, "Прорыв границы в Белгородской области",
     "Вооружённая группа перешла границу у Грайворона. Губернатор Белгородской области ввёл режим КТО.\n"
     "Илья Пономарёв заявил, что рейд продолжится."),
    ("ledger", "evac", "ru", 1, "Эвакуация из приграничья",
     "Жителей сёл Грайворонского округа вывозят в Белгород. В БЕЛГОРОДЕ открыты пункты временного размещения."),
    ("ledger", "hockey", "ru", 2, "Хоккейный клуб Белгорода выиграл",
     "Белгородский хоккейный клуб победил в овертайме. Болельщики праздновали до утра."),
    ("ledger", "theatre", "ru", 3, "Премьера в театре",
     "Театр показал новую постановку. Зрители встретили актёров стоя."),
    ("chronicle", "ponomarev", "uk", 1, "Пономарьов пообіцяв нові рейди",
     "Колишній депутат Ілля Пономарьов сказав, що загони знову перетнуть кордон Бєлгородщини.\n"
     "Його слова повторили кілька каналів."),
    ("chronicle", "kyiv", "uk", 4, "Київ прокинувся від сирен",
     "Уночі в Києві лунали сирени. Мешканці області ховалися в укриттях."),
    ("wire", "corps", "en", 0, "Armed groups cross into Belgorod region",
     "Fighters of the Russian Volunteer Corps and the Freedom of Russia Legion said they crossed the border near Grayvoron."),
    ("wire", "chips", "en", 5, "Chipmaker raises its forecast",
     "The company expects higher sales. No Russian volunteer group was mentioned; a corps of engineers was."),
]


def _page(outlet: str, slug: str, language: str, days: int, title: str, body: str) -> ArchivedPage:
    url = f"http://{outlet}.example.org/{slug}.html"
    when = DAY + dt.timedelta(days=days)
    return ArchivedPage(
        outlet=outlet, canonical_url=url, fetched_url=url, other_urls=(), http_status=200, content_type="text/html",
        raw_html=f"<html><h1>{title}</h1><p>{body}</p></html>".encode(), fetched_at=when, text=body,
        content_hash=text_hash(body), title=title, published=when, language=language,
    )


def _archive(db: Database) -> dict[str, int]:
    ids = {}
    with db.session() as s:
        for outlet, slug, language, days, title, body in ARTICLES:
            ids[slug] = archive_page(s, _page(outlet, slug, language, days, title, body))[1]
    return ids


def _found(db: Database, query: str, limit: int = 20, **filters) -> list[int]:
    with db.session() as s:
        return [hit.id for hit in search(s, parse_query(query), Filters(**filters), limit)]


def test_cyrillic_case_yo_and_inflected_forms(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        ids = _archive(db)
        slugs = {v: k for k, v in ids.items()}

        def found(query: str, **filters) -> set[str]:
            return {slugs[i] for i in _found(db, query, **filters)}

        assert found("белгород") == {"evac", "hockey"}  # Белгород, БЕЛГОРОДЕ, Белгорода; lower case: no derived words
        assert found("Белгород") == {"evac", "hockey", "raid"}  # capitalised: Белгородской, Белгородский too
        assert found("БЕЛГОРОДСКАЯ") == {"raid", "hockey"}
        assert found("пономарев") == found("Пономарёв") == found("ПОНОМАРЁВА") == {"raid"}
        assert found("Пономарьов") == {"ponomarev"}
        assert found("граница") == {"raid"}  # границы, границу
        assert found("кордону") == {"ponomarev"}  # кордон
        # область is Russian and Ukrainian alike: its forms in both languages count, as in the rules
        assert found("область") == found("область OR області") == {"raid", "kyiv"}
        assert found("области") == {"raid", "kyiv"}
        assert found("київ") == {"kyiv"}  # Київ and Києві, ї folded
        assert found("КИЇВ") == found("киів") == {"kyiv"}
        assert found('"Белгородская область"') == {"raid"}
        assert found('"Russian Volunteer Corps"') == {"corps"}
        assert found("Russian Volunteer Corps") == {"corps", "chips"}
        assert found("Белгород -хоккейный") == found("Белгород -\"хоккейный клуб\"") == {"evac", "raid"}
        assert found("Legion OR Пономарьов") == {"corps", "ponomarev"}
        assert found("Белг*") == {"evac", "hockey", "raid"}
        assert found("Жирафы") == set()
    finally:
        db.close()


def test_filters_and_ranking(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        ids = _archive(db)
        with db.session() as s:
            story = Story(first_article_id=ids["raid"], created_at=DAY)
            s.add(story)
            s.flush()
            s.add(StoryArticle(article_id=ids["raid"], story_id=story.id, joined_at=DAY))
            s.add(WatchStory(watch_id="belgorod-raid", story_id=story.id, created_at=DAY, last_message_at=DAY,
                             articles=[ids["raid"]], announced=["ledger"], waiting=[], options={}))
        everything = "Белгород OR Belgorod OR Київ OR Пономарьов"
        assert set(_found(db, everything)) == {ids[k] for k in ("raid", "evac", "hockey", "corps", "kyiv", "ponomarev")}
        assert set(_found(db, everything, outlets=("chronicle",))) == {ids["kyiv"], ids["ponomarev"]}
        assert set(_found(db, everything, languages=("en",))) == {ids["corps"]}
        assert set(_found(db, everything, since=DAY + dt.timedelta(days=1), until=DAY + dt.timedelta(days=3))) == {
            ids["evac"], ids["ponomarev"], ids["hockey"]}
        with db.session() as s:
            matched = articles_matched_by(s, "belgorod-raid")
        assert set(_found(db, everything, article_ids=matched)) == {ids["raid"]}
        assert len(_found(db, everything, limit=2)) == 2
        # the word in a title ranks above the same word only in a text
        assert _found(db, "Белгород")[0] in (ids["hockey"], ids["raid"])
    finally:
        db.close()


def test_both_databases_give_the_same_hits_in_the_same_order(tmp_path, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        return  # compared once, from the PostgreSQL side
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    db = Database(database_url)
    try:
        for each in (db, other):
            each.migrate()
            _archive(each)
        for query in ("Белгород", "Белгород OR Belgorod OR Київ", "Russian Volunteer Corps", "border OR кордон OR границу",
                      "Белгород -хоккей", "області"):
            with db.session() as a, other.session() as b:
                left = [(h.id, h.score, h.snippet) for h in search(a, parse_query(query))]
                right = [(h.id, h.score, h.snippet) for h in search(b, parse_query(query))]
            assert left == right and left, query
    finally:
        db.close()
        other.close()


def test_revision_is_indexed_and_old_words_are_gone(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        ids = _archive(db)
        outlet, slug, language, days, title, _body = ARTICLES[3]
        with db.session() as s:
            archive_page(s, _page(outlet, slug, language, days, title, "Спектакль перенесли: в городе объявлена тревога."))
        assert _found(db, "постановка") == []
        assert _found(db, "тревоги") == [ids["theatre"]]
    finally:
        db.close()


def test_migration_indexes_an_existing_archive(database_url: str) -> None:
    db = Database(database_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "0003")
            connection.execute(text(
                "INSERT INTO articles (id, url_key, canonical_url, url, outlet, title, authors, text, content_hash, first_seen, "
                "fetched_at, revision_count, match_pending) VALUES (5, 'k', 'http://x/a', 'http://x/a', 'wire', "
                "'Обстрел Шебекино', '[]', 'Снаряды упали в центре Шебекина.', 'h', '2023-05-22 10:00:00', "
                "'2023-05-22 10:00:00', 1, false)"))
        db.migrate()
        assert _found(db, "ШЕБЕКИНО") == [5]
    finally:
        db.close()


def test_search_command_prints_json_lines_and_tables(tmp_path, database_url: str, capsys) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        ids = _archive(db)
    finally:
        db.close()
    config = tmp_path / "newswatch.yaml"
    config.write_text(f"database: {database_url}\n", encoding="utf-8")
    assert main(["--config", str(config), "archive", "search", "Пономарёв OR Пономарьов", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {line["id"] for line in lines} == {ids["raid"], ids["ponomarev"]}
    first = lines[0]
    assert set(first) >= {"id", "url", "title", "outlet", "published", "story", "snippet", "score", "highlights"}
    start, end = first["highlights"][0]
    assert first["snippet"][start:end].casefold().startswith("пономар")

    assert main(["--config", str(config), "archive", "search", "Белгород", "--outlet", "ledger", "--since", "2023-05-23",
                 "--until", "2023-05-23"]) == 0
    out = capsys.readouterr().out
    assert "Эвакуация из приграничья" in out and "Хоккейный" not in out

    db = Database(database_url)
    try:
        before = _found(db, "Белгород OR Київ")
        assert main(["--config", str(config), "archive", "reindex"]) == 0
        assert "indexed 8 article(s)" in capsys.readouterr().out
        assert _found(db, "Белгород OR Київ") == before and len(before) == 4
    finally:
        db.close()

    assert main(["--config", str(config), "archive", "search", '"unclosed']) == 64
    assert "unclosed quote" in capsys.readouterr().err


def test_exclusions_read_further_windows(database_url: str, monkeypatch) -> None:
    import storage.search

    monkeypatch.setattr(storage.search, "MIN_WINDOW", 10)
    db = Database(database_url)
    try:
        db.migrate()
        with db.session() as s:
            for i in range(25):  # the word in the title: these rank first, and all are excluded
                archive_page(s, _page("ledger", f"h{i}", "ru", 0, f"Хоккей в Белгороде, матч {i}", "Игра закончилась вничью."))
            quiet = [archive_page(s, _page("ledger", f"q{i}", "ru", 0, f"Новости дня {i}", "В Белгороде открыли сквер."))[1]
                     for i in range(5)]
        assert sorted(_found(db, "Белгород -хоккей", limit=5)) == sorted(quiet)
    finally:
        db.close()
