"""Writing configs and rule files for tests."""
from __future__ import annotations

from pathlib import Path

import yaml

from monitor.demo import TEMPLATES

RULES = (TEMPLATES / "belgorod.yaml").read_text(encoding="utf-8")


def write_config(
    directory: Path,
    database_url: str,
    sites: dict,
    channels: dict[str, str],
    rules: str = RULES,
    notify: list[str] | None = None,
    settings: dict | None = None,
    watch_options: dict | None = None,
    **crawler: object,
) -> Path:
    """A config for the demo outlets; every watch notifies `notify` (default: every channel).

    The sample articles are from May 2023, so alerts.max_age is set far back unless `settings` says otherwise;
    `settings` adds or replaces top-level keys, `watch_options` is added to every watch.
    """
    rules_data = yaml.safe_load(rules)
    for watch in rules_data.get("watches", []):
        watch["notify"] = list(channels) if notify is None else notify
        watch.update(watch_options or {})
    (directory / "watch").mkdir(exist_ok=True)
    (directory / "watch" / "rules.yaml").write_text(yaml.safe_dump(rules_data, allow_unicode=True), encoding="utf-8")
    outlets = []
    if "chronicle" in sites:
        outlets.append({"name": "chronicle", "feeds": [sites["chronicle"].url("/feed.xml")]})
    if "ledger" in sites:
        outlets.append({"name": "ledger", "sitemaps": [sites["ledger"].url("/news-sitemap.xml")]})
    if "wire" in sites:
        outlets.append({"name": "wire", "pages": [sites["wire"].url("/world/")]})
    config = {
        "database": database_url,
        "outlets": outlets,
        "channels": channels,
        "rules": ["watch/*.yaml"],
        "crawler": {"delay": "0s", "timeout": "10s", **crawler},
        "alerts": {"max_age": "36500d"},
        "http": {"listen": "off"},  # tests that want the endpoint give a free port
        **(settings or {}),
    }
    path = directory / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
