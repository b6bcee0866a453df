"""Turn an audience `View` into text through Jinja: briefing HTML for the PDF, memo XML for the DOCX.

Autoescape is on for both (content is always text, never markup) and undefined names fail the render.
Templates are looked up per audience, falling back to the shared base:
`briefing/<audience>.html.j2` else `briefing/base.html.j2`; `memo/<audience>.xml.j2` else `memo/base.xml.j2`.
"""

from __future__ import annotations

import functools
import os
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from .errors import Diagnostic, TemplateError, shown_path
from .figures import timeline_svg
from .i18n import SOURCE_LANGUAGE, Catalogue, catalogue
from .load import shown_value
from .maps import americas_map, view_states
from .model import PartialDate
from .select import View
from .theme import Theme, load_theme


def format_date(value: PartialDate | date | None, *, short: bool = False) -> str:
    """A date in the source language (English): "2 September 1947", "September 1947", "1947"; with
    `short`, months as "Sep". An edition's dates: `TemplateSet.catalogue.format_date`."""
    return catalogue(SOURCE_LANGUAGE).format_date(value, short=short)


def label(value: str) -> str:
    """A slug as English words: `single-source` -> "Single-source", `transnational-crime` ->
    "Transnational crime". An edition's labels: `TemplateSet.catalogue.label`."""
    return catalogue(SOURCE_LANGUAGE).label(value)


def cites(numbers: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(n) for n in numbers) + "]" if numbers else ""


class TemplateSet:
    """The Jinja environment over one templates folder (briefing/, memo/, partials/, assets/, theme.toml)
    in one language.

    `theme` is the folder's theme (`atalaya.theme`), a global every template can use
    (`{{ theme.colour("accent") }}`); `catalogue` is the language's (`atalaya.i18n`): the `date` and
    `label` filters and the figures write in it, and its messages are installed for `jinja2.ext.i18n`
    (`{{ _("Key facts") }}`, `{% trans %}`), new-style (translations are escaped and take `%(name)s`
    keyword arguments)."""

    def __init__(self, root: Path, *, language: str = SOURCE_LANGUAGE) -> None:
        self.root = root
        self.language = language
        self.theme: Theme = load_theme(root)
        self.catalogue: Catalogue = catalogue(language)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(root)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
        )
        self.env.install_gettext_translations(self.catalogue, newstyle=True)  # type: ignore[attr-defined]
        self.env.filters.update(date=self.catalogue.format_date, label=self.catalogue.label, cites=cites)
        self.env.globals.update(
            theme=self.theme,
            catalogue=self.catalogue,
            timeline_svg=functools.partial(timeline_svg, theme=self.theme, catalogue=self.catalogue),
            americas_map=functools.partial(americas_map, theme=self.theme, catalogue=self.catalogue),
            view_states=view_states,
        )

    def render(self, names: str | list[str], context: dict[str, Any]) -> str:
        """Render the first template of `names` that exists; any error the templates cause (syntax, a
        missing template or include, an undefined name, an exception raised by template code) becomes a
        `TemplateError` naming the template file (the partial's own, for an include) and its line."""
        names = [names] if isinstance(names, str) else names
        try:
            return self.env.select_template(names).render(context)
        except Exception as exc:
            diagnostic = self.diagnostic(exc, names)
            if diagnostic is None:
                raise
            raise TemplateError(diagnostic) from None

    def template_path(self, filename: str | None, name: str | None = None) -> str:
        """How messages name a template: Jinja's file name is already under the templates folder."""
        if filename and not filename.startswith("<"):
            return shown_path(Path(filename))
        return shown_path(self.root / name) if name else shown_path(self.root)

    def diagnostic(self, exc: BaseException, names: list[str]) -> Diagnostic | None:
        """The located diagnostic for an exception raised while loading or rendering templates; None for
        one the templates did not cause (a bug in the pipeline, which keeps its traceback)."""
        if isinstance(exc, jinja2.TemplateSyntaxError):
            where = self.template_path(exc.filename, exc.name or names[-1])
            return Diagnostic(where, exc.lineno or 1, 1, _one_line(exc.message or "template syntax error"))
        line, filename = _template_frame(exc)
        if filename is None:
            if isinstance(exc, jinja2.TemplateNotFound):
                tried = exc.templates if isinstance(exc, jinja2.TemplatesNotFound) else [exc.name]
                shown = ", ".join(str(name) for name in tried)
                return Diagnostic(shown_path(self.root), 0, 0, f"no template found: tried {shown}")
            if isinstance(exc, jinja2.TemplateError):
                return Diagnostic(self.template_path(None, names[-1]), 1, 1, _one_line(str(exc)))
            return None
        where = self.template_path(filename)
        if isinstance(exc, jinja2.TemplatesNotFound):
            message = f"no template found: tried {', '.join(str(name) for name in exc.templates)}"
        elif isinstance(exc, jinja2.TemplateNotFound):
            message = f"template '{exc.name}' not found"
        elif isinstance(exc, jinja2.TemplateError):
            message = str(exc)
        elif _raised_by_template(exc):
            message = f"{type(exc).__name__}: {exc}"
        else:
            return None
        return Diagnostic(where, line, 1, _one_line(message))

    def briefing_html(self, view: View, **options: Any) -> str:
        names = [f"briefing/{view.audience_name}.html.j2", "briefing/base.html.j2"]
        return self.render(names, {"view": view, **options})

    def memo_xml(self, view: View, **options: Any) -> str:
        names = [f"memo/{view.audience_name}.xml.j2", "memo/base.xml.j2"]
        return self.render(names, {"view": view, **options})

    def files(self) -> list[Path]:
        """Every file in the templates folder: what a document's input hash covers."""
        return sorted(p for p in self.root.rglob("*") if p.is_file())


def _template_frame(exc: BaseException) -> tuple[int, str | None]:
    """The innermost template line an error was raised from, found in the traceback Jinja rewrites."""
    tb = exc.__traceback__
    found: tuple[int, str | None] = (1, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (tb.tb_lineno, filename)
        tb = tb.tb_next
    return found


_JINJA_DIR = str(Path(jinja2.__file__).parent) + os.sep  # as Python names its frames


def _raised_by_template(exc: BaseException) -> bool:
    """Whether an exception comes from template code itself (`{{ 1 / 0 }}`, calling what is not callable)
    rather than from Python code a template called (a filter, a figure): the innermost frame outside
    Jinja's own package is a template's."""
    tb = exc.__traceback__
    last: str | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(_JINJA_DIR):
            last = filename
        tb = tb.tb_next
    return last is not None and last.endswith(".j2")


def _one_line(message: str) -> str:
    return shown_value(message, limit=400)
