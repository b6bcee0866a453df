"""The Word memo format: declared here (cheap); python-docx loads only when a writer is made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...errors import Diagnostic, Severity
from .. import Format, Rendered, register

if TYPE_CHECKING:
    from ...plan import Options
    from ...render import TemplateSet


class _DocxAdapter:
    def __init__(self, templates: TemplateSet, options: Options) -> None:
        from ...write_docx import DocxWriter

        self.writer = DocxWriter(
            templates, reference_docx=options.reference_docx, paper=options.paper or "A4"
        )

    def render(self, view: Any, template_names: Sequence[str]) -> Rendered:
        memo = self.writer.render(view)
        return Rendered(
            data=memo.data,
            warnings=tuple(Diagnostic("", 0, 0, message, Severity.WARNING) for message in memo.warnings),
        )


def _make_writer(templates: TemplateSet, options: Options) -> _DocxAdapter:
    return _DocxAdapter(templates, options)


DOCX = register(Format(name="docx", suffix=".docx", template_folder="memo", cost=1, make_writer=_make_writer))
