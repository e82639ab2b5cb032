"""Bytes of a page to text, choosing the charset carefully (pure: bytes in, text out).

Precedence (docs/robustness.md explains why):
1. a byte-order mark;
2. a body that is valid UTF-8 and has non-ASCII bytes is UTF-8, whatever the declarations say
   (text in a single-byte charset practically never forms valid multi-byte UTF-8 sequences);
3. the declared charsets — HTTP `Content-Type` and the page's own `<meta charset>` / XML
   declaration — that decode the body without error; when both do and they disagree, the one whose
   text charset-normalizer finds less garbled wins, a tie goes to the page's own declaration
   (a server-wide default header is the usual liar);
4. detection with charset-normalizer;
5. windows-1252 with replacement characters (never fails).
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

FALLBACK = "cp1252"
DETECT_BYTES = 256 * 1024  # detection looks at the start of the page; that is plenty to tell charsets apart


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name
    source: str  # bom | utf-8 | http | meta | detected | fallback


def decode_page(body: bytes, content_type: str | None) -> Decoded:
    """Decode a page's bytes; see the module docstring for the order of evidence."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return Decoded(body[len(bom):].decode(bom_encoding, errors="replace"), _name(bom_encoding), "bom")
    if not body.isascii() and (text := _decoded(body, "utf-8")) is not None:
        return Decoded(text, "utf-8", "utf-8")
    declared = {
        "http": _usable(http_content_type_encoding(content_type) if content_type else None),
        "meta": _usable(html_body_declared_encoding(body)),
    }
    clean: dict[str, Decoded] = {}  # source -> its text, for each declaration that decodes cleanly (each decoded once)
    for source, enc in declared.items():
        if enc and (text := _decoded(body, enc)) is not None:
            clean[source] = Decoded(text, enc, source)
    if len(clean) == 2 and clean["meta"].encoding != clean["http"].encoding:
        return clean[_less_garbled(body, clean["meta"].encoding, clean["http"].encoding)]
    for source in ("meta", "http"):
        if source in clean:
            return clean[source]
    detected = _detect(body)
    if detected:
        return Decoded(body.decode(detected, errors="replace"), detected, "detected")
    return Decoded(body.decode(FALLBACK, errors="replace"), FALLBACK, "fallback")


def _name(encoding: str) -> str:
    return codecs.lookup(encoding).name


def _usable(label: str | None) -> str | None:
    """A Python codec for a declared label (WHATWG aliases applied: latin-1 means windows-1252)."""
    if not label:
        return None
    resolved = resolve_encoding(label)
    if not resolved:
        return None
    name = _name(resolved)
    if name.startswith(("utf-16", "utf-32")):  # declared without a BOM: not ASCII-compatible, not believable in <meta>
        return None
    return name


def _decoded(body: bytes, encoding: str) -> str | None:
    """The text when the whole body decodes cleanly, else None."""
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _less_garbled(body: bytes, meta: str, http: str) -> str:
    """'meta' or 'http': which of two clean-decoding declarations gives the more plausible text (ties: the page's own)."""
    chaos = {_name(m.encoding): m.chaos for m in charset_normalizer.from_bytes(body[:DETECT_BYTES], cp_isolation=[meta, http])}
    if http in chaos and chaos[http] < chaos.get(meta, float("inf")):
        return "http"
    return "meta"


def _detect(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body[:DETECT_BYTES]).best()
    return _name(best.encoding) if best is not None else None
