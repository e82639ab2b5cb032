"""Parts of a page that are not the article, removed before extraction (pure functions on lxml trees).

Two sources: an outlet's own `exclude:` CSS selectors, and default containers for comments and
related content that sites name only by class or id (`<div id="comments">`, `class="comment-list"`,
`class="related-articles"`, …). A class or id counts as such a container only when every word of it
is known: at least one boilerplate word (comments, disqus, related, most read, …) and otherwise only
container words (list, section, wrapper, …). So `comment-list` and `js-disqus-thread` go, while
`comment-free`, `has-comments`, `related-enabled` and `main` stay, and so does an element that
another of its classes names as the body (`class="entry-content entry-content-read-more"`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import lxml.html
from cssselect import ExpressionError, SelectorError
from lxml.cssselect import CSSSelector

BOILERPLATE_WORDS = frozenset({
    "comment", "comments", "commentlist", "commentform", "disqus", "reply", "replies", "respond",
    "related", "popular", "recommended", "recommendations", "recirculation", "share", "sharing", "sharebar",
    "newsletter", "newsletters", "outbrain", "taboola", "trending",
})
BOILERPLATE_PAIRS = frozenset({("most", "read"), ("most", "popular"), ("most", "viewed"), ("read", "more"), ("see", "also")})
CONTAINER_WORDS = frozenset({
    "list", "lists", "section", "area", "block", "box", "wrap", "wrapper", "container", "thread", "threads",
    "widget", "widgets", "module", "panel", "form", "count", "counter", "holder", "link", "links", "article",
    "articles", "stories", "story", "news", "posts", "post", "item", "items", "button", "buttons", "tools",
    "toolbar", "bar", "content", "contents", "inner", "outer", "title", "heading", "header", "footer", "body",
    "text", "icons", "icon", "nav", "feed", "teaser", "teasers", "card", "cards", "grid", "carousel", "slider",
    "rail", "unit", "zone", "region", "placeholder", "embed", "frame", "root", "app", "top", "bottom", "entry",
    "entries", "page", "js", "c", "l", "m", "o", "u", "wp", "v", "sidebar", "component", "components", "label",
    "cta", "signup", "sign", "up", "subscribe", "field", "fields", "social", "reader", "readers", "user", "users",
})
CONTENT_WORDS = frozenset({"entry", "content", "article", "story", "post", "body", "text", "main", "single", "full"})
NEVER_REMOVED = frozenset({"html", "body", "main"})
WORD_BREAK = re.compile(r"[-_:.\s]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


class BadSelector(ValueError):
    """An `exclude:` entry that is not a CSS selector lxml can use."""


@lru_cache(maxsize=1024)
def compile_selector(selector: str) -> CSSSelector:
    """The compiled selector; BadSelector says why when it is not one."""
    if not selector.strip():
        raise BadSelector("an empty CSS selector")
    try:
        return CSSSelector(selector, translator="html")
    except ExpressionError as exc:
        raise BadSelector(f"CSS selector {selector!r} is not supported: {exc}") from None
    except SelectorError as exc:
        raise BadSelector(f"not a valid CSS selector {selector!r}: {exc}") from None


@lru_cache(maxsize=8192)  # pages repeat their class names: hundreds of look-ups per page, few distinct names
def is_boilerplate_name(name: str) -> bool:
    """True for a class or id made only of container words and at least one boilerplate word or pair."""
    words = [w.lower() for w in WORD_BREAK.split(name) if w and not w.isdigit()]
    if not words:
        return False
    head = {i for i, w in enumerate(words) if w in BOILERPLATE_WORDS}
    for i, pair in enumerate(zip(words, words[1:])):
        if pair in BOILERPLATE_PAIRS:
            head.update((i, i + 1))
    return bool(head) and all(i in head or w in CONTAINER_WORDS for i, w in enumerate(words))


@lru_cache(maxsize=8192)
def is_content_name(name: str) -> bool:
    """True for a class or id that names the article body itself: `entry-content`, `article-body`, `story_text`, …"""
    words = [w.lower() for w in WORD_BREAK.split(name) if w and not w.isdigit()]
    return bool(words) and all(w in CONTENT_WORDS for w in words)


def _is_default_boilerplate(element: lxml.html.HtmlElement) -> bool:
    """Some class or id of the element names boilerplate, and none names the article body (`entry-content read-more`)."""
    names = (element.get("class") or "").split()
    if element.get("id"):
        names.append(element.get("id"))
    return any(is_boilerplate_name(name) for name in names) and not any(is_content_name(name) for name in names)


def _protected(element: lxml.html.HtmlElement) -> bool:
    """The page itself, or a container of the marked-up article body: never removed by a default."""
    if element.tag in NEVER_REMOVED:
        return True
    return bool(element.xpath("descendant-or-self::*[@itemprop='articleBody' or self::main]"))


def remove_excluded(tree: lxml.html.HtmlElement, selectors: Iterable[str] = (), defaults: bool = True) -> int:
    """Remove the outlet's `selectors` and, with `defaults`, comment and related-content containers; returns how many."""
    doomed: list[lxml.html.HtmlElement] = []
    for selector in selectors:
        doomed.extend(compile_selector(selector)(tree))
    if defaults:
        doomed.extend(
            element for element in tree.iter()
            if isinstance(element.tag, str) and (element.get("class") or element.get("id"))
            and _is_default_boilerplate(element) and not _protected(element)
        )
    chosen = set(doomed)
    removed = 0
    for element in doomed:
        if element.getparent() is None or element.tag in ("html", "body"):
            continue
        if any(ancestor in chosen for ancestor in element.iterancestors()):
            continue  # goes with its ancestor
        element.drop_tree()  # its tail text stays with the parent
        removed += 1
    return removed
