"""Alert messages (pure): Mako templates per kind (story, followup, digest) and format (txt, md, html).

A user's template folder (`alerts.templates`) is searched before the built-in one, so a file named
like a built-in template replaces it. A message that is too long for its channel keeps everything
but gets shorter snippets — an alert is never dropped for length.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mako.exceptions import MakoException
from mako.lookup import TemplateLookup
from mako.template import Template

from newswatch.yamlsource import unknown_name
from storage.deliveries import OutgoingAlert

BUILTIN = Path(__file__).parent / "templates"
EXTENSIONS = {"text": "txt", "markdown": "md", "html": "html"}
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    format: str  # text | markdown | html


@dataclass(frozen=True)
class Limits:
    """A channel's limits in characters; title_in_body when the service has no title field (apprise title_maxlen 0)."""

    body: int | None = None
    title: int | None = None
    title_in_body: bool = False


def render(alert: OutgoingAlert, format: str = "text", limits: Limits = Limits(), templates: str | None = None) -> Message:
    """The alert as a message for one channel, its snippets shortened until it fits the channel's limits."""
    lookup = _lookup(templates, format == "html")
    title = _render(_lookup(templates, False), "title.txt.mako", alert, None).strip()
    if limits.title and len(title) > limits.title:
        title = title[: limits.title - 1] + "…"
    name = f"{alert.kind}.{EXTENSIONS[format]}.mako"
    body = _render(lookup, name, alert, None)
    if _fits(title, body, limits):
        return Message(title, body, format)
    longest = max([len(alert.snippet), *(len(item.snippet) for item in alert.items)], default=0)
    low, high, best = 0, longest, _render(lookup, name, alert, 0)
    while low <= high:
        cap = (low + high) // 2
        candidate = _render(lookup, name, alert, cap)
        if _fits(title, candidate, limits):
            best, low = candidate, cap + 1
        else:
            high = cap - 1
    return Message(title, best, format)


def template_problems(folder: str) -> list[str]:
    """What is wrong with a user template folder: missing, unknown file names, templates that do not compile."""
    path = Path(folder)
    if not path.is_dir():
        return [f"template folder {folder} does not exist"]
    known = sorted(p.name for p in BUILTIN.glob("*.mako"))
    problems = []
    for file in sorted(path.glob("*.mako")):
        if file.name not in known:
            problems.append(unknown_name(f"unknown template {file.name}", file.name, known, "templates"))
            continue
        try:
            Template(file.read_text(encoding="utf-8"), strict_undefined=True)
        except MakoException as exc:
            problems.append(f"template {file.name} does not compile: {exc}")
    return problems


def render_title(alert: OutgoingAlert) -> str:
    return render(alert).title


def render_body(alert: OutgoingAlert) -> str:
    return render(alert).body


def shorten(text: str, cap: int | None) -> str:
    """At most `cap` characters, cut at a word boundary where possible, with an ellipsis."""
    text = text.strip()
    if cap is None or len(text) <= cap:
        return text
    if cap < 2:
        return ""
    cut = text[: cap - 1]
    space = cut.rfind(" ")
    if space > cap // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def _fits(title: str, body: str, limits: Limits) -> bool:
    if limits.body is None:
        return True
    size = len(body) + (len(title) + 2 if limits.title_in_body else 0)
    return size <= limits.body


def _render(lookup: TemplateLookup, name: str, alert: OutgoingAlert, cap: int | None) -> str:
    context = {
        "kind": alert.kind, "alert_id": alert.alert_id, "key": alert.key, "watch_id": alert.watch_id,
        "watch_name": alert.watch_name, "title": alert.title, "outlet": alert.outlet, "url": alert.url,
        "published": _when(alert.published), "terms": alert.terms, "snippet": alert.snippet,
        "outlets": alert.outlets, "items": alert.items, "authors": alert.authors, "channel": alert.channel,
        "short": lambda text: shorten(text or "", cap), "when": _when, "md": _markdown,
    }
    return lookup.get_template(name).render(**context).strip() + "\n"


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else "unknown"


def _markdown(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


@lru_cache(maxsize=16)
def _lookup(templates: str | None, html: bool) -> TemplateLookup:
    directories = [str(Path(templates).expanduser())] if templates else []
    directories.append(str(BUILTIN))
    filters = ["str", "h"] if html else ["str"]
    return TemplateLookup(directories=directories, default_filters=filters, strict_undefined=True,
                          input_encoding="utf-8", filesystem_checks=True)
