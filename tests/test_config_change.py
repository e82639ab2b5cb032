"""What a SIGHUP reload changes, from two versions of a config file (monitor/config_change.py)."""
from __future__ import annotations

from pathlib import Path

import yaml

from monitor.config import load_config
from monitor.config_change import config_change


def _config(folder: Path, name: str, data: dict):
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_config(path)


def test_outlets_added_removed_changed_channels_and_restart_only_keys(tmp_path: Path) -> None:
    base = {
        "database": f"sqlite:///{tmp_path / 'a.db'}",
        "outlets": [{"name": "north", "feeds": ["http://127.0.0.1:1/n.xml"], "every": "1m"},
                    {"name": "south", "feeds": ["http://127.0.0.1:1/s.xml"], "every": "1m"},
                    {"name": "east", "feeds": ["http://127.0.0.1:1/e.xml"], "every": "1m"}],
        "channels": {"chat": "json://127.0.0.1:1/a", "ops": "json://127.0.0.1:1/b"},
        "crawler": {"contact": "t@example.org"},
    }
    old = _config(tmp_path, "old.yaml", base)
    edited = dict(base, outlets=[base["outlets"][0], dict(base["outlets"][1], every="5m"),
                                 {"name": "west", "feeds": ["http://127.0.0.1:1/w.xml"]}],
                  channels={"chat": "json://127.0.0.1:1/changed", "ops": "json://127.0.0.1:1/b"},
                  crawler={"contact": "t@example.org", "delay": "3s"})
    change = config_change(old, _config(tmp_path, "new.yaml", edited))
    assert (change.added, change.removed, change.changed) == (["west"], ["east"], ["south"])
    assert change.channels == ["chat"] and change.restart_only == ["crawler"]
    assert change.describe() == "outlets added: west; outlets removed: east; outlets changed: south; channels changed: chat"
    same = config_change(old, _config(tmp_path, "same.yaml", base))
    assert same.describe() == "no outlet or channel changed" and same.restart_only == []
