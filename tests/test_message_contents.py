"""Every alert format carries title, URL, outlet, time, watch and matched terms: read from a real
e-mail's plain-text part (aiosmtpd), a webhook's body and its Markdown, and each template."""
from __future__ import annotations

import datetime as dt
import email
import json
from dataclasses import replace
from email import policy
from pathlib import Path

import pytest
from apprise.conversion.format import html_to_text

from monitor.alert_settings import Channel
from monitor.delivery import deliver_due
from monitor.render import render
from storage.db import Database
from storage.deliveries import DigestItem, OutgoingAlert
from storage.models import Article
from storage.outbox import NewAlert, record_story_matches
from storage.stories import place_article
from tests.alerting import archive, page
from tests.story_texts import RAID

PUBLISHED = dt.datetime(2023, 5, 22, 16, 5, tzinfo=dt.timezone.utc)
URL = "http://wire.example.org/news/raid.php?id=4711&part=2"  # a query with '&': must survive HTML escaping


def plain_parts(raw: bytes) -> list[str]:
    message = email.message_from_bytes(raw, policy=policy.default)
    return [part.get_content() for part in message.walk() if part.get_content_type() == "text/plain"]


def send_one(tmp_path: Path, channels: dict[str, Channel]) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        db.migrate()
        archived = page("wire", "/news/raid.php", RAID, title="Fighters cross into Belgorod region", published=PUBLISHED)
        article_id = archive(db, replace(archived, canonical_url=URL, fetched_url=URL))
        with db.session() as session:
            story = place_article(session, session.get(Article, article_id))
            alert = NewAlert("raids", "Belgorod raids", ["Belgorod", "Kozinka («Козинки»)"], "Fighters said they held Kozinka.",
                             list(channels))
            assert record_story_matches(session, article_id, [alert], story.story_id).alerts == 1
        assert deliver_due(db, channels).sent == len(channels)
    finally:
        db.close()


def assert_carries_everything(body: str) -> None:
    for needed in ("Fighters cross into Belgorod region", URL, "wire", "2023-05-22 16:05 UTC", "Belgorod raids",
                   "Belgorod", "Kozinka («Козинки»)"):
        assert needed in body, f"{needed!r} missing from:\n{body}"


def test_the_plain_text_part_of_a_real_email_carries_the_link_and_the_rest(tmp_path: Path, smtp) -> None:
    send_one(tmp_path, {"mail": Channel(url=smtp.url())})
    (raw,) = smtp.messages
    (text,) = plain_parts(raw)
    assert_carries_everything(text)
    assert f"URL: {URL}" in text


def test_webhook_text_and_markdown_bodies_carry_everything(tmp_path: Path, webhook) -> None:
    channels = {"hook": Channel(url=f"json://{webhook.netloc}/text"), "chat": Channel(url=f"json://{webhook.netloc}/md", format="markdown")}
    send_one(tmp_path, channels)
    bodies = {json.loads(body)["message"] for body in webhook.received}
    assert len(bodies) == 2
    text = next(b for b in bodies if b.startswith("Watch: "))
    markdown = next(b for b in bodies if b.startswith("**"))
    assert_carries_everything(text)
    assert_carries_everything(markdown.replace("\\", ""))  # Markdown escapes are not part of what is read


def outgoing(kind: str) -> OutgoingAlert:
    items = [
        DigestItem("story", "Fighters cross into Belgorod region", "wire", URL, PUBLISHED, "Kozinka.", [], ["Belgorod", "Kozinka («Козинки»)"]),
        DigestItem("followup", "Fighters cross into Belgorod region", "wire", URL, PUBLISHED, "", ["ledger"], ["Belgorod", "Kozinka («Козинки»)"]),
    ]
    return OutgoingAlert(
        delivery_id=1, alert_id=7, channel="chat", attempts=0, watch_id="raids", watch_name="Belgorod raids",
        terms=["Belgorod", "Kozinka («Козинки»)"], snippet="Fighters said they held Kozinka.",
        title="Fighters cross into Belgorod region", outlet="wire", url=URL, published=PUBLISHED,
        created_at=PUBLISHED, key="k", kind=kind, outlets=["ledger"] if kind == "followup" else [],
        items=items if kind == "digest" else [],
    )


@pytest.mark.parametrize("kind", ["story", "followup", "digest"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_kind_and_format_carries_everything(kind: str, fmt: str) -> None:
    body = render(outgoing(kind), fmt).body
    if fmt == "html":
        body = html_to_text(body)  # what apprise puts in an e-mail's plain-text part
    if fmt == "markdown":
        body = body.replace("\\", "")
    assert_carries_everything(body)
