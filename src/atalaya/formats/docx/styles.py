"""Turn the theme's faces, colours and sizes into Word styles, list numbering, defaults and a font table.

`Look.from_theme` reads what the memo needs of `templates/theme.toml` (the same palette, faces and sizes
the PDF's CSS and the figures use). `StyleSheet.install` puts into one opened base document every style
the memo uses (paragraph, character and table styles, named as Word names them), the bullet and numbered
lists' definitions, the document defaults (body face and size, the document's language) and, for the
memo's own look, the faces' fallbacks in the font table. Without a reference document the styles carry
the full look; with one, its styles win and only the styles it lacks are added, in Word's own neutral
greys and link blue, so they inherit the reference's fonts and colours instead of mixing in the theme's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.parts.numbering import NumberingPart
from lxml import etree

from ...theme import LEVELS

if TYPE_CHECKING:
    from ...theme import Theme


@dataclass(frozen=True)
class Look:
    """What the memo's styles are made of: faces, colours as "RRGGBB" and sizes in half-points, all from
    the templates folder's theme (`Look.from_theme`)."""

    serif: str
    serif_fallback: str
    sans: str
    sans_fallback: str
    accent: str
    """Title, heading 1, captions, the rule under the memo lines, links, table edges and labels."""
    ink: str
    """Headings 2 and 3, quotes."""
    muted: str
    """Subtitle, the footer's marking and page numbers."""
    rule: str
    """The hairline under heading 1."""
    rule_light: str
    """The hairlines between a table's rows."""
    tint: str
    """The key-facts box's fill and the memo table's header row."""
    paper: str
    """The lines between the key-facts box's rows."""
    levels: Mapping[str, str]
    """Banner colour of each releasability level."""
    body: int
    title: int
    subtitle: int
    headings: tuple[int, int, int]
    caption: int
    field: int
    table: int
    banner: int
    small: int
    """Header and footer text: the marking and the page numbers."""

    @classmethod
    def from_theme(cls, theme: Theme) -> Look:
        serif, sans = theme.face("serif"), theme.face("sans")

        def optional(name: str) -> int:
            return theme.half_points(name) if name in theme.sizes else round(_MEMO_SIZE_DEFAULTS[name] * 2)

        return cls(
            serif=serif.name,
            serif_fallback=serif.fallback,
            sans=sans.name,
            sans_fallback=sans.fallback,
            accent=theme.docx_colour("accent"),
            ink=theme.docx_colour("ink"),
            muted=theme.docx_colour("muted"),
            rule=theme.docx_colour("rule"),
            rule_light=theme.docx_colour("rule-light"),
            tint=theme.docx_colour("tint"),
            paper=theme.docx_colour("paper"),
            levels={level: theme.docx_colour(level) for level in LEVELS},
            body=theme.half_points("memo-body"),
            title=theme.half_points("memo-title"),
            subtitle=theme.half_points("memo-subtitle"),
            headings=(
                theme.half_points("memo-heading-1"),
                theme.half_points("memo-heading-2"),
                theme.half_points("memo-heading-3"),
            ),
            caption=optional("memo-caption"),
            field=optional("memo-field"),
            table=optional("memo-table"),
            banner=theme.half_points("memo-banner"),
            small=theme.half_points("memo-small"),
        )

    def level_colour(self, level: str) -> str:
        """The banner colour of a releasability level; black for a level the theme does not know."""
        return self.levels.get(str(getattr(level, "value", level)), "000000")


# Sizes (points) of the memo's captions, MEMORANDUM lines and table text where the theme defines none of
# its own (`memo-caption`, `memo-field`, `memo-table` in theme.toml win).
_MEMO_SIZE_DEFAULTS: Final = {"memo-caption": 9.0, "memo-field": 10.5, "memo-table": 9.5}

# The elements of a w:pPr that follow w:pBdr, in schema order (python-docx inserts before the first found).
PPR_AFTER_PBDR: Final = (
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


@dataclass
class Installed:
    """What the builder needs of the installed styles: each style's id and the lists' numbering."""

    ids: dict[str, str]
    """Style name (as shown in Word) -> the style id this document gives it."""
    bullet_num: int
    """The numbering instance every bullet list shares."""
    number_abstract: int
    """The numbered lists' definition; each <ol> gets its own instance of it, restarting at 1."""


class StyleSheet:
    """Install the memo's styles into one opened base document (python-docx's default template or an
    office's reference, `branded` False for the latter)."""

    def __init__(self, document: DocxDocument, *, branded: bool, language: str, look: Look) -> None:
        self.document = document
        self.part = document.part
        self.branded = branded
        self.language = language
        self.look = look
        self._styles_by_name: dict[str, Any] | None = None  # index of styles.xml, rebuilt after edits

    def install(self) -> Installed:
        numbering = numbering_element(self.part)
        bullet = None if self.branded else self._style_list(numbering, "List Bullet")
        number = None if self.branded else self._style_list(numbering, "List Number")
        if bullet is None:
            abstract = _add_abstract(numbering, "bullet")
            bullet = (numbering.add_num(abstract).numId, abstract)
        if number is None:
            abstract = _add_abstract(numbering, "decimal")
            number = (numbering.add_num(abstract).numId, abstract)

        styles = self.document.styles.element
        definitions = style_definitions(
            self.look, branded=self.branded, bullet_num=bullet[0], number_num=number[0]
        )
        for name, xml in definitions.items():
            existing = self._style_element(name)
            if existing is not None and not self.branded:
                if name in ("List Bullet", "List Number") and not existing.xpath("./w:pPr/w:numPr"):
                    _give_numbering(existing, bullet[0] if name == "List Bullet" else number[0])
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
        ids: dict[str, str] = {}
        for name in definitions:
            element = self._style_element(name)
            assert element is not None
            ids[name] = element.get(qn("w:styleId"))
        self._doc_defaults()
        if self.branded:
            self._font_table()
        return Installed(ids=ids, bullet_num=bullet[0], number_abstract=number[1])

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

    def _doc_defaults(self) -> None:
        styles = self.document.styles.element
        defaults = styles.find(qn("w:docDefaults"))
        if defaults is None:
            defaults = parse_xml(f"<w:docDefaults {nsdecls('w')}/>")
            styles.insert(0, defaults)
        language = self.language
        if self.branded:
            look = self.look
            for child in list(defaults):
                defaults.remove(child)
            defaults.append(
                parse_xml(
                    f"<w:rPrDefault {nsdecls('w')}><w:rPr>{fonts(look.serif)}"
                    f'<w:sz w:val="{look.body}"/><w:szCs w:val="{look.body}"/>'
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
        look = self.look
        for rel in self.part.rels.values():
            if rel.reltype == RT.FONT_TABLE and not rel.is_external:
                table = parse_xml(rel.target_part.blob)
                present = {f.get(qn("w:name")) for f in table.findall(qn("w:font"))}
                faces = ((look.serif, look.serif_fallback, "roman"), (look.sans, look.sans_fallback, "swiss"))
                for face, fallback, family in faces:
                    if face not in present:
                        table.append(
                            parse_xml(
                                f'<w:font {nsdecls("w")} w:name="{face}"><w:altName w:val="{fallback}"/>'
                                f'<w:charset w:val="00"/><w:family w:val="{family}"/>'
                                '<w:pitch w:val="variable"/>'
                                "</w:font>"
                            )
                        )
                rel.target_part._blob = etree.tostring(
                    table, xml_declaration=True, encoding="UTF-8", standalone=True
                )


# --- list numbering -----------------------------------------------------------------------------------


def numbering_element(part: Any) -> Any:
    """The document's w:numbering, adding an empty numbering part where the base document has none."""
    try:
        return part.numbering_part.element
    except NotImplementedError:  # python-docx cannot create the part itself: add an empty one
        package = part.package
        partname = PackURI("/word/numbering.xml")
        if any(p.partname == partname for p in package.iter_parts()):
            partname = package.next_partname("/word/numbering%d.xml")
        element = parse_xml(f"<w:numbering {nsdecls('w')}/>")
        numbering = NumberingPart(partname, CT.WML_NUMBERING, element, package)
        part.relate_to(numbering, RT.NUMBERING)
        return numbering.element


def _add_abstract(numbering: Any, kind: str) -> int:
    ids = [int(v) for v in numbering.xpath("./w:abstractNum/@w:abstractNumId")]
    abstract_id = max(ids, default=-1) + 1
    element = parse_xml(_abstract_num_xml(abstract_id, kind))
    nums = numbering.xpath("./w:num")
    if nums:
        nums[0].addprevious(element)
    else:
        numbering.append(element)
    return abstract_id


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
        *PPR_AFTER_PBDR,
        "w:suppressLineNumbers",
        "w:pBdr",
    )


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


# --- style definitions --------------------------------------------------------------------------------


def fonts(face: str) -> str:
    return f'<w:rFonts w:ascii="{face}" w:hAnsi="{face}" w:eastAsia="{face}" w:cs="{face}"/>'


def font_size(half_points: int) -> str:
    return f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'


def style_definitions(look: Look, *, branded: bool, bullet_num: int, number_num: int) -> dict[str, str]:
    """Every style the memo uses, as complete <w:style> XML.

    Branded (no reference document): the full look. Otherwise the same structure and sizes without faces
    and colours (rules, edges, fills and links in Word's own neutral greys and blue), added only where the
    reference lacks the style, so it inherits the reference's fonts.
    """
    sans = fonts(look.sans) if branded else ""
    accent = f'<w:color w:val="{look.accent}"/>' if branded else ""
    grey = f'<w:color w:val="{look.ink}"/>' if branded else ""
    muted = f'<w:color w:val="{look.muted}"/>' if branded else ""
    rule = look.rule if branded else "A6A6A6"
    rule_light = look.rule_light if branded else "A6A6A6"
    between = look.paper if branded else "FFFFFF"
    edge = look.accent if branded else "808080"
    shade = look.tint if branded else "F2F2F2"
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

    def heading(level: int, before: int, after: int, *, border: bool, italic: bool) -> str:
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
            rpr=f"{sans}<w:b/><w:bCs/>{italic_xml}{colour}{font_size(look.headings[level - 1])}",
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
    link = look.accent if branded else "0563C1"
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
            rpr=f'{sans}<w:b/><w:bCs/>{accent}<w:kern w:val="28"/>{font_size(look.title)}',
            next_style="Subtitle",
            priority=10,
        ),
        "Subtitle": paragraph(
            "Subtitle",
            "Subtitle",
            ppr='<w:keepNext/><w:spacing w:before="0" w:after="280"/>',
            rpr=f"{sans}{muted}{font_size(look.subtitle)}",
            next_style="BodyText",
            priority=11,
        ),
        "Heading 1": heading(1, 360, 120, border=True, italic=False),
        "Heading 2": heading(2, 240, 80, border=False, italic=False),
        "Heading 3": heading(3, 200, 60, border=False, italic=True),
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
            rpr=f"{sans}<w:b/><w:bCs/>{accent}{font_size(look.caption)}",
            next_style="BodyText",
            priority=35,
            extra="<w:unhideWhenUsed/>",
        ),
        "Memo Field": paragraph(
            "MemoField",
            "Memo Field",
            ppr='<w:tabs><w:tab w:val="left" w:pos="2552"/></w:tabs><w:spacing w:before="0" w:after="40"/>'
            '<w:ind w:left="2552" w:hanging="2552"/>',
            rpr=f"{sans}{font_size(look.field)}",
            next_style="MemoField",
            custom=True,
        ),
        "Table Text": paragraph(
            "TableText",
            "Table Text",
            ppr='<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>',
            rpr=f"{sans}{font_size(look.table)}",
            next_style="TableText",
            custom=True,
        ),
        "Header": paragraph(
            "Header",
            "header",
            ppr=f'{tight}<w:jc w:val="center"/>',
            rpr=f"{sans}{font_size(look.small)}",
            extra="<w:unhideWhenUsed/>",
        ),
        "Footer": paragraph(
            "Footer",
            "footer",
            ppr=f'{tight}<w:jc w:val="center"/>',
            rpr=f"{sans}{font_size(look.small)}",
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
            f'<w:insideH w:val="single" w:sz="4" w:space="0" w:color="{rule_light}"/></w:tblBorders>'
            f"{margins}",
            f'<w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:bCs/>{accent}</w:rPr><w:tblPr/>'
            f"<w:trPr><w:tblHeader/></w:trPr><w:tcPr><w:tcBorders>"
            f'<w:bottom w:val="single" w:sz="8" w:space="0" w:color="{edge}"/></w:tcBorders>'
            f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/></w:tcPr></w:tblStylePr>',
            f"{sans}{font_size(look.table)}",
        ),
        "Key Facts Table": table(
            "KeyFactsTable",
            "Key Facts Table",
            f'<w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="{shade}"/>'
            f'<w:left w:val="single" w:sz="24" w:space="0" w:color="{edge}"/>'
            f'<w:bottom w:val="single" w:sz="4" w:space="0" w:color="{shade}"/>'
            f'<w:insideH w:val="single" w:sz="4" w:space="0" w:color="{between}"/></w:tblBorders>'
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
            f"{sans}{font_size(look.table)}",
        ),
    }
