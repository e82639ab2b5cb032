"""Rule mistakes people make, and the errors they get: file:line:col, the field, and a suggestion."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from newswatch.yamlsource import ConfigError
from rules.ruleset import load_rules
from tests.test_rules_files import CONFIG, check, setup


def problems(tmp_path: Path, rules: str, channels: set[str] | None = None, outlets: set[str] | None = None) -> str:
    (tmp_path / "r.yaml").write_text(rules, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_rules(["r.yaml"], tmp_path, channels, outlets)
    return str(error.value)


def test_unknown_key_inside_a_term(tmp_path: Path) -> None:
    out = problems(tmp_path, "watches:\n  - id: a\n    any:\n      - near: [x, y]\n        wihtin: 3\n")
    assert "r.yaml:5:9: watches[0].any[0].wihtin: unknown key 'wihtin' (did you mean 'within'?)" in out


def test_unknown_kind_of_term(tmp_path: Path) -> None:
    out = problems(tmp_path, "watches:\n  - id: a\n    any:\n      - regex: 'x+'\n")
    assert "r.yaml:4:9: watches[0].any[0].regex: unknown key 'regex' (did you mean 're'?)" in out


def test_unknown_entity_reference(tmp_path: Path) -> None:
    rules = "entities:\n  ponomarev:\n    aliases: [Ponomarev]\nwatches:\n  - id: a\n    any: [{entity: ponomarew}]\n  - id: b\n    any: [ponomarv]\n"
    out = problems(tmp_path, rules)
    assert "r.yaml:6:12: watches[0].any[0].entity: unknown entity 'ponomarew' (did you mean 'ponomarev'?)" in out
    assert ("r.yaml:8:11: watches[1].any[0]: 'ponomarv' is not an entity (did you mean 'ponomarev'?); "
            "to look for the word itself write {phrase: ponomarv}") in out


def test_bad_patterns_are_load_errors(tmp_path: Path) -> None:
    rules = ("entities:\n  p:\n    patterns: ['(unclosed']\nwatches:\n  - id: a\n    any:\n"
             "      - re: '(?<!not )Belgorod'\n      - p\n")
    out = problems(tmp_path, rules)
    assert "r.yaml:3:16: entities.p.patterns[0]: bad regular expression: missing ): (unclosed" in out
    assert ("r.yaml:7:9: watches[0].any[0].re: bad regular expression: invalid perl operator: (?<! "
            "(RE2 runs in linear time, so it has no look-around and no back-references)") in out


def test_bad_wildcards_and_empty_aliases(tmp_path: Path) -> None:
    out = problems(tmp_path, "entities:\n  e:\n    aliases: ['Бел*город', 'Б*', '«»']\nwatches:\n  - id: a\n    any: [e]\n")
    assert "r.yaml:3:15: entities.e.aliases[0]: a wildcard `*` may only end a word" in out
    assert "r.yaml:3:28: entities.e.aliases[1]: a wildcard needs at least 3 letters before `*` (got 'Б*')" in out
    assert "r.yaml:3:34: entities.e.aliases[2]: an alias needs at least one letter or digit" in out


def test_unknown_field_and_bad_within(tmp_path: Path) -> None:
    out = problems(tmp_path, "watches:\n  - id: a\n    any:\n      - {any: [x], in: [titel]}\n      - {near: [x, y], within: 0}\n")
    assert "watches[0].any[0].in[0]: unknown field 'titel' (did you mean 'title'?)" in out
    assert "r.yaml:5:24: watches[0].any[1].within: `within` is a number of words from 1 to 1000 (got 0)" in out


def test_unknown_watch_key_and_field_scope(tmp_path: Path) -> None:
    out = problems(tmp_path, "watches:\n  - id: a\n    any: [x]\n    min_mention: 2\n    in: [body]\n")
    assert "r.yaml:4:5: watches[0].min_mention: unknown key 'min_mention' (did you mean 'min_mentions'?)" in out
    assert "watches[0].in[0]: Input should be 'title', 'lead', 'text', 'url' or 'author' (got 'body')" in out


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("entities:\n  e:\n    aliases: [x]\nwatches:\n  - id: w\n    any: [e]\n")
    (tmp_path / "b.yaml").write_text("entities:\n  e:\n    aliases: [y]\nwatches:\n  - id: w\n    any: [y]\n")
    with pytest.raises(ConfigError) as error:
        load_rules(["*.yaml"], tmp_path)
    out = str(error.value)
    assert f"b.yaml:2:3: entities.e: entity 'e' is already defined at {tmp_path / 'a.yaml'}:2" in out
    assert f"b.yaml:5:5: watches[0].id: watch id 'w' is already used at {tmp_path / 'a.yaml'}:5" in out


def test_unknown_outlet_and_channel(tmp_path: Path) -> None:
    out = problems(tmp_path, "watches:\n  - id: a\n    any: [x]\n    outlets: [ledgr]\n    notify: [chta]\n", {"chat"}, {"ledger", "wire"})
    assert "r.yaml:4:15: watches[0].outlets[0]: unknown outlet 'ledgr' (did you mean 'ledger'?)" in out
    assert "r.yaml:5:14: watches[0].notify[0]: unknown channel 'chta' (did you mean 'chat'?)" in out


def test_every_problem_at_once_and_rules_check_exits_non_zero(tmp_path: Path, capsys) -> None:
    rules = "watches:\n  - id: a\n    any: [{re: '(x'}]\n  - id: b\n    any: [{phrase: y, in: [txt]}]\n    notify: [desc]\n"
    code, out = check(setup(tmp_path, rules), capsys)
    assert code == 2
    assert "main.yaml:3:12: watches[0].any[0].re: bad regular expression" in out
    assert "watches[1].any[0].in[0]: unknown field 'txt' (did you mean 'text'?)" in out
    assert "main.yaml:6:14: watches[1].notify[0]: unknown channel 'desc' (did you mean 'desk'?)" in out


def test_admin_channel_must_be_defined(tmp_path: Path, capsys) -> None:
    config = setup(tmp_path, "watches: []\n", CONFIG + "admin: [ops]\n")
    code, out = check(config, capsys)
    assert code == 2 and "newswatch.yaml:8:1: admin: admin channel(s) ops not in `channels` (desk)" in out
    config.write_text(CONFIG + "admin: [desk]\n", encoding="utf-8")
    assert main(["--config", str(config), "rules", "check"]) == 0


def test_a_capitalised_phrase_is_not_taken_for_a_mistyped_entity(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("entities:\n  belgorod:\n    aliases: [Белгород]\nwatches:\n  - id: a\n    all: [belgorod, Belgorod]\n")
    rules = load_rules(["r.yaml"], tmp_path)
    assert rules.logic["a"].terms == {"entity:belgorod", "phrase:Belgorod"}
