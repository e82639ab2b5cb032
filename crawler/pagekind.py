"""What a page says it is, and the text it carries besides its markup (pure functions on lxml trees).

"Not an article" is decided by what the page declares (JSON-LD `@type`, `og:type`, article markup)
and where its link came from, never by how long its text is. The same signals give fallback text
when trafilatura finds no main text: JSON-LD `articleBody`, the `<article>` element, and
`og:description` / meta description as a last resort (a flash that is all headline and teaser).
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.html
from lxml import etree

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "analysisnewsarticle", "askpublicnewsarticle", "backgroundnewsarticle",
    "opinionnewsarticle", "reportagenewsarticle", "reviewnewsarticle", "satiricalarticle", "advertisercontentarticle",
    "blogposting", "liveblogposting", "socialmediaposting", "report", "scholarlyarticle", "techarticle",
})
NON_ARTICLE_TYPES = frozenset({
    "collectionpage", "searchresultspage", "profilepage", "aboutpage", "contactpage", "checkoutpage",
})
NON_ARTICLE_OG = frozenset({"profile", "product", "book", "place", "video.movie", "video.tv_show", "video.episode"})
NON_ARTICLE_OG_PREFIXES = ("music.", "business.", "product.")
GUESSED_VIA = "page"  # a link newswatch took for an article on a section page (the publisher did not list it as an item)
INVISIBLE = ("script", "style", "noscript", "template", "button", "form", "select", "svg")
WHITESPACE = re.compile(r"[ \t\r\f\v]+")
BLANK_LINES = re.compile(r"\s*\n\s*")
MAX_JSONLD_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class PageSignals:
    og_type: str = ""
    jsonld_types: frozenset[str] = frozenset()  # as written, without a schema.org prefix
    jsonld_body: str = ""  # the longest JSON-LD articleBody
    description: str = ""  # og:description, else meta description
    title: str = ""  # og:title, else <title>
    article_markup: bool = False  # <article>, itemprop=articleBody or article:published_time

    @property
    def types_lower(self) -> frozenset[str]:
        return frozenset(t.lower() for t in self.jsonld_types)

    @property
    def declares_article(self) -> bool:
        return bool(self.types_lower & ARTICLE_TYPES) or self.article_markup


def read_signals(tree: lxml.html.HtmlElement | None) -> PageSignals:
    if tree is None:
        return PageSignals()
    types: set[str] = set()
    bodies: list[str] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        for node in _jsonld_nodes(script.text or ""):
            types.update(_type_names(node.get("@type")))
            if isinstance(node.get("articleBody"), str):
                bodies.append(node["articleBody"])
    return PageSignals(
        og_type=_meta(tree, "property", "og:type").lower(),
        jsonld_types=frozenset(types),
        jsonld_body=_plain(max(bodies, key=len)) if bodies else "",
        description=_meta(tree, "property", "og:description") or _meta(tree, "name", "description"),
        title=_meta(tree, "property", "og:title") or _plain(tree.findtext(".//title") or ""),
        article_markup=bool(tree.xpath(
            "//article | //*[@itemprop='articleBody'] | //meta[@property='article:published_time' or @name='article:published_time']"
        )),
    )


def not_an_article(signals: PageSignals, via: str) -> str | None:
    """Why the page is not an article, or None. `via`: where its link came from (feed, sitemap, page, revisit)."""
    declared = sorted(t for t in signals.jsonld_types if t.lower() in NON_ARTICLE_TYPES)
    if declared and not signals.types_lower & ARTICLE_TYPES:
        return f"the page declares itself a {', '.join(declared)} (JSON-LD @type) and no article"
    og = signals.og_type
    if og and (og in NON_ARTICLE_OG or og.startswith(NON_ARTICLE_OG_PREFIXES)) and not signals.declares_article:
        return f"og:type {og!r} and no article markup"
    if via == GUESSED_VIA and og == "website" and not signals.declares_article:
        return "og:type 'website', no article markup, and the link was only found on a section page"
    return None


def fallback_text(tree: lxml.html.HtmlElement | None, signals: PageSignals) -> tuple[str, str]:
    """(text, source) from the page's own signals when trafilatura found none; ('', '') when there is none."""
    if signals.jsonld_body:
        return signals.jsonld_body, "json-ld"
    article = _article_text(tree)
    if article:
        return article, "article"
    if signals.description:
        return signals.description, "description"
    return "", ""


def _article_text(tree: lxml.html.HtmlElement | None) -> str:
    """Visible text of the page's longest <article> element."""
    if tree is None:
        return ""
    texts = [_visible_text(element) for element in tree.iter("article")]
    return max(texts, key=len, default="")


def _visible_text(element: lxml.html.HtmlElement) -> str:
    element = copy.deepcopy(element)
    etree.strip_elements(element, *INVISIBLE, with_tail=False)
    for block in element.iter("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "div", "br", "blockquote", "figcaption"):
        block.tail = "\n" + (block.tail or "")
    return _plain_lines("".join(element.itertext()))


def _jsonld_nodes(text: str) -> Iterator[dict]:
    if not text.strip() or len(text) > MAX_JSONLD_BYTES:
        return
    try:
        data = json.loads(text)
    except ValueError:
        return
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            yield value
            stack.extend(v for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, (dict, list)))


def _type_names(value: object) -> Iterator[str]:
    for name in value if isinstance(value, list) else [value]:
        if isinstance(name, str) and name:
            yield re.split(r"[/:#]", name)[-1]


def _meta(tree: lxml.html.HtmlElement, attribute: str, name: str) -> str:
    for value in tree.xpath(f"//meta[@{attribute}=$name]/@content", name=name):
        if str(value).strip():
            return _plain(str(value))
    return ""


def _plain(text: str) -> str:
    """Text with any markup it carries removed and white space folded (JSON-LD bodies sometimes hold HTML)."""
    if "<" in text and ">" in text:
        try:
            text = lxml.html.fragment_fromstring(text, create_parent="div").text_content()
        except (ValueError, etree.ParserError):
            pass
    return _plain_lines(text)


def _plain_lines(text: str) -> str:
    return BLANK_LINES.sub("\n", WHITESPACE.sub(" ", text)).strip()
