"""Sending due deliveries through apprise: claimed first, retried with exponential backoff, then `failed`.

Each send carries the alert's idempotency key: a JSON field `idempotency_key` and an
`Idempotency-Key` header on webhooks (json://, form://, xml://), and a stable Message-ID plus an
`X-Newswatch-Key` header on email. A channel that fails is not tried again in the same pass, so
one dead or hanging service costs at most one timeout per pass and never holds up the others, and
it is then backed off as a whole (storage/channel_state.py) until it answers again.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlsplit

import apprise
import apprise.plugins.email.base as apprise_email
from apprise import NotifyFormat

from monitor.alert_settings import Channel, DeliverySettings, backoff_delay
from monitor.render import Limits, Message, render
from newswatch.secrets import MASKER, redact_url
from storage.channel_state import channel_streak, channels_backing_off, record_channel_failure, record_channel_success
from storage.db import Database
from storage.deliveries import OutgoingAlert, claim, due_deliveries, give_up_if_crashing, mark_failed_attempt, mark_sent
from storage.outbox import anything_due, build_digests, flush_followups
from storage.types import utcnow

log = logging.getLogger(__name__)
WEBHOOK_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}
EMAIL_SCHEMES = {"mailto", "mailtos"}
NOT_CONFIGURED = "channel '{}' is not in the config"
CRASHES_PER_ATTEMPT = 3  # sends cut off by a crash allowed per attempt before a message is suspected of causing them


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # failed attempts in this pass (they are retried later unless out of attempts)
    given_up: int = 0  # deliveries that reached max_attempts in this pass and are now `failed`
    digests: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    """What a channel's service takes: its format and length limits."""

    format: str
    limits: Limits


# apprise 2.2 always adds a random Message-ID after any custom headers (two Message-ID headers if we
# pass our own). While a newswatch send is under way this context variable holds the stable id to use.
_message_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("newswatch_message_id", default=None)
_apprise_make_msgid = apprise_email.make_msgid


def _stable_make_msgid(*args, **kwargs) -> str:
    return _message_id.get() or _apprise_make_msgid(*args, **kwargs)


apprise_email.make_msgid = _stable_make_msgid


def profile(channel: Channel) -> Profile:
    """The channel's format (its own setting, else what the service renders) and length limits."""
    plugin = apprise.Apprise.instantiate(channel.url)
    scheme = urlsplit(channel.url).scheme.lower()
    if plugin is None:
        return Profile(channel.format or "text", Limits(body=channel.max_length))
    declared = type(plugin).notify_format  # the instance may have narrowed it to its default; the class lists all
    formats = [getattr(f, "value", f) for f in (declared if isinstance(declared, (tuple, list)) else (declared,))]
    if channel.format:
        chosen = channel.format
    elif scheme in WEBHOOK_SCHEMES:
        chosen = "text"
    elif scheme in EMAIL_SCHEMES:
        chosen = "html"
    elif NotifyFormat.MARKDOWN.value in formats:
        chosen = "markdown"
    elif NotifyFormat.HTML.value in formats:
        chosen = "html"
    else:
        chosen = "text"
    body_limit = channel.max_length or (plugin.body_maxlen if plugin.body_maxlen and plugin.body_maxlen > 0 else None)
    if channel.max_length and plugin.body_maxlen and plugin.body_maxlen > 0:
        body_limit = min(channel.max_length, plugin.body_maxlen)
    title_limit = plugin.title_maxlen if plugin.title_maxlen and plugin.title_maxlen > 0 else None
    return Profile(chosen, Limits(body=body_limit, title=title_limit, title_in_body=not title_limit))


def message_id(key: str, channel: str) -> str:
    return f"<{key}.{quote(channel, safe='')}@newswatch.invalid>"


def url_for_send(channel: Channel, key: str | None) -> str:
    """The channel URL plus the idempotency key and timeouts for one send."""
    url = channel.url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    present = {k for k, _v in parse_qsl(parts.query, keep_blank_values=True)}
    extra: list[tuple[str, str]] = []
    if key and scheme in WEBHOOK_SCHEMES:
        extra += [(":idempotency_key", key), ("+Idempotency-Key", key)]
    if key and scheme in EMAIL_SCHEMES:
        extra.append(("+X-Newswatch-Key", key))
    if channel.timeout is not None:
        seconds = f"{channel.timeout.total_seconds():g}"
        extra += [(name, seconds) for name in ("cto", "rto") if name not in present]
    if not extra:
        return url
    query = "&".join(f"{quote(k, safe=':+')}={quote(v, safe='')}" for k, v in extra)
    base, _, fragment = url.partition("#")
    joined = base + ("&" if parts.query else ("" if base.endswith("?") else "?")) + query
    return joined + (f"#{fragment}" if fragment else "")


def send(url: str, message: Message, msgid: str | None = None, detail: bool = False) -> str | None:
    """Send one message; None on success, else apprise's reason (secrets masked).

    A new Apprise object per message: apprise throttles repeated sends from one plugin object.
    With `detail` (single-threaded commands such as `alerts test`) apprise's debug lines are
    captured too, so the reason says what the socket or the server really did; they are kept out
    of the terminal while captured.
    """
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return f"not a valid apprise URL: {redact_url(url)}"
    body_format = {"text": NotifyFormat.TEXT, "markdown": NotifyFormat.MARKDOWN, "html": NotifyFormat.HTML}[message.format]
    token = _message_id.set(msgid)
    apprise_logger = logging.getLogger("apprise")
    propagate = apprise_logger.propagate
    if detail:
        apprise_logger.propagate = False
    try:
        level = logging.DEBUG if detail else logging.WARNING
        with apprise.LogCapture(level=level, fmt="%(levelname)s %(message)s") as captured:
            try:
                ok = notifier.notify(title=message.title, body=message.body, body_format=body_format)
            except Exception as exc:  # apprise plugins can raise on odd input; a failure must not stop the others
                return MASKER.mask(f"{type(exc).__name__}: {exc}")
    finally:
        apprise_logger.propagate = propagate
        _message_id.reset(token)
    if ok:
        return None
    return MASKER.mask(failure_reason(captured.getvalue()) or "the service did not accept the message")


def failure_reason(captured: str) -> str:
    """apprise's warnings and errors, plus the exception lines of its debug output."""
    lines = []
    for line in captured.splitlines():
        level, _, text = line.partition(" ")
        if level in ("WARNING", "ERROR", "CRITICAL") or (level == "DEBUG" and "Exception" in text):
            lines.append(text.strip())
    return " ".join(lines)


def prepare_alert(alert: OutgoingAlert, channel: Channel, templates: str | None = None) -> tuple[str, Message, str | None]:
    """The URL (with the idempotency key), the rendered message and the email Message-ID of one send."""
    shape = profile(channel)
    message = render(alert, shape.format, shape.limits, templates)
    msgid = message_id(alert.key, alert.channel) if urlsplit(channel.url).scheme.lower() in EMAIL_SCHEMES else None
    return url_for_send(channel, alert.key), message, msgid


def send_alert(alert: OutgoingAlert, channel: Channel, templates: str | None = None) -> str | None:
    return send(*prepare_alert(alert, channel, templates))


def prepare_due(db: Database, now: dt.datetime | None = None) -> int:
    """Make the follow-ups and digests whose time has come (they enter the outbox as pending deliveries)."""
    with db.reading() as session:
        if not anything_due(session, now):
            return 0
    with db.session() as session:
        flush_followups(session, now)
        return build_digests(session, now)


def deliver_due(
    db: Database,
    channels: dict[str, Channel],
    settings: DeliverySettings = DeliverySettings(),
    templates: str | None = None,
    now: dt.datetime | None = None,
) -> DeliveryReport:
    """One pass of the delivery worker: every due delivery is claimed, sent, and its result committed.

    A channel that fails is backed off as a whole (its other messages wait without using attempts);
    a channel that answers again after failing has all its waiting messages sent in the same pass.
    """
    report = DeliveryReport()
    report.digests = prepare_due(db, now)
    with db.reading() as session:
        skip = set(channels_backing_off(session, now or utcnow()))
    recovered = _send_due(db, channels, settings, templates, now, skip, report)
    if recovered:  # their released messages: in this pass, not after each one's own backoff
        _send_due(db, channels, settings, templates, now, skip, report, only=recovered)
    return report


def _send_due(
    db: Database, channels: dict[str, Channel], settings: DeliverySettings, templates: str | None,
    now: dt.datetime | None, skip: set[str], report: DeliveryReport, only: set[str] | None = None,
) -> set[str]:
    """Send what is due, skipping the channels in `skip` (which grows by each channel that fails).

    Returns the channels that answered after a failure streak.
    """
    recovered: set[str] = set()
    with db.reading() as session:
        due = due_deliveries(session, now or utcnow())
    for alert in due:
        if alert.channel in skip or (only is not None and alert.channel not in only):
            continue  # backing off, or already failed in this pass: keep its schedule, try the others
        with db.session() as session:
            if not claim(session, alert.delivery_id, now or utcnow(), settings.lease):
                continue
            crashes = give_up_if_crashing(session, alert.delivery_id, CRASHES_PER_ATTEMPT * settings.max_attempts)
        if crashes is not None:
            report.given_up += 1
            log.error("alert %s to channel %s: the process died during %d sends of it; given up", alert.alert_id, alert.channel, crashes)
            continue
        channel = channels.get(alert.channel)
        channel_fault = True  # False when the message itself could not be built: the channel is not to blame
        try:
            if channel is None:
                error = NOT_CONFIGURED.format(alert.channel)
            else:
                url, message, msgid = prepare_alert(alert, channel, templates)
                error = send(url, message, msgid)
        except Exception as exc:  # a broken user template, for example: a failed attempt like any other
            error, channel_fault = MASKER.mask(f"could not build the message: {type(exc).__name__}: {exc}"), False
        attempts = alert.attempts + 1
        moment = now or utcnow()
        with db.session() as session:  # the outcome commits on its own: channel bookkeeping must never undo it
            if error is None:
                mark_sent(session, alert.delivery_id, moment)
            else:
                retry_at = None if attempts >= settings.max_attempts else moment + backoff_delay(attempts, settings)
                status = mark_failed_attempt(session, alert.delivery_id, error, retry_at)
        with db.session() as session:
            if error is None:
                released = record_channel_success(session, alert.channel, moment)
            elif channel_fault:
                streak = channel_streak(session, alert.channel) + 1
                record_channel_failure(session, alert.channel, error, moment, backoff_delay(streak, settings))
        if error is None:
            report.sent += 1
            log.info("alert %s (%s) sent to %s", alert.alert_id, alert.kind, alert.channel)
            if released is not None:
                recovered.add(alert.channel)
                log.warning("channel %s answers again; %d waiting message(s) go out now", alert.channel, released)
            continue
        skip.add(alert.channel)
        report.failed += 1
        report.errors.append(f"alert {alert.alert_id} → {alert.channel}: {error}")
        if status == "failed":
            report.given_up += 1
            log.error("alert %s to channel %s failed for good after %d attempt(s): %s", alert.alert_id, alert.channel, attempts, error)
        else:
            log.warning("alert %s to channel %s failed (attempt %d of %d, next at %s): %s", alert.alert_id, alert.channel,
                        attempts, settings.max_attempts, retry_at.strftime("%H:%M:%S"), error)
    return recovered
