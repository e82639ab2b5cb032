"""The daemon as a service: one per database, /healthz, /readyz and /metrics (parsed with prometheus-client)."""
from __future__ import annotations

import socket
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import free_port
from tests.daemons import Daemon, wait_for
from tests.helpers import write_config


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text) for sample in family.samples
    }


def test_one_daemon_per_database_and_its_metrics(tmp_path, database_url, demo_sites, webhook) -> None:
    port = free_port()
    config = write_config(tmp_path, database_url, demo_sites, {"chat": f"json://{webhook.netloc}/x"},
                          settings={"http": {"listen": f"127.0.0.1:{port}"}, "delivery": {"every": "1s"}})
    first = Daemon(config, tmp_path / "first.log")
    try:
        assert first.started(), first.output()
        assert wait_for(lambda: len(webhook.received) >= 10, 90), first.output()
        assert get(port, "/healthz") == (200, "ok\n")
        assert get(port, "/readyz") == (200, "ready\n")
        assert get(port, "/nothing")[0] == 404

        def settled() -> bool:  # every outlet's first crawl recorded (articles can be matched before their crawl ends)
            now = samples(get(port, "/metrics")[1])
            return now.get(("newswatch_alerts_sent_total", (("channel", "chat"),))) == 10 and all(
                now.get(("newswatch_outlet_last_success_timestamp_seconds", (("outlet", o),)), 0) > 0 for o in demo_sites)

        assert wait_for(settled, 30)
        metrics = samples(get(port, "/metrics")[1])

        second = Daemon(config, tmp_path / "second.log")
        assert second.process.wait(60) == 3
        refusal = second.output()
        assert f"another newswatch daemon already runs on this database: pid {first.process.pid} on {socket.gethostname()}, " \
               "running since 20" in refusal and "Traceback" not in refusal
        assert first.process.poll() is None

        first.kill()  # the lock dies with its holder: the next daemon starts at once
        third = Daemon(config, tmp_path / "third.log")
        try:
            assert third.started(), third.output()
        finally:
            assert third.stop() == 0
    finally:
        first.kill()
    for outlet, articles in (("chronicle", 5), ("ledger", 4), ("wire", 4)):
        assert metrics[("newswatch_polls_total", (("outlet", outlet),))] >= 1
        assert metrics[("newswatch_articles_new_total", (("outlet", outlet),))] == articles
        assert metrics[("newswatch_articles_revised_total", (("outlet", outlet),))] == 0
        assert metrics[("newswatch_outlet_last_success_timestamp_seconds", (("outlet", outlet),))] > 1.7e9
        assert metrics[("newswatch_outlet_error_streak", (("outlet", outlet),))] == 0
    assert metrics[("newswatch_alerts_failed", (("channel", "chat"),))] == 0
    assert metrics[("newswatch_outbox_depth", (("channel", "chat"), ("status", "pending")))] == 0
    assert metrics[("newswatch_rule_reloads_total", ())] == 0
    assert metrics[("newswatch_engine_restarts_total", ())] == 0


def test_a_taken_port_does_not_stop_the_daemon(tmp_path, webhook) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": f"json://{webhook.netloc}/x"},
                              settings={"http": {"listen": f"127.0.0.1:{port}"}})
        daemon = Daemon(config, tmp_path / "d.log")
        try:
            assert daemon.started(), daemon.output()
            assert wait_for(lambda: f"cannot listen on 127.0.0.1:{port} (http.listen)" in daemon.output(), 10)
        finally:
            assert daemon.stop() == 0


def test_readyz_says_what_is_not_ready(tmp_path) -> None:
    from monitor.config import load_config
    from monitor.daemon import Daemon as RunningDaemon
    from monitor.http_endpoint import HttpEndpoint
    from monitor.operations import Operations
    from storage.db import Database

    config = load_config(write_config(tmp_path, f"postgresql://nw:pw1234@127.0.0.1:{free_port()}/x", {}, {"chat": "json://127.0.0.1:9/x"}))
    db = Database(config.database_url)
    operations = Operations(config, db, RunningDaemon(config, db))  # rules loaded; no scheduler started; no database
    endpoint = HttpEndpoint(("127.0.0.1", 0))
    for path, route in operations.routes().items():
        endpoint.add_route(path, route)
    endpoint.start()
    try:
        status, body = get(endpoint.port, "/readyz")
        assert get(endpoint.port, "/healthz") == (200, "ok\n")
    finally:
        endpoint.stop()
        db.close()
    assert status == 503 and body.startswith("not ready: database unreachable (OperationalError: ")
    assert body.rstrip().endswith("; scheduler not running") and "pw1234" not in body
