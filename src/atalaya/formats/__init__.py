"""Turn a product's audience view into the bytes of one document: the output formats, behind one contract.

A format declares its name (the `--format` value), the suffix of its files, the template folder its
templates live in, its relative cost (slow formats are scheduled first so workers finish together) and the
side files it can keep beside a document (`--html` keeps the briefing's HTML). It makes a `Writer` per
worker process; the writer turns a view into `Rendered`: bytes, page count, side files and located
warnings. Declaring a format is cheap: the module that renders (WeasyPrint, python-docx) loads only when a
writer is made, so planning, `list` and a no-op build import no renderer.

The registry holds the built-in formats (`pdf`, `docx`); a new format is one module that calls `register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import Diagnostic

if TYPE_CHECKING:
    from ..plan import Options
    from ..render import TemplateSet


@dataclass(frozen=True)
class Rendered:
    """One document: its bytes, its page count (None where the format has no pages of its own), the side
    files it can keep (suffix -> bytes, written only when asked), and what went wrong on the way."""

    data: bytes
    pages: int | None = None
    side_files: Mapping[str, bytes] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()


class Writer(Protocol):
    """Renders views in one worker process, keeping what is costly to prepare (fonts, styles) warm."""

    def render(self, view: Any, template_names: Sequence[str]) -> Rendered:
        """The document for `view`, from the first of `template_names` (under the templates folder) that
        exists. Raises `AtalayaError` for a problem the content or templates cause."""
        ...


@dataclass(frozen=True)
class Format:
    name: str
    """The `--format` value and the manifest's `format` (`pdf`)."""
    suffix: str
    """The suffix of its documents (`.pdf`): `plan.Target.path` puts it after the stem and edition."""
    template_folder: str
    """The folder under templates/ holding its templates (`briefing`); the other folders are shared."""
    cost: int
    """Relative time to render one document (a DOCX memo is 1): slow formats are scheduled first."""
    make_writer: Callable[[TemplateSet, Options], Writer]
    side_suffixes: tuple[str, ...] = ()
    """Suffixes of the side files this format can keep (`--html`: `.html` for the PDF)."""
    template_suffix: str = ""
    """How its template files end (`.html.j2`): a product's templates are `<folder>/<name><suffix>`."""
    option_names: tuple[str, ...] | None = None
    """The `plan.Options` fields its bytes depend on, and so its input hashes (None: all of them)."""


_REGISTRY: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    if fmt.name in _REGISTRY:
        raise ValueError(f"format '{fmt.name}' is registered twice")
    if not fmt.template_suffix:
        raise ValueError(f"format '{fmt.name}' declares no template_suffix")
    _REGISTRY[fmt.name] = fmt
    return fmt


def get(name: str) -> Format:
    _load_builtins()
    return _REGISTRY[name]


def names() -> tuple[str, ...]:
    """The registered formats' names in the order documents are listed in: the built-in ones in `BUILTIN`
    order, then any other in registration order (whichever module happened to be imported first)."""
    return tuple(fmt.name for fmt in all_formats())


def all_formats() -> tuple[Format, ...]:
    _load_builtins()
    rank = {name: position for position, name in enumerate(BUILTIN)}
    return tuple(sorted(_REGISTRY.values(), key=lambda fmt: rank.get(fmt.name, len(rank))))


BUILTIN = ("pdf", "docx")
"""The built-in formats, in the order documents are listed: briefing first, then memo."""


def _load_builtins() -> None:
    # Importing declares and registers them; their renderers load only when a writer is made.
    for name in BUILTIN:
        importlib.import_module(f"{__name__}.{name}")
