"""Loopback servers for the target-policy tests: an outlet that points inside, and the internal service it points at."""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from monitor.sites import LoopbackServer

SECRET = "IAM-ROLE-SECRET-5e1f0c"

Answer = tuple[int, dict[str, str], bytes]


def article_page(title: str, sentences: list[str]) -> bytes:
    """An article page long enough for trafilatura to keep as main text."""
    paragraphs = "\n".join(f"<p>{' '.join(sentences)} {sentence}</p>" for sentence in sentences)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode("utf-8")


class ScriptedServer(LoopbackServer):
    """Answers each path from `answers` (a callable may build the answer late); logs every request path."""

    def __init__(self, name: str, fallback: Callable[[str], Answer] | None = None) -> None:
        self.answers: dict[str, Answer | Callable[[], Answer]] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(self.path)
                path = urlsplit(self.path).path
                answer = server.answers.get(path)
                if callable(answer):
                    answer = answer()
                if answer is None:
                    answer = fallback(path) if fallback else (404, {"Content-Type": "text/plain"}, b"not here")
                status, headers, body = answer
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler, name)

    def requested(self) -> list[str]:
        """Paths asked for, robots.txt left out."""
        with self._lock:
            return [path for path in self.requests if path != "/robots.txt"]


def internal_service() -> ScriptedServer:
    """Stands in for a cloud metadata endpoint or an admin port: every path answers with the secret."""

    def secret_page(path: str) -> Answer:
        if path == "/robots.txt":
            return 404, {"Content-Type": "text/plain"}, b""
        page = article_page(
            f"Instance credentials {SECRET}",
            [f"The access key of this machine is {SECRET} and it must never leave the host.",
             "Anyone who reads this page can act as the server in the cloud account.",
             "The metadata service answers every process on the machine without a password."],
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page

    return ScriptedServer("internal", secret_page)


def html(body: bytes) -> Answer:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, body


def xml(text: str) -> Answer:
    return 200, {"Content-Type": "application/xml; charset=utf-8"}, text.encode("utf-8")


def redirect(location: str, status: int = 302) -> Answer:
    return status, {"Location": location}, b""


def rss(links: list[str]) -> str:
    items = "".join(f"<item><title>Item {n}</title><link>{escape(link)}</link></item>" for n, link in enumerate(links))
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Outlet</title>{items}</channel></rss>"


def urlset(links: list[str]) -> str:
    urls = "".join(f"<url><loc>{escape(link)}</loc></url>" for link in links)
    return f"<?xml version='1.0' encoding='utf-8'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"


def sitemap_index(links: list[str]) -> str:
    maps = "".join(f"<sitemap><loc>{escape(link)}</loc></sitemap>" for link in links)
    return f"<?xml version='1.0' encoding='utf-8'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{maps}</sitemapindex>"


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def serve_tls(server: LoopbackServer, context: ssl.SSLContext) -> None:
    """Make a not yet started LoopbackServer speak HTTPS (its base_url stays http://: use https_url)."""
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
