"""Alert messages as text (pure): what the watch was, what was found, where, and why it matched."""
from __future__ import annotations

from storage.outbox import OutgoingAlert


def render_title(alert: OutgoingAlert) -> str:
    return f"[{alert.watch_name}] {alert.title}"


def render_body(alert: OutgoingAlert) -> str:
    published = alert.published.strftime("%Y-%m-%d %H:%M UTC") if alert.published else "unknown"
    lines = [
        f"Watch: {alert.watch_name} ({alert.watch_id})",
        f"Article: {alert.title}",
        f"Outlet: {alert.outlet}",
        f"Published: {published}",
        f"Matched: {', '.join(alert.terms)}",
        f"URL: {alert.url}",
    ]
    if alert.snippet:
        lines += ["", alert.snippet]
    lines += ["", f"newswatch alert {alert.alert_id}"]
    return "\n".join(lines)
