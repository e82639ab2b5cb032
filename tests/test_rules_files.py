"""Broken rule and config files: errors name the file, the line and the field."""
from pathlib import Path

import pytest

from monitor.cli import main
from newswatch.yamlsource import ConfigError
from rules.ruleset import load_rules

CONFIG = """database: sqlite:///x.db
outlets:
  - name: chronicle
    feeds: [http://127.0.0.1:9/feed.xml]
channels:
  desk: "json://127.0.0.1:9/alerts"
rules: [watch/*.yaml]
"""


def setup(tmp_path: Path, rules: str, config: str = CONFIG) -> Path:
    (tmp_path / "watch").mkdir()
    (tmp_path / "watch" / "main.yaml").write_text(rules, encoding="utf-8")
    (tmp_path / "newswatch.yaml").write_text(config, encoding="utf-8")
    return tmp_path / "newswatch.yaml"


def check(config: Path, capsys) -> tuple[int, str]:
    code = main(["--config", str(config), "rules", "check"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_valid_rules_pass(tmp_path: Path, capsys) -> None:
    config = setup(tmp_path, "watches:\n  - id: a\n    any: [Belgorod]\n    notify: [desk]\n")
    code, out = check(config, capsys)
    assert code == 0 and "1 watch(es)" in out


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path, capsys) -> None:
    config = setup(tmp_path, "watches:\n  - id: a\n    any: [Belgorod\n    notify: [desk]\n")
    code, out = check(config, capsys)
    assert code == 2
    assert "watch/main.yaml:" in out and "YAML syntax error" in out and "line 3" in out


def test_unknown_key_names_line_field_and_suggestion(tmp_path: Path, capsys) -> None:
    rules = "entities:\n  legion:\n    alias: [x]\nwatches:\n  - id: a\n    any: [legion]\n    notfy: [desk]\n"
    code, out = check(setup(tmp_path, rules), capsys)
    assert code == 2
    assert "main.yaml:3:5: entities.legion.alias: unknown key 'alias' (did you mean 'aliases'?)" in out
    assert "main.yaml:7:5: watches[0].notfy: unknown key 'notfy' (did you mean 'notify'?)" in out


def test_unknown_channel_and_duplicate_id(tmp_path: Path, capsys) -> None:
    rules = "watches:\n  - id: a\n    any: [x]\n    notify: [dsk]\n  - id: a\n    any: [y]\n"
    code, out = check(setup(tmp_path, rules), capsys)
    assert code == 2
    assert "main.yaml:4:14: watches[0].notify[0]: unknown channel 'dsk' (did you mean 'desk'?)" in out
    assert "main.yaml:5:5: watches[1].id: watch id 'a' is already used at" in out


def test_watch_without_terms(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("watches:\n  - id: a\n    none: [x]\n")
    with pytest.raises(ConfigError) as error:
        load_rules(["*.yaml"], tmp_path)
    assert "r.yaml:2:5: watches[0]: a watch needs at least one term in `all` or `any`" in str(error.value)


def test_glob_matching_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no rule file matches 'nothing/\\*.yaml'"):
        load_rules(["nothing/*.yaml"], tmp_path)


def test_config_errors_name_line_and_field(tmp_path: Path, capsys) -> None:
    bad = CONFIG.replace("    feeds: [http://127.0.0.1:9/feed.xml]", "    feeds: [ftp://x/feed.xml]\n    evry: 5m")
    code, out = check(setup(tmp_path, "watches: []\n", bad), capsys)
    assert code == 2
    assert "newswatch.yaml:4:13: outlets[0].feeds[0]: expected an http:// or https:// URL" in out
    assert "newswatch.yaml:5:5: outlets[0].evry: unknown key 'evry' (did you mean 'every'?)" in out


def test_bad_duration_and_duplicate_key(tmp_path: Path, capsys) -> None:
    bad = CONFIG.replace("rules: [watch/*.yaml]", "rules: [watch/*.yaml]\ncrawler:\n  timeout: ten seconds\n  timeout: 5s")
    code, out = check(setup(tmp_path, "watches: []\n", bad), capsys)
    assert code == 2
    assert "newswatch.yaml:10:3: crawler.timeout: key given twice (first on line 9)" in out


def test_missing_environment_variable(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("NW_TEST_TOKEN", raising=False)
    bad = CONFIG.replace('"json://127.0.0.1:9/alerts"', '"json://127.0.0.1:9/alerts?token=${NW_TEST_TOKEN}"')
    code, out = check(setup(tmp_path, "watches: []\n", bad), capsys)
    assert code == 2 and "channels.desk: environment variable NW_TEST_TOKEN is not set" in out


def test_missing_config_file(tmp_path: Path, capsys) -> None:
    code, out = check(tmp_path / "absent.yaml", capsys)
    assert code == 2 and "absent.yaml: file not found" in out
