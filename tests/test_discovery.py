import gzip

import pytest

from crawler.discovery import DiscoveryError, feed_links, page_links, sitemap_links

BASE = "http://news.example.org"

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>http://news.example.org/a-1.html?utm_source=rss</link></item>
<item><title>b</title><guid>http://news.example.org/b-2.html</guid></item></channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>a</title><link href="/world/a-1.html"/><id>urn:x</id><updated>2023-05-22T00:00:00Z</updated></entry></feed>"""

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://news.example.org/x-1.html</loc><news:news><news:title>x</news:title></news:news></url></urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://news.example.org/s1.xml.gz</loc></sitemap></sitemapindex>"""


def test_rss_links_and_guid_fallback() -> None:
    assert feed_links(RSS, BASE + "/feed") == [BASE + "/a-1.html?utm_source=rss", BASE + "/b-2.html"]


def test_atom_relative_links() -> None:
    assert feed_links(ATOM, BASE + "/atom.xml") == [BASE + "/world/a-1.html"]


RSS_091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?><rss version="0.91"><channel><title>t</title><link>http://news.example.org/</link>
<description>d</description><language>en</language>
<item><title>Border villages shelled</title><link>http://news.example.org/c-3.html</link></item></channel></rss>"""

RSS_10 = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="http://news.example.org/"><title>t</title><link>http://news.example.org/</link><description>d</description>
<items><rdf:Seq><rdf:li rdf:resource="http://news.example.org/d-4.html"/></rdf:Seq></items></channel>
<item rdf:about="http://news.example.org/d-4.html"><title>Legion statement</title><link>http://news.example.org/d-4.html</link></item>
</rdf:RDF>"""


@pytest.mark.parametrize("body, link", [(RSS_091, BASE + "/c-3.html"), (RSS_10, BASE + "/d-4.html")], ids=["rss-0.91", "rss-1.0-rdf"])
def test_older_rss_versions(body: bytes, link: str) -> None:
    assert feed_links(body, BASE + "/feed") == [link]


def test_unreadable_feed_is_an_error() -> None:
    with pytest.raises(DiscoveryError):
        feed_links(b"<html><body>Not a feed</body>", BASE)


def test_news_sitemap_and_index() -> None:
    assert sitemap_links(SITEMAP, BASE).articles == [BASE + "/x-1.html"]
    index = sitemap_links(INDEX, BASE)
    assert index.sitemaps == [BASE + "/s1.xml.gz"] and index.articles == []


def test_not_a_sitemap() -> None:
    with pytest.raises(DiscoveryError):
        sitemap_links(b"<html><body>x</body></html>", BASE)
    with pytest.raises(DiscoveryError):
        sitemap_links(gzip.compress(SITEMAP), BASE)  # still compressed: the spider must gunzip first


def test_section_page_skips_navigation_tags_authors_and_other_sites() -> None:
    html = """<html><body>
    <header><nav><a href="/world/belgorod-live-1.html">Belgorod live</a></nav></header>
    <main>
      <a href="/world/raid-on-border-2023.html">Raid</a>
      <a href="/world/raid-on-border-2023.html#comments">Raid comments</a>
      <a href="/tags/russia/">Russia</a> <a href="/authors/jane-doe/">Jane</a>
      <a href="http://other.example.com/story-1.html">Elsewhere</a>
      <a href="/world/">World</a> <a href="/photos/raid-1.jpg">Photo</a>
    </main>
    <aside><a href="/most-read/1/">Most read</a></aside>
    <footer><a href="/about-us-1.html">About</a></footer></body></html>"""
    assert page_links(html, BASE + "/world/") == [BASE + "/world/raid-on-border-2023.html", BASE + "/world/raid-on-border-2023.html#comments"]


EMPTY_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Night desk</title>
<link>http://news.example.org/</link><description>Nothing yet tonight</description></channel></rss>"""
EMPTY_ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Night desk</title>
<id>urn:night-desk</id><updated>2023-05-22T00:00:00Z</updated></feed>"""
EMPTY_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>"""
HEADERS = [
    None,
    {"content-location": BASE + "/feed"},  # headers without a Content-Type
    {"content-type": "text/html; charset=utf-8", "content-location": BASE + "/feed"},
    {"content-type": "application/octet-stream"},
    {"content-type": "application/rss+xml"},
]


@pytest.mark.parametrize("headers", HEADERS, ids=["no-headers", "no-content-type", "text-html", "octet-stream", "rss-xml"])
def test_a_feed_is_read_whatever_its_content_type(headers) -> None:
    assert feed_links(RSS, BASE + "/feed", headers) == [BASE + "/a-1.html?utm_source=rss", BASE + "/b-2.html"]
    assert feed_links(ATOM, BASE + "/atom.xml", headers) == [BASE + "/world/a-1.html"]


@pytest.mark.parametrize("headers", HEADERS, ids=["no-headers", "no-content-type", "text-html", "octet-stream", "rss-xml"])
def test_an_empty_feed_is_quiet_not_broken(headers) -> None:
    assert feed_links(EMPTY_RSS, BASE + "/feed", headers) == []
    assert feed_links(EMPTY_ATOM, BASE + "/atom.xml", headers) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Not a feed</body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Night de',  # cut off before any item
        b"\x00\x01\x02 binary",
    ],
    ids=["empty-body", "html-page", "truncated", "binary"],
)
def test_an_unreadable_feed_is_still_an_error(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        feed_links(body, BASE + "/feed", {"content-type": "application/rss+xml"})


def test_an_empty_sitemap_is_quiet_but_a_cut_off_one_is_an_error() -> None:
    assert sitemap_links(EMPTY_SITEMAP, BASE) == sitemap_links(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>', BASE)
    assert sitemap_links(EMPTY_SITEMAP, BASE).articles == [] and sitemap_links(EMPTY_SITEMAP, BASE).sitemaps == []
    for body in (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><lastmod>2023-05-2', b"<urlset"):
        with pytest.raises(DiscoveryError, match="not a readable sitemap"):
            sitemap_links(body, BASE)


def test_a_section_page_without_article_links_has_no_links() -> None:
    html = '<html><body><nav><a href="/world/">World</a></nav><p>No stories in this section yet.</p></body></html>'
    assert page_links(html, BASE + "/world/") == []


@pytest.mark.parametrize(
    ("href", "article"),
    [
        ("/news.php?cid=101", True),
        ("/?p=4711", True),
        ("/article.php?id=5", True),
        ("/index.php?option=com_content&id=3", True),
        ("/index.php?option=com_content&view=article&id=3&catid=7", True),
        ("/show?articleid=88&utm_source=x", True),
        ("/read.aspx?news_id=2023-raid", True),
        ("/world/raid-on-border-2023.html", True),
        # listings, navigation, tags, search, pagination
        ("/index.php?option=com_content&view=category&id=5", False),
        ("/?cat=3", False),
        ("/?s=raid", False),
        ("/news.php?page=2", False),
        ("/search.php?q=raid", False),
        ("/tag.php?id=9", False),
        ("/?tag=belgorod&p=4", False),
        ("/news.php?catid=7", False),
        ("/?lang=en", False),
        ("/?utm_source=x", False),
        ("/world/?page=2", False),
        ("/contact.html", False),
        ("http://other.example.com/news.php?cid=101", False),
    ],
)
def test_article_links_carrying_identity_in_the_query(href: str, article: bool) -> None:
    from crawler.discovery import looks_like_article

    assert looks_like_article(BASE + href, BASE + "/world/", "/world") is article


def test_section_page_follows_query_articles_but_not_itself() -> None:
    html = """<html><body><main>
      <a href="/news.php?cid=101">Ferries stay in port</a> <a href="/news.php?cid=102">Bridge reopens</a>
      <a href="/news.php?section=world">World</a> <a href="/news.php?cid=101&amp;utm_source=front">Again</a>
      <a href="/news.php?page=2">Older</a> <a href="/search.php?q=ferry">Search</a>
    </main></body></html>"""
    assert page_links(html, BASE + "/news.php?section=world") == [
        BASE + "/news.php?cid=101", BASE + "/news.php?cid=102", BASE + "/news.php?cid=101&utm_source=front",
    ]


def test_a_charset_header_the_feed_contradicts_does_not_garble_its_links() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента</title>'
        "<item><title>Рейд</title><link>http://news.example.org/новости/рейд-1.html</link></item></channel></rss>"
    ).encode("utf-8")
    for content_type in ("text/xml; charset=windows-1251", "text/html; charset=windows-1251", "application/rss+xml; charset=utf-8"):
        assert feed_links(body, BASE + "/feed", {"content-type": content_type}) == ["http://news.example.org/новости/рейд-1.html"]
    cp1251 = body.decode("utf-8").replace('encoding="utf-8"', 'encoding="windows-1251"').encode("cp1251")
    for content_type in ("text/xml; charset=windows-1251", "text/xml"):
        assert feed_links(cp1251, BASE + "/feed", {"content-type": content_type}) == ["http://news.example.org/новости/рейд-1.html"]
