"""The PDF briefing format: declared here (cheap); WeasyPrint loads only when a writer is made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...errors import Diagnostic, Severity
from .. import Format, Rendered, register

if TYPE_CHECKING:
    from ...plan import Options
    from ...render import TemplateSet


class _PdfAdapter:
    def __init__(self, templates: TemplateSet, options: Options) -> None:
        from ...write_pdf import PdfWriter

        self.writer = PdfWriter(templates, paper=options.paper or "A4", pdf_variant=options.pdf_variant)

    def render(self, view: Any, template_names: Sequence[str]) -> Rendered:
        pdf = self.writer.render(view)
        return Rendered(
            data=pdf.data,
            pages=pdf.pages,
            side_files={".html": pdf.html.encode("utf-8")},
            warnings=tuple(Diagnostic("", 0, 0, message, Severity.WARNING) for message in pdf.warnings),
        )


def _make_writer(templates: TemplateSet, options: Options) -> _PdfAdapter:
    return _PdfAdapter(templates, options)


PDF = register(
    Format(
        name="pdf",
        suffix=".pdf",
        template_folder="briefing",
        cost=4,
        make_writer=_make_writer,
        side_suffixes=(".html",),
    )
)
