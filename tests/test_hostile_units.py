"""Pure parts of the hostile-input defences: Retry-After, the time bound, entity-safe feed and sitemap parsing."""
from __future__ import annotations

import datetime as dt
import signal
import time

import pytest

from crawler.discovery import DiscoveryError, feed_links, sitemap_links
from crawler.extract import ExtractTimeout, HtmlTooDeep, NotAnArticle, extract_article
from crawler.middlewares import parse_retry_after
from crawler.timebox import TimeLimitExceeded, time_limit
from tests.hostile import PARAGRAPHS_EN, billion_laughs

NOW = dt.datetime(2023, 5, 22, 9, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", NOW + dt.timedelta(seconds=120)),
        (b"0", NOW),
        ("  30 ", NOW + dt.timedelta(seconds=30)),
        ("Mon, 22 May 2023 10:30:00 GMT", dt.datetime(2023, 5, 22, 10, 30, tzinfo=dt.timezone.utc)),
        ("Monday, 22-May-23 10:30:00 GMT", dt.datetime(2023, 5, 22, 10, 30, tzinfo=dt.timezone.utc)),  # RFC 850
        ("Mon May 22 10:30:00 2023", dt.datetime(2023, 5, 22, 10, 30, tzinfo=dt.timezone.utc)),  # asctime, read as UTC
        ("Sun, 21 May 2023 10:30:00 GMT", NOW),  # in the past: now
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header, expected) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_absurd_retry_after_is_capped_not_an_overflow() -> None:
    assert parse_retry_after("9" * 40, NOW) == NOW + dt.timedelta(days=3650)


def test_time_limit_interrupts_python_code() -> None:
    handler_before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.2):
            while True:
                pass
    assert time.monotonic() - started < 2
    assert signal.getsignal(signal.SIGALRM) is handler_before


def test_time_limit_cannot_be_swallowed_by_except_exception() -> None:
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.1):
            for _ in range(100):
                try:
                    time.sleep(0.02)
                except Exception:  # what a library's catch-all does
                    pass
            while True:
                try:
                    time.sleep(0.01)
                except BaseException:  # even a bare except only delays it until the block ends
                    break
    assert time.monotonic() - started < 1


def test_time_limit_lets_fast_code_through_and_restores_an_outer_timer() -> None:
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.5):
            with time_limit(5):
                pass
            assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 0.5
            while True:
                pass


def test_extraction_timeout_is_its_own_kind() -> None:
    paragraph = "<p>" + " ".join(PARAGRAPHS_EN) + " ({})</p>"
    html = "<html><body><article>" + "".join(paragraph.format(i) for i in range(3000)) + "</article></body></html>"
    with pytest.raises(ExtractTimeout) as caught:
        extract_article(html.encode(), "http://127.0.0.1/a-1.html", "text/html; charset=utf-8", timeout=0.05)
    assert caught.value.kind == "extract_timeout"
    assert isinstance(caught.value, NotAnArticle)


def test_deep_nesting_is_named() -> None:
    html = "<html><body>" + "<div>" * 50_000 + "".join(f"<p>{p}</p>" for p in PARAGRAPHS_EN) + "</div>" * 50_000 + "</body></html>"
    with pytest.raises(HtmlTooDeep):
        extract_article(html.encode(), "http://127.0.0.1/a-1.html", "text/html; charset=utf-8", timeout=10)


def test_moderately_deep_article_is_still_extracted() -> None:
    html = "<html><body>" + "<div>" * 60 + "<article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS_EN) + "</article>" + "</div>" * 60 + "</body></html>"
    assert "Kozinka" in extract_article(html.encode(), "http://127.0.0.1/a-1.html", "text/html; charset=utf-8").text


def test_feed_external_entity_is_never_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    feed = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<rss version="2.0"><channel><title>&xxe;</title>'
        "<item><title>&xxe;</title><link>http://127.0.0.1/a-&xxe;.html</link></item>"
        "<item><title>ok</title><link>http://127.0.0.1/b-1.html</link></item></channel></rss>"
    ).encode()
    links = feed_links(feed, "http://127.0.0.1/feed.xml")
    assert "http://127.0.0.1/b-1.html" in links
    assert not any("TOP-SECRET" in link for link in links)


def test_sitemap_external_entity_is_never_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://127.0.0.1/a-&xxe;.html</loc></url></urlset>'
    ).encode()
    assert not any("TOP-SECRET" in link for link in sitemap_links(body, "http://127.0.0.1/s.xml").articles)


def test_billion_laughs_is_not_expanded_in_feeds_or_sitemaps() -> None:
    feed = (
        f'<?xml version="1.0"?>\n{billion_laughs("rss")}<rss version="2.0"><channel><title>&lol9;</title>'
        "<item><title>&lol9;</title><link>http://127.0.0.1/b-1.html</link></item></channel></rss>"
    ).encode()
    started = time.monotonic()
    assert feed_links(feed, "http://127.0.0.1/feed.xml") == ["http://127.0.0.1/b-1.html"]
    sitemap = (
        f'<?xml version="1.0"?>\n{billion_laughs("urlset")}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>http://127.0.0.1/&lol9;</loc></url></urlset>"
    ).encode()
    links = sitemap_links(sitemap, "http://127.0.0.1/s.xml").articles
    assert all(len(link) < 100 for link in links)
    assert time.monotonic() - started < 2


def test_malformed_feed_without_links_is_an_error() -> None:
    with pytest.raises(DiscoveryError):
        feed_links(b'<?xml version="1.0"?><rss><channel><item><title>unclosed <link>oops</item', "http://127.0.0.1/feed.xml")


def test_malformed_feed_keeps_the_links_it_could_read() -> None:
    body = b'<rss version="2.0"><channel><item><link>http://127.0.0.1/a-1.html</link></item><item><title>broken &amp</item>'
    assert feed_links(body, "http://127.0.0.1/feed.xml") == ["http://127.0.0.1/a-1.html"]


def test_example_crawler_section_lists_the_defaults() -> None:
    from pathlib import Path

    import yaml

    from crawler.job import CrawlSettings

    import re

    text = (Path(__file__).resolve().parents[1] / "examples" / "newswatch.yaml").read_text(encoding="utf-8")
    example = yaml.safe_load(text)
    assert CrawlSettings.model_validate(example["crawler"]) == CrawlSettings()
    # a setting without a default (contact) is shown commented out, as `# name: value`
    section = re.search(r"^crawler:.*?(?=^\S)", text, flags=re.M | re.S).group(0)
    shown = set(example["crawler"]) | set(re.findall(r"^  # (\w+): ", section, flags=re.M))
    assert shown == set(CrawlSettings.model_fields)


def test_sub_second_bounds_survive_the_trip_to_the_worker() -> None:
    from crawler.job import CrawlSettings

    settings = CrawlSettings.model_validate({"extract_timeout": "0.8s", "timeout": "1.5s"})
    again = CrawlSettings.model_validate_json(settings.model_dump_json())
    assert again.extract_timeout.total_seconds() == 0.8 and again.timeout.total_seconds() == 1.5


def test_time_limit_off_the_main_thread_runs_unbounded_and_says_so(caplog, monkeypatch) -> None:
    import threading

    from crawler import timebox

    monkeypatch.setattr(timebox, "_warned_unbounded", False)
    results: list[str] = []

    def work() -> None:
        with time_limit(0.05):
            time.sleep(0.1)
        results.append("finished")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert results == ["finished"]
    assert "time limits need the main thread" in caplog.text
