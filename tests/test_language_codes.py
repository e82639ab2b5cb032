"""Language tags as pages write them become a short code, or nothing; the archive never fails on one."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from crawler.extract import extract_article, language_code
from storage.archive import archive_page
from storage.db import Database
from storage.models import Article
from tests.outlet_pages import FERRY, article
from tests.test_archive import page


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("en", "en"), ("en-GB", "en"), ("ru_RU", "ru"), ("UK", "uk"), (" de ", "de"), ("zh-Hant-TW", "zh"), ("fil", "fil"),
        ("en, ru", "en"), ("Russian Federation", None), ("english", None), ("*", None), ("", None), (None, None), ("x" * 200, None),
    ],
)
def test_language_code(value, code) -> None:
    assert language_code(value) == code


@pytest.mark.parametrize(
    ("lang", "head", "code"),
    [
        ("Russian Federation", "", None),
        ("Russian Federation", '<meta property="og:locale" content="ru_RU">', "ru"),  # the next signal that is a tag
        ("uk-UA", "", "uk"),
    ],
)
def test_page_language(lang, head, code) -> None:
    extracted = extract_article(article("Ferries stay in port", FERRY, lang=lang, head=head).encode(), "http://n.example.org/a-1.html")
    assert extracted.language == code


def test_archive_keeps_a_long_language_value_within_its_column(database_url) -> None:
    db = Database(database_url)
    db.migrate()
    try:
        with db.session() as s:
            archive_page(s, dataclasses.replace(page("some text"), language="Russian Federation (" + "x" * 200 + ")"))
        with db.session() as s:
            assert s.scalars(select(Article.language)).one() == ("Russian Federation (" + "x" * 200)[:35]
    finally:
        db.close()
