"""Terminal output of the archive commands with rich: search hits, an article, its diffs, stories, progress bars."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from newswatch.textdiff import diff_lines
from storage.search import Hit

MATCH = "bold black on yellow"


def short(moment: str | None) -> str:
    """An ISO time as `2023-05-22 18:10` (UTC, as stored)."""
    return moment[:16].replace("T", " ") if moment else ""


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _marked(text: str, spans: tuple[tuple[int, int], ...] | list, style: str = MATCH) -> Text:
    out = Text(text)
    for start, end in spans:
        out.stylize(style, start, end)
    return out


def print_hits(out: Console, hits: list[Hit]) -> None:
    if not hits:
        out.print("no article matches")
        return
    for hit in hits:
        head = Text.assemble((f"#{hit.id}", "bold cyan"), "  ", (hit.outlet, "green"), "  ",
                             (hit.published.date().isoformat() if hit.published else "no date", "dim"), "  ",
                             (f"story {hit.story}" if hit.story else "no story", "dim"), "  ", (f"score {hit.score:.3f}", "dim"))
        out.print(head)
        out.print(Text("  ") + _marked(hit.title, hit.title_highlights), style="bold")
        out.print(Text("  ") + _marked(hit.snippet.text, hit.snippet.highlights))
        out.print(Text("  " + hit.url, "blue"))
        out.print()
    out.print(f"{len(hits)} article(s)", style="dim")


def print_article(out: Console, detail: dict[str, Any], revisions: bool, diff: bool) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    story = detail["story"]
    for name, value in (
        ("title", detail["title"]), ("outlet", detail["outlet"]), ("published", detail["published"]),
        ("language", detail["language"]), ("authors", ", ".join(detail["authors"])), ("first seen", detail["first_seen"]),
        ("fetched", detail["fetched_at"]), ("removed", detail["removed_at"]), ("url", detail["canonical_url"]),
        ("also under", "\n".join(u for u in detail["urls"] if u != detail["canonical_url"])),
        ("story", f"{story['id']} ({len(story['articles'])} article(s))" if story else None),
        ("watches matched", ", ".join(detail["watches_matched"])), ("watches alerted", ", ".join(detail["watches_alerted"])),
        ("revisions", str(len(detail["revisions"]))),
    ):
        if value:
            table.add_row(name, str(value))
    out.print(Text(f"article #{detail['id']}", "bold cyan"))
    out.print(table)
    if story and len(story["articles"]) > 1:
        members = Table(title="story", title_justify="left")
        for column in ("article", "outlet", "joined", "similarity", "title"):
            members.add_column(column)
        for m in story["articles"]:
            members.add_row(str(m["id"]), m["outlet"], short(m["joined"]), f"{m['similarity']:.2f}" if m["similarity"] is not None else "first",
                            m["title"] or "")
        out.print(members)
    if detail["alerts"]:
        alerts = Table(title="alerts", title_justify="left")
        for column in ("alert", "watch", "kind", "created", "deliveries"):
            alerts.add_column(column)
        for a in detail["alerts"]:
            alerts.add_row(str(a["id"]), a["watch"], a["kind"], short(a["created_at"]),
                           ", ".join(f"{d['channel']}: {d['status']}" for d in a["deliveries"]))
        out.print(alerts)
    if revisions or diff:
        table = Table(title="revisions", title_justify="left")
        for column in ("#", "fetched", "status", "url", "raw page"):
            table.add_column(column)
        for r in detail["revisions"]:
            raw = f"removed {short(r['raw_pruned_at'])}" if r["raw_pruned_at"] else f"{r['raw_bytes']:,} bytes"
            table.add_row(str(r["number"]), short(r["fetched_at"]), str(r["status"]), r["url"], raw)
        out.print(table)
    if diff:
        print_diffs(out, detail)
    if not diff:
        out.print()
        out.print(detail["text"])


def print_diffs(out: Console, detail: dict[str, Any]) -> None:
    revisions = detail["revisions"]
    if len(revisions) < 2:
        out.print("only one revision: nothing to compare")
        return
    styles = {"-": "red", "+": "green", "@": "cyan", "=": "bold"}
    for old, new in zip(revisions, revisions[1:]):
        out.print()
        for line in diff_lines(old["compared"], new["compared"], f"revision {old['number']} ({old['fetched_at']})",
                               f"revision {new['number']} ({new['fetched_at']})"):
            style = styles.get(line.kind, "")
            out.print(_marked(line.text, line.changed, f"bold reverse {style}"), style=style)


def print_stories(out: Console, stories: list[dict[str, Any]]) -> None:
    if not stories:
        out.print("no story in this period")
        return
    for story in stories:
        out.print(Text.assemble((f"story {story['story']}", "bold cyan"), "  ", (story["title"] or "", "bold")))
        table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
        for column in ("article", "outlet", "first seen"):
            table.add_column(column, no_wrap=True)
        table.add_column("url", overflow="fold")
        for a in story["articles"]:
            table.add_row(str(a["id"]), a["outlet"], short(a["first_seen"]), a["url"] or "")
        out.print(table)
        if not story["watches"]:
            out.print("  no watch matched it", style="dim")
        for watch in story["watches"]:
            out.print(Text.assemble("  watch ", (watch["watch"], "bold green"), f": matched {len(watch['matched'])} article(s)"))
            for sent in watch["sent"]:
                about = f"also in {', '.join(sent['announced'])}" if sent["announced"] else (sent["outlet"] or "")
                channels = ", ".join(f"{c}: {s}" for c, s in sent["channels"].items()) or "no channel"
                out.print(f"    {sent['kind']} alert {sent['alert']} ({about}, {short(sent['created_at'])}): {channels}")
                if sent["digest"]:
                    digest = sent["digest"]
                    into = ", ".join(f"{c}: {s}" for c, s in digest["channels"].items())
                    out.print(f"      in digest {digest['alert']} ({short(digest['created_at'])}): {into}")
            for waiting in watch["waiting"]:
                out.print(f"    waiting: {waiting}", style="yellow")
        out.print()
    out.print(f"{len(stories)} story(ies)", style="dim")


@contextlib.contextmanager
def progress_bar(label: str, total: int | None, enabled: bool = True) -> Iterator[Any]:
    """A progress bar on standard error (only when it is a terminal); yields `advance_to(done)`."""
    err = console(stderr=True)
    if not enabled or not err.is_terminal:
        yield lambda done, _total=None: None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance_to(done: int, new_total: int | None = None) -> None:
            bar.update(task, completed=done, total=new_total if new_total is not None else total)

        yield advance_to
