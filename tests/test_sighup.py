"""SIGHUP reloads the config of a running `newswatch run` (a real process): outlets added and removed, a broken edit kept out."""
from __future__ import annotations

import json
import signal
from pathlib import Path

import yaml

from tests.daemons import Daemon, wait_for
from tests.receivers import FlakyReceiver
from tests.test_kill9 import StoryFarm, write_config


def test_sighup_adds_and_removes_outlets_and_keeps_the_running_config_on_a_broken_edit(tmp_path: Path, monkeypatch) -> None:
    secret = "LateKey-5d2a9c71"
    monkeypatch.setenv("LATE_KEY", secret)
    farm = StoryFarm().start()
    receiver = FlakyReceiver().start()
    try:
        for outlet in ("north", "north", "late", "late"):
            farm.add_article(outlet)  # articles 1 and 2 of each: 2 mentions Zephyrtown
        path = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", farm, receiver)  # type: ignore[arg-type]
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        config["outlets"] = [farm.outlet_config("north", "1s")]
        config["admin"] = ["hook"]
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

        def titles() -> list[str]:
            return [json.loads(body)["title"] + " " + json.loads(body)["message"] for body in receiver.received]

        daemon = Daemon(path, tmp_path / "daemon.log", "-vv")  # -vv: the engine logs every URL it fetches
        try:
            assert daemon.started(), daemon.output()
            assert wait_for(lambda: any("report-north-2" in t for t in titles()), 60), daemon.output()
            assert "late" not in farm.feed_requests

            late_outlet = farm.outlet_config("late", "1s")
            late_outlet["feeds"] = [late_outlet["feeds"][0] + "?key=${LATE_KEY}"]  # a secret the running engine did not know
            config["outlets"].append(late_outlet)
            path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            daemon.process.send_signal(signal.SIGHUP)
            assert wait_for(lambda: any("report-late-2" in t for t in titles()), 60), daemon.output()
            assert "config reloaded from" in daemon.output() and "outlets added: late" in daemon.output()
            assert "the config has new secrets for the engine to mask" in daemon.output()
            assert "feed.xml?key=***" in daemon.output()

            broken = dict(config, outlets=[*config["outlets"], {"name": "bad", "feedz": ["http://127.0.0.1:9/"]}])
            path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
            daemon.process.send_signal(signal.SIGHUP)
            assert wait_for(lambda: any("config file has errors" in t for t in titles()), 30), daemon.output()
            assert "keeping the running config" in daemon.output() and "feedz" in daemon.output()

            config["outlets"] = [late_outlet]  # north removed
            path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            daemon.process.send_signal(signal.SIGHUP)
            assert wait_for(lambda: "outlets removed: north" in daemon.output(), 30), daemon.output()
            polls = farm.feed_requests["north"]
            late = farm.feed_requests["late"]
            assert wait_for(lambda: farm.feed_requests["late"] >= late + 3, 30)
            assert farm.feed_requests["north"] <= polls + 1  # at most a poll already under way
            assert daemon.process.poll() is None
        finally:
            code = daemon.stop()
        assert code == 0
        assert secret not in daemon.output()
    finally:
        farm.stop()
        receiver.stop()
