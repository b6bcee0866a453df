"""Turn a checked memo element tree and its audience view into the content of one opened Word document.

`Builder.build` empties the base document's body, sets the page, installs the styles (`styles`), fills
every header and footer with the handling banner (coloured by level), the audience's marking and the
"Page X of Y" fields beside whatever pictures the base's own carried (`reference.keep_only_pictures`),
maps each memo XML element onto paragraphs, real Word lists, tables, runs, hyperlinks and inline pictures
(with their alternative text in `wp:docPr/@descr`), writes the core
and extended properties from the view (dates from `as_of`, never the clock), and finally drops every part
of the base the memo does not use (`reference.drop_stale_parts`).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENTATION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Twips
from docx.text.paragraph import Paragraph
from lxml import etree

from ...select import View
from .memo_xml import SPACE, Span, inline_spans, leading_header_rows, picture_bytes, plain, xml_text
from .reference import drop_stale_parts, drop_unreferenced_rels, keep_only_pictures
from .styles import PPR_AFTER_PBDR, Look, StyleSheet, font_size, numbering_element

if TYPE_CHECKING:
    from ...i18n import Catalogue

# page width, page height, margin (all twips)
PAPERS: Final = {"A4": (11906, 16838, 1418), "Letter": (12240, 15840, 1440)}
# The paragraph and table styles a memo uses: memo XML element (or role) -> name shown in Word.
STYLE_NAMES: Final = {
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


# The footer's page numbers: the placeholders of its message and the Word fields that stand in for them.
_PAGE_FIELDS: Final = {"page": "PAGE \\* MERGEFORMAT", "pages": "NUMPAGES \\* MERGEFORMAT"}
_PLACEHOLDER: Final = re.compile(r"%\((page|pages)\)s")

_APP_XML: Final = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>Atalaya</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
    "<Company>{company}</Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
    "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
)


class Builder:
    """Fill one opened base document (default template or reference) from one parsed memo."""

    def __init__(
        self,
        document: DocxDocument,
        view: View,
        *,
        branded: bool,
        paper: str,
        look: Look,
        catalogue: Catalogue,
    ) -> None:
        self.document = document
        self.view = view
        self.catalogue = catalogue
        self.branded = branded
        self.paper = paper
        self.look = look
        self.body = document.element.body
        self.part = document.part
        self.style_ids: dict[str, str] = {}
        self.bullet_num = 0
        self.number_abstract = 0
        self.text_width = 0
        self.previous_was_table = False

    def build(self, root: etree._Element) -> None:
        self._clear_body()
        self._page_setup()
        installed = StyleSheet(
            self.document, branded=self.branded, language=self.view.office.language, look=self.look
        ).install()
        self.style_ids = installed.ids
        self.bullet_num = installed.bullet_num
        self.number_abstract = installed.number_abstract
        self._header_and_footer()
        for element in root:
            self._block(element)
        self._core_properties()
        self._app_properties()
        drop_stale_parts(self.document)

    # --- package and page -------------------------------------------------------------------------------

    def _app_properties(self) -> None:
        """docProps/app.xml names the office as the company and nothing of the base document (its company,
        manager, template, statistics and titles of parts describe another document)."""
        for rel in self.part.package.rels.values():
            if rel.reltype == RT.EXTENDED_PROPERTIES and not rel.is_external:
                office = xml_text(plain(self.view.office.name))
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

    # --- header and footer ------------------------------------------------------------------------------

    def _header_and_footer(self, section: Any = None, level: str | None = None) -> None:
        """Every header and footer the section has shows the memo's banner and marking (and the footer the
        page numbers): the base document's default, first-page and even-page ones lose all their text and
        keep only their pictures (a logo), even where the first-page or even-page switch is off. A book
        (`book.BookBuilder`) fills each of its sections with that section's `level`."""
        section = section if section is not None else self.document.sections[-1]
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
        level = level or self.view.banner
        colour = self.look.level_colour(level)
        banner = self.catalogue.level_label(level)
        marking = plain(self.view.audience.marking, 500)
        done: set[int] = set()
        for story, is_header in [(h, True) for h in headers] + [(f, False) for f in footers]:
            story.is_linked_to_previous = False
            part = story.part
            if id(part) in done:  # one part used for two kinds of page: fill it once
                continue
            done.add(id(part))
            element = part.element
            style = self.style_ids["Header" if is_header else "Footer"]
            keep_only_pictures(element, style)
            if is_header:
                first_kept = element[0] if len(element) else None
                for paragraph in (
                    self._banner_paragraph(banner, colour, bold=True, size=self.look.banner),
                    self._banner_paragraph(marking, colour, bold=False, size=self.look.small),
                ):
                    if first_kept is not None:
                        first_kept.addprevious(paragraph)
                    else:
                        element.append(paragraph)
            else:
                element.append(self._page_paragraph(marking))
                element.append(self._banner_paragraph(banner, colour, bold=True, size=self.look.banner))
            drop_unreferenced_rels(part, element)

    def _banner_paragraph(self, text: str, colour: str, *, bold: bool, size: int) -> Any:
        style = self.style_ids["Header"]
        emphasis = '<w:b/><w:bCs/><w:color w:val="{c}"/><w:spacing w:val="20"/>' if bold else ""
        emphasis = emphasis or '<w:color w:val="{c}"/>'
        return parse_xml(
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style}"/><w:spacing w:before="0" w:after="0"/>'
            f'<w:jc w:val="center"/></w:pPr><w:r><w:rPr>{emphasis.format(c=colour)}'
            f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
            f'<w:t xml:space="preserve">{xml_text(text)}</w:t></w:r></w:p>'
        )

    def _page_paragraph(self, marking: str) -> Any:
        style = self.style_ids["Footer"]
        rpr = f'<w:rPr><w:color w:val="{self.look.muted}"/>{font_size(self.look.small)}</w:rPr>'

        def text(value: str) -> str:
            return f'<w:r>{rpr}<w:t xml:space="preserve">{xml_text(value)}</w:t></w:r>'

        def field(instruction: str) -> str:
            return (
                f'<w:r>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r>{rpr}<w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
                f'<w:r>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>'
                f"<w:r>{rpr}<w:t>1</w:t></w:r>"
                f'<w:r>{rpr}<w:fldChar w:fldCharType="end"/></w:r>'
            )

        # "Page %(page)s of %(pages)s" in the edition's words, each placeholder a field Word keeps current
        pieces = _PLACEHOLDER.split(self.catalogue.gettext("Page %(page)s of %(pages)s"))
        pieces[0] = f"{marking}  ·  {pieces[0]}"
        runs = [
            field(_PAGE_FIELDS[piece]) if index % 2 else text(piece)
            for index, piece in enumerate(pieces)
            if piece
        ]
        return parse_xml(
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style}"/><w:spacing w:before="0" w:after="0"/>'
            f'<w:jc w:val="center"/></w:pPr>{"".join(runs)}</w:p>'
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
        if tag == "picture":
            self._picture(element)
            return
        paragraph = self._paragraph(STYLE_NAMES[tag])
        self._inline(paragraph, inline_spans(element))

    def _field(self, element: etree._Element) -> None:
        paragraph = self._paragraph("Memo Field")
        label_text = SPACE.sub(" ", element.get("label", "")).strip().rstrip(":")
        spans = [Span(f"{label_text}:", bold=True), Span("\t"), *inline_spans(element)]
        self._inline(paragraph, spans)
        following = element.getnext()
        if following is None or following.tag != "field":
            ppr = paragraph._p.get_or_add_pPr()
            ppr.insert_element_before(
                parse_xml(
                    f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="6" '
                    f'w:color="{self.look.accent if self.branded else "auto"}"/></w:pBdr>'
                ),
                *PPR_AFTER_PBDR,
            )
            ppr.insert_element_before(
                parse_xml(f'<w:spacing {nsdecls("w")} w:after="240"/>'),
                *PPR_AFTER_PBDR[PPR_AFTER_PBDR.index("w:spacing") + 1 :],
            )

    def _picture(self, element: etree._Element) -> None:
        """A centred paragraph holding the picture at its width (mm; at most the text width), its
        alternative text in `wp:docPr/@descr` as Word's "Alt Text" pane shows it."""
        data = picture_bytes(element)
        assert data is not None  # parse_memo checked it
        text_mm = self.text_width * 25.4 / 1440
        width = min(float(element.get("width") or text_mm), text_mm)
        paragraph = self._paragraph("Body Text")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        shape = paragraph.add_run().add_picture(io.BytesIO(data), width=Mm(width))
        shape._inline.docPr.set("descr", plain(element.get("alt", ""), 4000))

    def _list(self, element: etree._Element, *, level: int) -> None:
        ordered = element.tag == "ol"
        if ordered:
            numbering = numbering_element(self.part)
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
            self._inline(paragraph, inline_spans(item))
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
        header_rows = leading_header_rows(rows)
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
                    self._inline(paragraph, inline_spans(cell, bold=cell.tag == "th"))
                tr.append(tc)
            table.append(tr)
        self.body.sectPr.addprevious(table) if self.body.sectPr is not None else self.body.append(table)
        self.previous_was_table = True

    def _inline(self, paragraph: Paragraph, spans: list[Span]) -> None:
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

    def _run(self, span: Span, *, link_style: bool = False) -> Any:
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
        office = plain(view.office.name)
        properties.title = plain(view.title)
        words = self.catalogue
        banner = words.level_label(view.banner)
        subject = words.gettext("%(audience)s: policy memo") % {"audience": view.audience.title}
        properties.subject = plain(subject)
        # The source edition keeps the themes as tags (slugs); another edition names them in its language.
        themes = view.themes if words.is_source else tuple(words.label(theme) for theme in view.themes)
        properties.keywords = plain(", ".join(themes))
        properties.category = plain(words.kind_label(view.kind))
        properties.author = office
        properties.last_modified_by = office
        properties.comments = plain(f"{banner}. {view.audience.marking}")
        properties.content_status = plain(banner)
        properties.identifier = plain(f"{view.id}/{view.audience_name}")
        properties.language = plain(view.office.language)
        properties.created = moment
        properties.modified = moment
        properties.last_printed = moment
        properties.revision = 1
