"""Turn YAML files into plain Python values (dicts, lists, text) with the line and column of every node.

The YAML read here is a strict, safe subset: UTF-8 only, a size cap, no anchors or aliases (so no alias
bombs), no custom tags, no duplicate keys and a nesting limit. No implicit typing happens at all: every
scalar stays text (`NO`, `012`, `2024-01-01` included) and the schema in `model` gives it its type, so the
YAML 1.1 surprises cannot silently change content.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
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

MAX_SHOWN_CHARS = 80
# What may not reach a one-line message verbatim: C0/C1 controls (newlines, ESC), line and paragraph
# separators, bidirectional controls and lone surrogates.
_UNSHOWABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown_value(value: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value from a file as it may appear inside a message: on one line, inert on a terminal, short.

    Control, line-breaking and bidirectional characters are written as escapes (so a value can neither
    split a `path:line:col: message` line nor drive the terminal) and a long value is cut short.
    """
    text = str(value)
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text):,} characters)"
    return _UNSHOWABLE.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


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


_Parser: Any
try:  # libyaml's parser when present: the same events, several times faster
    from yaml import _yaml

    _Parser = _yaml.CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = None


class _Events:
    """Parser events one at a time (libyaml's parser when present: the same events, several times faster)."""

    def __init__(self, text: str) -> None:
        if _Parser is not None:
            self._parser: Any = _Parser(text)
            self.next: Any = self._parser.get_event
        else:  # pragma: no cover - depends on how PyYAML was built
            self._parser = None
            self.next = iter(yaml.parse(text, Loader=yaml.SafeLoader)).__next__

    def close(self) -> None:
        if self._parser is not None:
            self._parser.dispose()


class _Composer:
    """Build plain values from parser events, recording marks and refusing what the subset excludes."""

    def __init__(self, document: Document, events: _Events) -> None:
        self.document = document
        self.next_event = events.next
        self.errors: list[Diagnostic] = []
        self.depth = 0

    def fail(self, event: Any, message: str) -> ContentError:
        return ContentError(
            Diagnostic(self.document.path, event.start_mark.line + 1, event.start_mark.column + 1, message)
        )

    def compose_document(self) -> Any:
        value: Any = None
        documents = 0
        while True:
            event = self.next_event()
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail(event, "only one YAML document per file (remove the second '---')")
                value = self.compose(self.next_event(), ())
            elif isinstance(event, StreamEndEvent):
                return value

    def check_node(self, event: Any) -> None:
        if event.anchor is not None:
            raise self.fail(event, "anchors (&name) are not allowed; write the value out")
        if event.tag is not None and event.tag != "!":
            raise self.fail(event, f"tag {shown_value(event.tag)} is not allowed")

    def compose(self, event: Any, path: PathKey) -> Any:
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                self.check_node(event)
            mark = event.start_mark
            self.document.value_marks[path] = (mark.line + 1, mark.column + 1)
            if event.implicit[0] and not event.style and event.value in NULL_WORDS:
                return None
            return event.value
        if kind is AliasEvent:
            raise self.fail(event, "aliases (*name) are not allowed; write the value out")
        if kind is SequenceStartEvent or kind is MappingStartEvent:
            self.check_node(event)
            mark = event.start_mark
            self.document.value_marks[path] = (mark.line + 1, mark.column + 1)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(event, f"nesting deeper than {MAX_DEPTH} levels")
            value = self.compose_sequence(path) if kind is SequenceStartEvent else self.compose_mapping(path)
            self.depth -= 1
            return value
        raise self.fail(event, f"unexpected YAML event {kind.__name__}")  # pragma: no cover

    def compose_sequence(self, path: PathKey) -> list[Any]:
        items: list[Any] = []
        next_event = self.next_event
        while True:
            event = next_event()
            if type(event) is SequenceEndEvent:
                return items
            items.append(self.compose(event, (*path, len(items))))

    def compose_mapping(self, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        document = self.document
        key_marks = document.key_marks
        next_event = self.next_event
        while True:
            key_event = next_event()
            if type(key_event) is MappingEndEvent:
                return result
            if type(key_event) is not ScalarEvent:
                raise self.fail(key_event, "mapping keys must be plain text")
            if key_event.anchor is not None or key_event.tag is not None:
                self.check_node(key_event)
            mark: Any = key_event.start_mark
            key_at = (mark.line + 1, mark.column + 1)
            key = key_event.value
            if key == "<<" and key_event.implicit[0]:
                raise self.fail(key_event, "merge keys (<<) are not allowed")
            value_event = next_event()
            key_path = (*path, key)
            if key in result:
                first_line, first_col = key_marks[key_path]
                self.errors.append(
                    Diagnostic(
                        document.path,
                        *key_at,
                        f"duplicate key '{shown_value(key)}' "
                        f"(first defined at line {first_line}, column {first_col})",
                    )
                )
                self.compose(value_event, (*path, f"<duplicate {key}>"))
                continue
            key_marks[key_path] = key_at
            result[key] = self.compose(value_event, key_path)


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
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise ContentError(Diagnostic(display_path, 1, 1, "file is empty"))

    document = Document(display_path, None)
    events: _Events | None = None
    errors: list[Diagnostic] = []
    try:
        events = _Events(text)
        composer = _Composer(document, events)
        errors = composer.errors
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
    finally:
        if events is not None:
            events.close()
    if errors:
        raise ContentError(errors)
    if document.data is None:
        raise ContentError(Diagnostic(display_path, 1, 1, "file is empty"))
    return document


def load_file(path: Path, display_path: str | None = None) -> Document:
    """Read and parse one YAML file; `display_path` is how messages name it (default: the path as given)."""
    shown = display_path or str(path)
    return load_text(read_capped(path, shown), shown)


# What an entry that is not a regular file is, for the message refusing it.
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_unless_regular(mode: int, path: Path, shown: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    via = " (through a symbolic link)" if path.is_symlink() else ""
    raise ContentError(Diagnostic(shown, 0, 0, f"is {kind}{via}, not a regular file"))


def _open_error(exc: OSError, path: Path, shown: str) -> ContentError:
    if exc.errno == errno.ELOOP:
        return ContentError(Diagnostic(shown, 0, 0, "symbolic link loop (too many levels of symbolic links)"))
    if exc.errno == errno.ENOENT and path.is_symlink():
        try:
            target = shown_value(path.readlink())
        except OSError:  # pragma: no cover - replaced between the two calls
            target = "?"
        return ContentError(Diagnostic(shown, 0, 0, f"symbolic link to a missing file ({target})"))
    if exc.errno == errno.ENOENT:
        return ContentError(Diagnostic(shown, 0, 0, "file not found"))
    if exc.errno == errno.EISDIR:
        return ContentError(Diagnostic(shown, 0, 0, "is a directory, not a regular file"))
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ContentError(Diagnostic(shown, 0, 0, "permission denied"))
    return ContentError(Diagnostic(shown, 0, 0, f"cannot be read: {shown_value(exc.strerror or exc)}"))


def read_capped(path: Path, shown: str) -> bytes:
    """The bytes of a regular file of at most `MAX_FILE_BYTES`, or a `ContentError` located at the file.

    Nothing but a regular file is ever read: a named pipe, a device (`/dev/zero`, a terminal), a socket or
    a directory is refused before it is opened (no hang, no endless read), and again after opening from the
    open descriptor itself, in case the entry was replaced in between. The file is opened non-blocking and
    read up to the cap plus one byte, so a file that grows past the cap is refused without being held whole.
    """
    try:
        _refuse_unless_regular(path.stat().st_mode, path, shown)
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except OSError as exc:
        raise _open_error(exc, path, shown) from None
    try:
        info = os.fstat(fd)
        _refuse_unless_regular(info.st_mode, path, shown)
        if info.st_size > MAX_FILE_BYTES:
            raise ContentError(
                Diagnostic(shown, 1, 1, f"file is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
            )
        chunks: list[bytes] = []
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 64 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise _open_error(exc, path, shown) from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > MAX_FILE_BYTES:
        raise ContentError(
            Diagnostic(shown, 1, 1, f"file is over {MAX_FILE_BYTES:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        )
    return raw


def yaml_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The entries of `folder` named `*.yaml` (whatever they are: `read_capped` refuses what is not a
    regular file, with its name) and, apart, the strays: `*.yml` and `.yaml` in any other case
    (`*.YAML`, `*.Yml`), which a case-sensitive file system would otherwise skip without a word."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return [], []
    wanted = [folder / name for name in names if name.endswith(".yaml")]
    stray = [
        folder / name
        for name in names
        if name.lower().endswith((".yaml", ".yml")) and not name.endswith(".yaml")
    ]
    return wanted, stray
