"""Keep secrets out of logs: mask the credentials of channel URLs wherever text is printed."""
from __future__ import annotations

import json
import logging
import os
import re
import threading
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

MASK = "***"
SECRET_QUERY_KEYS = re.compile(r"(token|key|secret|pass|pwd|auth|sig|signature|webhook|hook|credential|session|bearer)", re.I)
TOKENISH = re.compile(r"^[A-Za-z0-9_\-:.=+/]{12,}$")


def secret_parts(url: str) -> set[str]:
    """The parts of an apprise/SQLAlchemy URL that are secret: passwords, users, tokens, header values."""
    secrets: set[str] = set()
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
    except ValueError:
        return {url}
    try:
        parts.port
        host = parts.hostname or ""
    except ValueError:  # "id:token@" or "bot123:ABC" where a host should be: all of it is secret
        secrets.add(parts.netloc.rsplit("@", 1)[-1])
        host = ""
    if host and "." not in host and host != "localhost" and TOKENISH.match(host):
        secrets.add(host)  # services like discord://WEBHOOK_ID/TOKEN put ids where the host goes
    if password:
        secrets.update({password, unquote(password)})
        if username:
            secrets.update({username, unquote(username)})
    elif username and TOKENISH.match(username):
        secrets.update({username, unquote(username)})
    for segment in parts.path.split("/"):
        if TOKENISH.match(segment) and any(ch.isdigit() for ch in segment):
            secrets.update({segment, unquote(segment)})
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if key.startswith(("+", "-")) or SECRET_QUERY_KEYS.search(key) or TOKENISH.match(value):
            secrets.add(value)
    return {s for s in secrets if len(s) >= 3}


def redact_url(url: str) -> str:
    """scheme://host[:port]/… — enough to tell channels apart, nothing that authenticates."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        if "." not in host and host != "localhost":
            host, port = MASK, ""  # an id or token where the host goes
    except ValueError:
        return f"{url.split(':', 1)[0]}://{MASK}"
    return f"{parts.scheme}://{host}{port}/…" if (parts.path.strip('/') or parts.query) else f"{parts.scheme}://{host}{port}"


def mask_url_credentials(url: str, masker: SecretMasker | None = None) -> str:
    """A URL fit to record: user and password, and the values of secret-looking query keys
    (`token=`, `key=`, `sig=` …), replaced by ***; known secrets masked too. The rest stays readable."""
    masker = masker or MASKER
    try:
        parts = urlsplit(url)
    except ValueError:
        return masker.mask(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        key, sep, value = pair.partition("=")
        secret = sep and value and SECRET_QUERY_KEYS.search(unquote(key))
        pairs.append(f"{key}={MASK}" if secret else pair)
    return masker.mask(urlunsplit((parts.scheme, netloc, parts.path, "&".join(pairs), parts.fragment)))


class SecretMasker:
    """A set of secret strings; `mask` replaces each occurrence (longest first) with ***."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add_url(self, url: str) -> None:
        self.add(url, *secret_parts(url))

    def add(self, *secrets: str) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= 3)
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    def mask(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None and text else text


MASKER = SecretMasker()
_installed = False
SECRETS_ENV = "NEWSWATCH_MASK_SECRETS"  # how child processes (crawl workers) learn what to mask


def export_secrets(masker: SecretMasker = MASKER) -> None:
    """Hand the known secrets to this process's crawl workers (they inherit the environment)."""
    with masker._lock:
        secrets = sorted(masker._secrets)
    os.environ[SECRETS_ENV] = json.dumps({"parent": os.getpid(), "secrets": secrets})


def import_secrets(masker: SecretMasker = MASKER) -> None:
    """In a crawl worker: mask what the parent process exported (only a direct parent's list is taken)."""
    try:
        exported = json.loads(os.environ.get(SECRETS_ENV, "{}"))
        if exported.get("parent") == os.getppid():
            masker.add(*exported.get("secrets", []))
    except (ValueError, TypeError, AttributeError):
        pass


def install_log_masking(masker: SecretMasker = MASKER) -> None:
    """Mask secrets in every log record of the process, whichever logger or handler formats it."""
    global _installed
    if _installed:
        return
    original = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = original(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record as it is
            return record
        masked = masker.mask(message)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if masker.mask(str(exc)) != str(exc):
                record.exc_info = None  # tracebacks could quote the secret: keep only the masked summary
                masked += f" [{type(exc).__name__}: {masker.mask(str(exc))}]"
        record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
