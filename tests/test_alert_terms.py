"""Alerts say which alias matched, and in what form it was found."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.matching import new_alerts
from monitor.render import render_body
from rules.matcher import Document, Matcher
from rules.ruleset import load_rules
from storage.deliveries import OutgoingAlert


def test_alert_names_alias_and_form_found(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "entities:\n  p:\n    aliases: [Пономарёв]\nwatches:\n  - id: p\n    name: Ponomarev\n    all: [p, Belgorod]\n", encoding="utf-8")
    matcher = Matcher(load_rules(["r.yaml"], tmp_path))
    document = Document("Рейд", "По словам Пономарёва, бои идут под Belgorod.")
    (alert,) = new_alerts(document, matcher.match(document))
    assert alert.terms == ["Пономарёв («Пономарёва»)", "Belgorod"]
    assert "Пономарёва" in alert.snippet
    outgoing = OutgoingAlert(1, 1, "chat", 0, alert.watch_id, alert.watch_name, alert.terms, alert.snippet, "Рейд", "ledger",
                             "http://127.0.0.1/a", None, dt.datetime.now(dt.timezone.utc))
    assert "Matched: Пономарёв («Пономарёва»), Belgorod" in render_body(outgoing)
