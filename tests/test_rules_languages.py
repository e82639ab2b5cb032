"""Done-when checks of the rules issue: one watch, written once, finds the story in English, Russian
(a cp1251 page) and Ukrainian; a namesake on a sports page is not matched by a watch scoped to the
right context. The pages are served over HTTP on loopback and extracted by the crawler's extractor."""
from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import extract_article
from monitor.sites import SiteServer
from rules.matcher import Document, Matcher
from rules.ruleset import load_rules

PAGES = Path(__file__).parent / "fixtures" / "rules"

RULES = """
entities:
  ponomarev:
    aliases: [Ponomarev, Пономарьов]
    transliterate: true          # Ponomaryov, Пономарёв (so Пономарёва) ... from two aliases
  belgorod:
    aliases: [Belgorod, Бєлгород]
    transliterate: true          # Белгород (so Белгородской) from the Latin alias
  legion:
    aliases: ["Freedom of Russia Legion", "Легион «Свобода России»", "Легіон «Свобода Росії»"]
watches:
  - id: ponomarev-raids
    all: [ponomarev]
    any: [belgorod, legion]
  - id: ponomarev-any-context
    any: [ponomarev]
  - id: ponomarev-politics
    all:
      - ponomarev
      - any: [legion, belgorod, Kremlin, Duma, депутат*]
    none:
      - any: [hockey, puck, play-off, хоккей*]
        in: [title, lead]
"""


@pytest.fixture(scope="module")
def matcher(tmp_path_factory) -> Matcher:
    folder = tmp_path_factory.mktemp("rules")
    (folder / "watch.yaml").write_text(RULES, encoding="utf-8")
    return Matcher(load_rules(["watch.yaml"], folder))


def _without_charset(handler) -> bool:
    """The cp1251 page as many old sites send it: `text/html` with no charset; its <meta charset> decides."""
    body = (PAGES / "ru-raid.html").read_bytes()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    return True


@pytest.fixture(scope="module")
def site():
    with SiteServer(PAGES, routes={"/ru-raid.html": _without_charset}) as server:
        yield server


def fetched(site: SiteServer, name: str) -> tuple[Document, bytes]:
    import urllib.request

    with urllib.request.urlopen(site.url(f"/{name}"), timeout=10) as response:
        body = response.read()
        content_type = response.headers.get("Content-Type")
    article = extract_article(body, site.url(f"/{name}"), content_type)
    return Document(article.title or "", article.text, url=site.url(f"/{name}"), language=article.language or ""), body


def matched(matcher: Matcher, document: Document) -> dict[str, list[str]]:
    return {r.watch.id: [h.found for h in r.hits] for r in matcher.match(document)}


def test_the_russian_page_is_really_cp1251() -> None:
    raw = (PAGES / "ru-raid.html").read_bytes()
    assert 'charset="windows-1251"'.encode() in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


@pytest.mark.parametrize(
    ("page", "language", "forms"),
    [
        ("en-raid.html", "en", {"Ponomaryov", "Belgorod", "Freedom of Russia Legion"}),
        ("ru-raid.html", "ru", {"Пономарёв", "Пономарёва", "Белгородскую", "Белгородской", "Легион «Свобода России»"}),
        ("uk-raid.html", "uk", {"Пономарьов", "Пономарьова", "Бєлгородщину", "Легіон «Свобода Росії»"}),
    ],
)
def test_one_watch_finds_the_story_in_three_languages(matcher: Matcher, site: SiteServer, page: str, language: str, forms: set[str]) -> None:
    document, _raw = fetched(site, page)
    assert document.language == language
    found = matched(matcher, document)
    assert "ponomarev-raids" in found and "ponomarev-politics" in found
    assert forms <= set(found["ponomarev-raids"])


def test_sports_namesake_is_not_matched_by_the_scoped_watch(matcher: Matcher, site: SiteServer) -> None:
    document, _raw = fetched(site, "sport-namesake.html")
    found = matched(matcher, document)
    # a naive watch is fooled (the player is a Ponomarev who grew up in Belgorod) ...
    assert "ponomarev-any-context" in found and "ponomarev-raids" in found
    # ... the watch scoped to the right context is not
    assert "ponomarev-politics" not in found
    (explained,) = [(ok, reason) for result, ok, reason in matcher.explain(document) if result.watch.id == "ponomarev-politics"]
    assert explained == (False, "excluded: any(hockey, puck, play-off, хоккей*) found")


def test_the_example_rules_do_what_their_comments_say(site: SiteServer) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    matcher = Matcher(load_rules(["watch/*.yaml"], examples))
    for page in ("en-raid.html", "ru-raid.html", "uk-raid.html"):
        document, _raw = fetched(site, page)
        assert {"belgorod-raid", "ponomarev"} <= set(matched(matcher, document)), page
    sport, _raw = fetched(site, "sport-namesake.html")
    assert matched(matcher, sport) == {}
