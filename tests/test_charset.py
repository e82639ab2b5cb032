"""Charset precedence, as a pure function over bytes (crawler/charset.py)."""
from __future__ import annotations

import pytest

from crawler.charset import decode_page
from crawler.extract import decode_html
from tests.hostile import PARAGRAPHS_RU

RU = " ".join(PARAGRAPHS_RU)
FR = "Les habitants des villages frontaliers ont été évacués vers des écoles, a déclaré le gouverneur de la région."


def page(text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>"


META_1251 = '<meta charset="windows-1251">'
CASES = [
    # (id, bytes, Content-Type header, expected codec, expected source)
    ("cp1251, header says utf-8, meta says windows-1251", page(RU, META_1251).encode("cp1251"), "text/html; charset=utf-8", "cp1251", "meta"),
    ("cp1251, header says latin-1, meta says windows-1251", page(RU, META_1251).encode("cp1251"), "text/html; charset=ISO-8859-1", "cp1251", "meta"),
    ("cp1251, http-equiv meta, no header charset", page(RU, '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">').encode("cp1251"), "text/html", "cp1251", "meta"),
    ("cp1251, right header, no meta", page(RU).encode("cp1251"), "text/html; charset=windows-1251", "cp1251", "http"),
    ("cp1251, nothing declared", page(RU).encode("cp1251"), None, "cp1251", "detected"),
    ("koi8-r, nothing declared", page(RU).encode("koi8-r"), "text/html", "koi8-r", "detected"),
    ("koi8-r, right header, wrong meta", page(RU, META_1251).encode("koi8-r"), "text/html; charset=koi8-r", "koi8-r", "http"),
    ("utf-8 with BOM, header says windows-1251", b"\xef\xbb\xbf" + page(RU).encode("utf-8"), "text/html; charset=windows-1251", "utf-8", "bom"),
    ("utf-8 without BOM, header and meta say windows-1251", page(RU, META_1251).encode("utf-8"), "text/html; charset=windows-1251", "utf-8", "utf-8"),
    ("utf-8, nothing declared", page(RU).encode("utf-8"), None, "utf-8", "utf-8"),
    ("utf-16 with BOM", "\ufeff".encode("utf-16-le") + page(RU).encode("utf-16-le"), "text/html; charset=utf-8", "utf-16-le", "bom"),
    ("latin-1 French, right header, wrong meta", page(FR, META_1251).encode("latin-1"), "text/html; charset=ISO-8859-1", "cp1252", "http"),
    ("ASCII only, nothing declared", page("Belgorod border raid").encode("ascii"), None, "ascii", "detected"),
]


@pytest.mark.parametrize(("body", "content_type", "encoding", "source"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_charset_precedence(body: bytes, content_type: str | None, encoding: str, source: str) -> None:
    decoded = decode_page(body, content_type)
    assert (decoded.encoding, decoded.source) == (encoding, source)
    expected = FR if "French" in decoded.text or "évacués" in decoded.text else RU
    if encoding != "ascii":
        assert expected in decoded.text
    assert "\ufeff" not in decoded.text and "\ufffd" not in decoded.text


def test_an_undecodable_declaration_loses_to_detection() -> None:
    body = page(RU, '<meta charset="utf-8">').encode("cp1251")
    decoded = decode_page(body, "text/html; charset=utf-8")
    assert decoded.source == "detected" and RU in decoded.text


def test_unknown_charset_labels_are_ignored() -> None:
    body = page(RU, '<meta charset="x-no-such-charset">').encode("cp1251")
    decoded = decode_page(body, "text/html; charset=bogus")
    assert decoded.encoding == "cp1251" and RU in decoded.text


def test_binary_garbage_still_decodes() -> None:
    decoded = decode_page(bytes(range(256)) * 4, None)
    assert isinstance(decoded.text, str) and decoded.text


def test_decode_html_is_the_same_rule() -> None:
    body = page(RU, META_1251).encode("cp1251")
    assert decode_html(body, "text/html; charset=utf-8") == decode_page(body, "text/html; charset=utf-8").text
