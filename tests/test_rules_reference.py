"""Every example in docs/rules.md is run: its rule files load (or fail with the documented errors)
and its sample articles match or do not match as the page says."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from newswatch.yamlsource import ConfigError
from rules.matcher import Document, Matcher
from rules.ruleset import load_rules

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
BLOCK = re.compile(r"^```(\w+)(?: ([^\n]*))?\n(.*?)^```$", re.S | re.M)
CONSTRUCTS = ["aliases", "phrase", "*", "=", "inflect: false", "transliterate: true", "re:", "patterns:", "near:",
              "within:", "in:", "outlets:", "languages:", "min_mentions:", "none:", "any:", "all:", "notify:"]


@dataclass
class Example:
    line: int
    rules: str
    samples: list[tuple[int, str, str]] = field(default_factory=list)  # (line, expectation, content)
    errors: str | None = None


def examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    found: list[Example] = []
    for block in BLOCK.finditer(text):
        language, info, content = block.group(1), (block.group(2) or "").strip(), block.group(3)
        line = text.count("\n", 0, block.start()) + 1
        if language == "yaml" and info == "rules":
            found.append(Example(line, content))
        elif language == "yaml" and info == "broken rules":
            found.append(Example(line, content, errors=""))
        elif language == "text" and info == "errors":
            found[-1].errors = content
        elif info.startswith(("matches", "does not match", "article matches", "article does not match")):
            found[-1].samples.append((line, info, content if language == "text" else content))
    return found


EXAMPLES = examples()


def document(info: str, content: str) -> Document:
    if not info.startswith("article"):
        return Document("", content)
    data = yaml.safe_load(content)
    authors = data.pop("author", None)
    return Document(data.pop("title", ""), data.pop("text", ""), authors=(authors,) if authors else (), **data)


def test_the_reference_shows_every_construct() -> None:
    rule_blocks = "\n".join(e.rules for e in EXAMPLES)
    assert [c for c in CONSTRUCTS if c not in rule_blocks] == []
    assert len(EXAMPLES) >= 15
    assert all(e.samples for e in EXAMPLES if e.errors is None), "every rules example has sample texts"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"docs/rules.md:{e.line}")
def test_reference_example(example: Example, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(example.rules, encoding="utf-8")
    if example.errors is not None:
        with pytest.raises(ConfigError) as error:
            load_rules(["rules.yaml"], tmp_path)
        for expected in example.errors.strip().splitlines():
            assert f"/{expected}" in str(error.value), expected
        return
    matcher = Matcher(load_rules(["rules.yaml"], tmp_path))
    every = [w.id for w in matcher.watches]
    for line, info, content in example.samples:
        got = [r.watch.id for r in matcher.match(document(info, content))]
        expectation = info.removeprefix("article ")
        if expectation.startswith("matches:"):
            wanted = [w.strip() for w in expectation.split(":", 1)[1].split(",")]
            assert [w for w in got if w in wanted] == wanted, f"docs/rules.md:{line}: {got}"
        elif expectation == "matches":
            assert got == every, f"docs/rules.md:{line}: expected {every}, got {got}"
        else:
            assert got == [], f"docs/rules.md:{line}: expected no match, got {got}"


def test_the_readme_example_loads_and_matches(tmp_path: Path) -> None:
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Watch rules"):]
    (tmp_path / "rules.yaml").write_text(re.search(r"```yaml\n(.*?)```", section, re.S).group(1), encoding="utf-8")
    matcher = Matcher(load_rules(["rules.yaml"], tmp_path))
    assert [r.watch.id for r in matcher.match(Document("", "Бойцы Legion вошли в село Белгородской области"))] == ["belgorod-raid"]
    assert matcher.match(Document("Хоккей", "Бойцы Legion вошли в село Белгородской области")) == []
