import pytest

from crawler.urls import normalize_url, same_site, site_of


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://Example.org/a.html", "http://example.org/a.html"),
        ("http://example.org:80/a.html", "http://example.org/a.html"),
        ("https://example.org:443/a.html", "https://example.org/a.html"),
        ("http://127.0.0.1:8080/a.html", "http://127.0.0.1:8080/a.html"),
        ("http://[2001:DB8::1]:8080/a.html", "http://[2001:db8::1]:8080/a.html"),  # IPv6 keeps its brackets
        ("http://[::1]:80/a.html", "http://[::1]/a.html"),
        ("http://example.org/a.html#comments", "http://example.org/a.html"),
        ("http://example.org/a.html?utm_source=rss&utm_medium=feed", "http://example.org/a.html"),
        ("http://example.org/a.html?id=3&fbclid=x&gclid=y", "http://example.org/a.html?id=3"),
        ("http://example.org/a.html?b=2&a=1", "http://example.org/a.html?a=1&b=2"),
        ("http://example.org", "http://example.org/"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_normalize_is_idempotent() -> None:
    url = "HTTP://www.Example.org:80/путь/a b.html?utm_campaign=x&q=новости#top"
    assert normalize_url(normalize_url(url)) == normalize_url(url)


def test_same_site_ignores_www_and_scheme_but_not_port() -> None:
    assert same_site("http://www.example.org/a", "https://example.org/b")
    assert same_site("https://m.example.org/a", "https://example.org/b")
    assert not same_site("http://example.org/a", "http://example.com/a")
    assert not same_site("http://127.0.0.1:81/", "http://127.0.0.1:82/")
    assert site_of("https://amp.example.org/x") == "example.org"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.org/amp/news/raid.html", "http://example.org/news/raid.html"),
        ("http://example.org/news/raid.html/amp", "http://example.org/news/raid.html"),
        ("http://example.org/2023/05/raid/amp/", "http://example.org/2023/05/raid/"),
        ("http://example.org/news/raid.amp.html", "http://example.org/news/raid.html"),
        ("http://example.org/news/raid.amp", "http://example.org/news/raid"),
        ("http://example.org/news/raid.html?amp=1", "http://example.org/news/raid.html"),
        ("http://example.org/news/raid.html?amp", "http://example.org/news/raid.html"),
        ("http://example.org/news/raid.html?outputType=amp&id=7", "http://example.org/news/raid.html?id=7"),
        ("http://example.org/news/raid.html?usqp=mq331AQFKAGwASA%3D", "http://example.org/news/raid.html"),
        ("https://amp.example.org/news/raid.html", "https://example.org/news/raid.html"),
        # not AMP: a word that merely contains "amp", another outputType, a site called amp.org
        ("http://example.org/news/camp-fire.html", "http://example.org/news/camp-fire.html"),
        ("http://example.org/news/raid.html?outputType=print", "http://example.org/news/raid.html?outputType=print"),
        ("http://amp.org/news/raid.html", "http://amp.org/news/raid.html"),
    ],
)
def test_amp_variants_normalise_to_the_article(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
