"""The Word memo format: declared here (cheap); python-docx loads only when a writer is made.

`memo_xml` parses and checks the memo XML the templates render, `styles` turns the theme into Word
styles and numbering, `reference` reads and cleans an office's reference document, `builder` maps memo
XML onto the document, and `writer` renders a view into the .docx bytes (the `Writer` contract).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import Format, register

if TYPE_CHECKING:
    from ...plan import Options
    from ...render import TemplateSet
    from .writer import DocxWriter


def _make_writer(templates: TemplateSet, options: Options) -> DocxWriter:
    from .writer import DocxWriter

    return DocxWriter(templates, reference_docx=options.reference_docx, paper=options.paper or "A4")


DOCX = register(
    Format(
        name="docx",
        suffix=".docx",
        template_folder="memo",
        cost=1,
        make_writer=_make_writer,
        template_suffix=".xml.j2",
        option_names=("paper", "reference_docx"),
    )
)
