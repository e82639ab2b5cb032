"""A hostile outlet cannot reach inside: real crawls against an outlet whose feeds, sitemaps, section
pages and redirects point at another loopback service (docs/robustness.md, "Targets")."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.cli import main
from monitor.sites import SiteServer
from storage.crawlstate import outlet_state
from storage.db import Database
from storage.models import Article, Revision
from tests.crawling import crawl_once, last_run, write_outlets_config
from tests.internal import (
    SECRET, ScriptedServer, article_page, html, internal_service, redirect, rss, self_signed_context, serve_tls,
    sitemap_index, urlset, xml,
)

OWN_STORIES = ("/news/border-crossing-2024.html", "/news/evacuation-buses-2024.html", "/news/shelling-report-2024.html")


def story(title: str) -> bytes:
    return article_page(title, [
        f"{title}: residents of the border villages spent the night in basements.",
        "Local officials said the buses would run again in the morning if the roads stayed open.",
        "The regional administration published a list of shelters and a telephone line for families.",
    ])


@pytest.fixture
def internal() -> Iterator[ScriptedServer]:
    with internal_service() as server:
        yield server


@pytest.fixture
def outlet(internal: ScriptedServer) -> Iterator[ScriptedServer]:
    """An outlet on its own loopback port whose content points at `internal` in every way it can."""
    with ScriptedServer("outlet") as site:
        base, port = site.base_url, internal.port
        inside = internal.base_url
        for path, title in zip(OWN_STORIES, ("Border crossing closed", "Evacuation buses leave", "Shelling report")):
            site.answers[path] = html(story(title))
        site.answers["/feed.xml"] = xml(rss([
            base + OWN_STORIES[0],
            "http://127.0.0.1:port/not-a-url",  # unreadable: skipped, the links after it still count
            inside + "/latest/meta-data/iam",
            f"http://2130706433:{port}/decimal-2024",
            f"http://0x7f.1:{port}/hex-2024",
            f"http://0177.0.0.1:{port}/octal-2024",
            f"http://127.1:{port}/short-2024",
            f"http://[::ffff:127.0.0.1]:{port}/mapped-2024",
            f"http://[::1]:{port}/ipv6-2024",
            f"http://localhost:{port}/by-name-2024",
            "file:///etc/passwd",
            f"ftp://127.0.0.1:{port}/dump.sql",
            base + "/go/inside-2024",
            base + "/go/file-2024",
            base + "/go/ftp-2024",
            base + "/go/two-hops-2024",
        ]))
        site.answers["/moved-feed.xml"] = redirect(inside + "/feed.xml", 301)
        site.answers["/sitemap-index.xml"] = xml(sitemap_index([inside + "/sitemap.xml", base + "/sitemap-news.xml"]))
        site.answers["/sitemap-news.xml"] = xml(urlset([base + OWN_STORIES[1], inside + "/latest/user-data"]))
        site.answers["/section/"] = html(
            f"<html><body><main><a href='{OWN_STORIES[2]}'>Shelling</a> <a href='{inside}/admin/users-2024'>Users</a> "
            f"<a href='/go/section-2024'>More</a></main></body></html>".encode()
        )
        site.answers["/go/inside-2024"] = redirect(inside + "/latest/meta-data/iam/role")
        site.answers["/go/section-2024"] = redirect(inside + "/latest/meta-data/section", 307)
        site.answers["/go/file-2024"] = redirect("file:///etc/passwd")
        site.answers["/go/ftp-2024"] = redirect(f"ftp://127.0.0.1:{port}/backup.tar")
        site.answers["/go/two-hops-2024"] = redirect(base + "/go/hop-2024")  # the first hop stays on the outlet
        site.answers["/go/hop-2024"] = redirect(inside + "/latest/meta-data/second-hop", 303)
        yield site


def hostile_config(directory: Path, database_url: str, outlet: ScriptedServer) -> Path:
    return write_outlets_config(directory, database_url, [{
        "name": "hostile",
        "feeds": [outlet.base_url + "/feed.xml", outlet.base_url + "/moved-feed.xml"],
        "sitemaps": [outlet.base_url + "/sitemap-index.xml"],
        "pages": [outlet.base_url + "/section/"],
    }])


def test_hostile_outlet_reaches_nothing_inside(tmp_path: Path, database_url: str, internal, outlet, capsys) -> None:
    config = hostile_config(tmp_path, database_url, outlet)
    crawl_once(config)

    assert internal.requests == []  # not one request, robots.txt included
    db = Database(database_url)
    try:
        with db.session() as session:
            urls = set(session.scalars(select(Article.canonical_url)))
            texts = [t for t in session.scalars(select(Article.text))]
            raw = [bytes(r) for r in session.scalars(select(Revision.raw_html))]
            state = outlet_state(session, "hostile")
        run = last_run(db, "hostile")
    finally:
        db.close()
    assert urls == {outlet.base_url + path for path in OWN_STORIES}  # the outlet's own pages, as usual
    assert not any(SECRET in text for text in texts) and not any(SECRET.encode() in body for body in raw)

    blocked = {e["url"]: e["message"] for e in run.errors if e["kind"] == "blocked_target"}
    port = internal.port
    expected = {
        internal.base_url + "/latest/meta-data/iam",
        f"http://2130706433:{port}/decimal-2024",
        f"http://0x7f.1:{port}/hex-2024",
        f"http://0177.0.0.1:{port}/octal-2024",
        f"http://127.1:{port}/short-2024",
        f"http://[::ffff:7f00:1]:{port}/mapped-2024",  # [::ffff:127.0.0.1], as URL normalisation writes it
        f"http://[::1]:{port}/ipv6-2024",
        f"http://localhost:{port}/by-name-2024",
        "file://etc/passwd",  # file:///etc/passwd in the feed, as URL normalisation writes it
        "file:///etc/passwd",  # a redirect's target
        f"ftp://127.0.0.1:{port}/dump.sql",
        internal.base_url + "/latest/meta-data/iam/role",  # a redirect
        internal.base_url + "/latest/meta-data/second-hop",  # the second hop of two
        f"ftp://127.0.0.1:{port}/backup.tar",  # redirect to ftp
        internal.base_url + "/feed.xml",  # a configured feed that redirects inside
        internal.base_url + "/sitemap.xml",  # a child sitemap
        internal.base_url + "/latest/user-data",  # a sitemap's article link
        internal.base_url + "/latest/meta-data/section",  # a section page's link that redirects inside
    }
    assert set(blocked) == expected
    assert blocked[internal.base_url + "/latest/meta-data/second-hop"].startswith(
        f"refused {internal.base_url}/latest/meta-data/second-hop: redirect from {outlet.base_url}/go/hop-2024:"
    )
    assert "loopback" in blocked[f"http://0x7f.1:{port}/hex-2024"]
    assert blocked["file://etc/passwd"].endswith("only http and https are fetched, not file:")
    assert blocked[f"ftp://127.0.0.1:{port}/backup.tar"].startswith(f"refused ftp://127.0.0.1:{port}/backup.tar: redirect from {outlet.base_url}/go/ftp-2024")
    redirected_to_file = [e for e in run.errors if e["kind"] == "blocked_target" and "redirect from " + outlet.base_url + "/go/file-2024" in e["message"]]
    assert [e["url"] for e in redirected_to_file] == ["file:///etc/passwd"]
    # a name is judged on the address it resolved to, when connecting
    assert f"localhost resolves to 127.0.0.1: not a public address (loopback)" in blocked[f"http://localhost:{port}/by-name-2024"]
    assert run.stats["newswatch/blocked_targets"] >= len(expected)
    assert run.stats["newswatch/links_unreadable"] == 1

    # the outlet's content points inside; the outlet is not down: no failure streak, no backoff
    assert state.error_streak == 0 and state.backoff_until is None

    out = tmp_path / "export.jsonl"
    assert main(["--config", str(config), "archive", "export", "-o", str(out)]) == 0
    exported = out.read_text(encoding="utf-8")
    assert SECRET not in exported
    assert {r["url"] for r in map(json.loads, exported.splitlines()) if r["record"] == "article"} == urls


@pytest.mark.parametrize("where", ["crawler", "outlet"])
def test_explicit_allow_lets_a_named_internal_service_through(tmp_path: Path, internal, where) -> None:
    """`crawler.allow_private` (every outlet) or an outlet's own `allow_private` (that outlet only)."""
    with ScriptedServer("intranet") as intranet, ScriptedServer("other") as other:
        intranet.answers["/feed.xml"] = xml(rss([internal.base_url + "/news/allowed-story-2024.html"]))
        other.answers["/feed.xml"] = xml(rss([internal.base_url + "/news/other-story-2024.html"]))
        allow = [f"127.0.0.1:{internal.port}"] if where == "crawler" else ["127.0.0.0/8"]
        outlets = [
            {"name": "intranet", "feeds": [intranet.base_url + "/feed.xml"], **({"allow_private": allow} if where == "outlet" else {})},
            {"name": "other", "feeds": [other.base_url + "/feed.xml"]},
        ]
        database_url = f"sqlite:///{tmp_path / 'archive.db'}"
        extra = {"allow_private": allow} if where == "crawler" else {}
        crawl_once(write_outlets_config(tmp_path, database_url, outlets, **extra))

    expected = {"/news/allowed-story-2024.html"} | ({"/news/other-story-2024.html"} if where == "crawler" else set())
    assert set(internal.requested()) == expected
    db = Database(database_url)
    try:
        with db.session() as session:
            archived = set(session.scalars(select(Article.canonical_url)))
        other_run = last_run(db, "other")
    finally:
        db.close()
    assert archived == {internal.base_url + path for path in expected}
    if where == "outlet":  # another outlet's allow does not apply here
        assert [e["url"] for e in other_run.errors if e["kind"] == "blocked_target"] == [internal.base_url + "/news/other-story-2024.html"]


def test_blocked_url_is_recorded_with_its_credentials_masked(tmp_path: Path, internal) -> None:
    with ScriptedServer("outlet") as site:
        site.answers["/feed.xml"] = xml(rss([site.base_url + "/go/keys-2024"]))
        site.answers["/go/keys-2024"] = redirect(f"http://admin:hunter22@127.0.0.1:{internal.port}/keys-2024?token=abc123xyz&page=2")
        database_url = f"sqlite:///{tmp_path / 'archive.db'}"
        crawl_once(write_outlets_config(tmp_path, database_url, [{"name": "creds", "feeds": [site.base_url + "/feed.xml"]}]))
    db = Database(database_url)
    try:
        run = last_run(db, "creds")
    finally:
        db.close()
    [error] = [e for e in run.errors if e["kind"] == "blocked_target"]
    assert error["url"] == f"http://***@127.0.0.1:{internal.port}/keys-2024?token=***&page=2"
    assert "hunter22" not in json.dumps(run.errors) and "abc123xyz" not in json.dumps(run.errors)
    assert internal.requests == []


def test_a_configured_url_on_a_private_address_is_crawled_as_before(tmp_path: Path) -> None:
    """Every fixture outlet lives on 127.0.0.1: its own origin is trusted, whatever the address."""
    with ScriptedServer("outlet") as site:
        site.answers["/feed.xml"] = xml(rss([site.base_url + OWN_STORIES[0], f"http://127.1:{site.port}{OWN_STORIES[1]}"]))
        site.answers[OWN_STORIES[0]] = html(story("Border crossing closed"))
        site.answers[OWN_STORIES[1]] = html(story("Evacuation buses leave"))
        database_url = f"sqlite:///{tmp_path / 'archive.db'}"
        crawl_once(write_outlets_config(tmp_path, database_url, [{"name": "own", "feeds": [site.base_url + "/feed.xml"]}]))
        assert set(site.requested()) == {"/feed.xml", *OWN_STORIES[:2]}  # 127.1 is the same origin, spelled short
    db = Database(database_url)
    try:
        assert not [e for e in last_run(db, "own").errors if e["kind"] == "blocked_target"]
    finally:
        db.close()


def test_behind_a_proxy_the_targets_name_is_checked_before_the_proxy_is_asked(tmp_path: Path, internal, monkeypatch) -> None:
    """With `http_proxy` set the proxy connects, so newswatch resolves the target's name itself first."""
    with ScriptedServer("outlet-and-proxy") as site:  # answers absolute-URI proxy requests from its own pages
        site.answers["/feed.xml"] = xml(rss([site.base_url + OWN_STORIES[0], f"http://localhost:{internal.port}/by-name-2024"]))
        site.answers[OWN_STORIES[0]] = html(story("Border crossing closed"))
        monkeypatch.setenv("http_proxy", site.base_url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        database_url = f"sqlite:///{tmp_path / 'archive.db'}"
        crawl_once(write_outlets_config(tmp_path, database_url, [{"name": "proxied", "feeds": [site.base_url + "/feed.xml"]}]))
        asked = list(site.requests)
    assert site.base_url + OWN_STORIES[0] in asked  # the crawl did go through the proxy
    assert not [path for path in asked if "localhost" in path] and internal.requests == []
    db = Database(database_url)
    try:
        [error] = [e for e in last_run(db, "proxied").errors if e["kind"] == "blocked_target"]
    finally:
        db.close()
    assert error["url"] == f"http://localhost:{internal.port}/by-name-2024"
    assert "localhost resolves to 127.0.0.1: not a public address (loopback)" in error["message"]


def test_https_connections_are_checked_the_same_way(tmp_path: Path) -> None:
    """Over TLS the checked endpoint sits under the TLS layer: own pages are fetched, a name resolving inside is not."""
    context = self_signed_context(tmp_path)
    site, inside = ScriptedServer("tls-outlet"), internal_service()
    serve_tls(site, context)
    serve_tls(inside, context)
    with site, inside:
        base = f"https://127.0.0.1:{site.port}"
        site.answers["/feed.xml"] = xml(rss([base + OWN_STORIES[0], f"https://localhost:{inside.port}/by-name-2024",
                                             f"https://127.0.0.1:{inside.port}/direct-2024"]))
        site.answers[OWN_STORIES[0]] = html(story("Border crossing closed"))
        database_url = f"sqlite:///{tmp_path / 'archive.db'}"
        crawl_once(write_outlets_config(tmp_path, database_url, [{"name": "tls", "feeds": [base + "/feed.xml"]}]))
        assert inside.requests == []
    db = Database(database_url)
    try:
        with db.session() as session:
            assert set(session.scalars(select(Article.canonical_url))) == {base + OWN_STORIES[0]}
        blocked = {e["url"]: e["message"] for e in last_run(db, "tls").errors if e["kind"] == "blocked_target"}
    finally:
        db.close()
    assert set(blocked) == {f"https://localhost:{inside.port}/by-name-2024", f"https://127.0.0.1:{inside.port}/direct-2024"}
    assert "localhost resolves to 127.0.0.1" in blocked[f"https://localhost:{inside.port}/by-name-2024"]


def test_a_refused_link_does_not_cost_its_feed_the_conditional_request(tmp_path: Path, internal) -> None:
    """Asking the feed in full again would not change the answer: its validators are kept (next cycle: 304)."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "news" / "own-story-2024.html").write_bytes(story("Border crossing closed"))
    (root / "feed.xml").write_text(rss(["{base}/news/own-story-2024.html", internal.base_url + "/latest/meta-data/iam"]), encoding="utf-8")
    with SiteServer(root) as site:
        database_url = f"sqlite:///{tmp_path / 'archive.db'}"
        config = write_outlets_config(tmp_path, database_url, [{"name": "kept", "feeds": [site.url("/feed.xml")]}])
        crawl_once(config)
        site.clear_log()
        crawl_once(config)
        second = [(s.path, s.status) for s in site.served if s.path != "/robots.txt"]
    assert second == [("/feed.xml", 304)]
    assert internal.requests == []
