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


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # known tracking parameters go, whatever else is there
        ("http://example.org/a.html?utm_source=rss&utm_campaign=x&utm_content=y", "http://example.org/a.html"),
        ("http://example.org/a.html?fbclid=1&gclid=2&msclkid=3&yclid=4&ysclid=5&gbraid=6&wbraid=7", "http://example.org/a.html"),
        ("http://example.org/a.html?mc_cid=1&mc_eid=2&_ga=3&_gl=4&_hsenc=5&_hsmi=6&mkt_tok=7", "http://example.org/a.html"),
        ("http://example.org/a.html?mtm_campaign=1&pk_source=2&at_medium=3&xtor=RSS-4&ref_src=twsrc", "http://example.org/a.html"),
        ("http://example.org/a.html?id=3&fbclid=x&gclid=y", "http://example.org/a.html?id=3"),
        # names that can identify content stay
        ("http://example.org/news.php?cid=101", "http://example.org/news.php?cid=101"),
        ("http://example.org/news.php?cid=101&utm_medium=feed", "http://example.org/news.php?cid=101"),
        ("http://example.org/view?src=wire-8812", "http://example.org/view?src=wire-8812"),
        ("http://example.org/go?from=2023-05-22&ref=raid", "http://example.org/go?from=2023-05-22&ref=raid"),
        ("http://example.org/x?share=1&via=agency&rss=world", "http://example.org/x?rss=world&share=1&via=agency"),
        ("http://example.org/?p=4711", "http://example.org/?p=4711"),
        ("http://example.org/article.php?id=5", "http://example.org/article.php?id=5"),
        ("http://example.org/index.php?option=com_content&id=3", "http://example.org/index.php?id=3&option=com_content"),
    ],
)
def test_only_tracking_parameters_are_stripped(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_two_articles_told_apart_by_their_query_stay_two() -> None:
    assert normalize_url("http://example.org/news.php?cid=101") != normalize_url("http://example.org/news.php?cid=102")


@pytest.mark.parametrize(
    ("canonical", "fetched", "fits"),
    [
        ("http://example.org/2023/05/ferries.html", "http://example.org/2023/05/ferries.html?ref=home", True),
        ("http://example.org/2023/05/ferries/", "http://example.org/?p=4711", True),  # WordPress: ?p= to its permalink
        ("http://example.org/news.php?cid=101", "http://example.org/news.php?cid=101&from=front", True),
        ("http://example.org/news.php", "http://example.org/news.php?cid=101", False),  # one canonical for every article
        ("http://example.org/", "http://example.org/2023/05/ferries.html", False),  # the front page
        ("http://example.org/", "http://example.org/?p=4711", False),
        ("http://example.org/", "http://example.org/", True),
    ],
)
def test_canonical_fits(canonical: str, fetched: str, fits: bool) -> None:
    from crawler.urls import canonical_fits

    assert canonical_fits(canonical, fetched) is fits
