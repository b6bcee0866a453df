"""Turn an audience view into PDF bytes: briefing HTML from the templates, laid out by WeasyPrint.

One `PdfWriter` lives in each worker process. It parses the stylesheets once (the theme's variables, the
font faces, the briefing stylesheet, the paper size), keeps one font configuration holding exactly the font
files the briefing uses (`fonts`), and renders every document through one locked URL fetcher that may read
only `data:` URLs, those font files and files under the templates' `assets/` folder: any other fetch (http,
https, other files) stops the render with a `BuildError`.

Before layout, every run of text too long to break gets invisible break opportunities (`text.breakable`).
The HTML kept beside a PDF (`--html`, the `.html` side file) carries its stylesheets inline and names its
font faces instead of linking the files, so it renders alone and carries no path of the machine.

Output is deterministic: dates come from the content (`as_of`), `SOURCE_DATE_EPOCH` is set from `as_of`
while the PDF is written (fontTools stamps embedded font subsets with it) and the file identifier is a hash
of the content, so the same view gives the same bytes whatever the clock says.

Every PDF is tagged for PDF/UA-1 (`pdf/ua-1`, what `pdfua check` verifies): a structure tree, the document
language, the title shown by viewers, alternative text on figures (an SVG's `<title>`), a `/Scope` on
every table header cell (from the HTML `scope`, which WeasyPrint does not carry over) and the PDF/UA
identification in the XMP metadata. With another variant (`--pdfa`: PDF/A-3b) the identification is added
to that variant's XMP, with the extension schema PDF/A requires for it, so the file claims both.
"""

from __future__ import annotations

import importlib.resources
import io
import logging
import mimetypes
import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pydyf

from ...book import BookView
from ...errors import BuildError, Diagnostic, TemplateError, UsageError, shown_path, warning
from ...render import TemplateSet
from ...select import View
from .. import Rendered
from .fonts import SANS, SERIF, font_face_css, font_faces, prepare_face
from .text import breakable

with warnings.catch_warnings():
    # Without the HarfBuzz subsetting library WeasyPrint warns at import time. The writer embeds prepared
    # faces whole (`full_fonts`) and subsets nothing per document, so the library is not needed.
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning)
    from weasyprint import CSS, HTML
    from weasyprint.css import ColorProfile
    from weasyprint.css.counters import CounterStyle
    from weasyprint.pdf import VARIANTS
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

PAPERS = {"A4": "A4", "Letter": "letter"}
FIT_LEVELS = 5
"""How many tighter settings (`fit-1`...) the writer tries before a briefing is over its page budget."""
ACCESSIBLE = "pdf/ua-1"
"""The variant every PDF conforms to; another variant (PDF/A) is written with its identification added."""
STYLESHEET = "briefing.css"
"""The stylesheet's name in the format's template folder (`briefing/briefing.css`)."""

WEASYPRINT = "render.weasyprint"
"""The category of what WeasyPrint says about a document or its stylesheets (an unknown property, ...)."""
FONT = "render.font"
"""The category of a face drawn that the briefing does not declare (a fontconfig fallback, a synthesized
style): the document would not look as designed, or would draw text with whatever the machine has."""

_STYLES = {0: "normal", 1: "oblique", 2: "italic"}
_SRGB = "srgb-icc"


@dataclass(frozen=True)
class LaidOut:
    """A briefing laid out in pages, not yet written: the WeasyPrint document, its HTML and setting."""

    document: Any
    html: str
    fit: int
    """0 for the normal setting; 1 to FIT_LEVELS - 1 when the writer had to tighten it to fit the budget."""
    warnings: tuple[str, ...]


class RefusedURL(FatalURLFetchingError):  # type: ignore[misc]  # weasyprint ships no type hints
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
        self.refused: list[RefusedURL] = []
        """Every refusal, including those a part of WeasyPrint swallows (SVG drawing logs and goes on)."""

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
            self._refuse(
                url, f"only data: URLs, the briefing fonts and files under {self.assets} may be loaded"
            )
        self._refuse(
            url,
            "briefings load nothing over the network; only data: URLs, the briefing fonts "
            f"and files under {self.assets} may be loaded",
        )
        raise AssertionError("unreachable")  # pragma: no cover

    def _refuse(self, url: str, reason: str) -> None:
        refusal = RefusedURL(url, reason)
        self.refused.append(refusal)
        raise refusal


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
            self.messages.append(message)


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


@dataclass(frozen=True)
class _Sheets:
    """The format's stylesheets, parsed once per writer."""

    parsed: list[Any]
    warnings: tuple[str, ...]
    """What WeasyPrint said about the stylesheets (unknown properties, ...): parsed once, but returned
    with every document's warnings, since every document is drawn with them."""
    inline: str
    """The stylesheets as text, written into kept HTML (`--html`) so it renders alone, as the PDF does
    where the Source faces are installed (else in the generic serif and sans-serif). The faces are named,
    not linked: a kept file carries no path of the machine that built it."""


class PdfWriter:
    """One per worker process: keeps font configuration and parsed stylesheets across documents.

    Implements the formats' `Writer` contract: `render(view, template_names) -> Rendered`.
    """

    def __init__(
        self,
        templates: TemplateSet,
        *,
        paper: str = "A4",
        pdf_variant: str | None = None,
        folder: str = "briefing",
    ) -> None:
        if paper not in PAPERS:
            raise UsageError(f"unknown paper size '{paper}'; expected one of: {', '.join(PAPERS)}")
        if pdf_variant is not None and pdf_variant not in VARIANTS:
            raise UsageError(
                f"unknown PDF variant '{pdf_variant}'; expected one of: {', '.join(sorted(VARIANTS))}"
            )
        self.templates = templates
        self.paper = paper
        self.pdf_variant = pdf_variant
        self.theme = templates.theme
        self.faces = tuple(prepare_face(face) for face in font_faces())
        self._check_theme_faces()
        assets = templates.root / "assets"
        self.fetcher = LockedFetcher(assets, frozenset(face.path for face in self.faces))
        self.base_url = assets.resolve().as_uri() + "/"
        self.font_config = FontConfiguration()
        self.counter_style = CounterStyle()
        self.color_profiles: dict[str, Any] = {}
        if pdf_variant is not None and VARIANTS[pdf_variant][1].get("output_intent") == "srgb":
            # The sRGB output intent PDF/A needs, read once and closed (WeasyPrint's own 'srgb' intent
            # opens the profile file per document and never closes it).
            icc = (importlib.resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
            self.color_profiles[_SRGB] = _FixedProfile(icc)
        self.sheets = self._parse(templates.root / folder / STYLESHEET)

    def _parse(self, stylesheet: Path) -> _Sheets:
        """The stylesheets, parsed once: a refused fetch in them stops the writer before any document."""
        variables = self.theme.css_variables()
        sources = [variables, font_face_css(self.faces)]
        if stylesheet.is_file():
            sources.append(stylesheet.read_text(encoding="utf-8"))
        sources.append(f"@page {{ size: {PAPERS[self.paper]}; }}\n")
        with _captured_warnings() as messages:
            try:
                parsed = [
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
                raise BuildError(Diagnostic(shown_path(stylesheet), 0, 0, str(exc))) from None
        inline = "\n".join([variables, font_face_css(self.faces, local=True), *sources[2:]])
        return _Sheets(parsed, tuple(messages), inline)

    def _check_theme_faces(self) -> None:
        """The theme may name only faces the PDF embeds: any other would be drawn with whatever
        fontconfig finds."""
        families = {face.family for face in self.faces}
        wrong = [
            f"{name} = {face.name!r}" for name, face in self.theme.faces.items() if face.name not in families
        ]
        if wrong:
            embedded = " and ".join(sorted(families))
            message = f"the PDF embeds only {embedded}; the theme names {', '.join(wrong)}"
            raise TemplateError(Diagnostic(shown_path(self.theme.path), 0, 0, message))

    def _refusal(self, message: str) -> BuildError:
        """A refused fetch: only templates can ask for one (content is always escaped text)."""
        return BuildError(Diagnostic(shown_path(self.templates.root), 0, 0, message))

    def _check_refusals(self) -> None:
        if self.fetcher.refused:
            raise self._refusal(str(self.fetcher.refused[0]))

    def _font_problems(self, document: Any) -> list[str]:
        """Faces drawn that the briefing does not declare: fontconfig fallbacks or synthesized styles."""
        declared = {(face.family, face.weight, face.style) for face in self.faces}
        families = {face.family for face in self.faces}
        problems = set()
        for font in document.fonts.values():
            style = _STYLES.get(font.style, "normal")
            if font.family not in families:
                problems.add(
                    f"characters missing from {SERIF} and {SANS} were drawn with {font.family} "
                    "(found by fontconfig)"
                )
            elif (font.family, font.weight, style) not in declared:
                problems.add(
                    f"{font.family} {font.weight} {style} is not declared; Pango synthesized it "
                    "(use a declared weight and style)"
                )
        return sorted(problems)

    def _options(self) -> dict[str, Any]:
        # full_fonts: prepared faces are embedded whole, with no per-document subsetting (see prepare_face)
        options: dict[str, Any] = {
            "pdf_variant": self.pdf_variant or ACCESSIBLE,
            "pdf_tags": True,
            "pdf_identifier": True,
            "full_fonts": True,
        }
        if self.color_profiles:
            options["output_intent"] = _SRGB
        return options

    def html(
        self,
        view: View | BookView,
        template_names: Sequence[str],
        fit: int = 0,
        context: Mapping[str, object] | None = None,
    ) -> str:
        """The briefing's HTML at one setting (0 normal, up to FIT_LEVELS - 1 tightest), before layout;
        `context` adds variables for the template (a briefing book's part and page numbers)."""
        variables = {"view": view, "fit": fit, "paper": self.paper, **(context or {})}
        return breakable(self.templates.render(list(template_names), variables), view.office.language)

    def lay_out(self, html: str) -> tuple[Any, list[str]]:
        """One HTML document laid out: WeasyPrint's document and what it logged. Raises `BuildError` when
        the document tries to load anything the fetcher refuses."""
        self.fetcher.refused.clear()
        with _captured_warnings() as messages:
            try:
                document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
                    font_config=self.font_config,
                    counter_style=self.counter_style,
                    color_profiles=self.color_profiles,
                    stylesheets=self.sheets.parsed,
                    **self._options(),
                )
            except FatalURLFetchingError as exc:
                raise self._refusal(str(exc)) from None
        self._check_refusals()
        return document, list(messages)

    def layout(self, view: View, template_names: Sequence[str]) -> LaidOut:
        """Lay the view out within its audience's page budget, tightening the setting when it overflows.

        When even the tightest setting overflows, that layout is returned: the caller enforces the budget
        (it knows which content file to blame). Raises `BuildError` when the document tries to load
        anything the fetcher refuses, `TemplateError` when the templates fail.
        """
        names = list(template_names)
        # A view may set its own budget (a briefing book's is None: no budget, laid out once).
        budget = getattr(view, "page_budget", view.audience.page_budget)
        for fit in range(FIT_LEVELS):
            html = self.html(view, names, fit)
            document, messages = self.lay_out(html)
            if budget is None or len(document.pages) <= budget:
                break
        return LaidOut(document, html, fit, tuple(messages))

    def render_book(self, view: BookView, template_names: Sequence[str]) -> Rendered:
        """A briefing book: its parts laid out one by one and joined (see `book`)."""
        from .book import render_book  # only books need it

        return render_book(self, view, template_names)

    def render(self, view: View, template_names: Sequence[str]) -> Rendered:
        """The PDF of `view` from the first of `template_names` that exists, with the standalone HTML as
        the `.html` side file and every warning WeasyPrint gave (stylesheets, layout, writing) or the
        fonts raise (faces drawn that the briefing does not declare)."""
        return self.write(view, self.layout(view, template_names))

    def write(self, view: View | BookView, laid_out: LaidOut) -> Rendered:
        """The PDF of a briefing `layout` already laid out (the preview server lays a view out once for
        its HTML and its PDF); `render` is `write(view, layout(view, names))`."""
        epoch = int(datetime.combine(view.as_of, time(0), tzinfo=UTC).timestamp())
        with _captured_warnings() as messages, _source_date_epoch(epoch):
            try:
                options = self._options()
                claim_ua = not options["pdf_variant"].startswith("pdf/ua")
                data = laid_out.document.write_pdf(finisher=_finisher(view, claim_ua=claim_ua), **options)
            except FatalURLFetchingError as exc:
                raise self._refusal(str(exc)) from None
        self._check_refusals()
        # Unlocated: the engine names the content file of the document they came from.
        found = [
            *(warning("", 0, 0, message, WEASYPRINT) for message in self.sheets.warnings),
            *(warning("", 0, 0, message, WEASYPRINT) for message in laid_out.warnings),
            *(warning("", 0, 0, message, WEASYPRINT) for message in messages),
            *(warning("", 0, 0, problem, FONT) for problem in self._font_problems(laid_out.document)),
        ]
        standalone = laid_out.html.replace("</head>", f"<style>\n{self.sheets.inline}</style>\n</head>", 1)
        return Rendered(
            data=data,
            pages=len(laid_out.document.pages),
            side_files={".html": standalone.encode("utf-8")},
            warnings=tuple(found),
        )


class _FixedProfile(ColorProfile):  # type: ignore[misc]  # weasyprint ships no type hints
    """The sRGB profile embedded as its file's bytes: Pillow re-serializes a profile differently each
    time it is asked (the second PDF/A would differ from the first)."""

    def __init__(self, icc: bytes) -> None:
        super().__init__(io.BytesIO(icc), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"]))
        self._icc = icc

    @property
    def content(self) -> bytes:
        return self._icc


def _finisher(view: View | BookView, *, claim_ua: bool) -> Any:
    """What WeasyPrint does not take from HTML: the publisher, the header cells' scope and, under another
    variant than PDF/UA-1 (`claim_ua`), the PDF/UA identification."""

    def finish(document: Any, pdf: Any) -> None:
        pdf.info["Publisher"] = pydyf.String(view.office.publisher)
        _scope_header_cells(document)
        if claim_ua:
            _claim_pdf_ua(document, pdf)

    return finish


_SCOPES = {"row": "/Row", "rowgroup": "/Row", "col": "/Column", "colgroup": "/Column"}


def _scope_header_cells(document: Any) -> None:
    """Give every table header cell's structure element the `/Scope` of its HTML `scope` attribute.

    WeasyPrint's tagging (`pdf.tags`) links data cells to header cells by `/Headers` and `/ID` but writes
    no `/Scope`, which PDF/UA-1 checkers (Matterhorn 15-003) look for on `TH`. It keeps each cell's
    structure element on the cell box as `mark`; a header without `scope` counts as a column header there,
    and here too.
    """
    for page in document.pages:
        boxes = [page._page_box]
        while boxes:
            box = boxes.pop()
            boxes.extend(getattr(box, "children", ()))
            mark = getattr(box, "mark", None)
            if mark is not None and box.element_tag == "th":
                mark["A"]["Scope"] = _SCOPES.get(box.element.get("scope", ""), "/Column")


_PDF_UA_IDENTIFICATION = b"""<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" \
pdfuaid:part="1"/>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" \
xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Indicates which part of ISO 14289 standard is followed</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
"""
"""PDF/UA-1 identification (`pdfuaid:part`) and the PDF/A extension schema that declares its namespace
(PDF/A allows only predefined or declared XMP properties)."""


def _claim_pdf_ua(document: Any, pdf: Any) -> None:
    """Add the PDF/UA-1 identification to the XMP packet another variant (PDF/A) wrote, or write a packet
    holding it where that variant wrote none."""
    reference = pdf.catalog.get("Metadata")
    if reference is None:
        document.metadata.include_in_pdf(pdf, "ua", 1, None, compress=True)
        return
    stream = pdf.objects[int(reference.split()[0])]
    packet = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in stream.stream)
    end = packet.rindex(b"</rdf:RDF>")
    stream.stream = [packet[:end] + _PDF_UA_IDENTIFICATION + packet[end:]]
