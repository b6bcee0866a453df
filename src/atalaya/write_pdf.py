"""Turn an audience `View` into PDF bytes: briefing HTML from the templates, laid out by WeasyPrint.

One `PdfWriter` lives in each worker process. It parses the stylesheets once, keeps one font configuration
holding exactly the font files the briefing uses (declared by @font-face from the font packages' own file
paths, never looked up through fontconfig), and renders every document through one locked URL fetcher that
may read only `data:` URLs, those font files and files under the templates' `assets/` folder: any other
fetch (http, https, other files) stops the render with a `BuildError`.

Before layout, every run of text too long to break gets invisible break opportunities (`breakable`):
WeasyPrint alone lays out one long unbreakable word in time worse than quadratic in its length. The HTML
kept beside a PDF (`--html`) names its font faces instead of linking the files, so it carries no path of
the machine.

Output is deterministic: dates come from the content (`as_of`), `SOURCE_DATE_EPOCH` is set from `as_of`
while the PDF is written (fontTools stamps embedded font subsets with it) and the file identifier is a hash
of the content, so the same view gives the same bytes whatever the clock says.
"""

from __future__ import annotations

import importlib.resources
import io
import logging
import mimetypes
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import font_source_sans_pro
import font_source_serif_pro
import pydyf

from .errors import BuildError, Diagnostic, UsageError, shown_path
from .render import TemplateSet
from .select import View

with warnings.catch_warnings():
    # Without the HarfBuzz subsetting library WeasyPrint warns at import time; the writer reports it once
    # as an environment note (`PdfWriter.environment_notes`) instead.
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning)
    from weasyprint import CSS, HTML
    from weasyprint.css import ColorProfile
    from weasyprint.css.counters import CounterStyle
    from weasyprint.pdf import VARIANTS
    from weasyprint.text.ffi import harfbuzz_subset
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

PAPERS = {"A4": "A4", "Letter": "letter"}
FIT_LEVELS = 4
"""How many tighter settings (`fit-1`...) the writer tries before a briefing is over its page budget."""

_STYLES = {0: "normal", 1: "oblique", 2: "italic"}
_SRGB = "srgb-icc"

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

    def local_css(self) -> str:
        """The rule for a copy that leaves this machine (kept HTML): the face by the names an installed
        copy of it answers to (its full and PostScript names), no file path. Where no such font is
        installed the rule matches nothing and the reader falls back to the stylesheet's generic family."""
        from fontTools.ttLib import TTFont

        # Read from memory: a TTFont on a path leaves its file handle to the garbage collector.
        with TTFont(io.BytesIO(self.path.read_bytes())) as font:
            found = (font["name"].getDebugName(4), font["name"].getDebugName(6))  # full, PostScript
        local = dict.fromkeys(name for name in found if name and '"' not in name and "\\" not in name)
        sources = ", ".join(f'local("{name}")' for name in local) or f'local("{self.family}")'
        return (
            "@font-face {"
            f' font-family: "{self.family}"; font-weight: {self.weight}; font-style: {self.style};'
            f" src: {sources}; }}"
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


# The characters the prepared faces keep: Latin with every accent of Spanish, Portuguese and French (and the
# rest of Latin Extended), punctuation, currency, arrows and the few symbols the templates draw. Text outside
# these ranges falls back to a fontconfig font, and the writer warns (an error under --strict).
_KEPT_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x02B0, 0x02FF),
    (0x0300, 0x036F),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x25A0, 0x25FF),
)
# Ligatures (the U+FB00 code points and the `liga`/`clig` features) are left out on purpose: with fonts
# embedded whole, WeasyPrint maps a ligature glyph back to the wrong text, so "Staff" would be copied,
# searched and read aloud as "Staƿ".
_KEPT_FEATURES = ("kern", "ccmp", "locl", "mark", "mkmk", "onum", "lnum", "tnum", "pnum", "case")
_PREPARATION = "prepared-v3"


def _cache_folder() -> Path:
    configured = os.environ.get("ATALAYA_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atalaya"


def prepare_face(face: FontFace, cache: Path | None = None) -> FontFace:
    """The face with its font file prepared once per machine: Latin glyphs only, no hinting.

    WeasyPrint then embeds the prepared file whole (`full_fonts`) instead of subsetting every face of every
    document with fontTools, which was most of the time spent writing a PDF. The prepared file is cached
    under a name made from the original's bytes, the preparation and the fontTools version, and written
    without a timestamp, so the same inputs always give the same file (and the same PDF bytes).
    """
    import hashlib

    from fontTools import subset, version
    from fontTools.ttLib import TTFont

    original = face.path.read_bytes()
    key = hashlib.sha256(
        original + f"{_PREPARATION} {version} {_KEPT_RANGES} {_KEPT_FEATURES}".encode()
    ).hexdigest()
    folder = (cache or _cache_folder()) / "fonts"
    prepared = folder / f"{face.path.stem}-{key[:16]}.ttf"
    if not prepared.is_file():
        font = TTFont(io.BytesIO(original), recalcTimestamp=False, lazy=False)
        options = subset.Options()
        options.layout_features = list(_KEPT_FEATURES)
        options.hinting = False
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.recalc_timestamp = False
        wanted = [code for low, high in _KEPT_RANGES for code in range(low, high + 1)]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer, reorderTables=True)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{prepared.name}.{os.getpid()}"
        temporary.write_bytes(buffer.getvalue())
        temporary.replace(prepared)
    return FontFace(face.family, face.weight, face.style, prepared.resolve())


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
                Diagnostic(
                    str(path),
                    0,
                    0,
                    f"font file for {family} {weight} {style} not found; "
                    "reinstall the font-source-serif-pro and font-source-sans-pro packages",
                )
            )
        faces.append(FontFace(family, weight, style, path))
    return tuple(faces)


def font_face_css(faces: tuple[FontFace, ...], *, local: bool = False) -> str:
    """The @font-face rules: by file URL for WeasyPrint, or (`local`) by font name for a kept copy."""
    return "\n".join(face.local_css() if local else face.css() for face in faces) + "\n"


LONG_WORD = 64
"""Characters a run of text may hold between two line-break opportunities before the writer adds some."""
WORD_PIECE = 10
"""About how many characters the writer leaves between the break opportunities it adds to such a run."""
BREAK = "\u200b"
"""ZERO WIDTH SPACE: a line-break opportunity that draws nothing and is dropped from extracted text."""

# In the body, text between tags (no comments, raw-text or SVG elements in it) and the candidate runs in it:
# more than LONG_WORD characters without HTML white space (an entity such as `&amp;` counts as five here).
_TOKENS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_SKIPPED = re.compile(r"<(/?)(svg|style|script|textarea|title)\b", re.I)
_RUN = re.compile(rf"[^ \t\n\r\f{BREAK}]{{{LONG_WORD + 1},}}")
_UNIT = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.S)


def breakable(html: str, lang: str | None = None) -> str:
    """The briefing HTML with a ZERO WIDTH SPACE added inside every run of text longer than LONG_WORD
    characters in which Pango finds no line-break opportunity, cutting it into pieces of about WORD_PIECE
    characters (a piece ends only where a letter with its accents or an emoji sequence does).

    WeasyPrint 70 lays out one unbreakable word in time that grows with the square of its length (and more):
    for every line it tries each hyphenation point of the whole remaining word, longest first, each try a
    new Pango layout of that prefix, so a 3,800-character word took ~39 s. Between added break
    opportunities it only tries the points of one short piece. Runs that already break (prose, URLs with
    slashes and hyphens, everything the shipped content holds) are returned unchanged, so their layout,
    hyphenation and PDF bytes are too. Breaks go only at grapheme boundaries (never inside an accented
    letter or an emoji sequence) and only into text of the body, outside SVG, so attributes (link
    targets), the title and the figures keep their text exactly.
    """
    start = html.find("<body")
    if start < 0:
        return html
    parts = _TOKENS.split(html[start:])
    skipped = 0
    for index, part in enumerate(parts):
        if index % 2:  # a tag or a comment
            tag = _SKIPPED.match(part)
            if tag and not part.endswith("/>"):
                skipped = max(0, skipped + (-1 if tag.group(1) else 1))
        elif not skipped and len(part) > LONG_WORD:
            parts[index] = _RUN.sub(lambda run: _break_run(run.group(), lang), part)
    return html[:start] + "".join(parts)


def _break_run(raw: str, lang: str | None) -> str:
    """One run of escaped text with break opportunities added where Pango has none for too long."""
    from weasyprint.text.line_break import get_log_attrs

    units = _UNIT.findall(raw)
    text_units = [unescape(unit) for unit in units]
    text = "".join(text_units)
    # where each unit starts in `text`; a break goes only before a whole unit (never inside an entity)
    starts: dict[int, int] = {}
    offset = 0
    for number, unit in enumerate(text_units):
        starts[offset] = number
        offset += len(unit)
    attrs = get_log_attrs(text, lang)  # attrs[i]: the position before text[i]

    def can_break(i: int) -> bool:
        return i == len(text) or bool(attrs[i].is_line_break) or text[i - 1] == BREAK

    breaks_before: set[int] = set()
    begin = 0
    for end in range(1, len(text) + 1):
        if not can_break(end):
            continue
        if end - begin > LONG_WORD:
            pieces = -(-(end - begin) // WORD_PIECE)
            last = begin
            for piece in range(1, pieces):
                target = max(begin + (end - begin) * piece // pieces, last + 1)
                at = next(
                    (i for i in range(target, end) if attrs[i].is_cursor_position and i in starts), None
                )
                if at is None:
                    break
                breaks_before.add(starts[at])
                last = at
        begin = end
    if not breaks_before:
        return raw
    return "".join(BREAK + unit if number in breaks_before else unit for number, unit in enumerate(units))


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    html: str
    warnings: tuple[str, ...]


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
        self.faces = tuple(prepare_face(face) for face in font_faces())
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
                raise BuildError(Diagnostic(shown_path(stylesheet), 0, 0, str(exc))) from None
        self.stylesheet_warnings = tuple(messages)
        """What WeasyPrint said about the stylesheets (unknown properties, ...): parsed once, but returned
        with every document's warnings, since every document is drawn with them."""
        self.inline_css = "\n".join([font_face_css(self.faces, local=True), *sources[1:]])
        """The stylesheets as text, written into kept HTML (`--html`) so it renders alone, as the PDF does
        where the Source faces are installed (else in the generic serif and sans-serif). The faces are named,
        not linked: a kept file carries no path of the machine that built it."""
        self.environment_notes: tuple[str, ...] = (
            ()
            if harfbuzz_subset is not None
            else (
                "the HarfBuzz subsetting library is not installed (Debian: libharfbuzz-subset0); WeasyPrint "
                "subsets fonts with fontTools instead, several times slower",
            )
        )
        """What the machine lacks for speed; not problems of any document."""

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
            "pdf_variant": self.pdf_variant,
            "pdf_tags": True,
            "pdf_identifier": True,
            "full_fonts": True,
        }
        if self.color_profiles:
            options["output_intent"] = _SRGB
        return options

    def layout(self, view: View) -> LaidOut:
        """Lay the view out within its audience's page budget, tightening the setting when it overflows.

        When even the tightest setting overflows, that layout is returned: the caller enforces the budget
        (it knows which content file to blame). Raises `BuildError` when the document tries to load
        anything the fetcher refuses.
        """
        budget = view.audience.page_budget
        self.fetcher.refused.clear()
        with _captured_warnings() as messages:
            try:
                for fit in range(FIT_LEVELS):
                    messages.clear()
                    html = breakable(
                        self.templates.briefing_html(view, fit=fit, paper=self.paper), view.office.language
                    )
                    document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
                        font_config=self.font_config,
                        counter_style=self.counter_style,
                        color_profiles=self.color_profiles,
                        stylesheets=self.stylesheets,
                        **self._options(),
                    )
                    if len(document.pages) <= budget:
                        break
            except FatalURLFetchingError as exc:
                raise self._refusal(str(exc)) from None
        self._check_refusals()
        return LaidOut(document, html, fit, tuple(messages))

    def render(self, view: View) -> RenderedPdf:
        laid_out = self.layout(view)
        epoch = int(datetime.combine(view.as_of, time(0), tzinfo=UTC).timestamp())
        with _captured_warnings() as messages, _source_date_epoch(epoch):
            try:
                data = laid_out.document.write_pdf(finisher=_finisher(view), **self._options())
            except FatalURLFetchingError as exc:
                raise self._refusal(str(exc)) from None
        self._check_refusals()
        warnings = [
            *self.stylesheet_warnings,
            *laid_out.warnings,
            *messages,
            *self._font_problems(laid_out.document),
        ]
        standalone = laid_out.html.replace("</head>", f"<style>\n{self.inline_css}</style>\n</head>", 1)
        return RenderedPdf(
            data=data, pages=len(laid_out.document.pages), html=standalone, warnings=tuple(warnings)
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


def _finisher(view: View) -> Any:
    """Document information WeasyPrint does not take from HTML: the publisher."""

    def finish(document: Any, pdf: Any) -> None:
        pdf.info["Publisher"] = pydyf.String(view.office.publisher)

    return finish
