"""Diagnostics and the one exception root: turn problems found anywhere into located, printable messages.

Every problem a user can cause (bad content, a broken template, an impossible build) is raised as an
`AtalayaError` carrying one or more `Diagnostic`s. The command line prints them as `path:line:col: message`
and exits 1; any other exception is a bug and keeps its traceback.

A warning carries a category, `type.subtype` as Sphinx names them (`content.stale`, `render.pdf`), shown
after its message (`... [content.stale]`): `--strict` turns warnings into errors and `summary` picks the
overdue content by category, never by matching the English text of a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path


def shown_path(path: Path) -> str:
    """How messages name a file: relative to the working directory when inside it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One located problem. Line and column are 1-based; 0 means the whole file or no file.

    `category` (`content.stale`, `render.pdf`, ...) says what kind of warning it is; errors need none.
    """

    path: str
    line: int
    col: int
    message: str
    severity: Severity = field(default=Severity.ERROR, compare=False)
    category: str = field(default="", compare=False)

    @property
    def text(self) -> str:
        """The message as printed: a warning's category follows it (`... [content.stale]`)."""
        if self.category and self.severity is Severity.WARNING:
            return f"{self.message} [{self.category}]"
        return self.message

    def format(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        if not self.path:
            return f"{prefix}{self.text}"
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.text}"

    def strict(self) -> Diagnostic:
        """This warning as the error `--strict` makes of it (`... [content.stale] (--strict)`)."""
        if self.severity is not Severity.WARNING:
            return self
        return replace(self, message=f"{self.text} (--strict)", severity=Severity.ERROR)

    def github_annotation(self) -> str:
        """The diagnostic as a GitHub Actions workflow command (`::error file=...,line=...::message`).

        The message is escaped as the runner expects of a command's data (`%`, CR, LF) and the file name
        as a property value (also `,` and `:`), so neither can end the command early or add properties.
        """
        kind = "warning" if self.severity is Severity.WARNING else "error"
        message = _escape_data(self.text)
        if not self.path:
            return f"::{kind}::{message}"
        return f"::{kind} file={_escape_property(self.path)},line={self.line},col={self.col}::{message}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def warning(path: str, line: int, col: int, message: str, category: str) -> Diagnostic:
    """A located warning of `category` (`content.stale`)."""
    return Diagnostic(path, line, col, message, Severity.WARNING, category)


class AtalayaError(Exception):
    """Root of every error a user can cause. `category` names the stage that found it."""

    category = "error"

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic("", 0, 0, diagnostics)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


class ContentError(AtalayaError):
    category = "content"


class TemplateError(AtalayaError):
    category = "template"


class BuildError(AtalayaError):
    category = "build"


class UsageError(AtalayaError):
    """A wrong value on the command line: exit status 2."""

    category = "usage"
