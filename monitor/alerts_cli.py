"""`newswatch alerts list|retry|test`: look into the outbox, requeue failed deliveries, try a channel."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newswatch.secrets import MASKER, redact_url

if TYPE_CHECKING:  # the commands import apprise and the database layer only when they run
    from monitor.config import Config
    from storage.db import Database

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 64


def add_commands(commands: argparse._SubParsersAction) -> None:
    alerts = commands.add_parser("alerts", help="the alert outbox: list deliveries, retry failed ones, test a channel")
    sub = alerts.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="recent deliveries with their status, attempts and last error")
    shown = listing.add_mutually_exclusive_group()
    shown.add_argument("--failed", action="store_true", help="only deliveries that ran out of attempts")
    shown.add_argument("--suppressed", action="store_true",
                       help="matches that sent nothing (too old, filtered, story already alerted, cooldown …) and why")
    listing.add_argument("--limit", type=int, default=50, metavar="N", help="at most N rows (default 50)")
    retry = sub.add_parser("retry", help="put failed deliveries back in the queue (sent by the next delivery pass)")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("alert_id", nargs="?", type=int, metavar="ID", help="the alert whose failed deliveries to retry")
    which.add_argument("--all", action="store_true", help="every failed delivery")
    test = sub.add_parser("test", help="send a test message to a channel and report what the service answered")
    test.add_argument("channel", metavar="CHANNEL", help="a channel name from the config")


def run(args: argparse.Namespace, config: Config, db: Database | None) -> int:
    if args.alerts_command == "test":
        return test_channel(config, args.channel)
    assert db is not None
    if args.alerts_command == "list" and args.suppressed:
        return suppressed_command(db, args.limit)
    if args.alerts_command == "list":
        return list_command(db, args.failed, args.limit)
    return retry_command(db, None if args.all else [args.alert_id])


def needs_database(args: argparse.Namespace) -> bool:
    return args.alerts_command != "test"


def list_command(db: Database, failed_only: bool, limit: int) -> int:
    from storage.deliveries import channel_summaries, list_deliveries, suppressed_count

    with db.reading() as session:
        rows = list_deliveries(session, failed_only, limit)
        summaries = channel_summaries(session)
        suppressed = suppressed_count(session)
    for summary in summaries:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
        print(f"channel {summary.channel}: {counts}; last sent {_when(summary.last_sent_at)}")
    if suppressed:
        print(f"{suppressed} match(es) not sent: `newswatch alerts list --suppressed` says why")
    if summaries or suppressed:
        print()
    if not rows:
        print("no failed deliveries" if failed_only else "no deliveries yet")
        return EXIT_OK
    print(f"{'ALERT':>6} {'KIND':<8} {'CHANNEL':<12} {'STATUS':<9} {'TRIES':>5}  {'WHEN':<17} TITLE")
    for row in rows:
        when = row.sent_at or row.next_attempt_at
        print(f"{row.alert_id:>6} {row.kind:<8} {row.channel:<12} {row.status:<9} {row.attempts:>5}  {_when(when):<17} "
              f"[{row.watch_id}] {_clip(row.title, 70)}")
        if row.last_error and row.status != "sent":
            print(f"{'':>6} last error: {MASKER.mask(_clip(row.last_error, 300))}")
        if row.interrupted:
            print(f"{'':>6} {row.interrupted} send(s) cut off by a crash and sent again with the same key (not counted as tries)")
    return EXIT_OK


def suppressed_command(db: Database, limit: int) -> int:
    from storage.deliveries import list_decisions

    with db.reading() as session:
        rows = list_decisions(session, limit)
    if not rows:
        print("no suppressed alerts")
        return EXIT_OK
    for row in rows:
        print(f"{_when(row.created_at):<17} [{row.watch_id}] article {row.article_id} [{row.outlet}] {_clip(row.title, 70)}")
        print(f"{'':>17} {row.url}")
        print(f"{'':>17} {row.describe()}")
    return EXIT_OK


def retry_command(db: Database, alert_ids: list[int] | None) -> int:
    from storage.deliveries import retry_failed

    with db.session() as session:
        count = retry_failed(session, alert_ids)
    target = "all alerts" if alert_ids is None else f"alert {alert_ids[0]}"
    if not count:
        print(f"no failed deliveries for {target}")
        return EXIT_FAILED if alert_ids is not None else EXIT_OK
    print(f"{count} failed deliver(y/ies) of {target} queued again; the next delivery pass sends them")
    return EXIT_OK


def test_channel(config: Config, name: str) -> int:
    from monitor.delivery import EMAIL_SCHEMES, message_id, profile, send, url_for_send
    from monitor.render import Message
    from storage.outbox import new_key

    channel = config.settings.channels.get(name)
    if channel is None:
        known = ", ".join(sorted(config.settings.channels)) or "none"
        print(f"newswatch: unknown channel '{name}' (channels in the config: {known})", file=sys.stderr)
        return EXIT_USAGE
    shape = profile(channel)
    key = f"test-{new_key()}"
    body = {
        "text": "This is a test message from newswatch. If you can read it, the channel works.",
        "markdown": "This is a **test message** from newswatch. If you can read it, the channel works.",
        "html": "<p>This is a <b>test message</b> from newswatch. If you can read it, the channel works.</p>",
    }[shape.format]
    message = Message(title=f"newswatch test: {name}", body=body + f"\n\nkey {key}\n", format=shape.format)
    limit = f", limit {shape.limits.body} characters" if shape.limits.body else ""
    print(f"sending a test message to {name} ({redact_url(channel.url)}, {shape.format}{limit}) ...")
    msgid = message_id(key, name) if urlsplit(channel.url).scheme.lower() in EMAIL_SCHEMES else None
    error = send(url_for_send(channel, key), message, msgid, detail=True)
    if error is None:
        print(f"sent: the service accepted the message (idempotency key {key})")
        return EXIT_OK
    print(f"failed: {error}")
    return EXIT_FAILED


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
