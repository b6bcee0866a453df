"""Turn YAML files into plain Python values (dicts, lists, text) with the line and column of every node.

The YAML read here is a strict, safe subset: UTF-8 only, a size cap, no anchors or aliases (so no alias
bombs), no custom tags, no duplicate keys and a nesting limit. No implicit typing happens at all: every
scalar stays text (`NO`, `012`, `2024-01-01` included) and the schema in `model` gives it its type, so the
YAML 1.1 surprises cannot silently change content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ContentError, Diagnostic

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 12

PathKey = tuple[str | int, ...]
STR_TAG = "tag:yaml.org,2002:str"
SEQ_TAG = "tag:yaml.org,2002:seq"
MAP_TAG = "tag:yaml.org,2002:map"
NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass
class Document:
    """A loaded YAML file: its data plus where each value (and each mapping key) stands in the file."""

    path: str
    data: Any
    value_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: PathKey, *, key: bool = False) -> tuple[int, int]:
        """Line and column for `loc`, falling back to the nearest enclosing node that exists."""
        marks = self.key_marks if key else self.value_marks
        probe = tuple(loc)
        while probe:
            if probe in marks:
                return marks[probe]
            if not key and probe in self.key_marks:
                return self.key_marks[probe]
            probe = probe[:-1]
        return self.value_marks.get((), (1, 1))

    def diagnostic(self, loc: PathKey, message: str, *, key: bool = False) -> Diagnostic:
        line, col = self.locate(loc, key=key)
        return Diagnostic(self.path, line, col, message)


class _StrictLoader(yaml.SafeLoader):
    """A loader with no implicit resolvers (everything is text), no aliases and bounded depth."""

    yaml_implicit_resolvers: dict[str, Any] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed; write the value out", event.start_mark
            )
        if isinstance(event, ScalarEvent | CollectionStartEvent) and event.anchor is not None:
            raise yaml.composer.ComposerError(
                None, None, "anchors (&name) are not allowed; write the value out", event.start_mark
            )
        if isinstance(event, CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark
                )
            try:
                return super().compose_node(parent, index)  # type: ignore[no-any-return]
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


def _position_to_line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    line = before.count("\n") + 1
    col = position - (before.rfind("\n") + 1) + 1
    return line, col


def _byte_offset_to_line_col(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    col = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return line, col


def load_text(raw: bytes, display_path: str) -> Document:
    """Parse YAML bytes into a `Document`, raising `ContentError` with a located message on any problem."""
    if len(raw) > MAX_FILE_BYTES:
        raise ContentError(
            Diagnostic(display_path, 1, 1, f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_offset_to_line_col(raw, exc.start)
        raise ContentError(
            Diagnostic(display_path, line, col, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})")
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise ContentError(Diagnostic(display_path, 1, 1, "file is empty"))

    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{exc.context}: {problem}"
        raise ContentError(Diagnostic(display_path, line, col, problem)) from None
    except yaml.reader.ReaderError as exc:
        line, col = _position_to_line_col(text, exc.position)
        raise ContentError(
            Diagnostic(display_path, line, col, f"control character U+{exc.character:04X} is not allowed")
            if isinstance(exc.character, int)
            else Diagnostic(display_path, line, col, f"unacceptable character {exc.character!r}")
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(Diagnostic(display_path, 1, 1, f"YAML: {exc}")) from None
    finally:
        if loader is not None:
            loader.dispose()

    if node is None:
        raise ContentError(Diagnostic(display_path, 1, 1, "file is empty"))
    document = Document(display_path, None)
    errors: list[Diagnostic] = []
    document.data = _to_python(node, (), document, errors)
    if errors:
        raise ContentError(errors)
    return document


def _to_python(node: Node, path: PathKey, document: Document, errors: list[Diagnostic]) -> Any:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    document.value_marks[path] = (line, col)
    if node.tag not in (STR_TAG, SEQ_TAG, MAP_TAG):
        errors.append(Diagnostic(document.path, line, col, f"tag {node.tag} is not allowed"))
        return None
    if isinstance(node, ScalarNode):
        if node.style is None and node.value in NULL_WORDS:
            return None
        return node.value
    if isinstance(node, SequenceNode):
        return [_to_python(item, (*path, i), document, errors) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line, key_col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR_TAG:
                errors.append(Diagnostic(document.path, key_line, key_col, "mapping keys must be plain text"))
                continue
            key = key_node.value
            if key == "<<":
                errors.append(Diagnostic(document.path, key_line, key_col, "merge keys (<<) are not allowed"))
                continue
            if key in result:
                first_line, first_col = document.key_marks[(*path, key)]
                errors.append(
                    Diagnostic(
                        document.path,
                        key_line,
                        key_col,
                        f"duplicate key '{key}' (first defined at line {first_line}, column {first_col})",
                    )
                )
                continue
            document.key_marks[(*path, key)] = (key_line, key_col)
            result[key] = _to_python(value_node, (*path, key), document, errors)
        return result
    raise AssertionError(f"unexpected YAML node {node!r}")


def load_file(path: Path, display_path: str | None = None) -> Document:
    """Read and parse one YAML file; `display_path` is how messages name it (default: the path as given)."""
    shown = display_path or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ContentError(
                Diagnostic(shown, 1, 1, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(Diagnostic(shown, 0, 0, "file not found")) from None
    except IsADirectoryError:
        raise ContentError(Diagnostic(shown, 0, 0, "is a directory, not a file")) from None
    except PermissionError:
        raise ContentError(Diagnostic(shown, 0, 0, "permission denied")) from None
    return load_text(raw, shown)
