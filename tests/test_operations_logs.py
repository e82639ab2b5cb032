"""Logs an operator can read: a summary per minute, JSON lines on request, masked secrets; config and rule edits announced."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys

import yaml

from monitor.config import load_config
from monitor.live_rules import LiveRules
from monitor.operations import Operations, summary_line
from storage.db import Database
from storage.operations import Poll
from storage.runs import record_crawl_run
from tests.helpers import write_config
from tests.test_daemon import with_admin

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.timezone.utc)
OK = {"newswatch/indexes_ok": 1}


def test_summary_line() -> None:
    polls = [
        Poll("wire", "finished", {**OK, "newswatch/articles_new": 3, "newswatch/articles_revised": 1}, []),
        Poll("ledger", "finished", {**OK, "newswatch/articles_new": 1}, [{"kind": "timeout"}]),
        Poll("chronicle", "finished", {"newswatch/indexes_ok": 0}, [{"kind": "connection_refused"}, {"kind": "timeout"}]),
    ]
    assert summary_line(polls, 2, 1) == ("last 1 min: 3 poll(s) of 3 outlet(s), 1 failed; 4 new and 1 revised article(s); "
                                         "2 alert(s) sent; errors: connection_refused 1, timeout 2")
    assert summary_line([], 0, 1) is None  # nothing happened: nothing to say


def test_the_summary_is_read_from_the_database(tmp_path, caplog) -> None:
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": "json://127.0.0.1:9/x"})
    config = load_config(path)
    db = Database(config.database_url)
    try:
        db.migrate()
        with db.session() as session:
            for minute, outlet in ((0, "wire"), (1, "wire"), (2, "ledger")):  # the third finished after the window
                record_crawl_run(session, cycle_id=f"c{minute}", outlet=outlet, started_at=T0, finished_at=T0 + minute * dt.timedelta(seconds=40),
                                 finish_reason="finished", stats={**OK, "newswatch/articles_new": 2}, errors=[])
        with caplog.at_level(logging.INFO, logger="newswatch.summary"):
            Operations(config, db, None).log_summary(T0, T0 + dt.timedelta(minutes=1))
    finally:
        db.close()
    (record,) = [r for r in caplog.records if r.name == "newswatch.summary"]
    assert record.getMessage().startswith("last 1 min: 2 poll(s) of 1 outlet(s), 0 failed; 4 new and 0 revised article(s)")


def test_json_logs_and_secrets_masked_inside_the_crawl_process(tmp_path, demo_sites) -> None:
    secret = "FeedKey-8c1f0e2d"
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {"chronicle": demo_sites["chronicle"]}, {"chat": "json://127.0.0.1:9/x"})
    data = yaml.safe_load(config.read_text())
    data["outlets"][0]["feeds"] = [demo_sites["chronicle"].url("/feed.xml?key=${FEED_KEY}")]
    config.write_text(yaml.safe_dump(data))
    env = {**os.environ, "FEED_KEY": secret, "PYTHONUNBUFFERED": "1"}
    debug = subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "-vv", "crawl", "--once"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert debug.returncode == 0, debug.stderr
    assert "feed.xml?key=***" in debug.stderr  # the crawl worker logged the URL ...
    assert secret not in debug.stderr + debug.stdout  # ... with the ${VAR} value masked

    quiet = subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-format", "json", "-v", "crawl", "--once"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    records = [json.loads(line) for line in quiet.stderr.splitlines() if line.strip()]
    assert records and all(set(r) >= {"time", "level", "logger", "message"} for r in records)
    assert not [r for r in records if r["logger"].startswith(("apscheduler", "alembic"))]  # library chatter only at -vv
    assert secret not in quiet.stderr


def test_config_edits_are_logged_and_a_fixed_rule_edit_is_announced(tmp_path, webhook, caplog) -> None:
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"ops": f"json://{webhook.netloc}/admin"})
    with_admin(path, "ops")
    config = load_config(path)
    operations = Operations(config, None, None)
    good = path.read_text()
    with caplog.at_level(logging.WARNING):
        path.write_text(good.replace("max_age: 36500d", "max_age: 30d"))
        operations.watch_config()
        operations.watch_config()  # said once per version
        path.write_text(good.replace("max_age: 36500d", "max_agee: 30d"))
        operations.watch_config()
        operations.watch_config()  # a broken version is told once
        path.write_text(good.replace("max_age: 36500d", "max_age: 31d"))
        operations.watch_config()  # fixed: told once
    messages = [r.getMessage() for r in caplog.records]
    assert sum("changed; restart or SIGHUP to apply" in m for m in messages) == 2
    assert any("changed and has errors" in m and "unknown key 'max_agee'" in m for m in messages)

    rules_file = tmp_path / "watch" / "rules.yaml"
    rules = rules_file.read_text()
    live = LiveRules(config)
    rules_file.write_text(rules.replace("any:", "anny:", 1))
    live.current()
    rules_file.write_text(rules.replace("watches:", "watches:\n- id: added\n  any: [Shebekino]\n  notify: [ops]", 1))
    with caplog.at_level(logging.WARNING):
        assert "added" in [w.id for w in live.current().watches]
        live.current()
    titles = [json.loads(body)["title"] for body in webhook.received]
    assert titles == ["newswatch: config file has errors", "newswatch: config file is fixed",
                      "newswatch: rule files have errors", "newswatch: rule files are fixed"]
    assert sum("rule files are fixed" in r.getMessage() for r in caplog.records) == 1


def test_a_refused_connection_is_one_warning_line_not_a_traceback(tmp_path) -> None:
    from tests.conftest import free_port

    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": "json://127.0.0.1:9/x"})
    data = yaml.safe_load(config.read_text())
    data["outlets"] = [{"name": "dead", "feeds": [f"http://127.0.0.1:{free_port()}/feed.xml"]}]
    config.write_text(yaml.safe_dump(data))
    run = subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "crawl", "--once"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "connection_refused" in run.stderr and "Traceback" not in run.stderr and "Gave up retrying" not in run.stderr
    debug = subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "-vv", "crawl", "--once", "--force"],
                           capture_output=True, text=True, timeout=300)
    assert "Traceback" in debug.stderr  # all of it is there at -vv


def test_json_logs_cover_the_crawl_engines_own_lines(tmp_path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": "json://127.0.0.1:9/x"})
    data = yaml.safe_load(config.read_text())
    data["outlets"] = [{"name": "refused", "feeds": ["http://127.0.0.1:9/feed.xml"]}]  # nothing listens: the engine warns
    config.write_text(yaml.safe_dump(data))
    run = subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-format", "json", "-v", "crawl", "--once"],
                         capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}, timeout=300)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, the engine's included, is one JSON object
    engine = [r for r in records if not r["logger"].startswith(("monitor", "newswatch", "storage", "root"))]
    assert engine, run.stderr  # the engine (a separate process writing to the same stderr) said something
    assert any("refused" in r["message"] for r in engine), run.stderr
