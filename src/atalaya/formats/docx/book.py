"""Turn a briefing book's view into a Word document: memo XML in parts, a section each, and a contents field.

`templates/memo/book.xml.j2` renders the memo vocabulary (`memo_xml`) grouped in parts, plus three book
elements:

    <book>                               root; holds only <part>
      <part banner="internal">           one section of the document (a new page); its headers and footers
                                         carry `banner`: the front and back matter the book's highest level,
                                         each chapter its own
        <toc title="Contents"/>          the contents: a TOC field (headings 1-2), filled in
        <pagebreak/>                     a page break
        <chapter>...</chapter>           an audience memo's blocks, its headings moved down for the book:
                                         <title> is the chapter's heading (Heading 2), <h1> Heading 3,
                                         <h2> and <h3> Heading 4
        ...any memo block...

Every Heading 1 and Heading 2 gets a bookmark (`_Toc...`) and an entry in the contents, whose page number is
an estimate (`PageModel`): Word lays pages out itself and refreshes the field (F9, or before printing);
LibreOffice and Google Docs show the entries as written. The estimate sets each block's height from its
characters, the text width and the theme's sizes, and starts every section on a new page.

Each section's headers and footers are their own parts (`/word/header<n>.xml`, in section order), made by
the memo builder (`builder.Builder._header_and_footer`) for that section's level: with a reference document,
the pictures of its headers and footers (a logo) are copied into every section's.
"""

from __future__ import annotations

import copy
import math
import struct
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

from ...book import BookView
from ...errors import Diagnostic, Severity, TemplateError
from .. import Rendered
from .builder import Builder
from .memo_xml import (
    MAX_MEMO_XML_CHARS,
    _check,
    inline_spans,
    picture_bytes,
    plain,
    strip_bad_chars,
    xml_text,
)
from .reference import drop_stale_parts, open_base
from .styles import StyleSheet, font_size

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .writer import DocxWriter

CATEGORY: Final = "render.docx"
TOC_LEVELS: Final = 2
"""Headings 1 and 2 (parts, front and back matter sections, chapters) are in the contents."""
TOC_FIELD: Final = f'TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u'
"""The contents field: outline levels 1-2, entries as links, no page numbers on the web, outline levels."""
_BOOK_ONLY: Final = frozenset({"toc", "pagebreak", "chapter"})
_IN_CHAPTER: Final = {"title": "Heading 2", "h1": "Heading 3", "h2": "Heading 4", "h3": "Heading 4"}
_OUTSIDE: Final = {"title": "Title", "h1": "Heading 1", "h2": "Heading 2", "h3": "Heading 3"}
SERIF_EM: Final = 0.44
SANS_EM: Final = 0.5
"""Average advance of a character, in em, of the body face and of the table face (Source Serif and Sans;
checked against LibreOffice's layout of the shipped books with those faces installed)."""


STORY_KINDS: Final = (
    "header",
    "footer",
    "first_page_header",
    "first_page_footer",
    "even_page_header",
    "even_page_footer",
)
"""A section's headers and footers, as python-docx names them."""


def render_book(writer: DocxWriter, view: BookView, template_names: Sequence[str]) -> Rendered:
    """The book's .docx: its memo XML rendered, checked and built part by part, saved deterministically."""
    from .writer import _deterministic_zip, _save  # the memo writer's packaging, shared

    xml = writer.templates.render(list(template_names), {"view": view})
    where = writer._template_shown(template_names)
    warnings: list[Diagnostic] = []
    clean, stripped = strip_bad_chars(xml)
    if stripped:
        message = f"book for {view.audience_name}: removed {stripped} character(s) that XML cannot hold"
        warnings.append(Diagnostic(where, 0, 0, message, Severity.WARNING, CATEGORY))
    root = parse_book(clean, where, view)
    document = open_base(writer._reference, writer.reference_docx)
    BookBuilder(
        document,
        view,  # type: ignore[arg-type]  # the builder reads of it what a view has: banner, audience, office
        branded=writer._reference is None,
        paper=writer.paper,
        look=writer.look,
        catalogue=writer.templates.catalogue,
    ).build_book(root)
    return Rendered(data=_deterministic_zip(_save(document), view.as_of), warnings=tuple(warnings))


def parse_book(xml: str, where: str, view: BookView) -> etree._Element:
    """Parse and check the book XML: parts of memo blocks; every problem reported, located, at once."""
    context = f"book XML for {view.audience_name}"
    if len(xml) > MAX_MEMO_XML_CHARS * 8:
        raise TemplateError(Diagnostic(where, 0, 0, f"{context} is too large"))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(xml.strip().encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        message = f"{context}, line {line} column {column}: not well-formed XML: {exc.msg}"
        raise TemplateError(Diagnostic(where, 0, 0, message)) from None
    problems: list[str] = []
    if root.tag != "book" or root.getroottree().docinfo.doctype:
        problems.append(f"line {root.sourceline}: the root element must be <book>, with no DOCTYPE")
    for part in root:
        if part.tag != "part" or (part.get("banner") or "") not in ("public", "internal", "restricted"):
            problems.append(
                f"line {part.sourceline}: <book> holds only <part banner='public|internal|restricted'>"
            )
            continue
        # Check the memo blocks as the memo parser does: a <memo> of the part's blocks, chapters opened.
        memo = etree.Element("memo")
        for block in part:
            if block.tag == "chapter":
                memo.extend(copy.deepcopy(child) for child in block)
            elif block.tag not in _BOOK_ONLY:
                memo.append(copy.deepcopy(block))
            elif (block.text or "").strip() or len(block):
                problems.append(f"line {block.sourceline}: <{block.tag}> holds nothing")
        _check(memo, problems)
    if problems:
        raise TemplateError([Diagnostic(where, 0, 0, f"{context}, {problem}") for problem in problems])
    return root


# --- the page model -----------------------------------------------------------------------------------


@dataclass
class PageModel:
    """Where the text stands, in points down the page's text area, to estimate on which page a heading lands.

    Sizes come from the look (half-points) and the text width; a line of body text holds about
    text width / (0.5 em) characters, a table cell its share of that at the table's size. Deliberately
    simple: Word and LibreOffice break lines and pages themselves, and Word refreshes the numbers."""

    text_width_pt: float
    page_height_pt: float
    body_pt: float
    table_pt: float
    heading_pt: tuple[float, float, float, float]
    title_pt: float
    page: int = 1
    used: float = 0.0

    def new_page(self) -> None:
        if self.used > 0:
            self.page += 1
            self.used = 0.0

    def add(self, height: float) -> None:
        if self.used + height > self.page_height_pt and self.used > 0:
            self.page += 1
            self.used = 0.0
        self.used += height

    def lines(self, chars: int, size: float, width: float | None = None, *, em: float = SERIF_EM) -> int:
        per_line = max(8, int((width or self.text_width_pt) / (size * em)))
        return max(1, math.ceil(chars / per_line))

    def text(self, chars: int, size: float, *, before: float = 0.0, after: float = 8.0) -> None:
        self.add(before + self.lines(chars, size) * size * 1.32 + after)

    def heading(self, level: int, chars: int) -> int:
        """Place a heading (kept with what follows: it moves to the next page near the bottom), and return
        its page."""
        size = self.heading_pt[level - 1]
        before = {1: 18.0, 2: 12.0, 3: 10.0, 4: 8.0}[level]
        height = before + self.lines(chars, size) * size * 1.25 + 5.0
        if self.used + height + 3 * self.body_pt > self.page_height_pt:
            self.new_page()
        self.add(height)
        return self.page

    def table(self, element: etree._Element) -> None:
        rows = list(element)
        columns = max((len(row) for row in rows), default=1)
        shares_attr = element.get("widths")
        shares = [float(w) for w in shares_attr.split(",")] if shares_attr else [1.0] * columns
        total = sum(shares) or 1.0
        self.add(6.0)
        for row in rows:
            tallest = 1
            for cell, share in zip(row, shares, strict=False):
                chars = len(" ".join(s.text for s in inline_spans(cell)))
                width = self.text_width_pt * share / total - 9
                tallest = max(tallest, self.lines(chars, self.table_pt, width, em=SANS_EM))
            self.add(tallest * self.table_pt * 1.2 + 5)

    def block(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == "table":
            self.table(element)
        elif tag in ("ul", "ol"):
            for item in element.iter("li"):
                chars = len(" ".join(s.text for s in inline_spans(item)))
                self.add(self.lines(chars, self.body_pt, self.text_width_pt - 20) * self.body_pt * 1.32 + 4)
        elif tag == "picture":
            self.add(self.picture_height(element) + 12)
        elif tag == "field":
            self.text(len("".join(element.itertext())) + 20, self.body_pt * 0.95, after=2)
        elif tag == "subtitle":
            self.text(len("".join(element.itertext())), self.body_pt * 1.1, after=14)
        else:
            self.text(len("".join(element.itertext())), self.body_pt)

    def picture_height(self, element: etree._Element) -> float:
        data = picture_bytes(element) or b""
        width_mm = float(element.get("width") or self.text_width_pt / 72 * 25.4)
        width = min(width_mm / 25.4 * 72, self.text_width_pt)
        if data[12:16] == b"IHDR":
            pixels_w, pixels_h = struct.unpack(">II", data[16:24])
            return float(width * pixels_h / max(1, pixels_w))
        return width * 0.75


# --- the builder --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TocEntry:
    level: int
    text: str
    page: int
    bookmark: str


class BookBuilder(Builder):
    """The memo builder, for a book: parts as sections, headings moved down in chapters, a contents field."""

    def build_book(self, root: etree._Element) -> None:
        self._clear_body()
        self._page_setup()
        installed = StyleSheet(
            self.document, branded=self.branded, language=self.view.office.language, look=self.look
        ).install()
        self.style_ids = installed.ids
        self.bullet_num = installed.bullet_num
        self.number_abstract = installed.number_abstract
        self._book_styles()
        section = self.document.sections[-1]
        look = self.look
        usable = (section.page_height or 0) - (section.top_margin or 0) - (section.bottom_margin or 0)
        self.model = PageModel(
            text_width_pt=self.text_width / 20,
            page_height_pt=usable / 12700 - 10,
            body_pt=look.body / 2,
            table_pt=look.table / 2,
            heading_pt=(
                look.headings[0] / 2,
                look.headings[1] / 2,
                look.headings[2] / 2,
                look.headings[2] / 2,
            ),
            title_pt=look.title / 2,
        )
        self.entries: list[TocEntry] = []
        self.toc: tuple[Any, str, int] | None = None  # placeholder paragraph, title, page it starts on
        parts = list(root)
        for index, part in enumerate(parts):
            self.model.new_page()  # every section starts a page
            for element in part:
                self._book_block(element, in_chapter=False)
            if index < len(parts) - 1:
                self._section_break()
        self._fill_toc()
        sections = list(self.document.sections)
        # The reference's headers and footers live in the last section: made the book's first (emptied of
        # all but their pictures), they lend their pictures (a logo) to every other section's.
        self._header_and_footer(sections[-1], parts[-1].get("banner"))
        pictures = self._reference_pictures(sections[-1])
        for section, part in zip(sections[:-1], parts[:-1], strict=True):
            self._header_and_footer(section, part.get("banner"))
            self._add_pictures(section, pictures)
        self._core_properties()
        self._book_properties()
        self._app_properties()
        drop_stale_parts(self.document)

    # --- blocks -------------------------------------------------------------------------------------------

    def _book_block(self, element: etree._Element, *, in_chapter: bool) -> None:
        tag = element.tag
        if tag == "chapter":
            for child in element:
                self._book_block(child, in_chapter=True)
            return
        if tag == "pagebreak":
            paragraph = self._paragraph("Body Text")
            paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:br w:type="page"/></w:r>'))
            self.model.new_page()
            return
        if tag == "toc":
            self.model.new_page()
            self.toc = (self._paragraph("Body Text")._p, element.get("title") or "", self.model.page)
            # its own height is added once the entries are known (`_fill_toc`)
            return
        styles = _IN_CHAPTER if in_chapter else _OUTSIDE
        if tag in styles:
            style = styles[tag]
            paragraph = self._paragraph(style)
            spans = inline_spans(element)
            self._inline(paragraph, spans)
            text = plain("".join(s.text for s in spans), 500)
            level = int(style[-1]) if style.startswith("Heading") else 0
            if level:
                page = self.model.heading(level, len(text))
            else:
                self.model.text(len(text), self.model.title_pt, after=4)
                page = self.model.page
            if 1 <= level <= TOC_LEVELS:
                bookmark = f"_Toc{len(self.entries) + 1:09d}"
                number = len(self.entries) + 1
                p = paragraph._p
                ppr = p.find(qn("w:pPr"))
                start = parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="{number}" w:name="{bookmark}"/>')
                if ppr is not None:
                    ppr.addnext(start)
                else:
                    p.insert(0, start)
                p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{number}"/>'))
                self.entries.append(TocEntry(level, text, page, bookmark))
            return
        self._block(element)
        self.model.block(element)

    def _section_break(self) -> None:
        """End the current section here: a paragraph holding a copy of the page setup, starting a new page.
        Its headers and footers are added with the others (`_header_and_footer`)."""
        final = self.body.sectPr
        setup = copy.deepcopy(final)
        for child in list(setup):
            if child.tag in (qn("w:headerReference"), qn("w:footerReference"), qn("w:type")):
                setup.remove(child)
        kind = parse_xml(f'<w:type {nsdecls("w")} w:val="nextPage"/>')
        later = [c for c in setup if c.tag not in (qn("w:footnotePr"), qn("w:endnotePr"))]
        if later:  # the schema's order: after the notes' settings, before the page size
            later[0].addprevious(kind)
        else:
            setup.append(kind)
        paragraph = self._paragraph("Body Text")
        ppr = paragraph._p.get_or_add_pPr()
        ppr.append(setup)
        spacing = parse_xml(
            f'<w:spacing {nsdecls("w")} w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'
        )
        ppr.insert_element_before(spacing, "w:ind", "w:jc", "w:rPr", "w:sectPr")

    # --- contents -----------------------------------------------------------------------------------------

    def _fill_toc(self) -> None:
        """Replace the placeholder with a TOC field whose result is the entries, each page number a PAGEREF
        field to its heading's bookmark, after a dotted leader at the right margin. The pages of everything
        after the contents in the same section move by the contents' own length."""
        if self.toc is None:
            return
        placeholder, title, start = self.toc
        lines = sum(self.model.lines(len(e.text) + 6, self.model.body_pt) for e in self.entries)
        toc_pages = max(1, math.ceil((lines * self.model.body_pt * 1.45 + 60) / self.model.page_height_pt))
        entries = [replace(e, page=e.page + toc_pages) if e.page >= start else e for e in self.entries]
        tab = self.text_width
        paragraphs = [
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{self.style_ids["TOC Heading"]}"/></w:pPr>'
            f'<w:r><w:t xml:space="preserve">{xml_text(title)}</w:t></w:r></w:p>'
        ]
        for index, entry in enumerate(entries):
            begin = ""
            if index == 0:
                begin = (
                    '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                    f'<w:r><w:instrText xml:space="preserve"> {TOC_FIELD} </w:instrText></w:r>'
                    '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                )
            style = self.style_ids[f"toc {entry.level}"]
            paragraphs.append(
                f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style}"/>'
                f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{tab}"/></w:tabs></w:pPr>{begin}'
                f'<w:hyperlink w:anchor="{entry.bookmark}" w:history="1">'
                f'<w:r><w:t xml:space="preserve">{xml_text(entry.text)}</w:t></w:r><w:r><w:tab/></w:r>'
                '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r><w:instrText xml:space="preserve"> PAGEREF {entry.bookmark} \\h </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                f"<w:r><w:t>{entry.page}</w:t></w:r>"
                '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink></w:p>'
            )
        paragraphs.append(f'<w:p {nsdecls("w")}><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
        for xml in paragraphs:
            placeholder.addprevious(parse_xml(xml))
        placeholder.getparent().remove(placeholder)
        self.entries = entries

    # --- styles, headers, properties ------------------------------------------------------------------------

    def _book_styles(self) -> None:
        """Heading 4 (a chapter's subsections), the contents' heading and its two levels of entries, where
        the base document lacks them."""
        look = self.look
        sans = (
            f'<w:rFonts w:ascii="{look.sans}" w:hAnsi="{look.sans}" w:cs="{look.sans}"/>'
            if self.branded
            else ""
        )
        accent = f'<w:color w:val="{look.accent}"/>' if self.branded else ""
        ink = f'<w:color w:val="{look.ink}"/>' if self.branded else ""
        ns = nsdecls("w")

        def based(parent: str) -> str:
            return f'<w:basedOn w:val="{parent}"/><w:next w:val="{self.style_ids["Body Text"]}"/>'

        definitions = {
            "Heading 4": (
                "Heading4",
                based(self.style_ids["Heading 3"])
                + '<w:uiPriority w:val="9"/><w:unhideWhenUsed/><w:qFormat/>'
                '<w:pPr><w:keepNext/><w:spacing w:before="160" w:after="60"/>'
                '<w:outlineLvl w:val="3"/></w:pPr>'
                f'<w:rPr>{sans}<w:b/><w:bCs/><w:i w:val="0"/>{ink}{font_size(look.headings[2] - 1)}</w:rPr>',
            ),
            "TOC Heading": (
                "TOCHeading",
                based(self.style_ids["Heading 1"])
                + '<w:uiPriority w:val="39"/><w:unhideWhenUsed/><w:qFormat/>'
                '<w:pPr><w:pageBreakBefore w:val="0"/><w:outlineLvl w:val="9"/></w:pPr>',
            ),
            "toc 1": (
                "TOC1",
                based("Normal") + '<w:uiPriority w:val="39"/><w:unhideWhenUsed/>'
                '<w:pPr><w:keepNext/><w:spacing w:before="160" w:after="40"/></w:pPr>'
                f"<w:rPr>{sans}<w:b/><w:bCs/>{accent}</w:rPr>",
            ),
            "toc 2": (
                "TOC2",
                based("Normal") + '<w:uiPriority w:val="39"/><w:unhideWhenUsed/>'
                '<w:pPr><w:spacing w:before="0" w:after="30"/><w:ind w:left="284"/></w:pPr>'
                f"<w:rPr>{sans}{font_size(look.table)}</w:rPr>",
            ),
        }
        styles = self.document.styles.element
        present = {
            name.get(qn("w:val")).lower(): element.get(qn("w:styleId"))
            for element in styles.iterchildren(qn("w:style"))
            if (name := element.find(qn("w:name"))) is not None
        }
        taken = set(styles.xpath("./w:style/@w:styleId"))
        for name, (style_id, body) in definitions.items():
            if name.lower() in present:
                self.style_ids[name] = present[name.lower()]
                continue
            while style_id in taken:
                style_id += "B"
            taken.add(style_id)
            shown = name.lower() if name.startswith("Heading") else name  # Word's built-in "heading 4"
            styles.append(
                parse_xml(
                    f'<w:style {ns} w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{shown}"/>'
                    f"{body}</w:style>"
                )
            )
            self.style_ids[name] = style_id

    def _reference_pictures(self, section: Any) -> dict[str, list[tuple[Any, Any]]]:
        """The pictures (drawings with their image parts) of a section's headers and footers, by kind
        (`header`, `first_page_footer`, ...): only pictures are left there once `_header_and_footer` ran."""
        found: dict[str, list[tuple[Any, Any]]] = {}
        if self.branded:
            return found
        for kind in STORY_KINDS:
            story = getattr(section, kind)
            if story.is_linked_to_previous:
                continue
            drawings = story._element.findall(".//" + qn("w:drawing"))
            found[kind] = [(drawing, story.part) for drawing in drawings]
        return found

    def _add_pictures(self, section: Any, pictures: dict[str, list[tuple[Any, Any]]]) -> None:
        """Copy the reference's header and footer pictures (a logo) into a section's own headers and
        footers of the same kind."""
        for kind in STORY_KINDS:
            drawings = pictures.get(kind, [])
            story = getattr(section, kind)
            if not drawings or story.is_linked_to_previous or drawings[0][1] is story.part:
                continue
            paragraph = story._element.find(qn("w:p"))
            for drawing, source in drawings:
                clone = copy.deepcopy(drawing)
                for blip in clone.iter(qn("a:blip")):
                    rid = blip.get(qn("r:embed"))
                    if rid and rid in source.rels:
                        blip.set(
                            qn("r:embed"),
                            story.part.relate_to(source.rels[rid].target_part, source.rels[rid].reltype),
                        )
                run = parse_xml(f"<w:r {nsdecls('w')}/>")
                run.append(clone)
                if paragraph is not None:
                    paragraph.append(run)

    def _book_properties(self) -> None:
        words = self.catalogue
        properties = self.document.core_properties
        audience = self.view.audience.title
        properties.title = plain(f"{words.gettext('Briefing book')}: {audience}")
        properties.subject = plain(words.gettext("%(audience)s: briefing book") % {"audience": audience})
        properties.category = plain(words.gettext("Briefing book"))
