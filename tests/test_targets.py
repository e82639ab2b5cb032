"""The target policy as a pure function (crawler/targets.py), its config, and `rules test` under it."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from crawler.targets import TargetPolicy, address_class, host_address, parse_allow_entry
from monitor.cli import main
from monitor.config import load_config
from newswatch.secrets import mask_url_credentials
from newswatch.yamlsource import ConfigError
from tests.internal import ScriptedServer, article_page, html, internal_service, redirect
from tests.helpers import write_config

OUTLET = TargetPolicy.build(["http://127.0.0.1:8000/feed.xml", "https://news.example/sitemap.xml"])


@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),  # one decimal number
    ("0x7f.1", "127.0.0.1"),  # hex, and a short form whose last part fills three bytes
    ("0x7F000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),  # octal
    ("0177.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"),  # a trailing dot
    ("0", "0.0.0.0"),
    ("0x0a.0.0.1", "10.0.0.1"),
    ("[::1]", "::1"),
    ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ("[::ffff:7f00:1]", "::ffff:7f00:1"),
    ("fe80::1%eth0", "fe80::1"),
    ("news.example", None),
    ("127.0.0.1.nip.io", None),  # a name (judged on what it resolves to)
    ("1.2.3.4.5", None),
    ("08.0.0.1", None),  # not octal: a name, and no resolver takes it as an address
    ("256.0.0.1", None),
    ("0x", "0.0.0.0"),
])
def test_host_spellings_resolvers_accept_are_read_as_addresses(host: str, address: str | None) -> None:
    found = host_address(host)
    assert (str(found) if found is not None else None) == address


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"), ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"), ("fec0::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"), ("100.127.255.254", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.0.8", "reserved"), ("198.18.0.1", "benchmarking"),
    ("192.0.2.1", "documentation"), ("2001:db8::1", "documentation"), ("4000::1", "reserved"),
    ("::ffff:127.0.0.1", "loopback (IPv4-mapped)"), ("::ffff:10.0.0.1", "private (IPv4-mapped)"),
    ("::127.0.0.1", "loopback (IPv4-compatible)"),
    ("2002:7f00:1::1", "loopback (6to4)"), ("2002:a9fe:a9fe::1", "link-local (6to4)"),
    ("64:ff9b::7f00:1", "loopback (NAT64)"), ("64:ff9b::a00:1", "private (NAT64)"),
    ("::ffff:0:7f00:1", "loopback (IPv4-translated)"),
    ("8.8.8.8", None), ("93.184.216.34", None), ("100.128.0.1", None), ("172.32.0.1", None),
    ("2606:4700::1111", None), ("::ffff:8.8.8.8", None), ("64:ff9b::808:808", None), ("2002:808:808::1", None),
])
def test_address_classes(address: str, kind: str | None) -> None:
    assert address_class(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("url", [
    "http://2130706433:9000/", "http://0x7f.1:9000/", "http://0177.0.0.1:9000/", "http://127.1:9000/",
    "http://[::ffff:127.0.0.1]:9000/", "http://[::1]:8000/", "http://[::127.0.0.1]/", "http://0/",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/", "http://100.64.1.1/", "http://[fd00::5]/",
    "https://127.0.0.1:8000/feed.xml",  # another scheme is another origin
    "http://127.0.0.1:8001/feed.xml",  # another port too
])
def test_non_public_addresses_outside_the_outlets_origins_are_refused(url: str) -> None:
    assert "not a public address" in OUTLET.refusal(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://news.example/x", "data:text/html,hi", "gopher://x/", "javascript:alert(1)", "/relative"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    assert OUTLET.refusal(url).startswith("only http and https are fetched")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/news/story.html", "http://127.1:8000/x", "http://2130706433:8000/x", "HTTP://127.0.0.1:8000/",
    "https://news.example/a", "https://NEWS.example./a", "https://news.example:443/a",
    "http://93.184.216.34/a", "https://[2606:4700::1111]/", "http://elsewhere.example/a",  # public, or a name: judged when connecting
])
def test_own_origins_public_addresses_and_names_may_be_tried(url: str) -> None:
    assert OUTLET.refusal(url) is None


def test_the_address_connected_to_is_what_counts_for_a_name() -> None:
    assert OUTLET.address_refusal("http://elsewhere.example/a", "93.184.216.34") is None
    assert OUTLET.address_refusal("http://elsewhere.example/a", "127.0.0.1").startswith("elsewhere.example resolves to 127.0.0.1: not a public address (loopback)")
    assert "link-local" in OUTLET.address_refusal("http://elsewhere.example/a", "fe80::1%eth0")
    assert OUTLET.address_refusal("https://news.example/a", "10.0.0.7") is None  # the outlet's own origin, wherever it is


def test_explicit_allows_networks_and_host_ports() -> None:
    policy = TargetPolicy.build([], ["10.0.0.0/8", "intranet.example:8080", "[::1]:9000", "192.168.5.5"])
    assert policy.refusal("http://10.20.30.40/") is None
    assert policy.refusal("http://[::ffff:10.1.1.1]/") is None  # the same address, mapped
    assert policy.refusal("http://192.168.5.5:81/") is None
    assert "private" in policy.refusal("http://192.168.5.6/")
    assert policy.address_refusal("http://intranet.example:8080/x", "172.16.0.9") is None
    assert "private" in policy.address_refusal("http://intranet.example:8081/x", "172.16.0.9")
    assert policy.refusal("http://[::1]:9000/") is None and "loopback" in policy.refusal("http://[::1]:9001/")
    assert policy.refusal("ftp://10.0.0.1/") .startswith("only http and https")  # an allow never opens other schemes


@pytest.mark.parametrize("entry", ["intranet.example", "10.0.0.0/33", "host:0", "host:99999", ":8080", "a b:80", "http://x:80", "10.0.0.1:port"])
def test_bad_allow_entries_say_what_is_expected(entry: str) -> None:
    with pytest.raises(ValueError, match=r"expected a network \(10.0.0.0/8, fd00::/8\), an address \(192.168.1.20\) or host:port"):
        parse_allow_entry(entry)


@pytest.mark.parametrize(("section", "where"), [("crawler", "crawler.allow_private"), ("outlet", "outlets.0.allow_private")])
def test_allow_private_is_validated_at_load_with_file_and_line(tmp_path: Path, section: str, where: str) -> None:
    outlet = {"name": "intranet", "feeds": ["http://10.0.0.5/feed.xml"]}
    settings: dict = {"database": "sqlite:///a.db", "outlets": [outlet]}
    if section == "crawler":
        settings["crawler"] = {"allow_private": ["10.0.0.0/8", "intranet"]}
    else:
        outlet["allow_private"] = ["intranet"]
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    text = str(error.value)
    assert "newswatch.yaml:" in text and "allow_private" in text and "host:port (intranet.example:8080), got 'intranet'" in text


def test_recorded_urls_lose_credentials_and_secret_parameters() -> None:
    assert mask_url_credentials("http://admin:hunter22@10.0.0.1:8080/keys?token=abc123&page=2&X-Amz-Signature=f00") == (
        "http://***@10.0.0.1:8080/keys?token=***&page=2&X-Amz-Signature=***"
    )
    assert mask_url_credentials("http://127.0.0.1/latest/meta-data/iam?id=2024-border-raid") == "http://127.0.0.1/latest/meta-data/iam?id=2024-border-raid"


def _rules_test(capsys, config: Path, url: str) -> tuple[int, str]:
    code = main(["--config", str(config), "rules", "test", url])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_rules_test_fetches_the_users_url_but_follows_no_redirect_inside_or_off_http(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": "json://127.0.0.1:9/x"})
    page = article_page("Ponomarev speaks", ["Ilya Ponomarev said the raid in the Belgorod region would go on.",
                                             "He spoke to reporters in Kyiv on Tuesday evening.",
                                             "The regional governor reported shelling overnight."])
    with internal_service() as internal, ScriptedServer("site") as site:
        site.answers["/story.html"] = html(page)
        site.answers["/to-file"] = redirect("file:///etc/passwd")
        site.answers["/to-ftp"] = redirect(f"ftp://127.0.0.1:{internal.port}/dump")
        site.answers["/to-inside"] = redirect(internal.base_url + "/latest/meta-data/")
        site.answers["/to-own"] = redirect("/story.html")
        ok = _rules_test(capsys, config, site.base_url + "/to-own")  # the user's own URL, on loopback: fine
        to_file = _rules_test(capsys, config, site.base_url + "/to-file")
        to_ftp = _rules_test(capsys, config, site.base_url + "/to-ftp")
        inside = _rules_test(capsys, config, site.base_url + "/to-inside")
        assert internal.requests == []
    assert ok[0] == 0 and "Title: Ponomarev speaks" in ok[1]
    assert to_file[0] == 1 and "file:///etc/passwd: refused: redirect from" in to_file[1] and "only http and https are fetched, not file:" in to_file[1]
    assert to_ftp[0] == 1 and "only http and https are fetched, not ftp:" in to_ftp[1]
    assert inside[0] == 1 and "refused" in inside[1] and "not a public address (loopback)" in inside[1]
