"""A reference .docx made as the README says must not leak into the memos built on it.

The README tells an office to make its reference document by opening a memo, restyling it, adding a logo
to the header and deleting the text. A memo's header and footer then still hold that memo's banner and
marking, and offices add more: a first-page and an even-page header, text boxes, content controls,
watermarks, fields, comments, footnotes, document properties, sensitivity labels, custom XML. Built on
such a reference, every audience's memo must show its own banner, marking and page numbers and nothing of
the reference's text, while keeping the reference's logo and styles.

Everything here goes through the real command line and reads the written packages back with zipfile.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from lxml import etree
from PIL import Image

from conftest import GOOD, run_cli

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
IMAGE_REL = f"{R_NS}/image"
NS = {"w": W_NS, "r": R_NS, "rel": REL_NS}

# Shown on a reference's headers, footers and metadata: none may reach any part of any memo.
CANARY = {
    "default header": "REFCANARY-DEFAULT-HEADER",
    "beside the logo": "REFCANARY-BESIDE-LOGO",
    "first header": "REFCANARY-FIRST-HEADER",
    "even header": "REFCANARY-EVEN-HEADER",
    "default footer": "REFCANARY-DEFAULT-FOOTER",
    "first footer": "REFCANARY-FIRST-FOOTER",
    "even footer": "REFCANARY-EVEN-FOOTER",
    "footer table": "REFCANARY-FOOTER-TABLE",
    "text box": "REFCANARY-TEXT-BOX",
    "text box fallback": "REFCANARY-TEXT-BOX-FALLBACK",
    "content control": "REFCANARY-CONTENT-CONTROL",
    "inline content control": "REFCANARY-INLINE-CONTROL",
    "watermark": "REFCANARY-WATERMARK",
    "field result": "REFCANARY-FIELD-RESULT",
    "unreferenced header": "REFCANARY-UNREFERENCED-HEADER",
    "body": "REFCANARY-BODY",
    "comment": "REFCANARY-COMMENT",
    "comment author": "REFCANARY-AUTHOR",
    "core title": "REFCANARY-CORE-TITLE",
    "company": "REFCANARY-COMPANY",
    "manager": "REFCANARY-MANAGER",
    "title of part": "REFCANARY-TITLE-OF-PART",
    "custom property": "REFCANARY-CUSTOM-PROPERTY",
    "custom xml": "REFCANARY-CUSTOM-XML",
    "footnote": "REFCANARY-FOOTNOTE",
    "document variable": "REFCANARY-DOCVAR",
    "attached template": "REFCANARY-TEMPLATE",
    "building block": "REFCANARY-GLOSSARY",
}
HEADING_FONT = "Courier New"
HEADING_COLOUR = "8B0000"
LOGO_SIZE = (96, 24)

# What each audience's brief of the good fixture tree must show: banner (highest level present) and marking.
BRIEFS = {
    ("analyst", "alpha-pact"): ("RESTRICTED", "ANALYST FILE"),
    ("executive", "alpha-pact"): ("INTERNAL", "EXECUTIVE DISTRIBUTION"),
    ("staff", "alpha-pact"): ("INTERNAL", "STAFF USE"),
    ("public", "alpha-pact"): ("PUBLIC", "PUBLIC RELEASE"),
    ("analyst", "beta-forum"): ("INTERNAL", "ANALYST FILE"),
    ("executive", "beta-forum"): ("INTERNAL", "EXECUTIVE DISTRIBUTION"),
    ("staff", "beta-forum"): ("INTERNAL", "STAFF USE"),
}
LEVELS = ("PUBLIC", "INTERNAL", "RESTRICTED")
MARKINGS = {marking for _, marking in BRIEFS.values()}
MARKING = {audience: marking for (audience, _), (_, marking) in BRIEFS.items()}
CHAPTERS = ("alpha-pact", "beta-forum")  # the instruments in name order, as a book orders its chapters
# Country briefs: alpha-pact's members AR, BR and CL (rows at its public level) where an audience shows
# members, its partner NO where it shows partners (analyst); executive shows neither. Banner: PUBLIC.
COUNTRIES = {"analyst": ("AR", "BR", "CL", "NO"), "public": ("AR", "BR", "CL"), "staff": ("AR", "BR", "CL")}


def _book(audience: str) -> tuple[tuple[str, ...], str]:
    """A book's sections: its cover and front matter, a chapter per brief (the brief's banner) and its back
    matter; the cover, front and back matter carry the highest chapter banner."""
    chapters = tuple(BRIEFS[audience, i][0] for i in CHAPTERS if (audience, i) in BRIEFS)
    highest = max(chapters, key=LEVELS.index)
    return (highest, *chapters, highest), MARKING[audience]


# Every memo (audience, path below the audience's folder without .docx): the banner of each of its sections
# in order (a brief and a country brief have one) and its marking.
EXPECTED: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    **{key: ((banner,), marking) for key, (banner, marking) in BRIEFS.items()},
    **{(audience, "book"): _book(audience) for audience in MARKING},
    **{
        (audience, f"countries/{code}"): (("PUBLIC",), MARKING[audience])
        for audience, codes in COUNTRIES.items()
        for code in codes
    },
}


# --- making the reference as the README says ------------------------------------------------------------


def logo_png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", LOGO_SIZE, (0x8B, 0x00, 0x00)).save(buffer, format="PNG")
    return buffer.getvalue()


def _para(text: str) -> str:
    return f'<w:p {_ns()}><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def _ns() -> str:
    return (
        f'xmlns:w="{W_NS}" xmlns:r="{R_NS}" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
    )


def text_box_xml(text: str, fallback: str) -> str:
    """A floating text box as Word 2010 and later write it: a DrawingML shape with a VML fallback."""
    return (
        f"<w:p {_ns()}><w:r><mc:AlternateContent>"
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor distT="0" distB="0" distL="114300" distR="114300" '
        'simplePos="0" relativeHeight="251659264" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="margin"><wp:align>right</wp:align>'
        '</wp:positionH><wp:positionV relativeFrom="page"><wp:posOffset>180000</wp:posOffset></wp:positionV>'
        '<wp:extent cx="1828800" cy="457200"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        '<wp:docPr id="901" name="Text Box 901"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/>'
        '<a:ext cx="1828800" cy="457200"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>'
        f"<wps:txbx><w:txbxContent>{_inner_para(text)}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        '<mc:Fallback><w:pict><v:shape id="TextBox901" type="#_x0000_t202" style="width:144pt;height:36pt">'
        f"<v:textbox><w:txbxContent>{_inner_para(fallback)}</w:txbxContent></v:textbox></v:shape></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )


def _inner_para(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def watermark_xml(text: str) -> str:
    """Word's text watermark: VML WordArt in a header, inside a Watermarks content control."""
    return (
        f'<w:sdt {_ns()}><w:sdtPr><w:id w:val="-1"/><w:docPartObj>'
        '<w:docPartGallery w:val="Watermarks"/><w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>'
        '<w:p><w:r><w:pict><v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136" '
        'style="position:absolute;width:412pt;height:164pt;rotation:315;z-index:-251657216" '
        'fillcolor="silver" stroked="f"><v:fill opacity=".5"/>'
        f'<v:textpath style="font-family:&quot;Calibri&quot;;font-size:1pt" string="{text}"/>'
        "</v:shape></w:pict></w:r></w:p></w:sdtContent></w:sdt>"
    )


def content_control_xml(text: str) -> str:
    """A block content control bound to custom XML, as classification add-ins put in headers."""
    return (
        f'<w:sdt {_ns()}><w:sdtPr><w:alias w:val="Classification"/><w:tag w:val="classification"/>'
        '<w:id w:val="424242"/><w:dataBinding w:xpath="/root/classification[1]" '
        'w:storeItemID="{11111111-2222-3333-4444-555555555555}"/><w:text/></w:sdtPr>'
        f"<w:sdtContent>{_inner_para(text)}</w:sdtContent></w:sdt>"
    )


def field_xml(text: str) -> str:
    return (
        f'<w:p {_ns()}><w:fldSimple w:instr=" DOCPROPERTY Classification \\* MERGEFORMAT ">'
        f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:fldSimple></w:p>'
    )


def make_reference(analyst_memo: Path) -> bytes:
    """Open an analyst memo, delete its body, restyle it, brand its headers and save it, as an office would."""
    document = docx.Document(str(analyst_memo))
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)

    heading = document.styles["Heading 1"]
    heading.font.name = HEADING_FONT
    heading.font.color.rgb = RGBColor.from_string(HEADING_COLOUR)
    heading.font.size = Pt(16)

    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    logo = logo_png()

    header = section.header  # still holds the analyst memo's banner and marking
    header.add_paragraph(CANARY["default header"])
    beside = header.add_paragraph()
    beside.add_run().add_picture(BytesIO(logo), width=Cm(3))
    beside.add_run(f" {CANARY['beside the logo']}")
    inline_control = parse_xml(
        f'<w:sdt {_ns()}><w:sdtPr><w:id w:val="434343"/><w:text/></w:sdtPr><w:sdtContent>'
        f'<w:r><w:t xml:space="preserve"> {CANARY["inline content control"]}</w:t></w:r></w:sdtContent></w:sdt>'
    )
    beside._p.append(inline_control)
    for xml in (
        text_box_xml(CANARY["text box"], CANARY["text box fallback"]),
        watermark_xml(CANARY["watermark"]),
        content_control_xml(CANARY["content control"]),
        field_xml(CANARY["field result"]),
    ):
        header._element.append(parse_xml(xml))

    footer = section.footer  # still holds "ANALYST FILE · Page X of Y" and the banner
    footer.add_paragraph(CANARY["default footer"])
    table = footer.add_table(1, 2, Cm(10))
    table.cell(0, 0).text = CANARY["footer table"]
    table.cell(0, 1).paragraphs[0].add_run().add_picture(BytesIO(logo), width=Cm(2))  # a logo in a table

    section.different_first_page_header_footer = True
    first = section.first_page_header
    first.paragraphs[0].add_run().add_picture(BytesIO(logo), width=Cm(3))
    first.add_paragraph(CANARY["first header"])
    section.first_page_footer.paragraphs[0].text = CANARY["first footer"]

    document.settings.odd_and_even_pages_header_footer = True
    section.even_page_header.paragraphs[0].text = CANARY["even header"]
    section.even_page_footer.paragraphs[0].text = CANARY["even footer"]

    # a header part left in the package but used by no section (as when a section break is deleted)
    document_part: Any = document.part  # add_header_part is untyped
    orphan, _ = document_part.add_header_part()
    orphan.element.append(parse_xml(_para(CANARY["unreferenced header"])))

    # a stray paragraph of body text the office forgot to delete, with a comment on it
    stray = document.add_paragraph(CANARY["body"])
    document.add_comment(stray.runs, text=CANARY["comment"], author=CANARY["comment author"], initials="RC")

    document.core_properties.title = CANARY["core title"]
    buffer = BytesIO()
    document.save(buffer)
    return _add_package_leaks(buffer.getvalue())


def _add_package_leaks(data: bytes) -> bytes:
    """Metadata Word and office add-ins keep beside the text: app and custom properties, a sensitivity
    label, custom XML, footnotes, document variables, an attached template, building blocks."""
    with zipfile.ZipFile(BytesIO(data)) as source:
        files = {name: source.read(name) for name in source.namelist()}

    files["docProps/app.xml"] = (  # as Word writes it on saving
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Template>Normal.dotm</Template><TotalTime>3</TotalTime><Pages>6</Pages><Words>1800</Words>"
        "<Application>Microsoft Office Word</Application><DocSecurity>0</DocSecurity>"
        '<TitlesOfParts><vt:vector size="1" baseType="lpstr">'
        f"<vt:lpstr>{CANARY['title of part']}</vt:lpstr></vt:vector></TitlesOfParts>"
        f"<Manager>{CANARY['manager']}</Manager><Company>{CANARY['company']}</Company>"
        "<AppVersion>16.0000</AppVersion></Properties>"
    ).encode()

    files["docProps/custom.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Classification">'
        f"<vt:lpwstr>{CANARY['custom property']}</vt:lpwstr></property></Properties>"
    ).encode()
    files["docMetadata/LabelInfo.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata">'
        b'<clbl:label id="{6a1b2c3d-0000-4000-8000-000000000001}" enabled="1" method="Privileged" '
        b'siteId="{6a1b2c3d-0000-4000-8000-000000000002}" removed="0"/></clbl:labelList>'
    )
    files["_rels/.rels"] = _add_rels(
        files["_rels/.rels"],
        [
            ("rIdCustom", f"{R_NS}/custom-properties", "docProps/custom.xml", False),
            (
                "rIdLabel",
                "http://schemas.microsoft.com/office/2020/02/relationships/classificationlabels",
                "docMetadata/LabelInfo.xml",
                False,
            ),
        ],
    )

    files["customXml/item9.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><root><classification>{CANARY["custom xml"]}'
        "</classification></root>"
    ).encode()
    wml = f'xmlns:w="{W_NS}"'
    files["word/footnotes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {wml}>'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r>'
        "</w:p></w:footnote>"
        f'<w:footnote w:id="1"><w:p><w:r><w:t>{CANARY["footnote"]}</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    ).encode()
    files["word/glossary/document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:glossaryDocument {wml}><w:docParts>'
        '<w:docPart><w:docPartPr><w:name w:val="Banner"/><w:category><w:name w:val="General"/>'
        '<w:gallery w:val="autoTxt"/></w:category><w:guid w:val="{6A1B2C3D-0000-4000-8000-000000000003}"/>'
        f"</w:docPartPr><w:docPartBody><w:p><w:r><w:t>{CANARY['building block']}</w:t></w:r></w:p>"
        "</w:docPartBody></w:docPart></w:docParts></w:glossaryDocument>"
    ).encode()
    files["word/_rels/document.xml.rels"] = _add_rels(
        files["word/_rels/document.xml.rels"],
        [
            ("rIdLeakXml", f"{R_NS}/customXml", "../customXml/item9.xml", False),
            ("rIdLeakNotes", f"{R_NS}/footnotes", "footnotes.xml", False),
            ("rIdLeakGlossary", f"{R_NS}/glossaryDocument", "glossary/document.xml", False),
        ],
    )

    settings = files["word/settings.xml"].decode()
    settings = settings.replace(
        "<w:rsids>",
        f'<w:docVars><w:docVar w:name="Classification" w:val="{CANARY["document variable"]}"/></w:docVars>'
        "<w:rsids>",
        1,
    )
    settings = re.sub(
        r"(<w:proofState[^>]*/>)", r'\1<w:attachedTemplate r:id="rIdTemplate"/>', settings, count=1
    )
    assert CANARY["document variable"] in settings and "rIdTemplate" in settings
    files["word/settings.xml"] = settings.encode()
    files["word/_rels/settings.xml.rels"] = _add_rels(
        None,
        [
            (
                "rIdTemplate",
                f"{R_NS}/attachedTemplate",
                f"file:///C:/Users/{CANARY['attached template']}/Templates/Analyst.dotm",
                True,
            )
        ],
    )

    types = files["[Content_Types].xml"].decode()
    overrides = {
        "/docProps/custom.xml": "application/vnd.openxmlformats-officedocument.custom-properties+xml",
        "/docMetadata/LabelInfo.xml": "application/vnd.ms-office.classificationlabels+xml",
        "/word/footnotes.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
        "/word/glossary/document.xml": (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.glossary+xml"
        ),
    }
    extra = "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides.items())
    files["[Content_Types].xml"] = types.replace("</Types>", f"{extra}</Types>").encode()

    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in files.items():
            target.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)
    return out.getvalue()


def _add_rels(xml: bytes | None, rels: list[tuple[str, str, str, bool]]) -> bytes:
    text = (
        xml.decode()
        if xml is not None
        else f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{REL_NS}"></Relationships>'
    )
    added = "".join(
        f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"'
        + (' TargetMode="External"' if ext else "")
        + "/>"
        for rid, kind, target, ext in rels
    )
    return text.replace("</Relationships>", f"{added}</Relationships>").encode()


# --- building through the command line -------------------------------------------------------------------


def build(output: Path, *extra: str | Path) -> None:
    result = run_cli(
        "build", "--content", GOOD, "--output", output, "--format", "docx", "-j", "1", "--quiet", *extra
    )
    assert result.code == 0, result.stderr


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reference")


@pytest.fixture(scope="module")
def reference(workdir: Path) -> Path:
    build(workdir / "first", "--audience", "analyst", "--instrument", "alpha-pact")
    path = workdir / "office-reference.docx"
    path.write_bytes(make_reference(workdir / "first" / "analyst" / "alpha-pact.docx"))
    return path


@pytest.fixture(scope="module")
def plain(workdir: Path) -> Path:
    output = workdir / "plain"
    build(output)
    return output


@pytest.fixture(scope="module")
def branded(workdir: Path, reference: Path) -> Path:
    output = workdir / "branded"
    build(output, "--reference-docx", reference)
    return output


def memos(output: Path) -> Iterator[tuple[str, str, Path]]:
    """Every memo below the output folder: its audience, its path below the audience's folder without .docx
    (`alpha-pact`, `book`, `countries/AR`) and its path."""
    for path in sorted(output.rglob("*.docx")):
        audience, *rest = path.relative_to(output).with_suffix("").parts
        yield audience, "/".join(rest), path


def package(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def stories(files: dict[str, bytes], kind: str) -> dict[str, etree._Element]:
    return {
        name: etree.fromstring(data)
        for name, data in files.items()
        if re.fullmatch(rf"word/{kind}\d*\.xml", name)
    }


def paragraph_texts(root: etree._Element) -> list[str]:
    texts = ["".join(p.xpath(".//w:t/text()", namespaces=NS)) for p in root.iter(f"{W}p")]
    return [text for text in texts if text.strip()]


def sections(files: dict[str, bytes]) -> list[dict[tuple[str, str], str]]:
    """Each section of the document in order: its header and footer references, (element, type) -> the
    part it names (`("headerReference", "first")` -> `word/header2.xml`)."""
    document = etree.fromstring(files["word/document.xml"])
    targets = rels(files, "word/document.xml")
    return [
        {
            (etree.QName(ref).localname, ref.get(f"{W}type")): f"word/{targets[ref.get(f'{{{R_NS}}}id')][1]}"
            for ref in section
            if ref.tag in (f"{W}headerReference", f"{W}footerReference")
        }
        for section in document.iter(f"{W}sectPr")
    ]


def rels(files: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    """The relationships of a part by id (type, target); of the package itself when `part` is ""."""
    folder, _, name = part.rpartition("/")
    data = files.get(f"{folder}/_rels/{name}.rels".lstrip("/"))
    if data is None:
        return {}
    root = etree.fromstring(data)
    return {r.get("Id"): (r.get("Type"), r.get("Target")) for r in root.iter(f"{{{REL_NS}}}Relationship")}


# --- the reference itself is as leaky as the README's recipe makes it -----------------------------------


@pytest.mark.slow
def test_the_reference_holds_the_analyst_banner_and_every_canary(reference: Path) -> None:
    files = package(reference)
    everything = b"".join(files.values())
    for token in CANARY.values():
        assert token.encode() in everything, token
    headers = b"".join(data for name, data in files.items() if name.startswith("word/header"))
    assert b"RESTRICTED" in headers and b"ANALYST FILE" in headers


# --- the memos built on it ------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_memo_is_built(branded: Path) -> None:
    assert {(audience, stem) for audience, stem, _ in memos(branded)} == set(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize(("audience", "document"), sorted(EXPECTED))
def test_headers_and_footers_hold_only_the_memos_own_banner_marking_and_page_fields(
    branded: Path, audience: str, document: str
) -> None:
    banners, marking = EXPECTED[audience, document]
    files = package(branded / audience / f"{document}.docx")
    headers = stories(files, "header")
    footers = stories(files, "footer")
    layout = sections(files)
    assert len(layout) == len(banners)
    assert {name for refs in layout for name in refs.values()} == {*headers, *footers}
    for index, (banner, refs) in enumerate(zip(banners, layout, strict=True)):
        for (element, _), name in refs.items():
            where = (name, index)
            if element == "headerReference":
                root = headers[name]
                assert paragraph_texts(root) == [banner, marking], where
                assert not root.xpath(".//w:instrText|.//w:fldSimple", namespaces=NS), where
            else:
                root = footers[name]
                assert paragraph_texts(root) == [f"{marking}  ·  Page 1 of 1", banner], where
                instructions = [
                    " ".join(t.split()) for t in root.xpath(".//w:instrText/text()", namespaces=NS)
                ]
                assert instructions == ["PAGE \\* MERGEFORMAT", "NUMPAGES \\* MERGEFORMAT"], where
            shown = " ".join(root.xpath(".//w:t/text()|.//@string", namespaces=NS))
            for level in LEVELS:
                assert (level in shown.split()) == (level == banner), (*where, level)
            for other in MARKINGS - {marking}:
                assert other not in shown, (*where, other)
            local = {etree.QName(el).localname for el in root.iter() if isinstance(el.tag, str)}
            assert not local & {"txbxContent", "txbx", "textbox", "textpath", "sdt", "fldSimple", "tbl"}, (
                where
            )
    # default, first page and even pages for each section: no leftovers
    assert len(headers) == len(footers) == 3 * len(banners)


@pytest.mark.slow
def test_the_same_banners_and_markings_as_without_a_reference(plain: Path, branded: Path) -> None:
    """The distinct header and footer texts of each section of every memo are those of the memo built
    without a reference (which also checks EXPECTED against the writer's own default)."""
    Shown = dict[tuple[str, str], list[tuple[list[tuple[str, ...]], list[tuple[str, ...]]]]]

    def shown(output: Path) -> Shown:
        found: Shown = {}
        for audience, stem, path in memos(output):
            files = package(path)
            roots = {**stories(files, "header"), **stories(files, "footer")}
            found[audience, stem] = [
                (
                    sorted(
                        {tuple(paragraph_texts(roots[name])) for name in refs.values() if "/header" in name}
                    ),
                    sorted(
                        {tuple(paragraph_texts(roots[name])) for name in refs.values() if "/footer" in name}
                    ),
                )
                for refs in sections(files)
            ]
        return found

    expected = shown(plain)
    assert {key: [headers for headers, _ in layout] for key, layout in expected.items()} == {
        key: [[(banner, marking)] for banner in banners] for key, (banners, marking) in EXPECTED.items()
    }
    assert shown(branded) == expected


@pytest.mark.slow
@pytest.mark.parametrize(("audience", "document"), sorted(EXPECTED))
def test_every_header_and_footer_is_in_use_and_the_layout_switches_are_kept(
    branded: Path, audience: str, document: str
) -> None:
    files = package(branded / audience / f"{document}.docx")
    body = etree.fromstring(files["word/document.xml"])
    all_sections = list(body.iter(f"{W}sectPr"))
    assert len(all_sections) == len(EXPECTED[audience, document][0])
    for section in all_sections:
        assert section.find(f"{W}titlePg") is not None
    assert etree.fromstring(files["word/settings.xml"]).find(f"{W}evenAndOddHeaders") is not None
    layout = sections(files)
    for index, refs in enumerate(layout):
        assert {kind for _, kind in refs} == {"default", "first", "even"}, index
        assert {element for element, _ in refs} == {"headerReference", "footerReference"}, index
    stored = {name for name in files if re.fullmatch(r"word/(header|footer)\d*\.xml", name)}
    assert {name for refs in layout for name in refs.values()} == stored


@pytest.mark.slow
@pytest.mark.parametrize(("audience", "document"), sorted(EXPECTED))
def test_the_logo_and_the_restyled_heading_are_kept(branded: Path, audience: str, document: str) -> None:
    path = branded / audience / f"{document}.docx"
    files = package(path)
    for index, refs in enumerate(sections(files)):
        with_logo = set()
        for kind, name in refs.items():
            root = etree.fromstring(files[name])
            embeds = root.xpath(".//w:drawing//@r:embed", namespaces=NS)
            targets = rels(files, name)
            for rid in embeds:
                rel_type, target = targets[rid]
                assert rel_type == IMAGE_REL
                image = Image.open(BytesIO(files[f"word/{target}"]))
                assert image.size == LOGO_SIZE
            if embeds:
                with_logo.add(kind)
            # nothing else stays related
            assert all(rel_type == IMAGE_REL for rel_type, _ in targets.values()), (name, index)
        # the reference had the logo in its default and first-page headers and in a table of its footer
        assert with_logo == {
            ("headerReference", "default"),
            ("headerReference", "first"),
            ("footerReference", "default"),
        }, index
    opened = docx.Document(str(path))
    heading = opened.styles["Heading 1"]
    assert heading.font.name == HEADING_FONT
    assert heading.font.color.rgb == RGBColor.from_string(HEADING_COLOUR)
    margins = [section.left_margin for section in opened.sections]
    assert [m.twips if m is not None else None for m in margins] == [Cm(2).twips] * len(margins)


@pytest.mark.slow
@pytest.mark.parametrize(("audience", "document"), sorted(EXPECTED))
def test_no_text_of_the_reference_reaches_any_part(branded: Path, audience: str, document: str) -> None:
    banners, marking = EXPECTED[audience, document]
    highest = max(banners, key=LEVELS.index)
    files = package(branded / audience / f"{document}.docx")
    for name, data in files.items():
        for what, token in CANARY.items():
            assert token.encode() not in data, f"{what} ({token}) in {name}"
        if marking != "ANALYST FILE":
            assert b"ANALYST FILE" not in data, name
        for level in LEVELS[LEVELS.index(highest) + 1 :]:
            assert level.encode() not in data, (name, level)


@pytest.mark.slow
@pytest.mark.parametrize(("audience", "document"), sorted(EXPECTED))
def test_the_references_metadata_parts_are_dropped(branded: Path, audience: str, document: str) -> None:
    files = package(branded / audience / f"{document}.docx")
    names = set(files)
    for gone in ("docProps/custom.xml", "docMetadata/LabelInfo.xml", "word/comments.xml", "word/people.xml"):
        assert gone not in names
    assert not [name for name in names if name.startswith(("customXml/", "word/glossary/"))]
    assert {kind.rsplit("/", 1)[1] for kind, _ in rels(files, "").values()} == {
        "officeDocument",
        "core-properties",
        "extended-properties",
    }
    settings = etree.fromstring(files["word/settings.xml"])
    assert settings.find(f"{W}docVars") is None and settings.find(f"{W}attachedTemplate") is None
    assert not rels(files, "word/settings.xml")
    notes = etree.fromstring(files["word/footnotes.xml"])  # Word needs the separators; real notes go
    assert [n.get(f"{W}type") for n in notes] == ["separator", "continuationSeparator"]
    app = files["docProps/app.xml"].decode()
    assert "<Company>Fixture Planning Office</Company>" in app
    assert "TitlesOfParts" not in app and "Manager" not in app


@pytest.mark.slow
def test_a_build_on_the_reference_is_byte_for_byte_repeatable(
    workdir: Path, reference: Path, branded: Path
) -> None:
    again = workdir / "again"
    build(again, "--reference-docx", reference)
    first = {(a, s): p.read_bytes() for a, s, p in memos(branded)}
    second = {(a, s): p.read_bytes() for a, s, p in memos(again)}
    assert first == second


# --- what counts as a picture: header content an office may have, without building a memo -------------

_DRAWING_NS = (
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'xmlns:wpg="http://schemas.microsoft.com/office/word/2010/wordprocessingGroup" '
    'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"'
)
PICTURE = (
    '<w:drawing><wp:inline><wp:docPr id="5" name="Logo"/><a:graphic>'
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:blipFill>'
    '<a:blip r:embed="rIdPicture"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>'
)
VML_PICTURE = (
    '<w:pict><v:shape style="width:10pt"><v:imagedata r:id="rIdVml" o:title="logo"/></v:shape></w:pict>'
)
SHAPE = (
    '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic>'
    '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
    "<wps:spPr/><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
    '<mc:Fallback><w:pict><v:rect id="rule"/></w:pict></mc:Fallback></mc:AlternateContent>'
)
GROUP_WITH_TEXT = (
    '<w:drawing><wp:anchor><a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
    'wordprocessingGroup"><wpg:wgp><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>LEAK-GROUP</w:t></w:r>'
    "</w:p></w:txbxContent></wps:txbx></wps:wsp></wpg:wgp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
)
CHART = (
    '<w:drawing><wp:inline><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/'
    'chart"><c:chart r:id="rIdChart"/></a:graphicData></a:graphic></wp:inline></w:drawing>'
)


def test_only_pictures_without_text_survive_in_a_header() -> None:
    from atalaya.formats.docx.reference import keep_only_pictures

    xml = (
        f"<w:hdr {_ns()} {_DRAWING_NS}>"
        # a logo in a table cell beside text, in a numbered right-aligned paragraph
        '<w:tbl><w:tr><w:tc><w:p><w:pPr><w:pStyle w:val="Logo"/><w:numPr><w:numId w:val="3"/></w:numPr>'
        f'<w:jc w:val="right"/></w:pPr><w:r>{PICTURE}</w:r><w:r><w:t>LEAK-CELL</w:t></w:r></w:p></w:tc>'
        "<w:tc><w:p><w:r><w:t>LEAK-CELL-2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        # a picture content control, a link with text
        f"<w:p><w:sdt><w:sdtPr><w:picture/></w:sdtPr><w:sdtContent><w:r>{VML_PICTURE}</w:r></w:sdtContent>"
        '</w:sdt><w:hyperlink r:id="rIdLink"><w:r><w:t>LEAK-LINK</w:t></w:r></w:hyperlink></w:p>'
        # a text box group, a chart, a shape without text, tracked changes, a deleted picture
        f"<w:p><w:r>{GROUP_WITH_TEXT}</w:r><w:r>{CHART}</w:r><w:r>{SHAPE}</w:r>"
        "<w:ins><w:r><w:t>LEAK-INSERTED</w:t></w:r></w:ins>"
        f"<w:del><w:r><w:delText>LEAK-DELETED</w:delText></w:r><w:r>{PICTURE}</w:r></w:del></w:p>"
        # an imported document, an OLE object, a symbol, a page number
        '<w:altChunk r:id="rIdChunk"/>'
        '<w:p><w:r><w:object><v:shape><v:imagedata r:id="rIdOle"/></v:shape><o:OLEObject r:id="rIdEmbed"/>'
        '</w:object></w:r><w:r><w:sym w:font="Wingdings" w:char="F0FC"/></w:r><w:r><w:pgNum/></w:r></w:p>'
        "</w:hdr>"
    )
    root = parse_xml(xml)
    keep_only_pictures(root, "Header")
    out = etree.tostring(root).decode()
    assert "LEAK" not in out
    paragraphs = root.findall(f"{W}p")
    assert [p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") for p in paragraphs] == ["Logo", "Header", "Header"]
    assert paragraphs[0].find(f"{W}pPr/{W}jc").get(f"{W}val") == "right"
    assert paragraphs[0].find(f"{W}pPr/{W}numPr") is None  # a list number would show text
    assert sorted(re.findall(r'r:(?:embed|id)="(\w+)"', out)) == ["rIdPicture", "rIdVml"]
    assert out.count("<w:drawing>") == 2  # the logo and the shape without text; not the deleted picture
    for gone in (
        "w:tbl",
        "w:sdt",
        "w:hyperlink",
        "w:ins",
        "w:del",
        "w:altChunk",
        "w:object",
        "w:sym",
        "w:pgNum",
    ):
        assert f"<{gone}" not in out, gone
