"""Turn YAML files into plain Python values (dicts, lists, text) with the line and column of every node.

The YAML read here is a strict, safe subset: UTF-8 only, a size cap, no anchors or aliases (so no alias
bombs), no custom tags, no duplicate keys and a nesting limit. No implicit typing happens at all: every
scalar stays text (`NO`, `012`, `2024-01-01` included) and the schema in `model` gives it its type, so the
YAML 1.1 surprises cannot silently change content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from .errors import ContentError, Diagnostic

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 12

PathKey = tuple[str | int, ...]
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


try:  # libyaml's parser when present: the same events, several times faster
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = None


def _events(text: str) -> Iterator[Event]:
    if _Parser is not None:
        parser = _Parser(text)
        try:
            while True:
                event = parser.get_event()
                yield event
                if isinstance(event, StreamEndEvent):
                    return
        finally:
            parser.dispose()
    else:  # pragma: no cover
        yield from yaml.parse(text, Loader=yaml.SafeLoader)


class _Composer:
    """Build plain values from parser events, recording marks and refusing what the subset excludes."""

    def __init__(self, document: Document, events: Iterator[Event]) -> None:
        self.document = document
        self.events = events
        self.errors: list[Diagnostic] = []
        self.depth = 0

    def fail(self, event: Event, message: str) -> ContentError:
        return ContentError(
            Diagnostic(self.document.path, event.start_mark.line + 1, event.start_mark.column + 1, message)
        )

    def compose_document(self) -> Any:
        value: Any = None
        documents = 0
        for event in self.events:
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail(event, "only one YAML document per file (remove the second '---')")
                value = self.compose(next(self.events), ())
            elif isinstance(event, StreamEndEvent):
                break
        return value

    def compose(self, event: Event, path: PathKey) -> Any:
        document = self.document
        if isinstance(event, AliasEvent):
            raise self.fail(event, "aliases (*name) are not allowed; write the value out")
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise self.fail(event, "anchors (&name) are not allowed; write the value out")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise self.fail(event, f"tag {tag} is not allowed")
        line, col = event.start_mark.line + 1, event.start_mark.column + 1
        document.value_marks[path] = (line, col)
        if isinstance(event, ScalarEvent):
            plain = event.implicit[0] and not event.style
            if plain and event.value in NULL_WORDS:
                return None
            return event.value
        if isinstance(event, CollectionStartEvent):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(event, f"nesting deeper than {MAX_DEPTH} levels")
            try:
                if isinstance(event, SequenceStartEvent):
                    return self.compose_sequence(path)
                return self.compose_mapping(path)
            finally:
                self.depth -= 1
        raise self.fail(event, f"unexpected YAML event {type(event).__name__}")  # pragma: no cover

    def compose_sequence(self, path: PathKey) -> list[Any]:
        items: list[Any] = []
        for event in self.events:
            if isinstance(event, SequenceEndEvent):
                return items
            items.append(self.compose(event, (*path, len(items))))
        return items  # pragma: no cover - the parser always closes sequences

    def compose_mapping(self, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        document = self.document
        for key_event in self.events:
            if isinstance(key_event, MappingEndEvent):
                return result
            key_line, key_col = key_event.start_mark.line + 1, key_event.start_mark.column + 1
            if not isinstance(key_event, ScalarEvent):
                raise self.fail(key_event, "mapping keys must be plain text")
            if isinstance(key_event, NodeEvent) and key_event.anchor is not None:
                raise self.fail(key_event, "anchors (&name) are not allowed; write the value out")
            key = key_event.value
            if key == "<<" and key_event.implicit[0]:
                raise self.fail(key_event, "merge keys (<<) are not allowed")
            value_event = next(self.events)
            if key in result:
                first_line, first_col = document.key_marks[(*path, key)]
                self.errors.append(
                    Diagnostic(
                        document.path,
                        key_line,
                        key_col,
                        f"duplicate key '{key}' (first defined at line {first_line}, column {first_col})",
                    )
                )
                self.compose(value_event, (*path, f"<duplicate {key}>"))
                continue
            document.key_marks[(*path, key)] = (key_line, key_col)
            result[key] = self.compose(value_event, (*path, key))
        return result  # pragma: no cover


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

    document = Document(display_path, None)
    composer = _Composer(document, _events(text))
    try:
        document.data = composer.compose_document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        if exc.context:
            opened = exc.context_mark
            where = f" (opened at line {opened.line + 1}, column {opened.column + 1})" if opened else ""
            problem = f"{exc.context}{where}: {problem}"
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
    if composer.errors:
        raise ContentError(composer.errors)
    if document.data is None:
        raise ContentError(Diagnostic(display_path, 1, 1, "file is empty"))
    return document


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
