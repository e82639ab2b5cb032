"""The web view as a WSGI application: routes, the token check, security headers, templates.

Nothing here writes to the database: every read goes through `db.reading()` (a read-only
transaction), and the only POSTs (login, rule tester) write nothing.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from monitor.config import Config
from monitor.web import access
from monitor.web.request import Request, Response, redirect
from newswatch.secrets import MASKER
from newswatch.yamlsource import ConfigError
from rules.matcher import Matcher
from rules.ruleset import RuleSet, rules_fingerprint
from storage.db import Database

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
]
PUBLIC, PAGE, FEED = "public", "page", "feed"


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    handler: Callable[..., Response]
    kind: str = PAGE


class RulesCache:
    """The current rules and their matcher, loaded again when a rule file changes; a broken edit keeps the last good rules."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._key: object = None
        self.rules: RuleSet | None = None
        self.matcher: Matcher | None = None
        self.error: str | None = None

    def current(self) -> tuple[RuleSet | None, Matcher | None]:
        key = rules_fingerprint(self.config.settings.rules, self.config.base_dir)
        with self._lock:
            if key != self._key:
                self._key = key
                try:
                    rules = self.config.load_rules()
                    self.rules, self.matcher, self.error = rules, Matcher(rules), None
                except ConfigError as exc:
                    self.error = MASKER.mask(str(exc))
                    log.error("web view: the rule files have errors (showing the last good rules):\n%s", self.error)
            return self.rules, self.matcher


class WebView:
    """WSGI application: `WebView(config, db)(environ, start_response)`."""

    def __init__(self, config: Config, db: Database) -> None:
        from monitor.web import pages

        self.config, self.db = config, db
        self.token = config.settings.web.token
        self.rules = RulesCache(config)
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                                     trim_blocks=True, lstrip_blocks=True)
        self.templates.filters["when"] = pages.when
        self.templates.filters["day"] = pages.day
        self.stylesheet = (HERE / "static" / "style.css").read_bytes()
        self.routes = [
            Route(("GET",), re.compile(r"/static/style\.css"), self.style, PUBLIC),
            Route(("GET", "POST"), re.compile(r"/login"), self.login, PUBLIC),
            Route(("GET",), re.compile(r"/"), pages.dashboard),
            Route(("GET",), re.compile(r"/stories/(\d{1,18})"), pages.story),
            Route(("GET",), re.compile(r"/articles/(\d{1,18})"), pages.article),
            Route(("GET",), re.compile(r"/search"), pages.search),
            Route(("GET",), re.compile(r"/alerts"), pages.alerts),
            Route(("GET",), re.compile(r"/outlets"), pages.outlets),
            Route(("GET", "POST"), re.compile(r"/rules/test"), pages.rule_tester),
            Route(("GET",), re.compile(r"/feeds/all\.atom"), pages.feed_all, FEED),
            Route(("GET",), re.compile(r"/feeds/watch/([A-Za-z0-9][A-Za-z0-9_.-]{0,199})\.atom"), pages.feed_watch, FEED),
        ]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self.respond(Request.from_environ(environ))
        headers = [("Content-Type", response.content_type), *SECURITY_HEADERS, *response.headers]
        start_response(response.status_line(), headers)
        return [response.body]

    def respond(self, request: Request) -> Response:
        if not access.host_allowed(request.host, self.token):
            return self.error(403, "This view answers only to localhost names (or set web.token).")
        for route in self.routes:
            found = route.pattern.fullmatch(request.path)
            if found is None:
                continue
            if request.method not in route.methods:
                return self.error(405, "Method not allowed: this view only reads.")
            if request.method == "POST" and not access.same_origin(request.headers.get("origin"), request.host,
                                                                       request.headers.get("sec-fetch-site")):
                return self.error(403, "A form from another site cannot be sent here.")
            if route.kind != PUBLIC and not self.authorised(request, route.kind == FEED):
                return self.unauthorised(request, route.kind == FEED)
            try:
                return route.handler(self, request, *found.groups())
            except Exception as exc:  # one failing page must not take the view down; the detail goes to the log, masked
                log.warning("web view %s failed: %s: %s", request.path, type(exc).__name__, MASKER.mask(str(exc)))
                return self.error(500, f"This page failed ({type(exc).__name__}); the log has the detail.")
        return self.error(404, "No such page.")

    def authorised(self, request: Request, feed: bool) -> bool:
        return access.authorised(self.token, request.headers.get("authorization"), request.cookies.get(access.SESSION_COOKIE),
                                 request.arg("token") if feed else None, feed)

    def unauthorised(self, request: Request, feed: bool) -> Response:
        if feed:
            return Response(401, b"a token is required: ?token=... or Authorization: Bearer ...\n", "text/plain; charset=utf-8",
                            [("WWW-Authenticate", 'Bearer realm="newswatch"')])
        response = self.render("login.html", {"next": request.path, "failed": False}, 401)
        response.headers.append(("WWW-Authenticate", 'Bearer realm="newswatch"'))
        return response

    def login(self, _view: WebView, request: Request) -> Response:
        if request.method == "GET" or not self.token:
            if not self.token:
                return redirect("/")
            return self.render("login.html", {"next": access.local_path(request.arg("next")), "failed": False})
        if access.same(request.form.get("token", [""])[0].strip(), self.token):
            cookie = (f"{access.SESSION_COOKIE}={access.session_value(self.token)}; Path=/; HttpOnly; SameSite=Strict; "
                      f"Max-Age={access.SESSION_DAYS * 86400}")
            return redirect(access.local_path(request.form.get("next", ["/"])[0]), [("Set-Cookie", cookie)])
        return self.render("login.html", {"next": access.local_path(request.form.get("next", ["/"])[0]), "failed": True}, 401)

    def style(self, _view: WebView, _request: Request) -> Response:
        return Response(200, self.stylesheet, "text/css; charset=utf-8")

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> Response:
        body = self.templates.get_template(template).render(**context, token_set=bool(self.token))
        return Response(status, body.encode("utf-8"))

    def error(self, status: int, message: str) -> Response:
        return self.render("error.html", {"status": status, "message": message}, status)
