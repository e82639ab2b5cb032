"""`newswatch rules test` and `newswatch rules replay`: see what the rules do before they alert anybody.

The CLI side; the work is in monitor/rules_target.py, rules_explain.py and rules_replay.py.
"""
from __future__ import annotations

from typing import TextIO

from monitor.config import Config
from monitor.rules_explain import decisions_for, explain
from monitor.rules_replay import format_replay, replay
from monitor.rules_target import TargetError, document_for, text_section
from rules.matcher import Matcher
from storage.db import Database


def run_rules_test(config: Config, target: str, only: list[str], outlet: str | None, out: TextIO, show_text: bool = False) -> int:
    rules = config.load_rules()
    unknown = [w for w in only if rules.watch(w) is None]
    if unknown:
        raise TargetError(f"unknown watch(es): {', '.join(unknown)} (watches: {', '.join(w.id for w in rules.watches)})")
    matcher = Matcher(rules)
    found = document_for(config, target, outlet)
    decisions = decisions_for(config, matcher, found)
    out.write(f"Testing {found.described}\n{explain(matcher, found.document, only, decisions)}\n")
    out.write("\n" + text_section(found.document.text, show_text))
    return 0


def rules_command(config: Config, args) -> int:
    """`newswatch rules test|replay` (wired in monitor/cli.py)."""
    import sys

    from monitor.delivery import deliver_due
    from newswatch.durations import format_duration, parse_duration

    if args.rules_command == "test":
        try:
            return run_rules_test(config, args.target, args.watch, args.outlet, sys.stdout, show_text=args.show_text)
        except TargetError as exc:
            print(f"newswatch: {exc}", file=sys.stderr)
            return 1
    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        print(f"newswatch: --since: {exc}", file=sys.stderr)
        return 64
    matcher = Matcher(config.load_rules())
    db = Database(config.database_url)
    try:
        db.migrate()
        report = replay(db, matcher, since, send=args.send, max_age=config.settings.alerts.max_age)
        print(format_replay(report, format_duration(since)))
        if args.send:
            settings = config.settings
            delivered = deliver_due(db, settings.channels, settings.delivery, settings.alerts.template_dir(config.base_dir))
            print(f"backfill: {len(report.added)} alert(s) written to the outbox; {delivered.sent} message(s) sent, {delivered.failed} failed")
            return 0 if delivered.failed == 0 else 1
    finally:
        db.close()
    return 0
