"""Who may open the web view: loopback binds are open, other binds need `web.token`; 401 without it, 200 with it.

`newswatch web` and `newswatch run` are started as real processes; the refusal off loopback is
checked with 0.0.0.0, which the command must refuse before it binds anything.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from monitor.cli import main
from monitor.config import load_config
from monitor.web.access import authorised, host_allowed, is_loopback, local_path, session_value, start_refusal
from newswatch.secrets import MASKER
from newswatch.yamlsource import ConfigError
from tests.conftest import free_port
from tests.daemons import Daemon, wait_for
from tests.helpers import write_config
from tests.webview import TOKEN, get

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.org", False), ("", False),
])
def test_loopback_is_127_0_0_0_8_and_ipv6_one(host, loopback) -> None:
    assert is_loopback(host) is loopback
    assert (start_refusal(host, None) is None) is loopback
    assert start_refusal(host, TOKEN) is None


def test_the_token_rule_as_plain_functions() -> None:
    assert authorised(None, None, None, None, feed=False)
    assert not authorised(TOKEN, None, None, None, feed=False)
    assert authorised(TOKEN, f"Bearer {TOKEN}", None, None, feed=False)
    assert not authorised(TOKEN, "Bearer wrong-token-wrong-token", None, None, feed=False)
    assert authorised(TOKEN, None, session_value(TOKEN), None, feed=False)
    assert not authorised(TOKEN, None, TOKEN, None, feed=False)  # the cookie holds a value derived from the token, not it
    assert authorised(TOKEN, None, None, TOKEN, feed=True) and not authorised(TOKEN, None, None, TOKEN, feed=False)
    assert host_allowed("localhost:8040", None) and host_allowed("127.0.0.1", None) and not host_allowed("evil.example", None)
    assert host_allowed("evil.example", TOKEN)
    assert local_path("/search?q=x") == "/search?q=x" and local_path("//evil.example/") == "/" and local_path("http://x/") == "/"


def _config(tmp_path: Path, web: dict | None, listen: str = "off") -> Path:
    return write_config(tmp_path, f"sqlite:///{tmp_path / 'archive.db'}", {}, {},
                        settings={"http": {"listen": listen}, **({"web": web} if web is not None else {})})


def test_web_token_is_validated_at_load(tmp_path, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="web.token must be at least 16"):
        load_config(_config(tmp_path, {"token": "short"}))
    with pytest.raises(ConfigError, match="tokn"):
        load_config(_config(tmp_path, {"tokn": TOKEN}))
    monkeypatch.setenv("NW_WEB_TOKEN", "from-the-environment-123")
    config = load_config(_config(tmp_path, {"token": "${NW_WEB_TOKEN}"}))
    assert config.settings.web.token == "from-the-environment-123"
    assert "from-the-environment-123" not in MASKER.mask("token from-the-environment-123 leaked")


def test_web_refuses_to_start_off_loopback_without_a_token(tmp_path, capsys) -> None:
    config = _config(tmp_path, None)
    port = free_port()
    started = time.monotonic()
    assert main(["--config", str(config), "web", "--listen", f"0.0.0.0:{port}"]) == 2
    assert time.monotonic() - started < 10
    error = capsys.readouterr().err
    assert "refusing to serve the web view on 0.0.0.0 without a token" in error and "web.token" in error
    with socket.socket() as probe:  # nothing was bound
        probe.bind(("0.0.0.0", port))
    assert not (tmp_path / "archive.db").exists()  # refused before the database was touched


def _web(config: Path, port: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config), "web", "--listen", f"127.0.0.1:{port}"],
                                stdout=out, stderr=out, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_newswatch_web_with_a_token_answers_401_without_it_and_200_with_it(tmp_path) -> None:
    config = _config(tmp_path, {"token": TOKEN})
    port = free_port()
    log = tmp_path / "web.log"
    process = _web(config, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: "web view on http://127.0.0.1" in log.read_text() or process.poll() is not None, 60), log.read_text()
        assert process.poll() is None, log.read_text()
        for path in ("/", "/search?q=x", "/alerts", "/outlets", "/rules/test", "/stories/1", "/articles/1"):
            denied = get(base + path)
            assert denied.status == 401 and 'name="token"' in denied.text, path
            assert denied.headers["www-authenticate"].startswith("Bearer")
        assert get(base + "/", {"Authorization": f"Bearer {TOKEN}"}).status == 200
        assert get(base + "/", {"Authorization": "Bearer not-the-token-at-all"}).status == 401
        assert get(base + "/feeds/all.atom").status == 401
        assert get(base + f"/feeds/all.atom?token={TOKEN}").status == 200
        assert get(base + "/?token=" + TOKEN).status == 401  # only feeds take the token in the URL
        assert get(base + "/static/style.css").status == 200  # the login page needs its stylesheet
        wrong = get(base + "/login", FORM, b"token=nope&next=/outlets")
        assert wrong.status == 401 and "not the right one" in wrong.text and "set-cookie" not in wrong.headers
        login = get(base + "/login", FORM, f"token={TOKEN}&next=/outlets".encode())
        assert login.status == 303 and login.headers["location"] == "/outlets"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
        assert get(base + "/outlets", {"Cookie": cookie.split(";")[0]}).status == 200
        assert get(base + "/evil", {"Cookie": cookie.split(";")[0]}).status == 404
        assert get(base + "/login", FORM, f"token={TOKEN}&next=//evil.example/".encode()).headers["location"] == "/"
        # a name other than localhost in Host is fine with a token (the token is the guard)
        assert get(base + "/", {"Authorization": f"Bearer {TOKEN}", "Host": "news.example"}).status == 200
    finally:
        process.terminate()
        assert process.wait(20) == 0
    assert TOKEN not in log.read_text()


def test_run_serves_the_view_beside_healthz_and_needs_the_token(tmp_path, demo_sites, webhook) -> None:
    port = free_port()
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'archive.db'}", demo_sites, {"chat": f"json://{webhook.netloc}/x"},
                          settings={"http": {"listen": f"127.0.0.1:{port}"}, "web": {"token": TOKEN}})
    daemon = Daemon(config, tmp_path / "run.log")
    base = f"http://127.0.0.1:{port}"
    try:
        assert daemon.started(), daemon.output()
        assert wait_for(lambda: len(webhook.received) >= 10, 90), daemon.output()
        assert get(base + "/healthz").text == "ok\n"  # probes need no token
        assert get(base + "/").status == 401
        dashboard = get(base + "/", {"Authorization": f"Bearer {TOKEN}"})
        assert dashboard.status == 200 and "Ilya Ponomarev" in dashboard.text
        assert get(base + f"/feeds/watch/ponomarev.atom?token={TOKEN}").status == 200
    finally:
        assert daemon.stop() == 0


def test_run_off_loopback_without_a_token_keeps_probes_and_leaves_the_view_out(tmp_path) -> None:
    config = _config(tmp_path, None, listen=f"0.0.0.0:{free_port()}")
    data = yaml.safe_load(config.read_text())
    port = int(data["http"]["listen"].rsplit(":", 1)[1])
    daemon = Daemon(config, tmp_path / "run.log")
    try:
        assert daemon.started(), daemon.output()
        assert wait_for(lambda: "refusing to serve the web view on 0.0.0.0" in daemon.output(), 10), daemon.output()
        assert get(f"http://127.0.0.1:{port}/healthz").text == "ok\n"
        assert get(f"http://127.0.0.1:{port}/").status == 404
    finally:
        assert daemon.stop() == 0
