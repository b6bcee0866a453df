"""The Word memo: memo XML from the templates, written by the docx format and read back as Word's readers do.

Documents are opened again with python-docx and as zip packages (styles, numbering, headers, relationships,
core properties), and, where installed, by LibreOffice and pandoc as second readers.
"""

from __future__ import annotations

import dataclasses
import gettext
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import pytest
from babel.messages.catalog import Catalog as BabelCatalog
from babel.messages.mofile import write_mo
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Inches, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type information

from atalaya.errors import BuildError, Severity, TemplateError, shown_path
from atalaya.formats import Rendered
from atalaya.formats.docx import DOCX
from atalaya.formats.docx.writer import CATEGORY, DocxWriter
from atalaya.i18n import Catalogue
from atalaya.model import Corpus, load_corpus
from atalaya.products.brief import BRIEF
from atalaya.render import TemplateSet
from atalaya.select import Item, View, audiences_for, make_view
from atalaya.theme import load_theme

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "fixtures" / "good"
TEMPLATES = ROOT / "templates"
REFERENCE = ROOT / "tests" / "fixtures" / "docx" / "reference.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
CANARIES = ("ALPHA-INTERNAL-CANARY", "ALPHA-RESTRICTED-CANARY")
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


# --- fixtures -----------------------------------------------------------------------------------------


# Nearly every test here renders memos through the writer.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(GOOD, today=date(2026, 12, 1))


@pytest.fixture(scope="module")
def templates() -> TemplateSet:
    return TemplateSet(TEMPLATES)


@pytest.fixture(scope="module")
def writer(templates: TemplateSet) -> DocxWriter:
    return DocxWriter(templates)


@pytest.fixture(scope="module")
def views(corpus: Corpus) -> dict[tuple[str, str], View]:
    return {
        (instrument_id, audience): make_view(corpus, instrument, audience)
        for instrument_id, instrument in corpus.instruments.items()
        for audience in audiences_for(corpus, instrument)
    }


@pytest.fixture(scope="module")
def memos(writer: DocxWriter, views: dict[tuple[str, str], View]) -> dict[tuple[str, str], Rendered]:
    return {key: writer.render(view, memo_templates(view)) for key, view in views.items()}


@pytest.fixture(scope="module")
def alpha(memos: dict[tuple[str, str], Rendered]) -> dict[str, Rendered]:
    return {audience: memo for (instrument, audience), memo in memos.items() if instrument == "alpha-pact"}


# --- helpers ------------------------------------------------------------------------------------------


def memo_templates(view: View) -> list[str]:
    """The templates the instrument brief renders a memo from: the audience's, else the base."""
    return list(BRIEF.template_names(DOCX, view.audience_name))


def open_docx(memo: Rendered) -> Document:
    return docx.Document(BytesIO(memo.data))


def parts(data: bytes) -> dict[str, str]:
    """Every XML part of the package (and its relationships), as text."""
    with zipfile.ZipFile(BytesIO(data)) as package:
        return {
            name: package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith((".xml", ".rels"))
        }


def part_xml(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(BytesIO(data)) as package:
        return etree.fromstring(package.read(name))


def body_text(document: Document) -> str:
    return "\n".join(text for text in document.element.body.itertext())


def paragraphs_with_style(document: Document, name: str) -> list[Paragraph]:
    return [p for p in document.paragraphs if p.style is not None and p.style.name == name]


def num_pr(paragraph: Paragraph) -> Any:
    """The paragraph's own w:numPr (list membership), or None."""
    ppr: Any = paragraph._p.pPr
    return None if ppr is None else ppr.numPr


def header_footer_parts(memo: Rendered, kind: str) -> Iterator[str]:
    for name, text in parts(memo.data).items():
        if re.fullmatch(rf"word/{kind}\d*\.xml", name):
            yield text


# --- structure and styles -----------------------------------------------------------------------------


def test_every_audience_renders_without_warnings(memos: dict[tuple[str, str], Rendered]) -> None:
    assert {audience for _, audience in memos} == {"executive", "analyst", "staff", "public"}
    for key, memo in memos.items():
        assert memo.data.startswith(b"PK"), key
        assert memo.warnings == (), key
        assert memo.pages is None and not memo.side_files, key


def test_memo_xml_is_rendered_from_the_templates_given(
    writer: DocxWriter, views: dict[tuple[str, str], View]
) -> None:
    view = views["alpha-pact", "analyst"]
    assert writer.memo_xml(view, memo_templates(view)).lstrip().startswith("<memo>")
    # the audience's own template wins over the base; a name that does not exist is skipped
    own = writer.memo_xml(view, ["memo/absent.xml.j2", "memo/analyst.xml.j2", "memo/base.xml.j2"])
    base = writer.memo_xml(view, ["memo/base.xml.j2"])
    assert own == writer.memo_xml(view, memo_templates(view)) != base


def test_memo_opens_with_the_memorandum_lines_and_as_of_date(alpha: dict[str, Rendered]) -> None:
    document = open_docx(alpha["analyst"])
    fields = [p.text for p in paragraphs_with_style(document, "Memo Field")]
    assert [f.split(":")[0] for f in fields] == ["MEMORANDUM FOR", "FROM", "DATE", "SUBJECT"]
    assert fields[0] == "MEMORANDUM FOR:\tHead of Analysis"
    assert fields[1] == "FROM:\tFixture Planning Office"
    assert fields[2] == "DATE:\t1 November 2026"  # the file's as_of, never the clock
    headings = [p.text for p in paragraphs_with_style(document, "Heading 1")]
    assert headings[:3] == ["Bottom line up front", "Background", "Discussion"]
    assert headings[-2:] == ["Related instruments", "Sources"]


def test_named_styles_are_used(alpha: dict[str, Rendered]) -> None:
    document = open_docx(alpha["analyst"])
    used = {p.style.name for p in document.paragraphs if p.style is not None}
    for name in (
        "Title",
        "Subtitle",
        "Heading 1",
        "Heading 2",
        "Body Text",
        "List Bullet",
        "List Number",
        "Caption",
        "Memo Field",
    ):
        assert name in used, name
    assert paragraphs_with_style(document, "Title")[0].text == "Alpha Pact (AP)"
    table_styles = [t.style.name if t.style is not None else "" for t in document.tables]
    assert table_styles[0] == "Key Facts Table"
    assert "Memo Table" in table_styles
    members = document.tables[1]
    assert [c.text for c in members.rows[0].cells] == ["Country", "Joined", "Left", "Role"]
    row: Any = members.rows[0]._tr
    assert row.trPr.find(qn("w:tblHeader")) is not None  # the header row repeats on each page


def test_quote_carries_the_analysts_verification_note(memos: dict[tuple[str, str], Rendered]) -> None:
    document = open_docx(memos["beta-forum", "analyst"])
    quotes = [p.text for p in paragraphs_with_style(document, "Quote")]
    assert quotes == ["This file as a whole is single-source."]


def test_headings_have_outline_levels_and_no_frames(alpha: dict[str, Rendered]) -> None:
    document = open_docx(alpha["analyst"])
    for level in (1, 2, 3):
        outline = document.styles[f"Heading {level}"].element.find(f"{W}pPr/{W}outlineLvl")
        assert outline is not None and outline.get(f"{W}val") == str(level - 1)
    xml = parts(alpha["analyst"].data)["word/document.xml"]
    for forbidden in ("w:txbxContent", "w:framePr", "v:textbox", "wps:txbx"):
        assert forbidden not in xml


def test_lists_are_real_word_lists_and_each_ol_restarts(alpha: dict[str, Rendered]) -> None:
    memo = alpha["analyst"]
    document = open_docx(memo)
    numbering = part_xml(memo.data, "word/numbering.xml")
    nums = {n.get(f"{W}numId"): n for n in numbering.findall(f"{W}num")}
    abstracts = {a.get(f"{W}abstractNumId"): a for a in numbering.findall(f"{W}abstractNum")}

    def num_id(paragraph: Paragraph) -> str:
        found = num_pr(paragraph)
        assert found is not None, paragraph.text
        assert found.ilvl.val == 0
        return str(found.numId.val)

    numbered = paragraphs_with_style(document, "List Number")
    bullets = paragraphs_with_style(document, "List Bullet")
    assert numbered and bullets
    number_ids = [num_id(p) for p in numbered]
    # recommendations (1 item) and sources (1 item): two lists, two numbering instances
    assert len(set(number_ids)) == 2
    for value in set(number_ids):
        num = nums[value]
        override = num.find(f"{W}lvlOverride/{W}startOverride")
        assert override is not None and override.get(f"{W}val") == "1"
        abstract = abstracts[num.find(f"{W}abstractNumId").get(f"{W}val")]
        assert abstract.find(f"{W}lvl/{W}numFmt").get(f"{W}val") == "decimal"
    bullet_ids = {num_id(p) for p in bullets}
    assert len(bullet_ids) == 1  # every bullet list shares one instance, as Word does
    bullet_abstract = abstracts[nums[bullet_ids.pop()].find(f"{W}abstractNumId").get(f"{W}val")]
    assert bullet_abstract.find(f"{W}lvl/{W}numFmt").get(f"{W}val") == "bullet"
    # the styles themselves number, so a paragraph an analyst adds or restyles joins a list
    for name in ("List Bullet", "List Number"):
        assert document.styles[name].element.find(f"{W}pPr/{W}numPr/{W}numId") is not None


def test_nested_lists_take_the_next_level(
    templates: TemplateSet, views: dict[tuple[str, str], View], tmp_path: Path
) -> None:
    memo = render_with_template(
        tmp_path,
        views["alpha-pact", "analyst"],
        (
            "<memo><ol><li>one<ul><li>inner a</li><li>inner b</li></ul></li><li>two</li></ol>"
            "<ol><li>again</li></ol></memo>"
        ),
    )
    document = open_docx(memo)
    levels = [(p.text, num_pr(p).ilvl.val) for p in document.paragraphs]
    assert levels == [("one", 0), ("inner a", 1), ("inner b", 1), ("two", 0), ("again", 0)]
    ids = [num_pr(p).numId.val for p in document.paragraphs]
    assert ids[0] == ids[3] != ids[4]


def test_header_and_footer_carry_the_coloured_banner_and_page_fields(
    writer: DocxWriter, alpha: dict[str, Rendered]
) -> None:
    for audience, level, marking in (
        ("analyst", "restricted", "ANALYST FILE"),
        ("staff", "internal", "STAFF USE"),
        ("public", "public", "PUBLIC RELEASE"),
    ):
        memo = alpha[audience]
        document = open_docx(memo)
        section = document.sections[0]
        header = section.header.paragraphs
        assert header[0].text == level.upper()
        assert header[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert header[0].runs[0].font.color.rgb == RGBColor.from_string(writer.look.level_colour(level))
        assert header[0].runs[0].bold
        assert header[1].text == marking
        footer_text = [p.text for p in section.footer.paragraphs]
        assert footer_text[-1] == level.upper()
        footer_xml = "".join(header_footer_parts(memo, "footer"))
        instructions = re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", footer_xml)
        assert [i.split()[0] for i in instructions] == ["PAGE", "NUMPAGES"]
        assert "Page" in footer_text[0] and " of " in footer_text[0]


def test_banner_colours_follow_the_level(writer: DocxWriter) -> None:
    theme = load_theme(TEMPLATES)
    assert writer.look.levels == {
        level: theme.docx_colour(level) for level in ("public", "internal", "restricted")
    }
    assert writer.look.levels == {"public": "17703A", "internal": "1C56A6", "restricted": "B0201B"}


def test_colours_and_sizes_come_from_the_theme(tmp_path: Path, views: dict[tuple[str, str], View]) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    theme = templates / "theme.toml"
    text = theme.read_text(encoding="utf-8")
    for name, value in (("accent", '"#123456"'), ("restricted", '"#654321"'), ("memo-title", "20.0")):
        text, count = re.subn(rf"^{name} = \S+", f"{name} = {value}", text, flags=re.M)
        assert count == 1, name
    theme.write_text(text, encoding="utf-8")
    document = open_docx(DocxWriter(TemplateSet(templates)).render(*analyst_view(views)))
    banner = document.sections[0].header.paragraphs[0].runs[0]
    assert banner.font.color.rgb == RGBColor.from_string("654321")
    title = document.styles["Title"]
    assert title.font.color.rgb == RGBColor.from_string("123456")
    assert title.font.size == Pt(20)


def test_words_in_the_python_come_from_the_editions_catalogue(views: dict[tuple[str, str], View]) -> None:
    """Banner, page numbers, subject and category are messages of the edition's catalogue; the memo XML's
    own words come from the templates (here still English: the catalogue is swapped after they load)."""
    translated = {
        "RESTRICTED": "RESTRINGIDO",
        "Page %(page)s of %(pages)s": "Página %(page)s de %(pages)s",
        "%(audience)s: policy memo": "%(audience)s: memorando",
        "Treaty": "Tratado",
        "Confidence building": "Fomento de la confianza",
        "Border security": "Seguridad fronteriza",
    }
    messages = BabelCatalog(locale="es")
    for msgid, msgstr in translated.items():
        messages.add(msgid, msgstr)
    compiled = BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    templates = TemplateSet(TEMPLATES)
    templates.catalogue = Catalogue("es", gettext.GNUTranslations(compiled), source=Path("es.po"))
    memo = DocxWriter(templates).render(*analyst_view(views))
    document = open_docx(memo)
    section = document.sections[0]
    assert section.header.paragraphs[0].text == "RESTRINGIDO"
    assert section.footer.paragraphs[-1].text == "RESTRINGIDO"
    assert section.footer.paragraphs[0].text == "ANALYST FILE  ·  Página 1 de 1"  # the fields' cached value
    footer_xml = "".join(header_footer_parts(memo, "footer"))
    instructions = re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", footer_xml)
    assert [i.split()[0] for i in instructions] == ["PAGE", "NUMPAGES"]
    properties = document.core_properties
    assert properties.subject == "Analyst: memorando"
    assert properties.category == "Tratado"
    assert properties.keywords == "Fomento de la confianza, Seguridad fronteriza"
    assert properties.content_status == "RESTRINGIDO"
    assert properties.comments == "RESTRINGIDO. ANALYST FILE"
    assert templates.catalogue.missing == []


def test_core_properties_come_from_the_content(alpha: dict[str, Rendered]) -> None:
    properties = open_docx(alpha["staff"]).core_properties
    as_of = datetime(2026, 11, 1, tzinfo=UTC)
    assert properties.title == "Alpha Pact (AP)"
    assert properties.author == "Fixture Planning Office"
    assert properties.last_modified_by == "Fixture Planning Office"
    assert properties.keywords == "confidence-building, border-security"
    assert properties.subject == "Staff: policy memo"
    assert properties.created == as_of
    assert properties.modified == as_of
    assert properties.last_printed == as_of
    assert properties.revision == 1
    assert properties.language == "en"
    assert properties.identifier == "alpha-pact/staff"


def test_document_language_is_set_on_the_style_defaults(alpha: dict[str, Rendered]) -> None:
    styles = part_xml(alpha["public"].data, "word/styles.xml")
    lang = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang is not None and lang.get(f"{W}val") == "en"


def test_sources_are_real_hyperlinks(alpha: dict[str, Rendered]) -> None:
    memo = alpha["public"]
    document = open_docx(memo)
    links = {
        rel.rId: rel.target_ref
        for rel in document.part.rels.values()
        if rel.reltype == HYPERLINK and rel.is_external
    }
    assert "https://example.org/alpha" in links.values()
    body = part_xml(memo.data, "word/document.xml")
    anchors = body.findall(f".//{W}hyperlink")
    assert anchors
    for anchor in anchors:
        assert links[anchor.get(R_ID)] == "https://example.org/alpha"
        assert "".join(anchor.itertext()) == "https://example.org/alpha"
        assert anchor.find(f"{W}r/{W}rPr/{W}rStyle").get(f"{W}val") == "Hyperlink"


# --- what each audience may see -----------------------------------------------------------------------


def test_public_docx_carries_no_internal_or_restricted_text_anywhere(alpha: dict[str, Rendered]) -> None:
    everything = "\n".join(parts(alpha["public"].data).values())
    for canary in CANARIES:
        assert canary not in everything
    assert "RESTRICTED" not in everything.upper().replace("CLEARED FOR PUBLIC", "")
    # the same scan finds the canaries where they belong
    analyst = "\n".join(parts(alpha["analyst"].data).values())
    assert all(canary in analyst for canary in CANARIES)


def test_portion_marks_only_in_the_analyst_memo(alpha: dict[str, Rendered]) -> None:
    marks = re.compile(r"\((P|I|R)\) ")
    for audience, memo in alpha.items():
        text = body_text(open_docx(memo))
        if audience == "analyst":
            assert "(P) The Alpha Pact binds" in text
            assert "(I) ALPHA-INTERNAL-CANARY" in text
            assert "(R) ALPHA-RESTRICTED-CANARY" in text
        else:
            assert not marks.search(text), audience


def test_analyst_list_items_and_paragraphs_start_with_their_mark(alpha: dict[str, Rendered]) -> None:
    document = open_docx(alpha["analyst"])
    for name in ("List Bullet", "List Number"):
        for paragraph in paragraphs_with_style(document, name):
            if paragraph.text == "Beta Forum":  # a reference to another file carries that file's marking
                continue
            assert re.match(r"\((P|I|R)\) ", paragraph.text), paragraph.text
            assert paragraph.runs[0].bold
    bluf = [p.text for p in paragraphs_with_style(document, "Body Text") if p.text.startswith("(")]
    assert len(bluf) >= 3


def test_sections_follow_the_audience(alpha: dict[str, Rendered]) -> None:
    executive = body_text(open_docx(alpha["executive"]))
    assert "Key facts" in executive and "Recommendations" in executive
    assert "Timeline" not in executive and "Sources" not in executive and "Members" not in executive
    staff = [p.text for p in paragraphs_with_style(open_docx(alpha["staff"]), "Heading 1")]
    assert "Activities and exercises" in staff and "Members and contributions" in staff
    assert "Recommendations" not in staff
    public = [p.text for p in paragraphs_with_style(open_docx(alpha["public"]), "Heading 1")]
    assert public[0] == "Summary" and "Recommendations" not in public


def test_citations_only_where_sources_are_listed(alpha: dict[str, Rendered]) -> None:
    assert "[1]" in body_text(open_docx(alpha["analyst"]))
    assert "[1]" not in body_text(open_docx(alpha["executive"]))


# --- determinism --------------------------------------------------------------------------------------


def test_two_renders_give_identical_bytes(
    templates: TemplateSet, views: dict[tuple[str, str], View], alpha: dict[str, Rendered]
) -> None:
    again = DocxWriter(templates).render(*analyst_view(views))
    assert again.data == alpha["analyst"].data
    with zipfile.ZipFile(BytesIO(again.data)) as package:
        infos = package.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert {info.date_time for info in infos} == {(2026, 11, 1, 0, 0, 0)}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}


def test_no_thumbnail_or_stale_template_parts(alpha: dict[str, Rendered]) -> None:
    names = set(parts(alpha["analyst"].data))
    with zipfile.ZipFile(BytesIO(alpha["analyst"].data)) as package:
        everything = set(package.namelist())
    assert "docProps/thumbnail.jpeg" not in everything
    assert "word/stylesWithEffects.xml" not in names


# --- reference document -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def branded(templates: TemplateSet, views: dict[tuple[str, str], View]) -> Rendered:
    return DocxWriter(templates, reference_docx=REFERENCE).render(*analyst_view(views))


def test_reference_docx_supplies_the_styles(branded: Rendered, alpha: dict[str, Rendered]) -> None:
    document = open_docx(branded)
    heading = document.styles["Heading 1"]
    assert heading.font.name == "Courier New"
    assert heading.font.color.rgb == RGBColor.from_string("8B0000")
    assert document.styles["Normal"].font.name == "Liberation Sans"
    assert open_docx(alpha["analyst"]).styles["Heading 1"].font.name == "Source Sans Pro"
    # styles the reference lacks are added, and the memo still uses them
    used = {p.style.name for p in document.paragraphs if p.style is not None}
    assert {"Body Text", "Caption", "List Number", "Heading 1", "Title"} <= used
    numbered = paragraphs_with_style(document, "List Number")
    assert numbered and all(num_pr(p) is not None for p in numbered)
    # the reference's margins stay; its sample body text does not
    margin = document.sections[0].left_margin
    assert margin is not None and margin.twips == Cm(2).twips
    assert "Sample body text" not in body_text(document)
    assert document.core_properties.author == "Fixture Planning Office"


def test_reference_renders_are_deterministic_too(
    templates: TemplateSet, views: dict[tuple[str, str], View], branded: Rendered
) -> None:
    again = DocxWriter(templates, reference_docx=REFERENCE).render(*analyst_view(views))
    assert again.data == branded.data


def test_reference_header_keeps_its_logo_beside_the_banner(branded: Rendered) -> None:
    header = open_docx(branded).sections[0].header
    assert header.paragraphs[0].text == "RESTRICTED"
    assert header._element.xpath(".//w:drawing")  # the logo is a drawing in the banner's header
    assert any(name.startswith("word/media/") for name in zipfile.ZipFile(BytesIO(branded.data)).namelist())


def test_reference_fixture_matches_its_script() -> None:
    """The committed reference.docx is what make_reference.py builds (compared by what the tests rely on,
    not by bytes, which change with python-docx's own template)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_reference", REFERENCE.parent / "make_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for document in (docx.Document(BytesIO(module.build())), docx.Document(str(REFERENCE))):
        names = {style.name for style in document.styles}
        assert not names & set(module.REMOVED_STYLES)
        assert document.styles["Heading 1"].font.name == module.HEADING_FONT
        assert document.sections[0].header.paragraphs[0]._p.xpath(".//w:drawing")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a zip", "not a Word .docx file (not a zip archive)"),
        (None, "reference document is not a usable Word .docx file"),
    ],
)
def test_bad_reference_is_a_build_error(
    templates: TemplateSet, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "reference.docx"
    if content is None:
        with zipfile.ZipFile(path, "w") as package:
            package.writestr("hello.txt", "a zip, but no Word document in it")
    else:
        path.write_bytes(content)
    with pytest.raises(BuildError) as caught:
        DocxWriter(templates, reference_docx=path)
    assert message in str(caught.value)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.path, diagnostic.line, diagnostic.col) == (shown_path(path), 0, 0)


def test_missing_reference_and_unknown_paper_are_build_errors(templates: TemplateSet, tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="cannot read reference document"):
        DocxWriter(templates, reference_docx=tmp_path / "absent.docx")
    with pytest.raises(BuildError, match="unknown paper size 'A5'"):
        DocxWriter(templates, paper="A5")


def test_letter_paper(templates: TemplateSet, views: dict[tuple[str, str], View]) -> None:
    view = views["alpha-pact", "public"]
    memo = DocxWriter(templates, paper="Letter").render(view, memo_templates(view))
    section = open_docx(memo).sections[0]
    assert (section.page_width, section.page_height) == (Inches(8.5), Inches(11))


# --- hostile content and broken templates -------------------------------------------------------------


def analyst_view(views: dict[tuple[str, str], View]) -> tuple[View, list[str]]:
    view = views["alpha-pact", "analyst"]
    return view, memo_templates(view)


def hostile_view(view: View, text: str) -> View:
    return dataclasses.replace(view, summary=(Item(text=text, level="public", verification="corroborated"),))


def test_markup_in_content_stays_literal_text(writer: DocxWriter, views: dict[tuple[str, str], View]) -> None:
    hostile = "<b>x</b> and **y** & <a href='javascript:alert(1)'>z</a> ]]> &amp;"
    view = hostile_view(views["alpha-pact", "public"], hostile)
    memo = writer.render(view, memo_templates(view))
    document = open_docx(memo)
    paragraph = next(p for p in document.paragraphs if "**y**" in p.text)
    assert paragraph.text == hostile
    assert not any(run.bold for run in paragraph.runs)
    assert "javascript" not in "".join(r.target_ref for r in document.part.rels.values() if r.is_external)


def test_characters_xml_cannot_hold_are_stripped_with_a_warning(
    writer: DocxWriter, views: dict[tuple[str, str], View]
) -> None:
    text = "Bad\x00 char\x01acters\x0b here\x7f\ufffe\ud800 end"
    view = hostile_view(views["alpha-pact", "public"], text)
    memo = writer.render(view, memo_templates(view))
    document = open_docx(memo)
    assert any(p.text == "Bad characters here end" for p in document.paragraphs)
    assert len(memo.warnings) == 1
    warning = memo.warnings[0]
    assert (
        (warning.severity, warning.category)
        == (Severity.WARNING, CATEGORY)
        == (Severity.WARNING, "render.docx")
    )
    assert Path(warning.path).parts[-2:] == ("memo", "public.xml.j2")
    assert warning.message == "memo for alpha-pact (public): removed 6 character(s) that XML cannot hold"


def render_with_template(tmp_path: Path, view: View, base: str) -> Rendered:
    memo_dir = tmp_path / "templates" / "memo"
    memo_dir.mkdir(parents=True, exist_ok=True)
    (memo_dir / "base.xml.j2").write_text(base, encoding="utf-8")
    return DocxWriter(TemplateSet(tmp_path / "templates")).render(view, memo_templates(view))


@pytest.mark.parametrize(
    ("template", "messages"),
    [
        ("<memo><p>unclosed</memo>", ["line 1 column", "not well-formed XML"]),
        (
            "<memo>\n<blink>x</blink>\n<p>ok <u>no</u></p>\nloose text\n</memo>",
            [
                "line 2: unknown element <blink>",
                "line 3: unknown element <u>",
                "line 3: text after <p> directly inside <memo> must be inside a paragraph element",
            ],
        ),
        ('<memo><p><a href="javascript:alert(1)">x</a></p></memo>', ["only http, https and mailto links"]),
        (
            '<memo><field>no label</field><table kind="pie"><tr><td>1</td></tr></table></memo>',
            ["<field> needs a non-empty 'label' attribute", "<table kind='pie'>"],
        ),
        ('<memo><table widths="1,2"><tr><td>1</td></tr></table></memo>', ["expected 1 positive numbers"]),
        ('<!DOCTYPE memo [<!ENTITY x "boom">]><memo><p>&x;</p></memo>', ["DOCTYPE is not allowed"]),
        ("<page><p>x</p></page>", ["the root element must be <memo>"]),
        ("<memo><ul><p>x</p></ul></memo>", ["<p> is not allowed inside <ul>"]),
    ],
)
def test_malformed_memo_xml_is_a_located_template_error(
    tmp_path: Path, views: dict[tuple[str, str], View], template: str, messages: list[str]
) -> None:
    with pytest.raises(TemplateError) as caught:
        render_with_template(tmp_path, views["alpha-pact", "public"], template)
    report = str(caught.value)
    assert "base.xml.j2" in report
    assert "memo XML for alpha-pact (public)" in report
    for message in messages:
        assert message in report


def test_inline_whitespace_collapses_like_html(tmp_path: Path, views: dict[tuple[str, str], View]) -> None:
    memo = render_with_template(
        tmp_path,
        views["alpha-pact", "public"],
        (
            "<memo>\n  <p>\n    one   <b>two</b>\n    <i> three </i>four<br/>  five\n  </p>\n"
            '  <field label="FROM">  Office  </field>\n</memo>'
        ),
    )
    paragraphs = open_docx(memo).paragraphs
    assert paragraphs[0].text == "one two three four\nfive"
    assert [r.text for r in paragraphs[0].runs if r.bold] == ["two"]
    assert paragraphs[1].text == "FROM:\tOffice"


# --- second readers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyst_file(alpha: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docx") / "alpha-pact.docx"
    path.write_bytes(alpha["analyst"].data)
    return path


@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui",
)
def test_libreoffice_converts_the_memo_to_pdf(analyst_file: Path, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(analyst_file),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    pdf = tmp_path / "alpha-pact.pdf"
    assert pdf.exists()
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Alpha Pact (AP)" in text
    assert "MEMORANDUM FOR" in text
    assert "Page 1 of" in text and "RESTRICTED" in text


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed: apt-get install pandoc")
def test_pandoc_reads_headings_and_lists(analyst_file: Path) -> None:
    done = subprocess.run(
        ["pandoc", "--from", "docx", "--to", "markdown", "--standalone", str(analyst_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    markdown = done.stdout
    assert re.search(r"^title: .*Alpha Pact \(AP\)", markdown, re.M)
    assert re.search(r"^# Bottom line up front", markdown, re.M)
    assert re.search(r"^## Key facts", markdown, re.M)
    assert re.search(r"^-\s+\*\*\(P\)\*\* Consult within 48 hours", markdown, re.M)
    assert re.search(r"^1\.\s+\*\*\(I\)\*\* Propose a standing hotline", markdown, re.M)
    link = "https://example.org/alpha"
    assert f"<{link}>" in markdown  # pandoc writes a link whose text is its URL as <URL>
