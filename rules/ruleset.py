"""Loading every rule file named by the config into one validated RuleSet."""
from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from newswatch.yamlsource import ConfigError, Problem, YamlDocument, load_yaml, unknown_name, validate, validate_part
from rules.conditions import WatchLogic, check_raw_terms, compile_regex, parse_watch
from rules.model import Entity, RuleFile, Watch
from rules.patterns import check_alias


class _Shape(BaseModel):
    """The top level of a rule file; each entity and watch is then validated on its own, so that one
    broken watch does not hide the problems of the others."""

    model_config = ConfigDict(extra="forbid")

    entities: dict[str, Any] = Field(default_factory=dict)
    watches: list[Any] = Field(default_factory=list)


@dataclass(frozen=True)
class RuleSet:
    entities: dict[str, Entity] = field(default_factory=dict)
    watches: list[Watch] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    fingerprint: str = ""  # changes whenever any rule file's content changes
    logic: dict[str, WatchLogic] = field(default_factory=dict)  # watch id → its compiled conditions

    def watch(self, watch_id: str) -> Watch | None:
        return next((w for w in self.watches if w.id == watch_id), None)


def rule_files(patterns: list[str], base_dir: Path) -> tuple[list[Path], list[Problem]]:
    """Files matched by the config's `rules:` globs (relative to the config file), in a stable order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
        matched = sorted(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())
        if not matched:
            problems.append(Problem(str(base_dir), None, None, "rules", f"no rule file matches {pattern!r}"))
        files.extend(p for p in matched if p not in files)
    return files, problems


def _digest_part(path: Path, raw: bytes) -> bytes:
    """What one rule file adds to the rules' fingerprint: rules_fingerprint and load_rules must agree."""
    return str(path).encode() + b"\0" + raw + b"\0"


def rules_fingerprint(patterns: list[str], base_dir: Path) -> str:
    """A digest of the rule files' names and contents (cheap: nothing is parsed), as `RuleSet.fingerprint`."""
    files, _problems = rule_files(patterns, base_dir)
    digest = hashlib.sha256()
    for path in files:
        try:
            digest.update(_digest_part(path, path.read_bytes()))
        except OSError as exc:
            digest.update(f"{path}: {exc}".encode())
    return digest.hexdigest()


def load_rules(patterns: list[str], base_dir: Path, channels: set[str] | None = None, outlets: set[str] | None = None) -> RuleSet:
    """Read and check all rule files; every problem in every file is reported at once.

    `channels` and `outlets` (names from the config), when given, are checked against `notify` and `outlets`.
    """
    files, problems = rule_files(patterns, base_dir)
    parsed: list[tuple[YamlDocument, RuleFile]] = []
    digest = hashlib.sha256()
    for path in files:
        try:
            raw = path.read_bytes()
            digest.update(_digest_part(path, raw))
            document = load_yaml(path)
            parsed.append((document, _validate_file(document, problems)))
        except ConfigError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(Problem(str(path), None, None, "", f"cannot read file: {exc}"))
    entities: dict[str, Entity] = {}
    entity_origin: dict[str, str] = {}
    watches: list[Watch] = []
    watch_origin: dict[str, str] = {}
    for document, rules in parsed:
        for entity_id, entity in rules.entities.items():
            where = _where(document, ("entities", entity_id))
            if entity_id in entities:
                problems.append(document.problem(("entities", entity_id), f"entity '{entity_id}' is already defined at {entity_origin[entity_id]}"))
                continue
            entities[entity_id] = entity
            entity_origin[entity_id] = where
            problems.extend(_entity_problems(document, entity_id, entity))
    located: list[tuple[YamlDocument, int, Watch]] = []
    for document, rules in parsed:
        for index, watch in enumerate(rules.watches):
            if isinstance(watch, dict):  # invalid: its id still counts, its terms are still checked
                raw_id = watch.get("id")
                if isinstance(raw_id, str) and raw_id not in watch_origin:
                    watch_origin[raw_id] = _where(document, ("watches", index, "id"))
                check_raw_terms(watch, index, document, set(entities), problems)
                continue
            if watch.id in watch_origin:
                problems.append(document.problem(("watches", index, "id"), f"watch id '{watch.id}' is already used at {watch_origin[watch.id]}"))
                continue
            watch_origin[watch.id] = _where(document, ("watches", index, "id"))
            watches.append(watch)
            located.append((document, index, watch))
            if channels is not None:
                for position, channel in enumerate(watch.notify):
                    if channel not in channels:
                        problems.append(document.problem(("watches", index, "notify", position), _unknown_name("channel", channel, channels)))
            if outlets is not None:
                for position, outlet in enumerate(watch.outlets):
                    if outlet not in outlets:
                        problems.append(document.problem(("watches", index, "outlets", position), _unknown_name("outlet", outlet, outlets)))
    logic: dict[str, WatchLogic] = {}
    for document, index, watch in located:
        compiled = parse_watch(watch, index, document, set(entities), problems)
        if compiled is not None:
            logic[watch.id] = compiled
    if problems:
        raise ConfigError(problems)
    return RuleSet(entities=entities, watches=watches, files=files, fingerprint=digest.hexdigest(), logic=logic)


def _validate_file(document: YamlDocument, problems: list[Problem]) -> RuleFile:
    """The file's valid entities and watches; the problems of the others are added to `problems`."""
    shape = validate(_Shape, document)
    entities: dict[str, Entity] = {}
    watches: list[Watch | dict] = []
    for entity_id, data in shape.entities.items():
        try:
            entities[str(entity_id)] = validate_part(Entity, document, ("entities", entity_id), data)
        except ConfigError as exc:
            problems.extend(exc.problems)
    for index, data in enumerate(shape.watches):
        try:
            watches.append(validate_part(Watch, document, ("watches", index), data))
        except ConfigError as exc:
            problems.extend(exc.problems)
            watches.append(data if isinstance(data, dict) else {})  # still checked for id and term problems
    return RuleFile.model_construct(entities=entities, watches=watches)


def _entity_problems(document: YamlDocument, entity_id: str, entity: Entity) -> list[Problem]:
    problems = []
    for i, alias in enumerate(entity.aliases):
        error = check_alias(alias)
        if error:
            problems.append(document.problem(("entities", entity_id, "aliases", i), error))
    for i, pattern in enumerate(entity.patterns):
        try:
            compile_regex(pattern)
        except ValueError as exc:
            problems.append(document.problem(("entities", entity_id, "patterns", i), str(exc)))
    return problems


def _where(document: YamlDocument, path: tuple) -> str:
    line, _column = document.locate(path)
    return f"{document.file}:{line}" if line else document.file


def _unknown_name(what: str, name: str, known: set[str]) -> str:
    return unknown_name(f"unknown {what} '{name}'", name, sorted(known), f"{what}s in the config", f"the config defines no {what}s")
