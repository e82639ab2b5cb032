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
