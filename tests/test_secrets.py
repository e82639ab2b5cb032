"""Secrets in channel URLs never reach logs, error output or stored errors."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from monitor.cli import main
from newswatch.secrets import SecretMasker, redact_url, secret_parts
from storage.db import Database
from storage.models import Delivery
from tests.conftest import free_port
from tests.helpers import write_config

PASSWORD = "S3cretPassw0rd"
TOKEN = "T0kenValue123456789"


def test_secret_parts_of_common_urls() -> None:
    assert {"user", PASSWORD} <= secret_parts(f"mailto://user:{PASSWORD}@mail.example.org?to=a@example.org")
    assert TOKEN in secret_parts(f"json://hooks.example.org/x?+X-Api-Key={TOKEN}")
    assert "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" in secret_parts("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100")
    assert redact_url(f"mailto://user:{PASSWORD}@mail.example.org?to=a@example.org") == "mailto://mail.example.org/…"


def test_masker_masks_longest_first() -> None:
    masker = SecretMasker()
    masker.add("abc123", "abc123456")
    assert masker.mask("x abc123456 y abc123") == "x *** y ***"


def test_no_secret_in_logs_output_or_database(tmp_path: Path, demo_sites, capfd) -> None:
    closed = free_port()
    channels = {
        "chat": f"json://admin:{PASSWORD}@127.0.0.1:{closed}/hook?token={TOKEN}",
        "api": f"json://127.0.0.1:{closed}/x?+X-Api-Key={TOKEN}",
    }
    database = f"sqlite:///{tmp_path / 'a.db'}"
    config = write_config(tmp_path, database, {"wire": demo_sites["wire"]}, channels)
    assert main(["-vv", "--config", str(config), "crawl", "--once"]) == 0
    out, err = capfd.readouterr()
    assert "failed" in err  # the failures were reported...
    for secret in (PASSWORD, TOKEN):
        assert secret not in out and secret not in err  # ...without the secrets
    db = Database(database)
    try:
        with db.session() as s:
            errors = [e for e in s.scalars(select(Delivery.last_error)) if e]
    finally:
        db.close()
    assert errors and not any(PASSWORD in e or TOKEN in e for e in errors)
