"""Small outlet pages written for the intake tests: articles, feeds, sitemaps, section pages."""
from __future__ import annotations

from collections.abc import Callable
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path

FERRY = (
    "The harbour authority in Kessel Bay said on Tuesday that both ferries would stay in port until the storm "
    "front moves east, leaving about four hundred passengers to look for rooms in town.",
    "Waves of up to six metres were measured at the outer breakwater during the night, the authority said, and "
    "the coastguard asked every fishing boat to be back at its mooring before dark.",
    "Hotels near the quay were full by the afternoon. The town hall opened its sports centre for travellers who "
    "could not find a bed, and volunteers from the rowing club brought blankets and soup.",
)
BRIDGE = (
    "The old swing bridge over the Marr river reopened to cars on Wednesday morning after eleven weeks of repairs "
    "to its turning gear, the county roads office said.",
    "Lorries heavier than twelve tonnes must still take the ring road until the deck has been tested under load, "
    "which engineers expect to finish by the end of the month.",
    "Shop owners on the east bank said trade had fallen by a third while the bridge was closed, and asked the "
    "council for help with their rents for the summer.",
)


def article(title: str, paragraphs: tuple[str, ...], *, lang: str = "en", canonical: str | None = None, head: str = "") -> str:
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8"><title>{escape(title)}</title>{link}{head}</head>'
        f'<body><header><nav><a href="/">Front page</a></nav></header>'
        f"<main><article><h1>{escape(title)}</h1>{body}</article></main>"
        f"<footer><p>Kessel Bay Courier</p></footer></body></html>"
    )


def rss(links: list[str], title: str = "Kessel Bay Courier") -> str:
    items = "".join(f"<item><title>Story {n}</title><link>{escape(link)}</link></item>" for n, link in enumerate(links, 1))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>{{base}}/</link><description>Local news</description>{items}</channel></rss>"
    )


def atom(links: list[str]) -> str:
    entries = "".join(
        f'<entry><title>Story {n}</title><link href="{escape(link)}"/><id>urn:courier:{n}</id><updated>2023-05-22T08:00:00Z</updated></entry>'
        for n, link in enumerate(links, 1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Courier</title>'
        f"<id>urn:courier</id><updated>2023-05-22T08:00:00Z</updated>{entries}</feed>"
    )


def sitemap(links: list[str]) -> str:
    urls = "".join(f"<url><loc>{escape(link)}</loc></url>" for link in links)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def section(links: list[str]) -> str:
    anchors = "".join(f'<li><a href="{escape(link)}">Story</a></li>' for link in links) or "<li>No stories yet.</li>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Latest</title></head><body>'
        f'<header><nav><a href="/">Front page</a> <a href="/latest/">Latest</a></nav></header><main><ul>{anchors}</ul></main></body></html>'
    )


def write_site(root: Path, files: dict[str, str]) -> None:
    """Write pages into a SiteServer folder (`{base}` in them becomes the server's origin)."""
    for path, body in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")


def serve(body: str, content_type: str | None) -> Callable[[BaseHTTPRequestHandler], bool]:
    """A SiteServer route answering 200 with `body` ({base} filled in) and this Content-Type, or none at all."""

    def answer(handler: BaseHTTPRequestHandler) -> bool:
        data = body.replace("{base}", f"http://{handler.headers.get('Host')}").encode("utf-8")
        handler.send_response(200)
        if content_type is not None:
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        return True

    return answer
