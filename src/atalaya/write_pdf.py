"""Turn an audience `View` into PDF bytes: briefing HTML from the templates, laid out and written by WeasyPrint.

One `PdfWriter` lives in each worker process. It parses the stylesheets once, keeps one font configuration
holding exactly the font files the briefing uses (declared by @font-face from the font packages' own file
paths, never looked up through fontconfig), and renders every document through one locked URL fetcher that
may read only `data:` URLs, those font files and files under the templates' `assets/` folder: any other
fetch (http, https, other files) stops the render with a `BuildError`.

Output is deterministic: dates come from the content (`as_of`), `SOURCE_DATE_EPOCH` is set from `as_of`
while the PDF is written (fontTools stamps embedded font subsets with it) and the file identifier is a hash
of the content, so the same view gives the same bytes whatever the clock says.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import font_source_sans_pro
import font_source_serif_pro
import pydyf
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.pdf import VARIANTS
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .errors import BuildError, Diagnostic, UsageError
from .render import TemplateSet
from .select import View

PAPERS = {"A4": "A4", "Letter": "letter"}
FIT_LEVELS = 4
"""How many tighter settings (`fit-1`...) the writer tries before a briefing is over its page budget."""

SERIF = "Source Serif Pro"
SANS = "Source Sans Pro"


@dataclass(frozen=True)
class FontFace:
    """One @font-face rule: a family, weight and style bound to one exact font file."""

    family: str
    weight: int
    style: str
    path: Path

    def css(self) -> str:
        return (
            "@font-face {"
            f' font-family: "{self.family}"; font-weight: {self.weight}; font-style: {self.style};'
            f' src: url("{self.path.as_uri()}") format("truetype"); }}'
        )


# Only the faces the briefing stylesheet uses: every face declared costs a font-config entry, and every
# face used costs a subsetting pass per document.
_FACES: tuple[tuple[str, int, str, str], ...] = (
    (SERIF, 400, "normal", "SourceSerifPro-Regular.ttf"),
    (SERIF, 400, "italic", "SourceSerifPro-It.ttf"),
    (SERIF, 700, "normal", "SourceSerifPro-Bold.ttf"),
    (SANS, 400, "normal", "SourceSansPro-Regular.ttf"),
    (SANS, 600, "normal", "SourceSansPro-Semibold.ttf"),
)


def font_faces() -> tuple[FontFace, ...]:
    """The briefing's font faces, located exactly in the installed font packages."""
    folders = {
        SERIF: Path(font_source_serif_pro.font_directory),
        SANS: Path(font_source_sans_pro.font_directory),
    }
    faces = []
    for family, weight, style, filename in _FACES:
        path = (folders[family] / filename).resolve()
        if not path.is_file():
            raise BuildError(
                Diagnostic(str(path), 0, 0, f"font file for {family} {weight} {style} not found; "
                           "reinstall the font-source-serif-pro and font-source-sans-pro packages")
            )
        faces.append(FontFace(family, weight, style, path))
    return tuple(faces)


def font_face_css(faces: tuple[FontFace, ...]) -> str:
    return "\n".join(face.css() for face in faces) + "\n"


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    html: str
    warnings: tuple[str, ...]


class RefusedURL(FatalURLFetchingError):
    """A fetch the briefing is not allowed to make; stops the render."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused to load {url}: {reason}")
        self.url = url
        self.reason = reason


class LockedFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type hints
    """Fetch only `data:` URLs, the exact font files and files under the assets folder."""

    def __init__(self, assets: Path, files: frozenset[Path]) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, fail_on_errors=True)
        self.assets = assets.resolve()
        self.files = files
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                self._refuse(url, "file URLs must name a local file")
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if path in self.files or (path.is_relative_to(self.assets) and path.is_file()):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
            if path.is_relative_to(self.assets):
                self._refuse(url, f"no such file in {self.assets}")
            self._refuse(url, f"only data: URLs, the briefing fonts and files under {self.assets} may be loaded")
        self._refuse(url, "briefings load nothing over the network; only data: URLs, the briefing fonts "
                     f"and files under {self.assets} may be loaded")
        raise AssertionError("unreachable")  # pragma: no cover

    def _refuse(self, url: str, reason: str) -> None:
        self.refused.append(url)
        raise RefusedURL(url, reason)


# Notices about the machine rather than the document (WeasyPrint subsets with fontTools when the
# HarfBuzz subsetting library is not installed): not returned as document warnings.
_ENVIRONMENT_NOTICES = re.compile(r"^Using fontTools instead of HarfBuzz-Subset")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not _ENVIRONMENT_NOTICES.match(message):
            self.messages.append(f"{record.levelname.lower()}: {message}")


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    """Collect what WeasyPrint logs (logger 'weasyprint') while the block runs."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


@contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH (read by fontTools when it stamps font subsets) for the block only."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _target(view: View) -> str:
    return f"{view.audience_name}/{view.id}.pdf"


class PdfWriter:
    """One per worker process: keeps font configuration and parsed stylesheets across documents."""

    def __init__(self, templates: TemplateSet, *, paper: str = "A4", pdf_variant: str | None = None) -> None:
        if paper not in PAPERS:
            raise UsageError(f"unknown paper size '{paper}'; expected one of: {', '.join(PAPERS)}")
        if pdf_variant is not None and pdf_variant not in VARIANTS:
            raise UsageError(
                f"unknown PDF variant '{pdf_variant}'; expected one of: {', '.join(sorted(VARIANTS))}"
            )
        self.templates = templates
        self.paper = paper
        self.pdf_variant = pdf_variant
        self.faces = font_faces()
        assets = templates.root / "assets"
        self.fetcher = LockedFetcher(assets, frozenset(face.path for face in self.faces))
        self.base_url = assets.resolve().as_uri() + "/"
        self.font_config = FontConfiguration()
        self.counter_style = CounterStyle()
        stylesheet = templates.root / "briefing" / "briefing.css"
        sources = [font_face_css(self.faces)]
        if stylesheet.is_file():
            sources.append(stylesheet.read_text(encoding="utf-8"))
        sources.append(f"@page {{ size: {PAPERS[paper]}; }}\n")
        with _captured_warnings() as messages:
            try:
                self.stylesheets = [
                    CSS(
                        string=source,
                        base_url=self.base_url,
                        url_fetcher=self.fetcher,
                        font_config=self.font_config,
                        counter_style=self.counter_style,
                    )
                    for source in sources
                ]
            except FatalURLFetchingError as exc:
                raise BuildError(Diagnostic(str(stylesheet), 0, 0, str(exc))) from None
        self.stylesheet_warnings = tuple(messages)
        """What WeasyPrint said about the stylesheets (unknown properties, ...), once per writer."""

    def _options(self) -> dict[str, Any]:
        return {"pdf_variant": self.pdf_variant, "pdf_tags": True, "pdf_identifier": True}

    def render(self, view: View) -> RenderedPdf:
        budget = view.audience.page_budget
        epoch = int(datetime.combine(view.as_of, time(0), tzinfo=UTC).timestamp())
        with _captured_warnings() as messages, _source_date_epoch(epoch):
            try:
                for fit in range(FIT_LEVELS):
                    html = self.templates.briefing_html(view, fit=fit, paper=self.paper)
                    document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
                        font_config=self.font_config,
                        counter_style=self.counter_style,
                        stylesheets=self.stylesheets,
                        **self._options(),
                    )
                    if len(document.pages) <= budget:
                        break
                    messages.clear()
                pages = len(document.pages)
                if pages > budget:
                    raise BuildError(
                        Diagnostic(
                            _target(view), 0, 0,
                            f"the {view.audience_name} briefing on {view.id} runs to {pages} pages even "
                            f"at its tightest setting; the page budget is {budget}: shorten the content "
                            f"of its sections ({', '.join(view.sections)})",
                        )
                    )
                data = document.write_pdf(finisher=_finisher(view), **self._options())
            except FatalURLFetchingError as exc:
                raise BuildError(Diagnostic(_target(view), 0, 0, str(exc))) from None
        families = {SERIF, SANS}
        fallback = sorted({font.family for font in document.fonts.values()} - families)
        warnings = list(messages)
        if fallback:
            warnings.append(
                f"warning: some characters are missing from {SERIF} and {SANS}; drawn with "
                f"{', '.join(fallback)} found by fontconfig"
            )
        return RenderedPdf(data=data, pages=pages, html=html, warnings=tuple(warnings))


def _finisher(view: View) -> Any:
    """Document information WeasyPrint does not take from HTML: the publisher."""

    def finish(document: Any, pdf: Any) -> None:
        pdf.info["Publisher"] = pydyf.String(view.office.publisher)

    return finish
