"""`newswatch run`: scheduled cycles under APScheduler, live rule reloads, clean stop on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from monitor.config import load_config
from monitor.live_rules import LiveRules
from tests.helpers import write_config


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def with_admin(config: Path, channel: str) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["admin"] = [channel]
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def admin_messages(webhook) -> list[str]:
    return [m["message"] for m in map(json.loads, webhook.received) if m["title"] == "newswatch: rule files have errors"]


def test_daemon_crawls_alerts_and_stops_on_sigterm(tmp_path: Path, demo_sites, webhook) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", demo_sites, {"chat": f"json://{webhook.netloc}/x"})
    with_admin(config, "chat")
    log = tmp_path / "daemon.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        assert wait_for(lambda: len(webhook.received) >= 10, 90), "the daemon's first cycles delivered no alerts"
        time.sleep(1)
        assert len(webhook.received) == 10  # 9 story alerts + the ponomarev watch's follow-up on chronicle's copy of a wire story
        # a broken edit reaches the admin channel within seconds (the rule files are checked every 2 s)
        (tmp_path / "watch" / "rules.yaml").write_text("watches:\n  - id: broken\n    any: [{re: '(x'}]\n", encoding="utf-8")
        edited = time.monotonic()
        assert wait_for(lambda: admin_messages(webhook), 15), "no admin message about the broken rules"
        assert time.monotonic() - edited < 10  # polled every 2 s; generous for a busy machine
        time.sleep(3)
        (message,) = admin_messages(webhook)  # once, not every poll
        assert "rules.yaml:3:12: watches[0].any[0].re: bad regular expression: missing ): (x" in message
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    err = log.read_text()
    assert "newswatch daemon started: 3 outlet(s)" in err
    assert "rule files have errors; keeping the last good rules" in err and "rules.yaml:3:12" in err
    assert "Traceback" not in err and "apscheduler" not in err  # no library chatter at the default level


def test_live_rules_reload_and_keep_last_good(tmp_path: Path, demo_sites) -> None:
    config_path = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", demo_sites, {"chat": "json://127.0.0.1:9/x"})
    rules_file = tmp_path / "watch" / "rules.yaml"
    live = LiveRules(load_config(config_path))
    assert [w.id for w in live.current().watches] == ["belgorod-raid", "ponomarev"]

    data = yaml.safe_load(rules_file.read_text(encoding="utf-8"))
    data["watches"].append({"id": "shebekino", "any": ["Shebekino"], "notify": ["chat"]})
    rules_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert [w.id for w in live.current().watches] == ["belgorod-raid", "ponomarev", "shebekino"]

    rules_file.write_text("watches:\n  - id: broken\n    any: [x\n", encoding="utf-8")
    assert [w.id for w in live.current().watches] == ["belgorod-raid", "ponomarev", "shebekino"]


def test_broken_edit_is_told_to_the_admin_channel_once_per_version(tmp_path: Path, demo_sites, webhook) -> None:
    config_path = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", demo_sites,
                               {"chat": "json://127.0.0.1:9/x", "ops": f"json://{webhook.netloc}/admin"})
    with_admin(config_path, "ops")
    rules_file = tmp_path / "watch" / "rules.yaml"
    good = rules_file.read_text(encoding="utf-8")
    live = LiveRules(load_config(config_path))

    rules_file.write_text(good.replace("any:", "anny:", 1), encoding="utf-8")
    assert [w.id for w in live.current().watches] == ["belgorod-raid", "ponomarev"]
    assert [w.id for w in live.current().watches] == ["belgorod-raid", "ponomarev"]
    (message,) = admin_messages(webhook)
    assert "unknown key 'anny' (did you mean 'any'?)" in message and "keeps using the last good rules" in message

    rules_file.write_text(good, encoding="utf-8")  # fixed: nothing to tell
    live.current()
    rules_file.write_text(good.replace("any:", "anny:", 1), encoding="utf-8")  # the same mistake again is told again
    live.current()
    assert len(admin_messages(webhook)) == 2
