"""`newswatch demo`: a full cycle against bundled sample outlets on 127.0.0.1, alerts printed here."""
from __future__ import annotations

import json
import tempfile
import textwrap
from pathlib import Path

from monitor.config import load_config
from monitor.cycle import run_cycle
from monitor.report import cycle_summary
from monitor.sites import SiteServer, WebhookReceiver
from rules.matcher import Matcher
from storage.db import Database
from storage.stories import StoryMessages, stories_with_copies

PACKAGE = Path(__file__).parent
SITE = PACKAGE / "demo_site"
TEMPLATES = PACKAGE / "demo"
OUTLETS = ("chronicle", "ledger", "wire")


def write_demo_config(directory: Path, bases: dict[str, str], alerts_netloc: str) -> Path:
    """The demo config and rules, pointed at the running sample outlets and alert receiver."""
    text = (TEMPLATES / "newswatch.yaml").read_text(encoding="utf-8")
    for name, base in bases.items():
        text = text.replace("{" + name + "}", base)
    text = text.replace("{alerts}", alerts_netloc)
    (directory / "watch").mkdir(parents=True, exist_ok=True)
    (directory / "watch" / "belgorod.yaml").write_text((TEMPLATES / "belgorod.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    config = directory / "newswatch.yaml"
    config.write_text(text, encoding="utf-8")
    return config


def run_demo(keep: Path | None, crawler_log_level: str = "WARNING") -> int:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return _run(keep, crawler_log_level)
    with tempfile.TemporaryDirectory(prefix="newswatch-demo-") as directory:
        return _run(Path(directory), crawler_log_level)


def _run(directory: Path, crawler_log_level: str) -> int:
    sites = {name: SiteServer(SITE / name).start() for name in OUTLETS}
    receiver = WebhookReceiver().start()
    try:
        config = load_config(write_demo_config(directory, {n: s.base_url for n, s in sites.items()}, receiver.netloc))
        print("newswatch demo")
        print("  sample outlets: " + ", ".join(f"{n} {s.base_url}" for n, s in sites.items()))
        print(f"  archive: {config.database_url}")
        db = Database(config.database_url)
        try:
            db.migrate()
            matcher = Matcher(config.load_rules())
            print("\ncycle 1: crawl, archive, match, alert")
            print(cycle_summary(run_cycle(config, db, matcher, log_level=crawler_log_level)))
            print(f"\nalerts received ({len(receiver.received)}):")
            for message in receiver.received:
                print(_format_alert(message))
            with db.reading() as session:
                shared = stories_with_copies(session)
            print(describe_stories(shared, {w.id: w.followups for w in matcher.watches}))
            before = len(receiver.received)
            print("\ncycle 2: the same outlets again (indexes answer 304 Not Modified, no article is refetched, nothing alerts twice)")
            print(cycle_summary(run_cycle(config, db, matcher, log_level=crawler_log_level)))
            print(f"\nnew alerts in cycle 2: {len(receiver.received) - before}")
        finally:
            db.close()
    finally:
        receiver.stop()
        for site in sites.values():
            site.stop()
    return 0


def _format_alert(payload: bytes) -> str:
    message = json.loads(payload)
    body = "\n".join(textwrap.fill(line, 96, subsequent_indent="    ") if line else "" for line in message.get("message", "").splitlines())
    return f"\n  ▶ {message.get('title', '')}\n" + textwrap.indent(body, "    ")


def describe_stories(stories: list[StoryMessages], followups: dict[str, str]) -> str:
    """What happened to each story carried by several outlets: one alert per watch, and the follow-ups it asked for."""
    if not stories:
        return "\nno story was carried by more than one outlet"
    lines = [f"\nstories carried by more than one outlet ({len(stories)}): one alert per watch per story, however many outlets carry it"]
    for story in stories:
        first, *copies = story.members
        lines.append(f"  «{first.title}»")
        lines.append(f"    found first on {first.outlet}; then "
                     + ", ".join(f"{c.outlet} (similarity {c.similarity:.2f})" for c in copies) + " joined the story"
                     + " (the crawl order decides which outlet comes first)")
        for watch_id, alerts in sorted(story.sent.items()):
            stories_sent = [a for a in alerts if a.kind == "story"]
            followed = [a for a in alerts if a.kind == "followup"]
            said = f"{len(stories_sent)} alert ({', '.join(a.outlet for a in stories_sent)})"
            mode = followups.get(watch_id, "digest")
            if followed:
                said += "; " + "; ".join(f'a follow-up "Also in: {", ".join(a.announced)}"' for a in followed)
            elif mode == "off":
                said += "; " + ("the other copy" if len(copies) == 1 else f"the {len(copies)} other copies") + " joined without a message"
            else:
                said += "; no follow-up yet (followups: digest waits for its cooldown)"
            lines.append(f"    {watch_id} (followups: {mode}): {said}")
    return "\n".join(lines)

