"""Turn an audience `View` into the bytes of a Word memo: memo XML from the templates, then a .docx.

`DocxWriter` implements the formats' `Writer` contract: `render(view, template_names)` renders the first
of the product's memo templates that exists into memo XML (`memo_xml`), strips what XML cannot hold (a
located warning), parses and checks it (`memo_xml.parse_memo`), fills a fresh base document with it
(`builder.Builder`) and saves it deterministically: entries in a fixed order, timestamps from the view's
`as_of`, fixed compression and attributes, so the same view gives the same bytes.

A writer lives as long as a worker process; it reads an office's reference document once, up front, and
a reference that cannot be used is a `BuildError` before any memo is written.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Final

from docx.document import Document as DocxDocument

from ...book import BookView
from ...errors import BuildError, Diagnostic, Severity
from ...render import TemplateSet
from ...select import View
from .. import Rendered
from .builder import PAPERS, Builder
from .memo_xml import parse_memo, plain, strip_bad_chars
from .reference import open_base, read_reference
from .styles import Look

CATEGORY: Final = "render.docx"
"""The category of the warnings a memo's rendering gives (`--strict` and `summary` select by it)."""


class DocxWriter:
    """Write audience views as Word memos, optionally styled by an office's reference .docx.

    `paper` ("A4" or "Letter") sets the page size. A reference document keeps its own margins,
    orientation, styles and the pictures of its headers and footers (a logo); styles it lacks are added
    with plain definitions. Nothing it says is kept: its body, the text of its headers and footers
    (replaced by the memo's banner, marking and page numbers), comments, notes and document properties.
    A reference that cannot be read is a `BuildError` here, before any memo is written.
    """

    def __init__(
        self, templates: TemplateSet, *, reference_docx: Path | None = None, paper: str = "A4"
    ) -> None:
        if paper not in PAPERS:
            raise BuildError(
                Diagnostic("", 0, 0, f"unknown paper size '{paper}'; expected one of: {', '.join(PAPERS)}")
            )
        self.templates = templates
        self.paper = paper
        self.reference_docx = reference_docx
        self._reference: bytes | None = None
        if reference_docx is not None:
            self._reference = read_reference(reference_docx)
        self.look = Look.from_theme(templates.theme)

    def memo_xml(self, view: View, template_names: Sequence[str]) -> str:
        """The memo XML of `view`, from the first of `template_names` that exists."""
        return self.templates.render(list(template_names), {"view": view})

    def render(self, view: View, template_names: Sequence[str]) -> Rendered:
        document, warnings = self._document(view, template_names)
        return Rendered(data=_deterministic_zip(_save(document), view.as_of), warnings=tuple(warnings))

    def render_revisions(
        self, old: View | None, new: View, template_names: Sequence[str], *, banner: str
    ) -> Rendered:
        """The memo of `new` with native tracked changes against the memo of `old` (None: everything is an
        insertion), by the office, dated `new.as_of`. Its headers carry `banner`: the higher of the two
        views' banners, since deleted text from the old view stays in the file."""
        from .revisions import mark_revisions  # only change memos need it

        document, warnings = self._document(replace(new, banner=banner), template_names)
        before = None
        if old is not None:
            before, old_warnings = self._document(replace(old, banner=banner), template_names)
            warnings += old_warnings
        when = datetime(new.as_of.year, new.as_of.month, new.as_of.day, tzinfo=UTC)
        mark_revisions(before, document, author=plain(new.office.name), when=when)
        return Rendered(data=_deterministic_zip(_save(document), new.as_of), warnings=tuple(warnings))

    def render_book(self, view: BookView, template_names: Sequence[str]) -> Rendered:
        """A briefing book: its parts as sections, each with its own banner, and a contents field."""
        from .book import render_book  # only books need it

        return render_book(self, view, template_names)

    def _document(self, view: View, template_names: Sequence[str]) -> tuple[DocxDocument, list[Diagnostic]]:
        xml = self.memo_xml(view, template_names)
        where = self._template_shown(template_names)
        warnings: list[Diagnostic] = []
        clean, stripped = strip_bad_chars(xml)
        if stripped:
            message = (
                f"memo for {view.id} ({view.audience_name}): removed {stripped} character(s) "
                "that XML cannot hold"
            )
            warnings.append(Diagnostic(where, 0, 0, message, Severity.WARNING, CATEGORY))
        root = parse_memo(clean, where, view)
        document = open_base(self._reference, self.reference_docx)
        branded = self._reference is None
        Builder(
            document,
            view,
            branded=branded,
            paper=self.paper,
            look=self.look,
            catalogue=self.templates.catalogue,
        ).build(root)
        return document, warnings

    def _template_shown(self, template_names: Sequence[str]) -> str:
        """How messages name the memo's template: the file the first existing name resolved to."""
        template = self.templates.env.select_template(list(template_names))
        return self.templates.template_path(template.filename, template.name)


def _save(document: DocxDocument) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _deterministic_zip(data: bytes, as_of: date) -> bytes:
    """Rewrite the package: same entry order, timestamps from `as_of`, fixed compression and attributes."""
    year = min(max(as_of.year, 1980), 2107)
    stamp = (year, as_of.month, as_of.day, 0, 0, 0)
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            target.writestr(entry, source.read(info.filename), compresslevel=6)
    return out.getvalue()
