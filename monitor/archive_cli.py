"""`newswatch archive search|show|export|import|prune|reindex|stories` and `newswatch stories`."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newswatch.durations import format_duration
from newswatch.searchquery import QueryError, parse_query
from newswatch.timespec import parse_since, parse_until
from storage.db import Database

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 64


def add_commands(commands: argparse._SubParsersAction) -> None:
    archive = commands.add_parser("archive", help="search, read, export, import and prune the archive")
    sub = archive.add_subparsers(dest="archive_command", metavar="SUBCOMMAND", required=True)

    search = sub.add_parser("search", help="full-text search over titles and texts, ranked, with highlighted snippets")
    search.add_argument("query", metavar="QUERY", help='words, "a phrase", a OR b, -excluded, prefix*')
    _filters(search, default_limit=20)
    search.add_argument("--json", action="store_true", help="one JSON object per line")

    show = sub.add_parser("show", help="one article: metadata, URLs, story, watches, alerts, revisions")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--revisions", action="store_true", help="list the article's revisions")
    show.add_argument("--diff", action="store_true", help="show the text changes between revisions (unified diff)")
    show.add_argument("--json", action="store_true", help="print one JSON object")

    export = sub.add_parser("export", help="write the archive (or the articles the filters pick) as JSON Lines or CSV")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl", help="jsonl (default; importable) or csv (articles only)")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    export.add_argument("--query", metavar="QUERY", help="only articles that match this search query")
    _filters(export, default_limit=None)

    load = sub.add_parser("import", help="load a JSON Lines export (from this or another database)")
    load.add_argument("file", metavar="FILE", help="the export to load (- for standard input)")

    prune = sub.add_parser("prune", help="remove raw pages older than archive.keep_raw (text and metadata stay)")
    prune.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    prune.add_argument("--keep-raw", metavar="DURATION", help="use this instead of archive.keep_raw")

    sub.add_parser("reindex", help="rebuild the full-text search index from the archive")
    sub.add_parser("stories", help="put archived articles that have no story yet into stories (after an upgrade)")

    stories = commands.add_parser("stories", help="each story: its articles, the watches that matched, what was sent and what waits")
    stories.add_argument("--watch", metavar="ID", help="only stories this watch matched")
    stories.add_argument("--since", default="7d", metavar="WHEN", help="stories with an article added since (default: 7d)")
    stories.add_argument("--json", action="store_true", help="one JSON object per story and line")


def _filters(parser: argparse.ArgumentParser, default_limit: int | None) -> None:
    parser.add_argument("--since", metavar="WHEN", help="published (or first seen) since: 7d, 2023-05-22 or 2023-05-22T18:00")
    parser.add_argument("--until", metavar="DATE", help="published (or first seen) up to: a date (the day included) or a time")
    parser.add_argument("--outlet", action="append", default=[], metavar="NAME", help="only this outlet (repeatable)")
    parser.add_argument("--watch", metavar="ID", help="only articles this watch matched")
    parser.add_argument("--lang", action="append", default=[], metavar="CODE", help="only this language, e.g. ru (repeatable)")
    parser.add_argument("--limit", type=int, default=default_limit, metavar="N",
                        help=f"at most N articles (default: {default_limit or 'all'})")


def run(args: argparse.Namespace, config, db: Database) -> int:
    try:
        if args.command == "stories":
            return _stories(db, args)
        handler = {"search": _search, "show": _show, "export": _export, "import": _import, "prune": _prune,
                   "reindex": _reindex, "stories": _place}[args.archive_command]
        return handler(db, args, config)
    except (QueryError, ValueError) as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _filters_of(db: Database, args: argparse.Namespace):
    from storage.search import Filters
    from storage.watch_matches import articles_matched_by

    now = dt.datetime.now(dt.timezone.utc)
    ids = None
    if args.watch:
        with db.reading() as session:
            ids = articles_matched_by(session, args.watch)
    if args.limit is not None and args.limit < 1:
        raise ValueError("--limit must be at least 1")
    return Filters(
        since=parse_since(args.since, now) if args.since else None, until=parse_until(args.until) if args.until else None,
        outlets=tuple(args.outlet), article_ids=ids, languages=tuple(args.lang),
    )


def _search(db: Database, args: argparse.Namespace, _config) -> int:
    from monitor.archive_render import console, print_hits
    from storage.search import search

    query = parse_query(args.query)
    filters = _filters_of(db, args)
    with db.reading() as session:
        hits = search(session, query, filters, args.limit)
    if args.json:
        for hit in hits:
            print(json.dumps({
                "id": hit.id, "url": hit.url, "title": hit.title, "outlet": hit.outlet,
                "published": hit.published.isoformat() if hit.published else None, "language": hit.language,
                "story": hit.story, "snippet": hit.snippet.text, "highlights": [list(h) for h in hit.snippet.highlights],
                "score": hit.score,
            }, ensure_ascii=False))
        return EXIT_OK
    print_hits(console(), hits)
    return EXIT_OK


def _show(db: Database, args: argparse.Namespace, _config) -> int:
    from monitor.archive_render import console, print_article
    from storage.article_view import article_detail

    with db.reading() as session:
        detail = article_detail(session, args.id, diff=args.diff)
    if detail is None:
        print(f"newswatch: no archived article has id {args.id}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        if not args.revisions and not args.diff:
            detail["revisions"] = len(detail["revisions"])
        print(json.dumps(detail, ensure_ascii=False, indent=2))
        return EXIT_OK
    print_article(console(), detail, args.revisions, args.diff)
    return EXIT_OK


def _stories(db: Database, args: argparse.Namespace) -> int:
    from monitor.archive_render import console, print_stories
    from storage.story_report import story_reports

    since = parse_since(args.since, dt.datetime.now(dt.timezone.utc)) if args.since else None
    with db.reading() as session:
        stories = story_reports(session, args.watch, since)
    if args.json:
        for story in stories:
            print(json.dumps(story, ensure_ascii=False))
        return EXIT_OK
    print_stories(console(), stories)
    return EXIT_OK


def _selected_ids(db: Database, args: argparse.Namespace) -> list[int] | None:
    """The article ids the export filters pick, oldest first; None for the whole archive."""
    from sqlalchemy import func, select

    from storage.models import Article
    from storage.search import search

    filters = _filters_of(db, args)
    if args.query:
        with db.reading() as session:
            hits = search(session, parse_query(args.query), filters, args.limit or 1_000_000)
        return sorted(hit.id for hit in hits)
    if filters == type(filters)() and args.limit is None:
        return None
    when = func.coalesce(Article.published, Article.first_seen)
    query = select(Article.id).order_by(Article.id)
    if filters.since:
        query = query.where(when >= filters.since)
    if filters.until:
        query = query.where(when < filters.until)
    if filters.outlets:
        query = query.where(Article.outlet.in_(filters.outlets))
    if filters.languages:
        query = query.where(Article.language.in_(filters.languages))
    with db.reading() as session:
        ids = list(session.scalars(query))
    if filters.article_ids is not None:
        ids = [i for i in ids if i in filters.article_ids]
    return ids[: args.limit] if args.limit else ids


def _export(db: Database, args: argparse.Namespace, _config) -> int:
    from storage.archive_export import CSV_COLUMNS, article_records, csv_row, export_records

    ids = _selected_ids(db, args)
    stream = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        with db.reading() as session:
            if args.format == "csv":
                from sqlalchemy import select

                from storage.models import Article

                writer = csv.writer(stream)
                writer.writerow(CSV_COLUMNS)
                all_ids = ids if ids is not None else list(session.scalars(select(Article.id).order_by(Article.id)))
                for record in article_records(session, all_ids, full=False):
                    writer.writerow(csv_row(record))
            else:
                for record in export_records(session, ids):
                    stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if args.output:
            stream.close()
    return EXIT_OK


def _read_records(path: str) -> Iterator[dict[str, Any]]:
    from storage.archive_import import ImportFailure

    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    try:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportFailure(f"line {number}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise ImportFailure(f"line {number}: expected a JSON object")
            yield record
    finally:
        if stream is not sys.stdin:
            stream.close()


def _import(db: Database, args: argparse.Namespace, _config) -> int:
    from monitor.archive_render import progress_bar
    from storage.archive_import import ImportFailure, import_records

    if args.file != "-" and not Path(args.file).is_file():
        print(f"newswatch: no such file: {args.file}", file=sys.stderr)
        return EXIT_FAILED
    total = None
    if args.file != "-":
        with open(args.file, encoding="utf-8") as counting:
            total = sum(1 for line in counting if line.strip())
    try:
        with progress_bar("importing", total) as advance:
            report = import_records(db, _read_records(args.file), progress=advance)
    except ImportFailure as exc:
        print(f"newswatch: import stopped at {exc} (what came before it is imported; run the import again after fixing "
              "the file: what is already there is skipped)", file=sys.stderr)
        return EXIT_FAILED
    print(f"imported {report.articles} article(s) ({report.revisions} revision(s)), {report.stories} story(ies), "
          f"{report.alerts} alert(s) ({report.deliveries} deliveries), {report.watch_states} watch state(s); "
          f"{report.already_there} article(s) were already there; ids {'kept' if report.kept_ids else 'renumbered'}")
    return EXIT_OK


def _prune(db: Database, args: argparse.Namespace, config) -> int:
    from monitor.archive_render import progress_bar
    from newswatch.durations import parse_duration
    from storage.retention import prune_raw

    keep = parse_duration(args.keep_raw) if args.keep_raw else config.settings.archive.keep_raw
    if keep is None:
        print("archive.keep_raw is not set: raw pages are kept for ever, nothing to prune (or pass --keep-raw)")
        return EXIT_OK
    with progress_bar("pruning", None, enabled=not args.dry_run) as advance:
        report = prune_raw(db, keep, dt.datetime.now(dt.timezone.utc), dry_run=args.dry_run, progress=advance)
    verb = "would remove" if report.dry_run else "removed"
    print(f"{verb} {report.revisions} raw page(s) fetched before {report.cutoff.isoformat(timespec='seconds')} "
          f"(keep_raw {format_duration(keep)}); text and metadata are kept")
    return EXIT_OK


def _reindex(db: Database, args: argparse.Namespace, _config) -> int:
    from monitor.archive_render import progress_bar
    from storage.search import reindex

    with progress_bar("indexing", None) as advance, db.engine.begin() as connection:
        done = reindex(connection, progress=advance)
    print(f"indexed {done} article(s)")
    return EXIT_OK


def _place(db: Database, args: argparse.Namespace, _config) -> int:
    from storage.stories import place_archive

    placed, joined = place_archive(db)
    print(f"placed {placed} article(s) in stories; {joined} joined a story of an earlier article")
    return EXIT_OK
