"""Atom feeds (RFC 4287) of alerts: one per watch and one of all watches. A pure function of plain data."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from storage.web_queries import AlertRow, StorySummary

ATOM = "http://www.w3.org/2005/Atom"
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def entry_title(alert: AlertRow) -> str:
    if alert.kind == "followup" and alert.announced:
        return f"Also in {', '.join(alert.announced)}: {alert.title}"
    return alert.title


def entry_summary(alert: AlertRow, story: StorySummary | None) -> str:
    lines = [f"Watch: {alert.watch_name}", f"Outlet: {alert.outlet or '-'}", f"Matched: {', '.join(alert.terms) or '-'}"]
    if story is not None:
        lines.append(f"Story {story.id}: {story.title} ({story.articles} article(s): {', '.join(story.outlets)})")
    return "\n".join(lines)


def atom_feed(feed_id: str, title: str, self_url: str, site_url: str, alerts: list[AlertRow],
              stories: dict[int, StorySummary]) -> bytes:
    """The feed document: each alert with its article link, outlet, time, matched terms and the story it belongs to."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", feed_id)
    _add(feed, "title", title)
    _add(feed, "updated", _time(max((a.created_at for a in alerts), default=EPOCH)))
    _add(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _add(feed, "link", rel="alternate", href=site_url, type="text/html")
    _add(_add(feed, "author"), "name", "newswatch")
    _add(feed, "generator", "newswatch")
    for alert in alerts:
        entry = _add(feed, "entry")
        _add(entry, "id", f"urn:newswatch:alert:{alert.key}")
        _add(entry, "title", entry_title(alert))
        if alert.url:
            _add(entry, "link", rel="alternate", href=alert.url, type="text/html")
        if alert.story_id is not None:
            _add(entry, "link", rel="related", href=f"{site_url}stories/{alert.story_id}", type="text/html", title="the story")
        if alert.article_id is not None:
            _add(entry, "link", rel="via", href=f"{site_url}articles/{alert.article_id}", type="text/html", title="in the archive")
        _add(entry, "updated", _time(alert.created_at))
        if alert.published is not None:
            _add(entry, "published", _time(alert.published))
        _add(_add(entry, "author"), "name", alert.outlet or "newswatch")
        for term in alert.terms:
            _add(entry, "category", term=term)
        _add(entry, "summary", entry_summary(alert, stories.get(alert.story_id) if alert.story_id else None), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
