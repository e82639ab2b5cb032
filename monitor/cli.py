"""The `newswatch` command line."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from monitor.logsetup import configure_logging
from newswatch.yamlsource import ConfigError

EXIT_OK, EXIT_DATABASE, EXIT_CONFIG, EXIT_ALREADY_RUNNING, EXIT_USAGE = 0, 1, 2, 3, 64
log = logging.getLogger("newswatch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswatch",
        description="Watch news outlets, archive every article, and alert once per story for each of your watch rules.",
    )
    parser.add_argument("--config", "-c", metavar="PATH", help="config file (default: $NEWSWATCH_CONFIG or ./newswatch.yaml)")
    parser.add_argument("--verbose", "-v", action="count", default=0, help="more log output (-vv: debug, crawler and libraries included)")
    parser.add_argument("--log-format", choices=["text", "json"], default="text", help="log lines as text (default) or one JSON object each")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    crawl = commands.add_parser("crawl", help="run one monitoring cycle: crawl, archive, match, alert, deliver")
    crawl.add_argument("--once", action="store_true", required=True, help="run a single cycle and exit (required)")
    crawl.add_argument("--outlet", action="append", metavar="NAME", default=[], help="only this outlet (repeatable)")
    crawl.add_argument("--force", action="store_true", help="crawl outlets even while they back off after failures")

    commands.add_parser("run", help="run as a daemon: crawl each outlet on its `every` schedule until stopped")
    commands.add_parser("check", help="validate config, rules, channel URLs, database connection and schema; exit 2 on errors")
    db_parser = commands.add_parser("db", help="database tools")
    db_commands = db_parser.add_subparsers(dest="db_command", metavar="SUBCOMMAND", required=True)
    db_commands.add_parser("upgrade", help="run the database migrations (the daemon also does this when it starts)")

    outlets = commands.add_parser("outlets", help="show each outlet's health: last success, error streak, backoff, new articles per day")
    outlets.add_argument("--json", action="store_true", help="print a JSON list instead of a table")

    rules = commands.add_parser("rules", help="watch-rule tools")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    rules_commands.add_parser("check", help="validate the config and every rule file; exit 2 on any error")
    rules_test = rules_commands.add_parser("test", help="show, per watch, whether an article matches and which alias matched where")
    rules_test.add_argument("target", metavar="URL|FILE|ARTICLE_ID", help="a page to fetch, an HTML file, or the id of an archived article")
    rules_test.add_argument("--watch", action="append", default=[], metavar="ID", help="only this watch (repeatable)")
    rules_test.add_argument("--outlet", metavar="NAME", help="treat the page as coming from this outlet (its `exclude:` selectors, `outlets:` filters)")
    rules_test.add_argument("--show-text", action="store_true", help="print the whole text that is matched (default: its first 600 characters)")
    replay = rules_commands.add_parser("replay", help="run the current rules over the archive; print the alerts they would add and remove")
    replay.add_argument("--since", default="7d", metavar="DURATION", help="articles first seen within this long (default: 7d)")
    replay.add_argument("--send", action="store_true", help="write the added alerts to the outbox and deliver them (backfill)")

    from monitor.archive_cli import add_commands as add_archive_commands

    add_archive_commands(commands)

    from monitor.alerts_cli import add_commands as add_alert_commands

    add_alert_commands(commands)

    web = commands.add_parser("web", help="serve the read-only web view and the Atom feeds of alerts (loopback by default)")
    web.add_argument("--listen", default="127.0.0.1:8040", metavar="HOST:PORT",
                     help="address to serve on (default: 127.0.0.1:8040); any non-loopback address needs web.token")

    demo = commands.add_parser("demo", help="run a cycle against bundled sample outlets on 127.0.0.1 and show the alerts")
    demo.add_argument("--keep", metavar="DIR", help="keep the demo's config, rules and SQLite archive in DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose, args.log_format)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"newswatch: configuration error\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except SQLAlchemyError as exc:  # one masked line, not a 100-line traceback
        from monitor.check import database_error_line

        print(f"newswatch: {database_error_line(_database_hint(args), exc)}", file=sys.stderr)
        return EXIT_DATABASE
    except KeyboardInterrupt:
        return 130


def _database_hint(args: argparse.Namespace) -> str:
    """The database URL of the config, for error lines (masked and redacted by the caller)."""
    try:
        from monitor.config import config_path, load_config

        return load_config(config_path(args.config)).database_url
    except Exception:
        return "(from the config)"


def crawler_log_level(verbosity: int) -> str:
    return "WARNING" if verbosity < 2 else "DEBUG"


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from monitor.demo import run_demo

        return run_demo(Path(args.keep) if args.keep else None, "ERROR" if args.verbose == 0 else crawler_log_level(args.verbose))

    from monitor.config import config_path, load_config

    if args.command == "check":
        from monitor.check import check

        return check(config_path(args.config))
    config = load_config(config_path(args.config))
    if args.command == "db":
        from monitor.check import db_upgrade

        return db_upgrade(config)
    if args.command == "rules" and args.rules_command in ("test", "replay"):
        from monitor.rules_tools import rules_command

        return rules_command(config, args)
    if args.command == "rules":
        rules = config.load_rules()
        print(f"ok: {len(config.settings.outlets)} outlet(s), {len(config.settings.channels)} channel(s), "
              f"{len(rules.watches)} watch(es) and {len(rules.entities)} entit(y/ies) in {len(rules.files)} rule file(s)")
        return EXIT_OK

    if args.command == "web":
        from monitor.web.serve import web_command

        return web_command(config, args.listen)
    from storage.db import Database

    if args.command == "alerts":
        from monitor import alerts_cli

        if not alerts_cli.needs_database(args):
            return alerts_cli.run(args, config, None)
    db = Database(config.database_url)
    lock = None
    try:
        if args.command == "run":  # one daemon per database, taken before anything is migrated or written
            from monitor.operations import take_database

            lock = take_database(db)
            if lock is None:
                return EXIT_ALREADY_RUNNING
        db.migrate()
        if args.command in ("crawl", "run"):
            _place_unplaced(db)
        if args.command == "crawl":
            return _crawl_once(config, db, args)
        if args.command == "run":
            from monitor.daemon import run_daemon

            return run_daemon(config, db, crawler_log_level(args.verbose), lock)
        if args.command in ("archive", "stories"):
            from monitor import archive_cli

            return archive_cli.run(args, config, db)
        if args.command == "outlets":
            return _outlets(config, db, args.json)
        if args.command == "alerts":
            return alerts_cli.run(args, config, db)
    finally:
        if lock is not None:
            lock.release()
        db.close()
    return EXIT_USAGE


def _place_unplaced(db) -> None:
    """An archive made before stories existed gets its stories before the first cycle (once; later a no-op).

    Articles still waiting to be matched are left to matching, which places each one before it matches it.
    """
    from storage.stories import place_archive

    placed, joined = place_archive(db, matched_only=True)
    if placed:
        log.info("placed %d earlier article(s) in stories; %d joined a story of an earlier article", placed, joined)


def _crawl_once(config, db, args: argparse.Namespace) -> int:
    from monitor.cycle import run_cycle
    from monitor.report import cycle_summary
    from rules.matcher import Matcher

    outlets = config.settings.outlets
    if args.outlet:
        unknown = [name for name in args.outlet if config.outlet(name) is None]
        if unknown:
            names = ", ".join(o.name for o in outlets) or "none"
            print(f"newswatch: unknown outlet(s): {', '.join(unknown)} (outlets in the config: {names})", file=sys.stderr)
            return EXIT_USAGE
        outlets = [config.outlet(name) for name in args.outlet]
    matcher = Matcher(config.load_rules())
    report = run_cycle(config, db, matcher, outlets, crawler_log_level(args.verbose), force=args.force)
    print("cycle finished:")
    print(cycle_summary(report))
    return EXIT_OK


def _outlets(config, db, as_json: bool) -> int:
    import datetime as dt

    from monitor.outlet_table import outlet_rows, render_table

    rows = outlet_rows(db, config.settings.outlets, dt.datetime.now(dt.timezone.utc))
    print(json.dumps(rows, indent=2) if as_json else render_table(rows))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
