"""A WSGI request and response as plain values (no framework: the view has a dozen pages)."""
from __future__ import annotations

from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

STATUS_TEXT = {200: "OK", 303: "See Other", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 413: "Payload Too Large", 500: "Internal Server Error"}
MAX_FORM_BYTES = 64 * 1024


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    cookies: dict[str, str]

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name) or self.form.get(name)
        return values[0].strip() if values else default

    def args(self, name: str) -> list[str]:
        return [v.strip() for v in self.query.get(name, []) if v.strip()]

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        form: dict[str, list[str]] = {}
        if environ.get("REQUEST_METHOD") == "POST" and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_FORM_BYTES)
            form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
        cookies: dict[str, str] = {}
        try:
            cookies = {name: morsel.value for name, morsel in SimpleCookie(headers.get("cookie", "")).items()}
        except CookieError:
            pass
        return cls(environ.get("REQUEST_METHOD", "GET"), path, parse_qs(environ.get("QUERY_STRING", "")), form, headers, cookies)


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    def status_line(self) -> str:
        return f"{self.status} {STATUS_TEXT.get(self.status, 'Status')}"


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(303, b"", "text/plain; charset=utf-8", [("Location", location), *(headers or [])])
