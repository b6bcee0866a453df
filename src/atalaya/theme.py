"""Turn a templates folder's `theme.toml` into one `Theme`: the palette, faces and sizes every product uses.

The theme is defined once, in `<templates>/theme.toml`, and read by everything that draws: the PDF
stylesheet (as the CSS variables of `Theme.css_variables`), the figures (`atalaya.figures`), the index
page and any template (the Jinja global `theme`), and the Word memo's styles (`Theme.docx_colour`,
`Theme.half_points`). Names are the same everywhere: `accent` is `--accent` in CSS and
`theme.colour("accent")` in a template.

A theme file is part of the templates folder, so it is part of every document's input hash. Reading it is
cached per file (and re-read when the file changes, as in the preview server).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from .errors import Diagnostic, TemplateError, shown_path

THEME_FILE = "theme.toml"
DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
"""The templates folder of the checkout the package runs from: its theme is the default theme, used by a
templates folder without a theme file of its own and by figures drawn outside a `TemplateSet`."""

COLOURS = (
    "accent",
    "ink",
    "muted",
    "rule",
    "rule-light",
    "tint",
    "paper",
    "public",
    "internal",
    "restricted",
    "figure-muted",
    "figure-rule",
)
"""The colours the pipeline itself asks for; a theme must define each (it may define more for templates)."""
FACES = ("serif", "sans")
SIZES = (
    "body",
    "lead",
    "h1",
    "h2",
    "banner",
    "table",
    "small",
    "memo-body",
    "memo-title",
    "memo-subtitle",
    "memo-heading-1",
    "memo-heading-2",
    "memo-heading-3",
    "memo-banner",
    "memo-small",
)
LEVELS = ("public", "internal", "restricted")
"""Releasability levels; each one's banner colour is the theme colour of the same name."""

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_FACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]*")
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Face:
    """A type face: `name` as embedded and named in documents, `fallback` for readers without it,
    `generic` the CSS generic family that ends a font stack."""

    name: str
    fallback: str
    generic: str

    def css(self, *, fallback: bool = True) -> str:
        """The face as a CSS font stack: `"Source Serif Pro", Georgia, serif`; without `fallback` (where
        the face is embedded, as in the PDF) `"Source Serif Pro", serif`."""
        names = [f'"{self.name}"']
        if fallback and self.fallback:
            names.append(f'"{self.fallback}"' if " " in self.fallback else self.fallback)
        return ", ".join([*names, self.generic])


@dataclass(frozen=True)
class Theme:
    """The palette (`#rrggbb`, lower case), faces and sizes (points) of one templates folder."""

    path: Path
    colours: Mapping[str, str]
    faces: Mapping[str, Face]
    sizes: Mapping[str, float]

    def colour(self, name: str) -> str:
        """A colour as CSS and SVG write it: `#1f3a5f`."""
        try:
            return self.colours[name]
        except KeyError:
            raise KeyError(f"{shown_path(self.path)} defines no colour {name!r}") from None

    def docx_colour(self, name: str) -> str:
        """A colour as WordprocessingML writes it (`w:color w:val`): `1F3A5F`."""
        return self.colour(name)[1:].upper()

    def level_colour(self, level: str) -> str:
        """The banner colour of a releasability level (`public`, `internal`, `restricted`): `#17703a`."""
        value = str(getattr(level, "value", level))
        if value not in LEVELS:
            raise ValueError(f"unknown releasability level {value!r}")
        return self.colour(value)

    def face(self, name: str) -> Face:
        try:
            return self.faces[name]
        except KeyError:
            raise KeyError(f"{shown_path(self.path)} defines no face {name!r}") from None

    def size(self, name: str) -> float:
        """A size in points."""
        try:
            return self.sizes[name]
        except KeyError:
            raise KeyError(f"{shown_path(self.path)} defines no size {name!r}") from None

    def half_points(self, name: str) -> int:
        """A size in half-points, as WordprocessingML writes it (`w:sz w:val`): 11 pt is 22."""
        return round(self.size(name) * 2)

    def css_variables(self) -> str:
        """The theme as one CSS rule of custom properties, in the theme file's order:
        `--<colour>: #rrggbb`, `--face-<face>: "Name", generic` (no fallback: the PDF embeds its faces)
        and `--size-<size>: <n>pt`."""
        lines = [f"  --{name}: {value};" for name, value in self.colours.items()]
        lines += [f"  --face-{name}: {face.css(fallback=False)};" for name, face in self.faces.items()]
        lines += [f"  --size-{name}: {_points(value)}pt;" for name, value in self.sizes.items()]
        return ":root {\n" + "\n".join(lines) + "\n}\n"


def load_theme(templates_root: Path | None = None) -> Theme:
    """The theme of a templates folder, from its `theme.toml`; a folder without one (a few templates
    overriding the shipped ones, a test's) has the default theme, `DEFAULT_TEMPLATES`'s. An invalid file,
    or no default theme, is a `TemplateError` naming the file (and, for a syntax error, its line)."""
    path = Path(templates_root if templates_root is not None else DEFAULT_TEMPLATES) / THEME_FILE
    if not path.exists():
        path = DEFAULT_TEMPLATES / THEME_FILE
    try:
        stat = path.stat()
    except OSError:
        raise TemplateError(Diagnostic(shown_path(path), 0, 0, "no theme file (theme.toml)")) from None
    return _load(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int, size: int) -> Theme:
    """Parse a theme file; cached by path, modification time and size (the arguments beyond the path
    only key the cache, so an edited file is read again)."""
    shown = shown_path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(Diagnostic(shown, 0, 0, f"cannot read the theme: {exc}")) from None
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        line, col = (int(at[1]), int(at[2])) if at else (1, 1)
        message = _TOML_AT.sub("", str(exc)).strip()
        raise TemplateError(Diagnostic(shown, line, col, f"theme is not valid TOML: {message}")) from None
    problems: list[str] = []
    colours = _table(data, "colours", problems)
    faces = _table(data, "faces", problems)
    sizes = _table(data, "sizes", problems)
    unknown = sorted(set(data) - {"colours", "faces", "sizes"})
    if unknown:
        problems.append(f"unknown table(s): {', '.join(unknown)} (expected colours, faces, sizes)")
    parsed_colours: dict[str, str] = {}
    for name, value in colours.items():
        if not _NAME.fullmatch(name):
            problems.append(f"colour name {name!r}: use lower-case words joined by '-'")
        elif not isinstance(value, str) or not _COLOUR.fullmatch(value):
            problems.append(f"colour {name!r}: expected '#rrggbb', got {value!r}")
        else:
            parsed_colours[name] = value.lower()
    parsed_faces: dict[str, Face] = {}
    for name, value in faces.items():
        if not _NAME.fullmatch(name):
            problems.append(f"face name {name!r}: use lower-case words joined by '-'")
            continue
        if not isinstance(value, dict) or set(value) != {"name", "fallback", "generic"}:
            problems.append(f"face {name!r}: expected a table with name, fallback and generic")
            continue
        if not all(isinstance(v, str) and _FACE_NAME.fullmatch(v) for v in value.values()):
            problems.append(f"face {name!r}: names are letters, digits, spaces, '.', '_' and '-'")
            continue
        parsed_faces[name] = Face(value["name"], value["fallback"], value["generic"])
    parsed_sizes: dict[str, float] = {}
    for name, value in sizes.items():
        if not _NAME.fullmatch(name):
            problems.append(f"size name {name!r}: use lower-case words joined by '-'")
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 200:
            problems.append(f"size {name!r}: expected points between 0 and 200, got {value!r}")
        else:
            parsed_sizes[name] = float(value)
    for kind, required, found in (
        ("colour", COLOURS, colours),
        ("face", FACES, faces),
        ("size", SIZES, sizes),
    ):
        missing = [name for name in required if name not in found]
        if missing:
            problems.append(f"missing {kind}(s): {', '.join(missing)}")
    if problems:
        raise TemplateError([Diagnostic(shown, 0, 0, problem) for problem in problems])
    return Theme(
        path=path,
        colours=MappingProxyType(parsed_colours),
        faces=MappingProxyType(parsed_faces),
        sizes=MappingProxyType(parsed_sizes),
    )


def _table(data: dict[str, object], key: str, problems: list[str]) -> dict[str, object]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{key}: expected a table")
        return {}
    return value


def _points(value: float) -> str:
    """10.0 as "10", 11.5 as "11.5"."""
    return f"{value:g}"
