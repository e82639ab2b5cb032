"""Messages fit their channel: format per service, length limits met by shorter snippets, user templates."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from monitor.alert_settings import Channel
from monitor.delivery import deliver_due, profile, url_for_send
from monitor.render import Limits, render, shorten
from storage.db import Database
from storage.deliveries import DigestItem, OutgoingAlert
from storage.outbox import NewAlert, record_story_matches
from storage.stories import place_article
from storage.models import Article
from tests.alerting import archive, page
from tests.story_texts import RAID

LONG = ("Kozinka " + "The fighters said they held the village while the governor said the army pushed them back. " * 120)[:10_000]


def outgoing(**changes) -> OutgoingAlert:
    values = dict(
        delivery_id=1, alert_id=7, channel="chat", attempts=0, watch_id="raids", watch_name="Belgorod raids",
        terms=["Belgorod", "Freedom of Russia Legion"], snippet="Fighters said they held *Kozinka*.",
        title="Fighters cross into Belgorod region", outlet="wire", url="http://wire.example.org/raid",
        published=dt.datetime(2023, 5, 22, 20, 55, tzinfo=dt.timezone.utc), created_at=dt.datetime.now(dt.timezone.utc),
        key="0123456789abcdef",
    )
    values.update(changes)
    return OutgoingAlert(**values)


@pytest.mark.parametrize(("url", "fmt", "body", "title_in_body"), [
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "markdown", 2000, False),
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001", "markdown", 4096, True),
    ("mailto://127.0.0.1:2525?from=a@example.org&to=b@example.org", "html", 32768, False),
    ("json://127.0.0.1:9/alerts", "text", 32768, False),
])
def test_profile_uses_the_services_format_and_limit(url: str, fmt: str, body: int, title_in_body: bool) -> None:
    shape = profile(Channel(url=url))
    assert (shape.format, shape.limits.body, shape.limits.title_in_body) == (fmt, body, title_in_body)


def test_channel_options_override_the_service() -> None:
    shape = profile(Channel(url="json://127.0.0.1:9/alerts", format="markdown", max_length=2000))
    assert (shape.format, shape.limits.body) == ("markdown", 2000)
    assert profile(Channel(url="discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", max_length=5000)).limits.body == 2000


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_long_snippet_is_shortened_to_fit_not_dropped(fmt: str) -> None:
    alert = outgoing(snippet=LONG)
    message = render(alert, fmt, Limits(body=2000, title=250))
    assert len(message.body) <= 2000
    assert len(message.body) > 1500  # as much of the snippet as fits is kept
    assert "http://wire.example.org/raid" in message.body and "Kozinka" in message.body and "…" in message.body
    assert alert.key in message.body


def test_title_counts_when_the_service_puts_it_in_the_body() -> None:
    message = render(outgoing(snippet=LONG), "markdown", Limits(body=4096, title_in_body=True))
    assert len(message.title) + 2 + len(message.body) <= 4096


def test_digest_is_shortened_by_its_snippets() -> None:
    items = [DigestItem("story", f"Story {i}", "wire", f"http://wire.example.org/{i}", None, LONG) for i in range(5)]
    items.append(DigestItem("followup", "Story 0", "ledger", "http://ledger.example.org/0", None, "", ["ledger", "chronicle"]))
    alert = outgoing(kind="digest", items=items)
    message = render(alert, "text", Limits(body=2000))
    assert len(message.body) <= 2000
    assert all(f"Story {i}" in message.body for i in range(5))
    assert "* also in ledger, chronicle: Story 0" in message.body
    assert message.title == "[Belgorod raids] digest: 6 alert(s)"
    for fmt in ("markdown", "html"):
        assert "also in ledger, chronicle" in render(alert, fmt).body


def test_markdown_and_html_escape_what_the_article_says() -> None:
    alert = outgoing(title="Raid <script>alert(1)</script> *claims*")
    assert "<script>" not in render(alert, "html").body
    assert r"\*claims\*" in render(alert, "markdown").body


def test_shorten_cuts_at_a_word() -> None:
    assert shorten("one two three four five", 12) == "one two…"
    assert shorten("short", 10) == "short"
    assert shorten("anything", 1) == ""


def test_url_for_send_adds_key_and_timeouts() -> None:
    url = url_for_send(Channel(url="json://127.0.0.1:9/x?+X-Token=abc", timeout="2s"), "k1")
    assert url.startswith("json://127.0.0.1:9/x?+X-Token=abc&")
    assert ":idempotency_key=k1" in url and "+Idempotency-Key=k1" in url and "cto=2" in url and "rto=2" in url
    assert url_for_send(Channel(url="mailto://127.0.0.1:25?to=a@example.org&from=nw@example.org"), "k2").endswith("&+X-Newswatch-Key=k2")


def test_ten_thousand_character_snippet_reaches_a_2000_character_channel(tmp_path, webhook) -> None:
    channels = {"short": Channel(url=f"json://{webhook.netloc}/alerts", max_length=2000)}
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        db.migrate()
        article_id = archive(db, page("wire", "/raid", RAID))
        with db.session() as session:
            story = place_article(session, session.get(Article, article_id))
            alert = NewAlert("raids", "Belgorod raids", ["Kozinka"], LONG, ["short"])
            assert record_story_matches(session, article_id, [alert], story.story_id).alerts == 1
        assert deliver_due(db, channels).sent == 1
    finally:
        db.close()
    message = json.loads(webhook.received[0])["message"]
    assert 1500 < len(message) <= 2000 and "Kozinka" in message and "URL: http://wire.example.org/raid" in message


def test_user_templates_replace_the_built_in_ones(tmp_path, webhook) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "story.txt.mako").write_text("NEW STORY for ${watch_name}: ${title} <${url}> [${key}]\n", encoding="utf-8")
    body = render(outgoing(), "text", templates=str(templates)).body
    assert body == "NEW STORY for Belgorod raids: Fighters cross into Belgorod region <http://wire.example.org/raid> [0123456789abcdef]\n"
    assert render(outgoing(kind="followup", outlets=["ledger"]), "text", templates=str(templates)).body.startswith("Also in: ledger")


def test_a_broken_user_template_is_a_failed_attempt_not_a_crash(tmp_path, webhook) -> None:
    from sqlalchemy import select

    from monitor.alert_settings import DeliverySettings
    from storage.models import Delivery

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "story.txt.mako").write_text("${no_such_variable}\n", encoding="utf-8")
    channels = {"chat": Channel(url=f"json://{webhook.netloc}/alerts")}
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        db.migrate()
        article_id = archive(db, page("wire", "/raid", RAID))
        with db.session() as session:
            story = place_article(session, session.get(Article, article_id))
            record_story_matches(session, article_id, [NewAlert("raids", "Raids", ["Kozinka"], "x", ["chat"])], story.story_id)
        report = deliver_due(db, channels, DeliverySettings(max_attempts=1), templates=str(templates))
        assert (report.sent, report.failed, report.given_up) == (0, 1, 1)
        with db.session() as session:
            status, error = session.execute(select(Delivery.status, Delivery.last_error)).one()
        assert status == "failed" and "could not build the message" in error and "no_such_variable" in error
        assert deliver_due(db, channels).sent == 0 and webhook.received == []
    finally:
        db.close()
