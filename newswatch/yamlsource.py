"""YAML files that remember where each value came from, and validation errors that say so."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where, which field, what."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(Exception):
    """One or more problems in configuration or rule files."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class YamlDocument:
    """Parsed YAML plus the line and column of every key and list item."""

    file: str
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path_) -> tuple[int | None, int | None]:
        """Line and column of `path`, or of its nearest located parent."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.marks:
                return self.marks[path[:end]]
        return None, None

    def problem(self, path: Path_, message: str) -> Problem:
        line, column = self.locate(path)
        return Problem(self.file, line, column, format_path(path), message)


def format_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(path: Path | str, display_name: str | None = None) -> YamlDocument:
    """Read a YAML file; syntax errors and duplicate keys raise ConfigError with file and line."""
    name = display_name or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(name, None, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, None, None, "", f"cannot read file: {exc}")]) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlDocument:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        if exc.context_mark and mark is not exc.context_mark and exc.context_mark.line != mark.line:
            message += f" (the construct began on line {exc.context_mark.line + 1})"
        raise ConfigError([Problem(name, line, column, "", f"YAML syntax error: {message}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(name, None, None, "", f"YAML error: {exc}")]) from None
    document = YamlDocument(name, None)
    if node is not None:
        problems: list[Problem] = []
        document.data = _construct(node, (), document, problems)
        if problems:
            raise ConfigError(problems)
    return document


_SCALARS = yaml.SafeLoader("")


def _construct(node: yaml.Node, path: Path_, doc: YamlDocument, problems: list[Problem]) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, path, doc, problems)
            if not isinstance(key, (str, int, float, bool)):
                problems.append(Problem(doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1, format_path(path), "keys must be plain text"))
                continue
            key = str(key)
            child = (*path, key)
            if key in result:
                first = doc.marks.get(child, (None, None))[0]
                problems.append(
                    Problem(doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1, format_path(child), f"key given twice (first on line {first})")
                )
            doc.marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _construct(value_node, child, doc, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.marks[(*path, index)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(_construct(item, (*path, index), doc, problems))
        return items
    value = _SCALARS.construct_object(node, deep=True)
    _SCALARS.constructed_objects.pop(node, None)  # the loader remembers every node it built: a leak across loads
    return value


def validate(model: type[BaseModel], doc: YamlDocument, context: dict[str, Any] | None = None) -> Any:
    """Validate a document against a strict pydantic model; errors name file, line and field."""
    try:
        return model.model_validate(doc.data if doc.data is not None else {}, context=context)
    except ValidationError as exc:
        raise ConfigError([_problem(doc, model, error) for error in exc.errors()]) from None


def validate_part(model: type[BaseModel], doc: YamlDocument, path: Path_, data: Any) -> Any:
    """Validate one part of a document (the value at `path`); errors name their place in the whole file."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError([_problem(_Part(doc, path), model, error) for error in exc.errors()]) from None


@dataclass
class _Part:
    doc: YamlDocument
    path: Path_

    def problem(self, path: Path_, message: str) -> Problem:
        return self.doc.problem((*self.path, *path), message)


def unknown_name(message: str, name: str, known: list[str], listing: str = "expected one of", empty: str = "") -> str:
    """`message` plus a did-you-mean suggestion, or else the known names (or `empty` when there are none)."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"{message} (did you mean '{close[0]}'?)"
    if known:
        return f"{message} ({listing}: {', '.join(known)})"
    return f"{message} ({empty})" if empty else message


def _problem(doc: YamlDocument | _Part, model: type[BaseModel], error: dict[str, Any]) -> Problem:
    path: Path_ = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith(("function-", "[")) ))
    kind = error["type"]
    if kind == "extra_forbidden":
        known = sorted(_known_keys(model, path[:-1]))
        return doc.problem(path, unknown_name(f"unknown key '{path[-1]}'", str(path[-1]), known))
    if kind == "missing":
        return doc.problem(path, f"missing required key '{path[-1]}'")
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if "input" in error and kind not in ("value_error",) and not isinstance(error["input"], (dict, list)):
        message += f" (got {error['input']!r})"
    return doc.problem(path, message)


def _known_keys(model: type[BaseModel], path: Path_) -> list[str]:
    """Field names of the sub-model at `path` (best effort: walks nested models, lists and dicts)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return []
        if part in fields:
            current = _inner_model(fields[part].annotation)
        # otherwise `part` is a key the user chose in a dict: stay on the dict's value model
    fields = getattr(current, "model_fields", None)
    return [info.alias or name for name, info in fields.items()] if fields else []


def _inner_model(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(args):
        inner = _inner_model(arg)
        if inner is not None and getattr(inner, "model_fields", None) is not None:
            return inner
    return None
