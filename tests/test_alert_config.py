"""Alerting options are validated strictly: unknown keys, bad values and unknown channels name file and line."""
from __future__ import annotations

import pytest

from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.schedule import build_scheduler
from newswatch.yamlsource import ConfigError
from tests.helpers import write_config


def _config(tmp_path, channels=None, settings=None, watch_options=None):
    return write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, channels or {"chat": "json://127.0.0.1:9/x"},
                        settings=settings, watch_options=watch_options)


def test_channel_mapping_and_alert_settings_load(tmp_path) -> None:
    (tmp_path / "tpl").mkdir()
    path = _config(tmp_path, {"chat": "json://127.0.0.1:9/x", "desk": {"url": "mailto://127.0.0.1:25?to=a@example.org&from=nw@example.org",
                                                                       "max_length": 5000, "format": "text", "timeout": "5s"}},
                   settings={"alerts": {"max_age": "2d", "templates": "tpl"}, "delivery": {"max_attempts": 3, "backoff": "10s"}},
                   watch_options={"followups": "each", "cooldown": "30m", "max_age": "12h", "digest": {"desk": "hourly"}})
    config = load_config(path)
    desk = config.settings.channels["desk"]
    assert (desk.max_length, desk.format, desk.timeout.total_seconds()) == (5000, "text", 5)
    assert config.settings.channels["chat"].url == "json://127.0.0.1:9/x"
    assert config.settings.alerts.template_dir(config.base_dir) == str(tmp_path / "tpl")
    watch = config.load_rules().watches[0]
    assert (watch.followups, watch.cooldown.total_seconds(), watch.max_age.total_seconds()) == ("each", 1800, 43200)
    assert watch.digest["desk"].total_seconds() == 3600


@pytest.mark.parametrize(("settings", "expected"), [
    ({"channels": {"chat": {"url": "json://127.0.0.1:9/x", "max_lenght": 2000}}}, "max_lenght"),
    ({"channels": {"chat": {"url": "json://127.0.0.1:9/x", "max_length": 50}}}, "max_length"),
    ({"delivery": {"max_attempts": 0}}, "max_attempts"),
    ({"alerts": {"max_age": "soon"}}, "max_age"),
])
def test_bad_config_options_are_errors(tmp_path, settings, expected) -> None:
    path = _config(tmp_path, settings=settings)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "newswatch.yaml:" in str(error.value) and expected in str(error.value)


@pytest.mark.parametrize(("options", "expected"), [
    ({"followups": "sometimes"}, "followups"),
    ({"followups": True}, "followups"),
    ({"cooldown": "0s"}, "cooldown"),
    ({"digest": {"desk": "daily"}}, "not in notify"),
    ({"digest": {"chat": "10s"}}, "at least 1m"),
])
def test_bad_watch_options_are_errors(tmp_path, options, expected) -> None:
    path = _config(tmp_path, watch_options=options)
    with pytest.raises(ConfigError) as error:
        load_config(path).load_rules()
    assert "rules.yaml:" in str(error.value) and expected in str(error.value)


def test_delivery_runs_as_its_own_job_on_its_own_thread(tmp_path) -> None:
    path = _config(tmp_path, settings={"delivery": {"every": "20s"}})
    scheduler = build_scheduler(Daemon(load_config(path), db=None))
    job = scheduler.get_job("deliveries")
    assert job.executor == "delivery" and job.trigger.interval.total_seconds() == 20
    executors = {other.id: other.executor for other in scheduler.get_jobs()}
    assert [name for name, executor in executors.items() if executor == "delivery"] == ["deliveries"]
    assert executors["rules"] == "rules"  # the rule-file check never waits behind polls or delivery


def test_template_folder_is_checked_at_load(tmp_path) -> None:
    path = _config(tmp_path, settings={"alerts": {"templates": "tpl"}})
    with pytest.raises(ConfigError, match="template folder .*tpl does not exist"):
        load_config(path)
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "stroy.txt.mako").write_text("${title}\n", encoding="utf-8")
    (tmp_path / "tpl" / "digest.md.mako").write_text("% for x in items:\n${x}\n", encoding="utf-8")  # no % endfor
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "newswatch.yaml:" in message and "alerts.templates" in message
    assert "unknown template stroy.txt.mako (did you mean 'story.txt.mako'?)" in message
    assert "template digest.md.mako does not compile" in message
    (tmp_path / "tpl" / "stroy.txt.mako").rename(tmp_path / "tpl" / "story.txt.mako")
    (tmp_path / "tpl" / "digest.md.mako").unlink()
    assert load_config(path).settings.alerts.templates == "tpl"
