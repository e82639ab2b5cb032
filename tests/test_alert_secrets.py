"""No secret of a channel URL reaches logs (any level), command output or stored errors — custom headers included."""
from __future__ import annotations

import logging

from sqlalchemy import select

from monitor.cli import main
from monitor.config import load_config
from monitor.matching import match_pending
from rules.matcher import Matcher
from storage.db import Database
from storage.models import Delivery
from tests.alerting import archive, page
from tests.conftest import free_port
from tests.helpers import write_config
from tests.receivers import FlakyReceiver
from tests.story_texts import RAID

HEADER_SECRET = "Hdr5ecretValue42xyz"
QUERY_SECRET = "QueryT0kenValue987"
ENV_SECRET = "EnvS3cretFromShell77"
PASSWORD = "PassW0rdInUrl55"


def test_no_secret_in_logs_at_any_level(tmp_path, monkeypatch, capfd, caplog) -> None:
    monkeypatch.setenv("NW_TEST_TOKEN", ENV_SECRET)
    up, down = FlakyReceiver().start(), FlakyReceiver().start()
    down.mode = "status"
    closed = free_port()
    channels = {
        "headers": f"json://{up.netloc}/hook?+X-Token={HEADER_SECRET}&+X-Env=${{NW_TEST_TOKEN}}",
        "query": f"json://{down.netloc}/hook?token={QUERY_SECRET}",
        "login": f"json://admin:{PASSWORD}@127.0.0.1:{closed}/hook?+Authorization=Bearer%20{ENV_SECRET}",
    }
    database = f"sqlite:///{tmp_path / 'a.db'}"
    path = write_config(tmp_path, database, {}, channels)
    caplog.set_level(logging.DEBUG)
    try:
        config = load_config(path)
        db = Database(database)
        try:
            db.migrate()
            archive(db, page("wire", "/raid", RAID))
            match_pending(db, Matcher(config.load_rules()))
        finally:
            db.close()
        assert main(["-vv", "--config", str(path), "crawl", "--once"]) == 0
        for name in channels:
            main(["-vv", "--config", str(path), "alerts", "test", name])
        assert main(["-vv", "--config", str(path), "alerts", "list"]) == 0
    finally:
        up.stop()
        down.stop()
    out, err = capfd.readouterr()
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "failed" in out and "DEBUG" in err  # the failures were reported, and debug logging was on
    assert up.received and up.headers[0]["X-Token"] == HEADER_SECRET and up.headers[0]["X-Env"] == ENV_SECRET  # sent for real
    for secret in (HEADER_SECRET, QUERY_SECRET, ENV_SECRET, PASSWORD):
        assert secret not in out and secret not in err and secret not in logged
    db = Database(database)
    try:
        with db.session() as session:
            errors = [e for e in session.scalars(select(Delivery.last_error)) if e]
    finally:
        db.close()
    assert errors and not any(s in e for e in errors for s in (HEADER_SECRET, QUERY_SECRET, ENV_SECRET, PASSWORD))


def test_apprise_debug_lines_are_masked_too(tmp_path, monkeypatch, caplog) -> None:
    from monitor.delivery import send_alert
    from newswatch.secrets import install_log_masking
    from tests.test_alert_messages import outgoing

    install_log_masking()
    monkeypatch.setenv("NW_TEST_TOKEN", ENV_SECRET)
    receiver = FlakyReceiver().start()
    receiver.mode = "status"
    channels = {"headers": f"json://{receiver.netloc}/hook?+X-Token={HEADER_SECRET}&token=${{NW_TEST_TOKEN}}"}
    config = load_config(write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, channels))
    monkeypatch.setattr(logging.getLogger("apprise"), "level", logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        error = send_alert(outgoing(channel="headers"), config.settings.channels["headers"])
    finally:
        receiver.stop()
    assert error and "500" in error
    debug = [r.getMessage() for r in caplog.records if r.name.startswith("apprise") and r.levelno == logging.DEBUG]
    assert any("***" in line for line in debug)  # apprise really logged the URL's secrets, masked
    assert not any(s in line for line in debug + [caplog.text, error] for s in (HEADER_SECRET, ENV_SECRET))
