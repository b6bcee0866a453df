"""Turn an audience `View` into an editable Word memo: memo XML from the Jinja template, then a .docx.

The memo template (`templates/memo/<audience>.xml.j2`, else `memo/base.xml.j2`) renders a small XML
vocabulary that reads and diffs as text; this module parses it (no entities, no network, no huge trees),
checks it, and maps it onto Word with python-docx:

    <memo>                               root; holds only block elements
      <field label="FROM">...</field>    a MEMORANDUM FOR / FROM / DATE / SUBJECT line ("Memo Field")
      <title>, <subtitle>                document title and the line under it ("Title", "Subtitle")
      <h1>, <h2>, <h3>                   headings ("Heading 1-3", with outline levels)
      <p>                                body paragraph ("Body Text")
      <quote>, <caption>                 "Quote"; "Caption" (kept with the table that follows)
      <ul><li>, <ol><li>                 real Word lists ("List Bullet", "List Number"); a <li> may hold a
                                         nested <ul>/<ol>; every <ol> restarts at 1
      <table kind="grid|facts" widths="25,75">
        <tr><th>...</th><td>...</td></tr>
                                         "Memo Table" (light rules) or "Key Facts Table" (shaded box);
                                         a row of <th> only is a header row repeated on every page
    inline, inside any of the above:     text, <b>, <i>, <a href="https://...">, <br/>

Whitespace in the XML collapses as in HTML. Everything else comes from the view: the handling banner in
the header and footer (coloured by level), "Page X of Y" fields, core properties and the document
language. Styles come from a reference .docx when one is given (as pandoc's --reference-doc), else they
are defined here on python-docx's default template; of either, only the look and the header and footer
pictures are kept, never text (`_Builder._drop_stale_parts`). The output is deterministic: fixed dates from
`as_of`, fixed zip entry order, timestamps and compression.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Final

import docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENTATION
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.parts.numbering import NumberingPart
from docx.shared import Twips
from docx.text.paragraph import Paragraph
from lxml import etree

from .errors import BuildError, Diagnostic, TemplateError, shown_path
from .render import TemplateSet, label
from .select import View

# --- the look used when no reference document is given -------------------------------------------------

SERIF: Final = "Source Serif Pro"
SERIF_FALLBACK: Final = "Georgia"
SANS: Final = "Source Sans Pro"
SANS_FALLBACK: Final = "Arial"
ACCENT: Final = "1D4F6E"
RULE: Final = "BFC8CE"
SHADE: Final = "EEF3F6"
BANNER_COLOURS: Final = {"public": "1E7B34", "internal": "1F4E9E", "restricted": "B3001B"}

# page width, page height, margin (all twips)
PAPERS: Final = {"A4": (11906, 16838, 1418), "Letter": (12240, 15840, 1440)}

MAX_REFERENCE_BYTES: Final = 50 * 1024 * 1024
MAX_MEMO_XML_CHARS: Final = 10 * 1024 * 1024
CORE_TEXT_LIMIT: Final = 255

# --- the memo XML vocabulary --------------------------------------------------------------------------

_INLINE: Final = frozenset({"b", "i", "a", "br"})
_TEXT_BLOCKS: Final = frozenset({"field", "title", "subtitle", "h1", "h2", "h3", "p", "quote", "caption"})
_BLOCKS: Final = _TEXT_BLOCKS | {"ul", "ol", "table"}
_CHILDREN: Final[dict[str, frozenset[str]]] = {
    "memo": _BLOCKS,
    **{name: _INLINE for name in _TEXT_BLOCKS},
    "ul": frozenset({"li"}),
    "ol": frozenset({"li"}),
    "li": _INLINE | {"ul", "ol"},
    "table": frozenset({"tr"}),
    "tr": frozenset({"th", "td"}),
    "th": _INLINE,
    "td": _INLINE,
    "b": _INLINE,
    "i": _INLINE,
    "a": frozenset({"b", "i", "br"}),
    "br": frozenset(),
}
_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "field": frozenset({"label"}),
    "table": frozenset({"kind", "widths"}),
    "a": frozenset({"href"}),
}
_REQUIRED: Final[dict[str, tuple[str, ...]]] = {"field": ("label",), "a": ("href",)}
_HOLDS_TEXT: Final = _TEXT_BLOCKS | {"li", "th", "td", "b", "i", "a"}
_TABLE_KINDS: Final = ("grid", "facts")
_LINK_SCHEMES: Final = ("http://", "https://", "mailto:")

# Characters XML 1.0 cannot hold, plus C1 controls and non-characters: stripped before parsing.
_BAD_CHARS: Final = re.compile(
    "[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd\U00010000-\U0010ffff]"
)
_SPACE: Final = re.compile(r"[ \t\r\n]+")

# The paragraph and table styles the writer uses: (name shown in Word, style type, preferred style id).
_STYLE_NAMES: Final = {
    "title": "Title",
    "subtitle": "Subtitle",
    "h1": "Heading 1",
    "h2": "Heading 2",
    "h3": "Heading 3",
    "p": "Body Text",
    "quote": "Quote",
    "caption": "Caption",
    "field": "Memo Field",
    "ul": "List Bullet",
    "ol": "List Number",
    "cell": "Table Text",
    "header": "Header",
    "footer": "Footer",
    "link": "Hyperlink",
    "grid": "Memo Table",
    "facts": "Key Facts Table",
}


@dataclass(frozen=True)
class RenderedDocx:
    """A written memo: the .docx bytes, the memo XML it was built from, and warnings met on the way."""

    data: bytes
    xml: str
    warnings: tuple[str, ...]


class DocxWriter:
    """Write one audience view as a Word memo, optionally styled by an office's reference .docx.

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
            self._reference = _read_reference(reference_docx)

    def render(self, view: View) -> RenderedDocx:
        xml = self.templates.memo_xml(view)
        where = self._template_shown(view)
        warnings: list[str] = []
        clean, stripped = _strip_bad_chars(xml)
        if stripped:
            warnings.append(
                f"{where}: memo for {view.id} ({view.audience_name}): removed {stripped} character(s) "
                "that XML cannot hold"
            )
        root = _parse_memo(clean, where, view)
        document = self._open_base()
        branded = self._reference is None
        _Builder(document, view, branded=branded, paper=self.paper, warnings=warnings).build(root)
        data = _deterministic_zip(_save(document), view.as_of)
        return RenderedDocx(data=data, xml=xml, warnings=tuple(warnings))

    # ---------------------------------------------------------------------------------------------------

    def _open_base(self) -> DocxDocument:
        if self._reference is None:
            return docx.Document()
        try:
            return docx.Document(BytesIO(self._reference))
        except Exception as exc:  # checked in __init__; a failure here is the same bad file
            raise _reference_error(self.reference_docx, exc) from None

    def _template_shown(self, view: View) -> str:
        for name in (f"memo/{view.audience_name}.xml.j2", "memo/base.xml.j2"):
            path = self.templates.root / name
            if path.is_file():
                return shown_path(path)
        return shown_path(self.templates.root / "memo")


# --- input checks -------------------------------------------------------------------------------------


def _reference_error(path: Path | None, exc: BaseException) -> BuildError:
    reason = str(exc).strip() or type(exc).__name__
    shown = shown_path(path) if path is not None else "reference document"
    message = f"reference document is not a usable Word .docx file: {reason}"
    return BuildError(Diagnostic(shown, 0, 0, message))


def _read_reference(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildError(
            Diagnostic(shown_path(path), 0, 0, f"cannot read reference document: {exc.strerror or exc}")
        ) from None
    if len(data) > MAX_REFERENCE_BYTES:
        raise BuildError(
            Diagnostic(
                shown_path(path), 0, 0, f"reference document is larger than {MAX_REFERENCE_BYTES:,} bytes"
            )
        )
    if not zipfile.is_zipfile(BytesIO(data)):
        raise BuildError(
            Diagnostic(
                shown_path(path), 0, 0, "reference document is not a Word .docx file (not a zip archive)"
            )
        )
    try:
        document = docx.Document(BytesIO(data))
        document.styles  # noqa: B018 - parses styles.xml: a broken one fails here, not mid-build
        document.sections[-1].page_width  # noqa: B018
    except Exception as exc:  # python-docx raises many kinds of error on a malformed package
        raise _reference_error(path, exc) from None
    return data


def _strip_bad_chars(text: str) -> tuple[str, int]:
    cleaned, count = _BAD_CHARS.subn("", text)
    return cleaned, count


def _parse_memo(xml: str, where: str, view: View) -> etree._Element:
    """Parse and check the memo XML; every problem is reported, located, in one TemplateError."""
    context = f"memo XML for {view.id} ({view.audience_name})"
    if len(xml) > MAX_MEMO_XML_CHARS:
        message = f"{context} is larger than {MAX_MEMO_XML_CHARS:,} characters"
        raise TemplateError(Diagnostic(where, 0, 0, message))
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(xml.strip().encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise TemplateError(
            Diagnostic(where, 0, 0, f"{context}, line {line} column {column}: not well-formed XML: {exc.msg}")
        ) from None
    problems: list[str] = []
    if root.getroottree().docinfo.doctype:
        problems.append("line 1: a DOCTYPE is not allowed in memo XML")
    if root.tag != "memo":
        problems.append(f"line {root.sourceline}: the root element must be <memo>, not <{root.tag}>")
    else:
        _check(root, problems)
    if problems:
        raise TemplateError([Diagnostic(where, 0, 0, f"{context}, {problem}") for problem in problems])
    return root


def _check(element: etree._Element, problems: list[str]) -> None:
    name = element.tag
    line = element.sourceline
    allowed = _ATTRIBUTES.get(name, frozenset())
    for attribute in element.attrib:
        if attribute not in allowed:
            expected = f"; <{name}> takes: {', '.join(sorted(allowed))}" if allowed else ""
            problems.append(f"line {line}: unknown attribute '{attribute}' on <{name}>{expected}")
    for attribute in _REQUIRED.get(name, ()):
        if not (element.get(attribute) or "").strip():
            problems.append(f"line {line}: <{name}> needs a non-empty '{attribute}' attribute")
    if name == "a":
        href = (element.get("href") or "").strip()
        if href and not href.lower().startswith(_LINK_SCHEMES):
            problems.append(f"line {line}: <a href='{href}'>: only http, https and mailto links are allowed")
    if name == "table":
        kind = element.get("kind", "grid")
        if kind not in _TABLE_KINDS:
            problems.append(f"line {line}: <table kind='{kind}'>: expected one of {', '.join(_TABLE_KINDS)}")
        widths = element.get("widths")
        if widths is not None:
            columns = max((len(row) for row in element), default=0)
            try:
                values = [float(w) for w in widths.split(",")]
            except ValueError:
                values = []
            if not values or any(v <= 0 for v in values) or len(values) != columns:
                problems.append(
                    f"line {line}: <table widths='{widths}'>: expected {columns} positive numbers, "
                    "separated by commas"
                )
    if name not in _HOLDS_TEXT and (element.text or "").strip():
        problems.append(f"line {line}: text directly inside <{name}> must be inside a paragraph element")
    children = _CHILDREN[name]
    for child in element:
        if not isinstance(child.tag, str):
            problems.append(f"line {child.sourceline}: entity references are not allowed in memo XML")
            continue
        if child.tag not in children:
            known = child.tag in _CHILDREN
            what = (
                f"<{child.tag}> is not allowed inside <{name}>" if known else f"unknown element <{child.tag}>"
            )
            problems.append(f"line {child.sourceline}: {what}; expected one of: {_names(children)}")
            continue
        tail_holder = name in _HOLDS_TEXT and child.tag not in ("ul", "ol")
        if not tail_holder and (child.tail or "").strip():
            problems.append(
                f"line {child.sourceline}: text after <{child.tag}> directly inside <{name}> must be inside "
                "a paragraph element"
            )
        _check(child, problems)


def _names(names: frozenset[str]) -> str:
    return ", ".join(f"<{n}>" for n in sorted(names)) or "nothing"


# --- inline content -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None
    is_break: bool = False


def _spans(
    element: etree._Element, *, bold: bool = False, italic: bool = False, href: str | None = None
) -> list[_Span]:
    """The inline content of an element as styled spans, whitespace collapsed as HTML does."""
    raw: list[_Span] = []

    def walk(el: etree._Element, bold: bool, italic: bool, href: str | None) -> None:
        if el.text:
            raw.append(_Span(el.text, bold, italic, href))
        for child in el:
            if child.tag in ("ul", "ol"):
                continue
            if child.tag == "br":
                raw.append(_Span("", bold, italic, href, is_break=True))
            else:
                walk(
                    child,
                    bold or child.tag == "b",
                    italic or child.tag == "i",
                    child.get("href", "").strip() if child.tag == "a" else href,
                )
            if child.tail and child.tag not in ("ul", "ol"):
                raw.append(_Span(child.tail, bold, italic, href))

    walk(element, bold, italic, href)
    out: list[_Span] = []
    at_line_start = True
    for span in raw:
        if span.is_break:
            _trim_end(out)
            out.append(span)
            at_line_start = True
            continue
        text = _SPACE.sub(" ", span.text)
        if at_line_start or (out and not out[-1].is_break and out[-1].text.endswith(" ")):
            text = text.lstrip(" ")
        if text:
            out.append(_Span(text, span.bold, span.italic, span.href))
            at_line_start = False
    _trim_end(out)
    return [s for s in out if s.text or s.is_break]


def _trim_end(spans: list[_Span]) -> None:
    while spans and not spans[-1].is_break:
        last = spans[-1]
        trimmed = last.text.rstrip(" ")
        if trimmed:
            spans[-1] = _Span(trimmed, last.bold, last.italic, last.href)
            return
        spans.pop()


def _plain(text: str, limit: int = CORE_TEXT_LIMIT) -> str:
    """Text for a core property: no characters XML cannot hold, single spaces, at most `limit` characters."""
    cleaned = _SPACE.sub(" ", _BAD_CHARS.sub("", text)).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


# --- building the document ----------------------------------------------------------------------------

_PPR_AFTER_PBDR: Final = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


class _Builder:
    """Fill one opened base document (default template or reference) from one parsed memo."""

    def __init__(
        self, document: DocxDocument, view: View, *, branded: bool, paper: str, warnings: list[str]
    ) -> None:
        self.document = document
        self.view = view
        self.branded = branded
        self.paper = paper
        self.warnings = warnings
        self.body = document.element.body
        self.part = document.part
        self.style_ids: dict[str, str] = {}
        self._styles_by_name: dict[str, Any] | None = None  # index of styles.xml, rebuilt after edits
        self.bullet_num = 0
        self.number_abstract = 0
        self.text_width = 0
        self.previous_was_table = False

    def build(self, root: etree._Element) -> None:
        self._clear_body()
        self._page_setup()
        self._numbering_and_styles()
        self._header_and_footer()
        for element in root:
            self._block(element)
        self._core_properties()
        self._app_properties()
        self._drop_stale_parts()

    # --- package and page -------------------------------------------------------------------------------

    def _drop_stale_parts(self) -> None:
        """Keep of the base document only what describes how a memo looks, never what another document said.

        The base is python-docx's template or an office's reference, often made from an earlier memo, so it
        may carry another audience's banner and marking anywhere text can live. Kept: the parts a memo
        uses (styles, numbering, settings, web settings, font table, theme, footnote separators) and
        whatever the memo's own XML refers to (its headers and footers, links, the logo). Dropped: the
        thumbnail, custom properties and sensitivity labels (docProps/custom.xml, docMetadata/), comments
        and their people, building blocks (glossary), custom XML data, Word 2010's style copy, macros and
        anything else the package relates without the memo using it; document variables, the attached
        template and mail merge from the settings; every real footnote and endnote; printer settings.
        """
        package = self.part.package
        for rId, rel in list(package.rels.items()):
            if rel.reltype not in _PACKAGE_KEEPS:
                _drop_rel(package, rId)
        sect_pr = self.body.sectPr
        if sect_pr is not None:
            for name in ("w:printerSettings", "w:sectPrChange"):
                for child in sect_pr.findall(qn(name)):
                    sect_pr.remove(child)
        _drop_unreferenced_rels(self.part, self.document.element, keep=_DOCUMENT_KEEPS)
        for rel in list(self.part.rels.values()):
            if rel.is_external:
                continue
            if rel.reltype == RT.SETTINGS:
                settings = rel.target_part.element
                for name in ("w:docVars", "w:attachedTemplate", "w:mailMerge", "w:saveThroughXslt"):
                    for child in settings.findall(qn(name)):
                        settings.remove(child)
                _drop_unreferenced_rels(rel.target_part, settings)
            elif rel.reltype in (RT.FOOTNOTES, RT.ENDNOTES):
                _keep_note_separators(rel.target_part)

    def _app_properties(self) -> None:
        """docProps/app.xml names the office as the company and nothing of the base document (its company,
        manager, template, statistics and titles of parts describe another document)."""
        for rel in self.part.package.rels.values():
            if rel.reltype == RT.EXTENDED_PROPERTIES and not rel.is_external:
                office = _xml_text(_plain(self.view.office.name))
                rel.target_part._blob = _APP_XML.format(company=office).encode("utf-8")

    def _clear_body(self) -> None:
        for child in list(self.body):
            if child.tag != qn("w:sectPr"):
                self.body.remove(child)

    def _page_setup(self) -> None:
        width, height, margin = PAPERS[self.paper]
        section = self.document.sections[-1]
        if section.orientation == WD_ORIENTATION.LANDSCAPE:  # a reference document may be landscape
            width, height = height, width
        section.page_width = Twips(width)
        section.page_height = Twips(height)
        if self.branded:
            for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
                setattr(section, side, Twips(margin))
            section.header_distance = Twips(708)
            section.footer_distance = Twips(567)
        left = section.left_margin or 0
        right = section.right_margin or 0
        self.text_width = max(2000, int((section.page_width - left - right) / 635))

    # --- numbering and styles -----------------------------------------------------------------------------

    def _numbering(self) -> Any:
        try:
            return self.part.numbering_part.element
        except NotImplementedError:  # python-docx cannot create the part itself: add an empty one
            package = self.part.package
            partname = PackURI("/word/numbering.xml")
            if any(p.partname == partname for p in package.iter_parts()):
                partname = package.next_partname("/word/numbering%d.xml")
            element = parse_xml(f"<w:numbering {nsdecls('w')}/>")
            part = NumberingPart(partname, CT.WML_NUMBERING, element, package)
            self.part.relate_to(part, RT.NUMBERING)
            return part.element

    def _add_abstract(self, numbering: Any, kind: str) -> int:
        ids = [int(v) for v in numbering.xpath("./w:abstractNum/@w:abstractNumId")]
        abstract_id = max(ids, default=-1) + 1
        element = parse_xml(_abstract_num_xml(abstract_id, kind))
        nums = numbering.xpath("./w:num")
        if nums:
            nums[0].addprevious(element)
        else:
            numbering.append(element)
        return abstract_id

    def _style_list(self, numbering: Any, name: str) -> tuple[int, int] | None:
        """The (numId, abstractNumId) a reference document's list style already uses, if it resolves."""
        element = self._style_element(name)
        if element is None:
            return None
        found = element.xpath("./w:pPr/w:numPr/w:numId/@w:val")
        if not found:
            return None
        num_id = int(found[0])
        abstract = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
        if not abstract:
            return None
        abstract_id = int(abstract[0])
        definition = numbering.xpath(f'./w:abstractNum[@w:abstractNumId="{abstract_id}"]')
        if not definition or definition[0].find(qn("w:numStyleLink")) is not None:
            return None
        return num_id, abstract_id

    def _numbering_and_styles(self) -> None:
        numbering = self._numbering()
        bullet = None if self.branded else self._style_list(numbering, "List Bullet")
        number = None if self.branded else self._style_list(numbering, "List Number")
        if bullet is None:
            abstract = self._add_abstract(numbering, "bullet")
            bullet = (numbering.add_num(abstract).numId, abstract)
        if number is None:
            abstract = self._add_abstract(numbering, "decimal")
            number = (numbering.add_num(abstract).numId, abstract)
        self.bullet_num = bullet[0]
        self.number_abstract = number[1]

        styles = self.document.styles.element
        definitions = _style_definitions(self.branded, bullet_num=bullet[0], number_num=number[0])
        for name, xml in definitions.items():
            existing = self._style_element(name)
            if existing is not None and not self.branded:
                if name in ("List Bullet", "List Number") and not existing.xpath("./w:pPr/w:numPr"):
                    self._give_numbering(existing, bullet[0] if name == "List Bullet" else number[0])
                continue
            new = parse_xml(xml)
            style_id = new.get(qn("w:styleId"))
            if existing is not None:
                style_id = existing.get(qn("w:styleId"))
                new.set(qn("w:styleId"), style_id)
                existing.addprevious(new)
                styles.remove(existing)
            else:
                taken = set(styles.xpath("./w:style/@w:styleId"))
                base = style_id
                counter = 2
                while style_id in taken:
                    style_id = f"{base}{counter}"
                    counter += 1
                new.set(qn("w:styleId"), style_id)
                styles.append(new)
        self._styles_by_name = None
        for name in definitions:
            element = self._style_element(name)
            assert element is not None
            self.style_ids[name] = element.get(qn("w:styleId"))
        self._doc_defaults()
        if self.branded:
            self._font_table()

    def _style_element(self, name: str) -> Any:
        # Word stores these built-in names in lower case ("heading 1"); python-docx shows them capitalised
        builtin = name in ("Caption", "Header", "Footer") or name.startswith("Heading ")
        internal = name.lower() if builtin else name
        if self._styles_by_name is None:
            self._styles_by_name = {}
            for element in self.document.styles.element.iterchildren(qn("w:style")):
                shown = element.find(qn("w:name"))
                if shown is not None:
                    self._styles_by_name.setdefault(shown.get(qn("w:val")), element)
        found = self._styles_by_name.get(internal)
        return found if found is not None else self._styles_by_name.get(name)

    @staticmethod
    def _give_numbering(style: Any, num_id: int) -> None:
        ppr = style.find(qn("w:pPr"))
        if ppr is None:
            ppr = parse_xml(f"<w:pPr {nsdecls('w')}/>")
            rpr = style.find(qn("w:rPr"))
            if rpr is not None:
                rpr.addprevious(ppr)
            else:
                style.append(ppr)
        ppr.insert_element_before(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="{num_id}"/></w:numPr>'),
            *_PPR_AFTER_PBDR,
            "w:suppressLineNumbers",
            "w:pBdr",
        )

    def _doc_defaults(self) -> None:
        styles = self.document.styles.element
        defaults = styles.find(qn("w:docDefaults"))
        if defaults is None:
            defaults = parse_xml(f"<w:docDefaults {nsdecls('w')}/>")
            styles.insert(0, defaults)
        language = self.view.office.language
        if self.branded:
            for child in list(defaults):
                defaults.remove(child)
            defaults.append(
                parse_xml(
                    f"<w:rPrDefault {nsdecls('w')}><w:rPr>{_fonts(SERIF)}"
                    f'<w:sz w:val="22"/><w:szCs w:val="22"/>'
                    f'<w:lang w:val="{language}" w:eastAsia="{language}" w:bidi="ar-SA"/>'
                    "</w:rPr></w:rPrDefault>"
                )
            )
            defaults.append(
                parse_xml(
                    f"<w:pPrDefault {nsdecls('w')}><w:pPr>"
                    '<w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
                )
            )
            return
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is None:
            rpr_default = parse_xml(f"<w:rPrDefault {nsdecls('w')}/>")
            defaults.insert(0, rpr_default)
        rpr = rpr_default.find(qn("w:rPr"))
        if rpr is None:
            rpr = parse_xml(f"<w:rPr {nsdecls('w')}/>")
            rpr_default.append(rpr)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = parse_xml(f"<w:lang {nsdecls('w')}/>")
            following = [qn(t) for t in ("w:eastAsianLayout", "w:specVanish", "w:oMath")]
            later = [c for c in rpr if c.tag in following]
            if later:
                later[0].addprevious(lang)
            else:
                rpr.append(lang)
        lang.set(qn("w:val"), language)

    def _font_table(self) -> None:
        """Name the faces' families and fallbacks, so a machine without them substitutes sensibly."""
        for rel in self.part.rels.values():
            if rel.reltype == RT.FONT_TABLE and not rel.is_external:
                fonts = parse_xml(rel.target_part.blob)
                present = {f.get(qn("w:name")) for f in fonts.findall(qn("w:font"))}
                faces = ((SERIF, SERIF_FALLBACK, "roman"), (SANS, SANS_FALLBACK, "swiss"))
                for face, fallback, family in faces:
                    if face not in present:
                        fonts.append(
                            parse_xml(
                                f'<w:font {nsdecls("w")} w:name="{face}"><w:altName w:val="{fallback}"/>'
                                f'<w:charset w:val="00"/><w:family w:val="{family}"/>'
                                '<w:pitch w:val="variable"/>'
                                "</w:font>"
                            )
                        )
                rel.target_part._blob = etree.tostring(
                    fonts, xml_declaration=True, encoding="UTF-8", standalone=True
                )

    # --- header and footer ------------------------------------------------------------------------------

    def _header_and_footer(self) -> None:
        """Every header and footer the section has shows the memo's banner and marking (and the footer the
        page numbers): the base document's default, first-page and even-page ones lose all their text and
        keep only their pictures (a logo), even where the first-page or even-page switch is off."""
        section = self.document.sections[-1]
        first = section.different_first_page_header_footer
        even = self.document.settings.odd_and_even_pages_header_footer
        headers = [section.header]
        footers = [section.footer]
        if first or not section.first_page_header.is_linked_to_previous:
            headers.append(section.first_page_header)
        if first or not section.first_page_footer.is_linked_to_previous:
            footers.append(section.first_page_footer)
        if even or not section.even_page_header.is_linked_to_previous:
            headers.append(section.even_page_header)
        if even or not section.even_page_footer.is_linked_to_previous:
            footers.append(section.even_page_footer)
        level = self.view.banner
        colour = BANNER_COLOURS.get(level, "000000")
        banner = level.upper()
        marking = _plain(self.view.audience.marking, 500)
        done: set[int] = set()
        for story, is_header in [(h, True) for h in headers] + [(f, False) for f in footers]:
            story.is_linked_to_previous = False
            part = story.part
            if id(part) in done:  # one part used for two kinds of page: fill it once
                continue
            done.add(id(part))
            element = part.element
            style = self.style_ids["Header" if is_header else "Footer"]
            _keep_only_pictures(element, style)
            if is_header:
                first_kept = element[0] if len(element) else None
                for paragraph in (
                    self._banner_paragraph(banner, colour, bold=True, size=20),
                    self._banner_paragraph(marking, colour, bold=False, size=16),
                ):
                    if first_kept is not None:
                        first_kept.addprevious(paragraph)
                    else:
                        element.append(paragraph)
            else:
                element.append(self._page_paragraph(marking))
                element.append(self._banner_paragraph(banner, colour, bold=True, size=20))
            _drop_unreferenced_rels(part, element)

    def _banner_paragraph(self, text: str, colour: str, *, bold: bool, size: int) -> Any:
        style = self.style_ids["Header"]
        emphasis = '<w:b/><w:bCs/><w:color w:val="{c}"/><w:spacing w:val="20"/>' if bold else ""
        emphasis = emphasis or '<w:color w:val="{c}"/>'
        return parse_xml(
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style}"/><w:spacing w:before="0" w:after="0"/>'
            f'<w:jc w:val="center"/></w:pPr><w:r><w:rPr>{emphasis.format(c=colour)}'
            f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
            f'<w:t xml:space="preserve">{_xml_text(text)}</w:t></w:r></w:p>'
        )

    def _page_paragraph(self, marking: str) -> Any:
        style = self.style_ids["Footer"]
        rpr = '<w:rPr><w:color w:val="595959"/><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr>'

        def text(value: str) -> str:
            return f'<w:r>{rpr}<w:t xml:space="preserve">{_xml_text(value)}</w:t></w:r>'

        def field(instruction: str) -> str:
            return (
                f'<w:r>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r>{rpr}<w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
                f'<w:r>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>'
                f"<w:r>{rpr}<w:t>1</w:t></w:r>"
                f'<w:r>{rpr}<w:fldChar w:fldCharType="end"/></w:r>'
            )

        return parse_xml(
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style}"/><w:spacing w:before="0" w:after="0"/>'
            f'<w:jc w:val="center"/></w:pPr>'
            + text(f"{marking}  ·  Page ")
            + field("PAGE \\* MERGEFORMAT")
            + text(" of ")
            + field("NUMPAGES \\* MERGEFORMAT")
            + "</w:p>"
        )

    # --- body -------------------------------------------------------------------------------------------

    def _paragraph(self, style: str) -> Paragraph:
        p = parse_xml(f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{self.style_ids[style]}"/></w:pPr></w:p>')
        self.body.sectPr.addprevious(p) if self.body.sectPr is not None else self.body.append(p)
        self.previous_was_table = False
        return Paragraph(p, self.document._body)

    def _block(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == "table":
            self._table(element)
            return
        if tag in ("ul", "ol"):
            self._list(element, level=0)
            return
        if tag == "field":
            self._field(element)
            return
        paragraph = self._paragraph(_STYLE_NAMES[tag])
        self._inline(paragraph, _spans(element))

    def _field(self, element: etree._Element) -> None:
        paragraph = self._paragraph("Memo Field")
        label_text = _SPACE.sub(" ", element.get("label", "")).strip().rstrip(":")
        spans = [_Span(f"{label_text}:", bold=True), _Span("\t"), *_spans(element)]
        self._inline(paragraph, spans)
        following = element.getnext()
        if following is None or following.tag != "field":
            ppr = paragraph._p.get_or_add_pPr()
            ppr.insert_element_before(
                parse_xml(
                    f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="6" '
                    f'w:color="{ACCENT if self.branded else "auto"}"/></w:pBdr>'
                ),
                *_PPR_AFTER_PBDR,
            )
            ppr.insert_element_before(
                parse_xml(f'<w:spacing {nsdecls("w")} w:after="240"/>'),
                *_PPR_AFTER_PBDR[_PPR_AFTER_PBDR.index("w:spacing") + 1 :],
            )

    def _list(self, element: etree._Element, *, level: int) -> None:
        ordered = element.tag == "ol"
        if ordered:
            numbering = self._numbering()
            num = numbering.add_num(self.number_abstract)
            num.add_lvlOverride(ilvl=level).add_startOverride(1)
            num_id = num.numId
        else:
            num_id = self.bullet_num
        for item in element:
            paragraph = self._paragraph("List Number" if ordered else "List Bullet")
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = level
            num_pr.get_or_add_numId().val = num_id
            self._inline(paragraph, _spans(item))
            for child in item:
                if child.tag in ("ul", "ol"):
                    self._list(child, level=min(level + 1, 8))

    def _table(self, element: etree._Element) -> None:
        if self.previous_was_table:  # Word joins tables that touch: keep them apart
            self._paragraph("Body Text")
        kind = element.get("kind", "grid")
        rows = list(element)
        columns = max((len(row) for row in rows), default=0)
        if not rows or columns == 0:
            return
        widths_attr = element.get("widths")
        shares = [float(w) for w in widths_attr.split(",")] if widths_attr else [1.0] * columns
        total = sum(shares)
        widths = [int(self.text_width * share / total) for share in shares]
        style_id = self.style_ids["Key Facts Table" if kind == "facts" else "Memo Table"]
        header_rows = sum(1 for _ in _leading_header_rows(rows))
        first_row = bool(header_rows)
        first_col = banded = kind == "facts"  # the facts box: labels in column 1, fill drawn as row bands
        # w:val is the legacy bit mask some readers (LibreOffice) still go by: keep it equal to the flags
        look = (0x0020 * first_row) | (0x0080 * first_col) | (0x0200 * (not banded)) | 0x0400
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        table = parse_xml(
            f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{style_id}"/>'
            f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
            f'<w:tblLook w:val="{look:04X}" w:firstRow="{int(first_row)}" w:lastRow="0" '
            f'w:firstColumn="{int(first_col)}" w:lastColumn="0" w:noHBand="{int(not banded)}" w:noVBand="1"/>'
            f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid></w:tbl>"
        )
        cell_style = self.style_ids["Table Text"]
        for index, row in enumerate(rows):
            header = index < header_rows
            repeat = "<w:tblHeader/>" if header else ""
            tr = parse_xml(f"<w:tr {nsdecls('w')}><w:trPr><w:cantSplit/>{repeat}</w:trPr></w:tr>")
            cells = list(row)
            for column in range(columns):
                cell = cells[column] if column < len(cells) else None
                tc = parse_xml(
                    f'<w:tc {nsdecls("w")}><w:tcPr><w:tcW w:w="{widths[column]}" w:type="dxa"/></w:tcPr>'
                    f'<w:p><w:pPr><w:pStyle w:val="{cell_style}"/></w:pPr></w:p></w:tc>'
                )
                if cell is not None:
                    paragraph = Paragraph(tc.find(qn("w:p")), self.document._body)
                    self._inline(paragraph, _spans(cell, bold=cell.tag == "th"))
                tr.append(tc)
            table.append(tr)
        self.body.sectPr.addprevious(table) if self.body.sectPr is not None else self.body.append(table)
        self.previous_was_table = True

    def _inline(self, paragraph: Paragraph, spans: list[_Span]) -> None:
        p = paragraph._p
        index = 0
        while index < len(spans):
            span = spans[index]
            if span.href:
                link = self._hyperlink(span.href)
                while index < len(spans) and spans[index].href == span.href:
                    link.append(self._run(spans[index], link_style=True))
                    index += 1
                p.append(link)
                continue
            p.append(self._run(span))
            index += 1

    def _run(self, span: _Span, *, link_style: bool = False) -> Any:
        """One w:r, built directly (python-docx's text setter is the slowest step of a memo)."""
        r = OxmlElement("w:r")
        if link_style or span.bold or span.italic:
            rpr = OxmlElement("w:rPr")
            if link_style:
                rpr.append(OxmlElement("w:rStyle", {qn("w:val"): self.style_ids["Hyperlink"]}))
            if span.bold:
                rpr.append(OxmlElement("w:b"))
            if span.italic:
                rpr.append(OxmlElement("w:i"))
            r.append(rpr)
        if span.is_break:
            r.append(OxmlElement("w:br"))
        elif span.text == "\t":
            r.append(OxmlElement("w:tab"))
        else:
            t = OxmlElement("w:t")
            t.text = span.text
            if span.text != span.text.strip(" "):
                t.set(qn("xml:space"), "preserve")
            r.append(t)
        return r

    def _hyperlink(self, href: str) -> Any:
        rId = self.part.relate_to(href, RT.HYPERLINK, is_external=True)
        return parse_xml(f'<w:hyperlink {nsdecls("w", "r")} r:id="{rId}" w:history="1"/>')

    # --- properties -------------------------------------------------------------------------------------

    def _core_properties(self) -> None:
        view = self.view
        properties = self.document.core_properties
        element = properties._element
        for child in list(element):
            element.remove(child)
        moment = datetime(view.as_of.year, view.as_of.month, view.as_of.day, tzinfo=UTC)
        office = _plain(view.office.name)
        properties.title = _plain(view.title)
        properties.subject = _plain(f"{view.audience.title}: policy memo")
        properties.keywords = _plain(", ".join(view.themes))
        properties.category = _plain(label(view.kind))
        properties.author = office
        properties.last_modified_by = office
        properties.comments = _plain(f"{view.banner.upper()}. {view.audience.marking}")
        properties.content_status = _plain(view.banner.upper())
        properties.identifier = _plain(f"{view.id}/{view.audience_name}")
        properties.language = _plain(view.office.language)
        properties.created = moment
        properties.modified = moment
        properties.last_printed = moment
        properties.revision = 1


def _leading_header_rows(rows: list[etree._Element]) -> Iterator[etree._Element]:
    for row in rows:
        if len(row) and all(cell.tag == "th" for cell in row):
            yield row
        else:
            return


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fonts(face: str) -> str:
    return f'<w:rFonts w:ascii="{face}" w:hAnsi="{face}" w:eastAsia="{face}" w:cs="{face}"/>'


def _abstract_num_xml(abstract_id: int, kind: str) -> str:
    levels = []
    bullets = ("•", "–", "◦")
    formats = (("decimal", "%{n}."), ("lowerLetter", "%{n})"), ("lowerRoman", "%{n}."))
    for level in range(9):
        indent = 397 * (level + 1)
        if kind == "bullet":
            fmt, text = "bullet", bullets[level % 3]
        else:
            fmt, pattern = formats[level % 3]
            text = pattern.format(n=level + 1)
        levels.append(
            f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{indent}" w:hanging="397"/></w:pPr></w:lvl>'
        )
    nsid = f"{0x4154A000 + abstract_id:08X}"
    return (
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}"><w:nsid w:val="{nsid}"/>'
        f'<w:multiLevelType w:val="hybridMultilevel"/>{"".join(levels)}</w:abstractNum>'
    )


def _style_definitions(branded: bool, *, bullet_num: int, number_num: int) -> dict[str, str]:
    """Every style the memo uses, as complete <w:style> XML.

    Branded (no reference document): the full look. Otherwise the same structure without faces and
    colours, added only where the reference lacks the style, so it inherits the reference's fonts.
    """
    sans = _fonts(SANS) if branded else ""
    accent = f'<w:color w:val="{ACCENT}"/>' if branded else ""
    grey = '<w:color w:val="404040"/>' if branded else ""
    muted = '<w:color w:val="595959"/>' if branded else ""
    rule = RULE if branded else "A6A6A6"
    edge = ACCENT if branded else "808080"
    shade = SHADE if branded else "F2F2F2"
    ns = nsdecls("w")

    def paragraph(
        style_id: str,
        name: str,
        *,
        ppr: str = "",
        rpr: str = "",
        based_on: str = "Normal",
        next_style: str | None = None,
        priority: int = 99,
        custom: bool = False,
        extra: str = "",
    ) -> str:
        custom_attr = ' w:customStyle="1"' if custom else ""
        next_xml = f'<w:next w:val="{next_style}"/>' if next_style else ""
        return (
            f'<w:style {ns} w:type="paragraph"{custom_attr} w:styleId="{style_id}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="{based_on}"/>{next_xml}<w:uiPriority w:val="{priority}"/>{extra}<w:qFormat/>'
            f"<w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>"
        )

    def heading(level: int, before: int, after: int, size: int, *, border: bool, italic: bool) -> str:
        border_xml = (
            f'<w:pBdr><w:bottom w:val="single" w:sz="4" w:space="2" w:color="{rule}"/></w:pBdr>'
            if border
            else ""
        )
        italic_xml = "<w:i/><w:iCs/>" if italic else ""
        colour = accent if level == 1 else grey
        return paragraph(
            f"Heading{level}",
            f"heading {level}",
            ppr=f'<w:keepNext/><w:keepLines/>{border_xml}<w:spacing w:before="{before}" w:after="{after}"/>'
            f'<w:outlineLvl w:val="{level - 1}"/>',
            rpr=f'{sans}<w:b/><w:bCs/>{italic_xml}{colour}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>',
            next_style="BodyText",
            priority=9,
            extra="<w:unhideWhenUsed/>" if level > 1 else "",
        )

    def table(style_id: str, name: str, tblpr: str, conditional: str, rpr: str) -> str:
        return (
            f'<w:style {ns} w:type="table" w:customStyle="1" w:styleId="{style_id}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/><w:qFormat/>'
            f'<w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
            f"<w:rPr>{rpr}</w:rPr><w:tblPr>{tblpr}</w:tblPr>{conditional}</w:style>"
        )

    tight = '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
    link = ACCENT if branded else "0563C1"
    margins = (
        '<w:tblCellMar><w:top w:w="45" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
        '<w:bottom w:w="45" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
    )
    return {
        "Normal": (
            f'<w:style {ns} w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
            "<w:qFormat/></w:style>"
        ),
        "Body Text": paragraph(
            "BodyText", "Body Text", ppr='<w:spacing w:after="160"/>', next_style="BodyText", priority=1
        ),
        "Title": paragraph(
            "Title",
            "Title",
            ppr='<w:keepNext/><w:spacing w:before="0" w:after="60" w:line="240" w:lineRule="auto"/>'
            "<w:contextualSpacing/>",
            rpr=f'{sans}<w:b/><w:bCs/>{accent}<w:kern w:val="28"/><w:sz w:val="36"/><w:szCs w:val="36"/>',
            next_style="Subtitle",
            priority=10,
        ),
        "Subtitle": paragraph(
            "Subtitle",
            "Subtitle",
            ppr='<w:keepNext/><w:spacing w:before="0" w:after="280"/>',
            rpr=f'{sans}{muted}<w:sz w:val="24"/><w:szCs w:val="24"/>',
            next_style="BodyText",
            priority=11,
        ),
        "Heading 1": heading(1, 360, 120, 28, border=True, italic=False),
        "Heading 2": heading(2, 240, 80, 24, border=False, italic=False),
        "Heading 3": heading(3, 200, 60, 22, border=False, italic=True),
        "List Bullet": paragraph(
            "ListBullet",
            "List Bullet",
            ppr=f'<w:numPr><w:numId w:val="{bullet_num}"/></w:numPr><w:spacing w:after="80"/>',
            extra="<w:unhideWhenUsed/>",
        ),
        "List Number": paragraph(
            "ListNumber",
            "List Number",
            ppr=f'<w:numPr><w:numId w:val="{number_num}"/></w:numPr><w:spacing w:after="80"/>',
            extra="<w:unhideWhenUsed/>",
        ),
        "Quote": paragraph(
            "Quote",
            "Quote",
            ppr=f'<w:pBdr><w:left w:val="single" w:sz="18" w:space="8" w:color="{edge}"/></w:pBdr>'
            '<w:spacing w:before="120" w:after="200"/><w:ind w:left="284" w:right="284"/>',
            rpr=f"<w:i/><w:iCs/>{grey}",
            next_style="BodyText",
            priority=29,
        ),
        "Caption": paragraph(
            "Caption",
            "caption",
            ppr='<w:keepNext/><w:spacing w:before="200" w:after="80"/>',
            rpr=f'{sans}<w:b/><w:bCs/>{accent}<w:sz w:val="18"/><w:szCs w:val="18"/>',
            next_style="BodyText",
            priority=35,
            extra="<w:unhideWhenUsed/>",
        ),
        "Memo Field": paragraph(
            "MemoField",
            "Memo Field",
            ppr='<w:tabs><w:tab w:val="left" w:pos="2552"/></w:tabs><w:spacing w:before="0" w:after="40"/>'
            '<w:ind w:left="2552" w:hanging="2552"/>',
            rpr=f'{sans}<w:sz w:val="21"/><w:szCs w:val="21"/>',
            next_style="MemoField",
            custom=True,
        ),
        "Table Text": paragraph(
            "TableText",
            "Table Text",
            ppr='<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>',
            rpr=f'{sans}<w:sz w:val="19"/><w:szCs w:val="19"/>',
            next_style="TableText",
            custom=True,
        ),
        "Header": paragraph(
            "Header",
            "header",
            ppr=f'{tight}<w:jc w:val="center"/>',
            rpr=f'{sans}<w:sz w:val="16"/><w:szCs w:val="16"/>',
            extra="<w:unhideWhenUsed/>",
        ),
        "Footer": paragraph(
            "Footer",
            "footer",
            ppr=f'{tight}<w:jc w:val="center"/>',
            rpr=f'{sans}<w:sz w:val="16"/><w:szCs w:val="16"/>',
            extra="<w:unhideWhenUsed/>",
        ),
        "Hyperlink": (
            f'<w:style {ns} w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/>'
            '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
            f'<w:rPr><w:color w:val="{link}"/><w:u w:val="single"/></w:rPr></w:style>'
        ),
        "Memo Table": table(
            "MemoTable",
            "Memo Table",
            f'<w:tblBorders><w:top w:val="single" w:sz="8" w:space="0" w:color="{edge}"/>'
            f'<w:bottom w:val="single" w:sz="8" w:space="0" w:color="{edge}"/>'
            f'<w:insideH w:val="single" w:sz="4" w:space="0" w:color="{rule}"/></w:tblBorders>{margins}',
            f'<w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:bCs/>{accent}</w:rPr><w:tblPr/>'
            f"<w:trPr><w:tblHeader/></w:trPr><w:tcPr><w:tcBorders>"
            f'<w:bottom w:val="single" w:sz="8" w:space="0" w:color="{edge}"/></w:tcBorders>'
            f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/></w:tcPr></w:tblStylePr>',
            f'{sans}<w:sz w:val="19"/><w:szCs w:val="19"/>',
        ),
        "Key Facts Table": table(
            "KeyFactsTable",
            "Key Facts Table",
            f'<w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="{shade}"/>'
            f'<w:left w:val="single" w:sz="24" w:space="0" w:color="{edge}"/>'
            f'<w:bottom w:val="single" w:sz="4" w:space="0" w:color="{shade}"/>'
            f'<w:insideH w:val="single" w:sz="4" w:space="0" w:color="FFFFFF"/></w:tblBorders>'
            f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>'
            '<w:tblCellMar><w:top w:w="57" w:type="dxa"/><w:left w:w="142" w:type="dxa"/>'
            '<w:bottom w:w="57" w:type="dxa"/><w:right w:w="142" w:type="dxa"/></w:tblCellMar>',
            # the fill is repeated as both row bands: LibreOffice draws conditional bands but not the
            # table-wide fill; Word draws both
            f'<w:tblStylePr w:type="band1Horz"><w:tblPr/><w:tcPr>'
            f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/></w:tcPr></w:tblStylePr>'
            f'<w:tblStylePr w:type="band2Horz"><w:tblPr/><w:tcPr>'
            f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/></w:tcPr></w:tblStylePr>'
            f'<w:tblStylePr w:type="firstCol"><w:rPr><w:b/><w:bCs/>{accent}</w:rPr></w:tblStylePr>',
            f'{sans}<w:sz w:val="19"/><w:szCs w:val="19"/>',
        ),
    }


# --- what a base document may pass on ------------------------------------------------------------------

# Package relationships a memo keeps (its document and its two property parts, both rewritten); the
# thumbnail, custom properties, sensitivity labels and signatures of the base document go.
_PACKAGE_KEEPS: Final = frozenset({RT.OFFICE_DOCUMENT, RT.CORE_PROPERTIES, RT.EXTENDED_PROPERTIES})
# Parts the document relates without naming them in its XML and that a memo uses; any other such part
# (comments, people, glossary, custom XML, Word 2010's style copy, ...) goes, as does a named part the
# memo's XML no longer names (a header of a deleted section, a picture of the deleted body).
_DOCUMENT_KEEPS: Final = frozenset(
    {
        RT.STYLES,
        RT.NUMBERING,
        RT.SETTINGS,
        RT.WEB_SETTINGS,
        RT.FONT_TABLE,
        RT.THEME,
        RT.FOOTNOTES,
        RT.ENDNOTES,
    }
)
_R_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_VML_RELID: Final = "{urn:schemas-microsoft-com:office:office}relid"
_MC_ALTERNATE: Final = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
# What may hold a picture in a run: DrawingML, VML and Word 2010's choice between the two.
_GRAPHICS: Final = frozenset({qn("w:drawing"), qn("w:pict"), _MC_ALTERNATE})
# DrawingML content a kept graphic may be: a picture, or shapes, groups and canvases without text.
_PICTURE_URIS: Final = frozenset(
    {
        "http://schemas.openxmlformats.org/drawingml/2006/picture",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas",
    }
)
_GRAPHIC_DATA: Final = "{http://schemas.openxmlformats.org/drawingml/2006/main}graphicData"
# Anything inside a graphic that shows text or runs code: text boxes (DrawingML and VML), WordArt
# (watermarks), DrawingML and math text, fields, symbols, OLE objects and controls.
_TEXT_HOLDERS: Final = frozenset(
    {
        *(qn(f"w:{name}") for name in ("t", "delText", "instrText", "delInstrText", "sym", "txbxContent")),
        *(qn(f"w:{name}") for name in ("fldSimple", "fldChar", "object", "control", "pgNum")),
        "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}txbx",
        "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}linkedTxbx",
        "{urn:schemas-microsoft-com:vml}textbox",
        "{urn:schemas-microsoft-com:vml}textpath",
        "{http://schemas.openxmlformats.org/drawingml/2006/main}t",
        "{http://schemas.openxmlformats.org/officeDocument/2006/math}t",
        "{urn:schemas-microsoft-com:office:office}OLEObject",
    }
)
_DELETED: Final = frozenset({qn("w:del"), qn("w:moveFrom")})  # tracked deletions
_LOGO_PPR: Final = ("w:spacing", "w:ind", "w:jc")  # the layout a kept picture's paragraph keeps, in order
_NOTE_SEPARATORS: Final = frozenset({"separator", "continuationSeparator", "continuationNotice"})
_APP_XML: Final = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>Atalaya</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
    "<Company>{company}</Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
    "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
)


def _is_picture(graphic: Any) -> bool:
    """A graphic that shows no text: a picture, or shapes without text boxes, WordArt or fields."""
    if any(isinstance(node.tag, str) and node.tag in _TEXT_HOLDERS for node in graphic.iter()):
        return False
    uris = [data.get("uri", "") for data in graphic.iter(_GRAPHIC_DATA)]
    return all(uri in _PICTURE_URIS for uri in uris)


def _keep_only_pictures(story: Any, style_id: str) -> None:
    """Empty a header or footer (`w:hdr`/`w:ftr`) of everything but its pictures.

    Text, fields, text boxes, watermarks, content controls, tables, tracked changes and bookmarks all
    go; each picture stays, in a paragraph of its own paragraph's style (else `style_id`), spacing,
    indentation and alignment, so a logo keeps its place. A picture inside a text box or a table cell
    comes out of it; one inside a content control stays.
    """
    found: list[tuple[Any, list[Any]]] = []

    def walk(node: Any, paragraph: Any) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            if child.tag in _GRAPHICS:
                if child.getparent().tag == qn("w:r") and _is_picture(child):
                    if not found or found[-1][0] is not paragraph:
                        found.append((paragraph, []))
                    found[-1][1].append(child)
                continue
            if child.tag in _TEXT_HOLDERS or child.tag in _DELETED:  # a text box's paragraphs are not
                continue  # the header's, and a deleted picture stays deleted
            walk(child, child if child.tag == qn("w:p") else paragraph)

    walk(story, None)
    kept = []
    for paragraph, graphics in found:
        old_ppr = paragraph.find(qn("w:pPr")) if paragraph is not None else None
        old_style = old_ppr.find(qn("w:pStyle")) if old_ppr is not None else None
        style = old_style.get(qn("w:val")) if old_style is not None else style_id
        p = OxmlElement("w:p")
        ppr = OxmlElement("w:pPr")
        ppr.append(OxmlElement("w:pStyle", {qn("w:val"): style}))
        p.append(ppr)
        for name in _LOGO_PPR:
            layout = old_ppr.find(qn(name)) if old_ppr is not None else None
            if layout is not None:
                ppr.append(deepcopy(layout))
        for graphic in graphics:
            run = OxmlElement("w:r")
            run.append(deepcopy(graphic))
            p.append(run)
        kept.append(p)
    for child in list(story):
        story.remove(child)
    for p in kept:
        story.append(p)


def _keep_note_separators(part: Any) -> None:
    """Keep of a footnotes or endnotes part only the separator notes Word needs, without any text."""
    root = parse_xml(part.blob)
    for note in list(root):
        if note.get(qn("w:type")) not in _NOTE_SEPARATORS:
            root.remove(note)
            continue
        for node in list(note.iter(*_TEXT_HOLDERS)):
            node.getparent().remove(node)
    if hasattr(part, "_element"):
        part._element = root
    else:
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    _drop_unreferenced_rels(part, root)


def _referenced_rel_ids(element: Any) -> set[str]:
    ids: set[str] = set()
    for node in element.iter():
        if isinstance(node.tag, str):
            ids.update(v for k, v in node.attrib.items() if k.startswith(f"{{{_R_NS}}}") or k == _VML_RELID)
    return ids


def _drop_unreferenced_rels(part: Any, element: Any, keep: frozenset[str] = frozenset()) -> None:
    """Drop the relationships of `part` that its XML no longer names, except those of a type in `keep`."""
    used = _referenced_rel_ids(element)
    for rId, rel in list(part.rels.items()):
        if rId not in used and rel.reltype not in keep:
            _drop_rel(part, rId)


def _drop_rel(owner: Any, rId: str) -> None:
    """Forget a relationship of a part or of the package (the part it led to is then not saved)."""
    owner.rels.pop(rId, None)
    owner.rels.related_parts.pop(rId, None)


# --- saving -------------------------------------------------------------------------------------------


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
