"""The PDF briefing format: declared here (cheap); WeasyPrint loads only when a writer is made.

`fonts` prepares the font faces, `text` makes long runs of text breakable, `writer` lays a view out and
writes the PDF (with its standalone HTML as the `.html` side file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import Format, register

if TYPE_CHECKING:
    from ...plan import Options
    from ...render import TemplateSet
    from .writer import PdfWriter


def _make_writer(templates: TemplateSet, options: Options) -> PdfWriter:
    from .writer import PdfWriter

    return PdfWriter(
        templates, paper=options.paper or "A4", pdf_variant=options.pdf_variant, folder=PDF.template_folder
    )


PDF = register(
    Format(
        name="pdf",
        suffix=".pdf",
        template_folder="briefing",
        cost=4,
        make_writer=_make_writer,
        side_suffixes=(".html",),
        template_suffix=".html.j2",
        option_names=("paper", "pdf_variant"),
    )
)
