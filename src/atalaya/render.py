"""Turn an audience `View` into text through Jinja: briefing HTML for the PDF, memo XML for the DOCX.

Autoescape is on for both (content is always text, never markup) and undefined names fail the render.
Templates are looked up per audience, falling back to the shared base:
`briefing/<audience>.html.j2` else `briefing/base.html.j2`; `memo/<audience>.xml.j2` else `memo/base.xml.j2`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from .errors import Diagnostic, TemplateError, shown_path
from .model import PartialDate
from .select import View

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
KIND_LABELS = {
    "treaty": "Treaty",
    "organization": "Organization",
    "council": "Council",
    "forum": "Forum",
    "conference": "Conference",
    "board": "Board",
    "programme": "Programme",
    "bilateral-agreement": "Bilateral agreement",
    "convention": "Convention",
    "mission": "Mission",
    "engagement": "External engagement",
    "initiative": "Initiative",
}


def format_date(value: PartialDate | date | None, *, short: bool = False) -> str:
    """`1947-09-02` as "2 September 1947", `1947-09` as "September 1947", `1947` as "1947";
    with `short`, months as "Sep"."""
    if value is None:
        return ""
    if isinstance(value, date):
        value = PartialDate(value.year, value.month, value.day)
    if value.month is None:
        return str(value.year)
    month = MONTHS[value.month - 1][:3] if short else MONTHS[value.month - 1]
    if value.day is None:
        return f"{month} {value.year}"
    return f"{value.day} {month} {value.year}"


def label(value: str) -> str:
    """A slug as words: `single-source` -> "Single-source", `transnational-crime` -> "Transnational crime"."""
    if value in KIND_LABELS:
        return KIND_LABELS[value]
    words = value.replace("_", " ")
    if value not in ("single-source",):
        words = words.replace("-", " ")
    return words[:1].upper() + words[1:]


def cites(numbers: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(n) for n in numbers) + "]" if numbers else ""


class TemplateSet:
    """The Jinja environment over one templates folder (briefing/, memo/, partials/, assets/)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(root)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(date=format_date, label=label, cites=cites)
        self.env.globals.update(_extra_globals())

    def _render(self, names: list[str], context: dict[str, Any]) -> str:
        try:
            template = self.env.select_template(names)
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or exc.name or names[-1]
            raise TemplateError(
                Diagnostic(shown_path(self.root / where), exc.lineno or 1, 1, exc.message or "syntax error")
            ) from None
        except jinja2.TemplatesNotFound:
            raise TemplateError(
                Diagnostic(str(self.root), 0, 0, f"no template found: tried {', '.join(names)}")
            ) from None
        except jinja2.UndefinedError as exc:
            line, name = _template_frame(exc)
            raise TemplateError(
                Diagnostic(shown_path(self.root / (name or names[-1])), line, 1, str(exc))
            ) from None

    def briefing_html(self, view: View, **options: Any) -> str:
        names = [f"briefing/{view.audience_name}.html.j2", "briefing/base.html.j2"]
        return self._render(names, {"view": view, **options})

    def memo_xml(self, view: View, **options: Any) -> str:
        names = [f"memo/{view.audience_name}.xml.j2", "memo/base.xml.j2"]
        return self._render(names, {"view": view, **options})

    def files(self) -> list[Path]:
        """Every file in the templates folder: what a document's input hash covers."""
        return sorted(p for p in self.root.rglob("*") if p.is_file())


def _template_frame(exc: BaseException) -> tuple[int, str | None]:
    """The template line an error was raised from, found in the traceback Jinja rewrites."""
    tb = exc.__traceback__
    found: tuple[int, str | None] = (1, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (tb.tb_lineno, filename)
        tb = tb.tb_next
    return found


def _extra_globals() -> dict[str, Any]:
    from .figures import timeline_svg

    return {"timeline_svg": timeline_svg}
