"""Sending pending alerts through apprise, one channel at a time; failures stay pending."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import apprise

from monitor.render import render_body, render_title
from newswatch.secrets import MASKER, redact_url
from storage.db import Database
from storage.outbox import OutgoingAlert, mark_attempt_failed, mark_sent, pending_deliveries

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def send(url: str, title: str, body: str) -> str | None:
    """Send one message; None on success, else the reason (secrets masked).

    A new Apprise object per message: apprise throttles repeated sends from one plugin object.
    """
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return f"not a valid apprise URL: {redact_url(url)}"
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        try:
            ok = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
        except Exception as exc:  # apprise plugins can raise on odd input; a failure must not stop the others
            return MASKER.mask(f"{type(exc).__name__}: {exc}")
    if ok:
        return None
    reason = " ".join(line.strip() for line in captured.getvalue().splitlines() if line.strip())
    return MASKER.mask(reason or "the service did not accept the message")


def deliver_pending(db: Database, channels: dict[str, str]) -> DeliveryReport:
    """Try every pending delivery once; each result is committed as soon as it is known."""
    report = DeliveryReport()
    with db.session() as session:
        pending = pending_deliveries(session)
    for alert in pending:
        error = _deliver_one(alert, channels)
        with db.session() as session:
            if error is None:
                mark_sent(session, alert.delivery_id)
            else:
                mark_attempt_failed(session, alert.delivery_id, error)
        if error is None:
            report.sent += 1
            log.info("alert %s sent to %s", alert.alert_id, alert.channel)
        else:
            report.failed += 1
            report.errors.append(f"alert {alert.alert_id} → {alert.channel}: {error}")
            log.warning("alert %s to channel %s failed (attempt %d): %s", alert.alert_id, alert.channel, alert.attempts + 1, error)
    return report


def _deliver_one(alert: OutgoingAlert, channels: dict[str, str]) -> str | None:
    url = channels.get(alert.channel)
    if url is None:
        return f"channel '{alert.channel}' is not in the config"
    return send(url, render_title(alert), render_body(alert))
