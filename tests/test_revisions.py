"""Tracked changes between two memos (formats/docx/revisions.py), read back three ways.

Focused cases are small documents made with python-docx; the real cases are memos the DocxWriter renders
from the good fixture tree and from an edited copy of it. Every case is read with all changes accepted and
all rejected: by this suite's own reading of the markup (revision_readers.xml_paragraphs), by pandoc and by
LibreOffice, and must give the new memo's paragraphs and the old one's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from atalaya.formats.docx import DOCX
from atalaya.formats.docx.revisions import mark_revisions
from atalaya.formats.docx.writer import DocxWriter
from atalaya.model import load_corpus
from atalaya.products.brief import BRIEF
from atalaya.render import TemplateSet
from atalaya.select import make_view
from conftest import GOOD, TEMPLATES
from revision_readers import (
    have_pandoc,
    libreoffice_paragraphs,
    pandoc_paragraphs,
    plain_paragraphs,
    soffice,
    xml_paragraphs,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WHEN = datetime(2026, 11, 20, tzinfo=UTC)
AUTHOR = "Atalaya change memo"

# --- focused documents --------------------------------------------------------------------------------

Block = str | tuple[str, str] | list[list[str]]
"""A body block: "text" (Body Text), (style name, "text"), or a table as rows of cell texts.
Text takes **bold**, *italic* and [link text](url)."""

_INLINE = re.compile(r"\*\*(?P<b>.+?)\*\*|\*(?P<i>.+?)\*|\[(?P<lt>.+?)\]\((?P<url>.+?)\)")


def make(*blocks: Block) -> Document:
    document = docx.Document()
    for block in blocks:
        if isinstance(block, list):
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for row, cells in zip(table.rows, block, strict=True):
                for cell, text in zip(row.cells, cells, strict=True):
                    _inline(document, cell.paragraphs[0], text)
            continue
        style, text = block if isinstance(block, tuple) else ("Body Text", block)
        _inline(document, document.add_paragraph(style=style), text)
    return document


def _inline(document: Document, paragraph: Any, text: str) -> None:
    position = 0
    for found in [*_INLINE.finditer(text), None]:
        end = found.start() if found else len(text)
        if end > position:
            paragraph.add_run(text[position:end])
        if found is None:
            break
        position = found.end()
        if found["url"]:
            link = OxmlElement("w:hyperlink")
            link.set(qn("r:id"), document.part.relate_to(found["url"], RT.HYPERLINK, is_external=True))
            run = OxmlElement("w:r")
            run.append(OxmlElement("w:rPr"))
            run[0].append(OxmlElement("w:u", {qn("w:val"): "single"}))
            text_element = OxmlElement("w:t")
            text_element.text = found["lt"]
            run.append(text_element)
            link.append(run)
            paragraph._p.append(link)
        else:
            run = paragraph.add_run(found["b"] or found["i"])
            if found["b"]:
                run.bold = True
            else:
                run.italic = True


@dataclass
class Case:
    document: Document  # the new document, marked
    count: int  # revisions written
    old: list[str]  # paragraphs of the old document
    new: list[str]  # paragraphs of the new document, before marking

    def body(self) -> Any:
        return self.document.element.body

    def save(self, path: Path) -> Path:
        self.document.save(path)
        return path


def mark(old: Document | None, new: Document) -> Case:
    old_text = plain_paragraphs(old) if old is not None else []
    new_text = plain_paragraphs(new)
    count = mark_revisions(old, new, author=AUTHOR, when=WHEN)
    return Case(new, count, old_text, new_text)


def marked(old: list[Block] | None, new: list[Block]) -> Case:
    return mark(make(*old) if old is not None else None, make(*new))


def assert_round_trip(case: Case) -> None:
    assert case.new != case.old
    assert xml_paragraphs(case.document, "accept") == case.new
    assert xml_paragraphs(case.document, "reject") == case.old


def text(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t", f"{W}delText"))


def texts(element: Any, tag: str) -> list[str]:
    """The text of each `tag` element (w:ins or w:del around runs, or w:r) in `element`, in order."""
    found = element.iter(f"{W}{tag}")
    return [text(e) for e in found if e.getparent().tag not in (f"{W}rPr", f"{W}trPr")]


def mark_of(paragraph: Any) -> list[str]:
    """The revisions on a paragraph's mark: [] or ["ins"], ["del"], ["ins", "del"]."""
    rpr = paragraph.find(f"{W}pPr/{W}rPr")
    return [c.tag[len(W) :] for c in rpr if c.tag in (f"{W}ins", f"{W}del")] if rpr is not None else []


def paragraphs(case: Case) -> list[Any]:
    return case.body().findall(f"{W}p")


# --- prose: words, paragraphs, formatting, links ------------------------------------------------------


def test_an_edited_paragraph_wraps_only_the_changed_words() -> None:
    case = marked(
        ["The pact binds Argentina and Chile to consult on border incidents."],
        ["The pact binds Argentina and Peru to consult promptly on border incidents."],
    )
    assert texts(case.body(), "del") == ["Chile"]
    assert texts(case.body(), "ins") == ["Peru", " promptly"]
    assert case.count == 3
    (paragraph,) = paragraphs(case)
    assert mark_of(paragraph) == []
    kept = [t.text for t in paragraph.findall(f"{W}r/{W}t")]
    assert kept == ["The pact binds Argentina and ", " to consult", " on border incidents."]
    (deleted_text,) = case.body().iter(f"{W}delText")
    assert deleted_text.getparent().getparent().tag == f"{W}del"
    assert_round_trip(case)


def test_a_rewritten_phrase_is_one_deletion_and_one_insertion() -> None:
    case = marked(["Consultation rarely happens on time."], ["Consultation never happens at all."])
    assert texts(case.body(), "del") == ["rarely", "on time"]
    assert texts(case.body(), "ins") == ["never", "at all"]
    assert_round_trip(case)


def test_an_inserted_paragraph_has_an_inserted_mark_and_runs() -> None:
    case = marked(
        [("Heading 1", "Challenges"), "First challenge.", "Last paragraph."],
        [("Heading 1", "Challenges"), "First challenge.", "A new challenge.", "Last paragraph."],
    )
    first, kept, inserted, last = paragraphs(case)
    assert mark_of(inserted) == ["ins"] and texts(inserted, "ins") == ["A new challenge."]
    assert [mark_of(p) for p in (first, kept, last)] == [[], [], []]
    assert case.count == 2
    assert_round_trip(case)


def test_a_deleted_paragraph_has_a_deleted_mark_and_deleted_text() -> None:
    case = marked(
        ["Kept before.", "A removed objective.", "Kept after."],
        ["Kept before.", "Kept after."],
    )
    before, deleted, after = paragraphs(case)
    assert mark_of(deleted) == ["del"]
    assert texts(deleted, "del") == ["A removed objective."]
    assert deleted.find(f".//{W}t") is None  # deleted text is w:delText only
    assert mark_of(before) == mark_of(after) == []
    assert_round_trip(case)


def test_paragraphs_removed_at_the_end_move_the_mark_to_the_paragraph_before() -> None:
    """The body's last paragraph keeps its mark: the paragraph before the removed ones loses its own."""
    case = marked(["Kept.", "Gone one.", "Gone two."], ["Kept."])
    kept, gone_one, gone_two = paragraphs(case)
    assert [mark_of(p) for p in (kept, gone_one, gone_two)] == [["del"], ["del"], []]
    assert_round_trip(case)
    case = marked(["Kept."], ["Kept.", "New one.", "New two."])
    kept, new_one, new_two = paragraphs(case)
    assert [mark_of(p) for p in (kept, new_one, new_two)] == [["ins"], ["ins"], []]
    assert_round_trip(case)


def test_a_paragraph_replaced_by_a_dissimilar_one_is_deleted_and_inserted() -> None:
    case = marked(
        ["Intro.", "Alpha beta gamma delta.", "End."], ["Intro.", "Completely other words here.", "End."]
    )
    _, deleted, inserted, _ = paragraphs(case)
    assert (mark_of(deleted), mark_of(inserted)) == (["del"], ["ins"])
    assert_round_trip(case)


APPENDED = (
    ["Training. One article.", ("Heading 1", "Related")],
    ["Training. One article. Disputed", "A new point.", ("Heading 1", "Related")],
)
RELINKED = (
    ["Source: [old](https://e.org/old)", "End."],
    ["Source: [new](https://e.org/new)", "Another source.", "End."],
)


def test_an_insertion_ending_a_paragraph_does_not_touch_one_starting_the_next() -> None:
    """LibreOffice joins such insertions across the paragraph end and its Reject All then loses that
    end: the last unchanged token is typed again, or a replacement puts its deletion last."""
    case = marked(*APPENDED)
    first = paragraphs(case)[0]
    assert texts(first, "ins") == [". Disputed"] and texts(first, "del") == ["."]
    assert [c.tag[len(W) :] for c in first][1:] == ["r", "ins", "del"]
    assert_round_trip(case)
    case = marked(*RELINKED)
    first = paragraphs(case)[0]
    assert [[c.tag[len(W) :] for c in link] for link in first.findall(f"{W}hyperlink")] == [["ins"], ["del"]]
    assert_round_trip(case)
    case = marked(
        ["Alpha beta gamma.", "Delta epsilon zeta."], ["Alpha beta gamma. Added", "New Delta epsilon zeta."]
    )
    assert [c.tag[len(W) :] for c in paragraphs(case)[0]][-2:] == ["ins", "del"]
    assert_round_trip(case)
    case = marked(
        ["Alpha beta gamma.", "Delta epsilon zeta."], ["Alpha beta gamma. Added", "Delta epsilon zeta."]
    )
    assert [c.tag[len(W) :] for c in paragraphs(case)[0]][-2:] == ["r", "ins"]  # nothing to part from


def test_run_formatting_is_kept_and_compared() -> None:
    case = marked(["(P) The treaty was **signed** in *Rio*."], ["(P) The treaty was **ratified** in *Rio*."])
    (deleted,) = case.body().iter(f"{W}del")
    (inserted,) = case.body().iter(f"{W}ins")
    assert deleted.find(f"{W}r/{W}rPr/{W}b") is not None and texts(deleted, "r") == ["signed"]
    assert inserted.find(f"{W}r/{W}rPr/{W}b") is not None and texts(inserted, "r") == ["ratified"]
    italic = [r for r in case.body().iter(f"{W}r") if r.find(f"{W}rPr/{W}i") is not None]
    assert texts(italic[0], "r") == ["Rio"] and italic[0].getparent().tag == f"{W}p"
    # the same words in another look are a change
    case = marked(["**(P)** Text."], ["(P) Text."])
    assert texts(case.body(), "del") == ["(P)"] and texts(case.body(), "ins") == ["(P)"]
    assert next(case.body().iter(f"{W}del")).find(f"{W}r/{W}rPr/{W}b") is not None
    assert next(case.body().iter(f"{W}ins")).find(f"{W}r/{W}rPr/{W}b") is None
    assert xml_paragraphs(case.document, "accept") == xml_paragraphs(case.document, "reject") == ["(P) Text."]


def test_links_keep_their_targets_inside_and_outside_revisions() -> None:
    case = marked(
        [
            "Text at [https://example.org/alpha](https://example.org/alpha) and [kept](https://example.org/kept)."
        ],
        [
            "Text at [https://example.org/alpha-pact](https://example.org/alpha-pact) and [kept](https://example.org/kept)."
        ],
    )
    rels = case.document.part.rels
    links = {
        rels[link.get(qn("r:id"))].target_ref: (
            [c.tag[len(W) :] for c in link],
            text(link),
        )
        for link in case.body().iter(f"{W}hyperlink")
    }
    assert links == {
        "https://example.org/alpha": (["del"], "https://example.org/alpha"),
        "https://example.org/alpha-pact": (["ins"], "https://example.org/alpha-pact"),
        "https://example.org/kept": (["r"], "kept"),
    }
    for link in case.body().iter(f"{W}hyperlink"):
        rel = rels[link.get(qn("r:id"))]
        assert rel.reltype == RT.HYPERLINK and rel.is_external
    assert_round_trip(case)


# --- tables -------------------------------------------------------------------------------------------


def test_rows_joining_and_leaving_are_row_revisions() -> None:
    header = ["Country", "Joined"]
    case = marked(
        ["Members.", [header, ["Argentina", "1990"], ["Chile", "1990"]], "End."],
        ["Members.", [header, ["Chile", "1990"], ["Peru", "2020"]], "End."],
    )
    rows = case.body().findall(f"{W}tbl/{W}tr")
    assert [[c.tag[len(W) :] for c in tr.findall(f"{W}trPr/*")] for tr in rows] == [[], ["del"], [], ["ins"]]
    assert texts(rows[1], "del") == ["Argentina", "1990"] and texts(rows[1], "ins") == []
    assert texts(rows[3], "ins") == ["Peru", "2020"] and texts(rows[3], "del") == []
    assert rows[1][0].tag == f"{W}trPr"  # made where the row had none, before its cells
    assert_round_trip(case)


def test_a_changed_row_is_compared_cell_by_cell() -> None:
    case = marked(
        [[["Status", "Active since 1991"], ["Members", "Argentina, Brazil"]], "End."],
        [[["Status", "Dormant since 2018"], ["Members", "Argentina, Brazil"]], "End."],
    )
    assert not list(case.body().iter(f"{W}trPr"))
    assert texts(case.body(), "del") == ["Active", "1991"]
    assert texts(case.body(), "ins") == ["Dormant", "2018"]
    assert_round_trip(case)


def test_a_whole_table_inserted_or_deleted_is_every_row() -> None:
    table = [["Country", "Role"], ["Norway", "Observer"]]
    case = marked(["Partners.", table, "End."], ["End."])
    assert [tr.find(f"{W}trPr/{W}del") is not None for tr in case.body().iter(f"{W}tr")] == [True, True]
    assert_round_trip(case)
    case = marked(["End."], ["Partners.", table, "End."])
    assert [tr.find(f"{W}trPr/{W}ins") is not None for tr in case.body().iter(f"{W}tr")] == [True, True]
    assert_round_trip(case)


# --- the whole document -------------------------------------------------------------------------------


def test_an_empty_old_document_makes_everything_inserted() -> None:
    case = marked(None, [("Title", "Alpha Pact"), "It binds **three** states.", [["A", "B"]], "End."])
    assert not list(case.body().iter(f"{W}del"))
    runs = [r for r in case.body().iter(f"{W}r")]
    assert runs and all(r.getparent().tag == f"{W}ins" for r in runs)
    title, body_text, end = paragraphs(case)
    assert [mark_of(p) for p in (title, body_text, end)] == [["ins"], [], []]
    assert case.new == ["Alpha Pact", "It binds three states.", "A", "B", "End."]
    assert xml_paragraphs(case.document, "accept") == case.new
    assert xml_paragraphs(case.document, "reject") == []


def test_ids_are_unique_sequential_and_carry_author_and_date() -> None:
    case = marked(
        ["One two three.", "Gone.", [["x", "1"], ["y", "2"]], "End."],
        ["One 2 three.", [["x", "1"], ["z", "3"]], "Added.", "End."],
    )
    marks = list(case.body().iter(f"{W}ins", f"{W}del"))
    assert len(marks) == case.count > 5
    assert [m.get(qn("w:id")) for m in marks] == [str(n) for n in range(1, len(marks) + 1)]
    assert {m.get(qn("w:author")) for m in marks} == {AUTHOR}
    assert {m.get(qn("w:date")) for m in marks} == {"2026-11-20T00:00:00Z"}
    assert all(list(m.attrib) == [qn("w:id"), qn("w:author"), qn("w:date")] for m in marks)


def test_same_inputs_give_the_same_bytes() -> None:
    old = ["Text at [old](https://example.org/old).", "Gone.", [["x", "1"]], "End."]
    new = ["Text at [new](https://example.org/new).", [["x", "2"]], "Added.", "End."]

    def package() -> dict[str, bytes]:
        buffer = BytesIO()
        marked(old, new).document.save(buffer)
        with zipfile.ZipFile(buffer) as archive:
            return {name: archive.read(name) for name in archive.namelist()}

    first, second = package(), package()
    assert first == second
    assert b"w:del " in first["word/document.xml"]


def test_element_order_follows_the_schema() -> None:
    """ins, then del, first in a paragraph mark's w:rPr (before its run properties); after the row
    properties in w:trPr; w:delText only inside w:del; and python-docx opens the saved document again."""

    def bold_mark(paragraph: Any) -> None:
        paragraph.get_or_add_pPr().append(OxmlElement("w:rPr"))
        paragraph.pPr[-1].append(OxmlElement("w:b"))

    old = make("Kept.", "Gone away for good.", "Tail.", "Closing note.")
    bold_mark(old.element.body.findall(f"{W}p")[1])
    new = make("Kept.", "Added.", "Tail.", [["a"]], "Final paragraph here.")
    bold_mark(new.element.body.findall(f"{W}p")[1])
    new.element.body.find(f"{W}tbl/{W}tr").insert(0, OxmlElement("w:trPr"))
    new.element.body.find(f"{W}tbl/{W}tr/{W}trPr").append(OxmlElement("w:cantSplit"))
    case = mark(old, new)
    marks = {
        text(p): [c.tag[len(W) :] for c in p.find(f"{W}pPr/{W}rPr")] for p in paragraphs(case) if mark_of(p)
    }
    assert marks == {
        "Gone away for good.": ["del", "b"],
        "Added.": ["ins", "b"],
        "Tail.": ["del"],  # "Closing note." goes; its mark, the last before the table, stands for Tail's
    }
    assert [c.tag[len(W) :] for c in case.body().find(f"{W}tbl/{W}tr/{W}trPr")] == ["cantSplit", "ins"]
    for element in case.body().iter(f"{W}delText"):
        assert element.getparent().getparent().tag == f"{W}del"
    for element in case.body().iter(f"{W}t"):
        assert all(a.tag != f"{W}del" for a in element.iterancestors())
    for element in case.body().iter(f"{W}ins", f"{W}del"):
        assert element.getparent().tag in {f"{W}p", f"{W}hyperlink", f"{W}rPr", f"{W}trPr"}
    assert_round_trip(case)
    swapped = marked(["Kept.", "Gone away for good."], ["Kept.", "Added something new here."])
    assert [mark_of(p) for p in paragraphs(swapped)] == [[], ["ins", "del"], []]
    buffer = BytesIO()
    case.document.save(buffer)
    reopened = docx.Document(buffer)  # python-docx's .text leaves out runs inside w:ins and w:del
    assert [p.style.name for p in reopened.paragraphs] == ["Body Text"] * 6
    assert len(reopened.tables) == 1


def test_a_document_that_already_tracks_changes_is_refused() -> None:
    case = marked(["One."], ["Two."])
    with pytest.raises(ValueError, match="already holds tracked changes"):
        mark_revisions(make("One."), case.document, author=AUTHOR, when=WHEN)


# --- real memos ---------------------------------------------------------------------------------------

EDITS = [
    (
        "binds Argentina, Brazil and Chile to consult on border incidents.",
        "binds Argentina, Brazil and Peru to consult promptly on border incidents.",
    ),
    ("  - {country: AR, joined: 1990-05-01}\n", ""),
    (
        "left: 2001-02}\n",
        "left: 2001-02}\n  - {country: PE, joined: 2020-01-01, role: Joined after the 2019 review.}\n",
    ),
    ('partners:\n  - {country: "NO", role: Observer since 1999.}\n', ""),
    ("objectives:\n  - Consult within 48 hours of a border incident.\n", "objectives:\n"),
    (
        "  - Consultation rarely happens inside the deadline.\n",
        "  - Consultation rarely happens inside the deadline.\n  - Peru has not yet named a liaison officer.\n",
    ),
    ('url: "https://example.org/alpha"', 'url: "https://example.org/alpha-pact"'),
    ("as_of: 2026-11-01", "as_of: 2026-11-20"),
]
PERU = "PE: {name: {en: Peru, es: Perú, pt: Peru}, subregion: south-america, oas_member: true}\n"


@pytest.fixture(scope="module")
def memo_bytes(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """The analyst memo of alpha-pact from the good tree (old) and from an edited copy (new)."""
    tree = tmp_path_factory.mktemp("edited") / "content"
    shutil.copytree(GOOD, tree)
    source = tree / "instruments" / "alpha-pact.yaml"
    content = source.read_text(encoding="utf-8")
    for before, after in EDITS:
        assert before in content, before
        content = content.replace(before, after)
    source.write_text(content, encoding="utf-8")
    countries = tree / "countries.yaml"
    countries.write_text(countries.read_text(encoding="utf-8") + PERU, encoding="utf-8")
    writer = DocxWriter(TemplateSet(TEMPLATES))

    def render(content: Path) -> bytes:
        corpus = load_corpus(content, today=date(2026, 12, 1))
        view = make_view(corpus, corpus.instruments["alpha-pact"], "analyst")
        return writer.render(view, list(BRIEF.template_names(DOCX, "analyst"))).data

    return render(GOOD), render(tree)


def memo_case(memo_bytes: tuple[bytes, bytes], *, empty_old: bool = False) -> Case:
    old, new = (docx.Document(BytesIO(data)) for data in memo_bytes)
    return mark(None if empty_old else old, new)


@pytest.mark.slow
def test_memo_changes_are_tracked_where_the_content_changed(memo_bytes: tuple[bytes, bytes]) -> None:
    case = memo_case(memo_bytes)
    body = case.body()
    summary = next(p for p in body.iter(f"{W}p") if "binds Argentina" in text(p))
    assert texts(summary, "del") == ["Chile"] and texts(summary, "ins") == ["Peru", " promptly"]
    rows = {text(tr): [c.tag[len(W) :] for c in tr.find(f"{W}trPr")] for tr in body.iter(f"{W}tr")}
    assert rows["(P) Argentina1 May 1990"] == ["cantSplit", "del"]
    assert rows["(P) Peru1 January 2020Joined after the 2019 review."] == ["cantSplit", "ins"]
    assert rows["(P) Brazil1 May 1990Depositary state."] == ["cantSplit"]
    assert rows["CountryRole"] == ["cantSplit", "tblHeader", "del"]  # the partners table, gone
    assert rows["(P) NorwayObserver since 1999."] == ["cantSplit", "del"]
    marks = {text(p): mark_of(p) for p in body.iter(f"{W}p") if mark_of(p)}
    assert marks["(P) Peru has not yet named a liaison officer."] == ["ins"]
    assert marks["(P) Consult within 48 hours of a border incident."] == ["del"]
    targets = {rel.target_ref for rel in case.document.part.rels.values() if rel.reltype == RT.HYPERLINK}
    assert {"https://example.org/alpha", "https://example.org/alpha-pact"} <= targets
    assert "20 November 2026" in " ".join(case.new) and "20 November 2026" not in " ".join(case.old)
    assert_round_trip(case)


@pytest.mark.slow
def test_memo_against_nothing_is_all_inserted(memo_bytes: tuple[bytes, bytes]) -> None:
    case = memo_case(memo_bytes, empty_old=True)
    assert not list(case.body().iter(f"{W}del"))
    assert xml_paragraphs(case.document, "accept") == case.new
    assert xml_paragraphs(case.document, "reject") == []


# --- second readers: pandoc and LibreOffice -----------------------------------------------------------

CASES: dict[str, Callable[[tuple[bytes, bytes]], Case]] = {
    "memo": memo_case,
    "memo-from-nothing": lambda memos: memo_case(memos, empty_old=True),
    "prose": lambda _: marked(
        [
            ("Heading 1", "Summary"),
            "The pact binds **Argentina** and Chile.",
            "Gone.",
            "Kept [link](https://e.org/a).",
        ],
        [
            ("Heading 1", "Summary"),
            "The pact binds **Argentina** and Peru.",
            "Kept [link](https://e.org/b).",
            "New.",
        ],
    ),
    "tables": lambda _: marked(
        [
            "Members.",
            [["Country", "Joined"], ["Argentina", "1990"], ["Chile", "1990"]],
            "Partners.",
            [["Norway"]],
            "End.",
        ],
        [
            "Members.",
            [["Country", "Joined"], ["Chile", "1991"], ["Peru", "2020"]],
            "Observers.",
            [["Mexico"]],
            "End.",
        ],
    ),
    "ends": lambda _: marked(["Kept.", "Gone one.", "Gone two."], ["New first.", "Kept."]),
    "appended": lambda _: marked(*APPENDED),
    "relinked": lambda _: marked(*RELINKED),
    "swapped-last": lambda _: marked(
        ["Kept.", "Gone away for good."], ["Kept.", "Added something new here."]
    ),
}


@pytest.fixture(scope="module")
def saved(
    memo_bytes: tuple[bytes, bytes], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, Case]]:
    folder = tmp_path_factory.mktemp("marked")
    cases = {name: make_case(memo_bytes) for name, make_case in CASES.items()}
    return {name: (case.save(folder / f"{name}.docx"), case) for name, case in cases.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_pandoc_accepts_the_new_text_and_rejects_to_the_old(
    saved: dict[str, tuple[Path, Case]], name: str
) -> None:
    if not have_pandoc():
        pytest.skip("pandoc is not installed (Debian: pandoc)")
    path, case = saved[name]
    assert pandoc_paragraphs(path, "accept") == case.new
    assert pandoc_paragraphs(path, "reject") == case.old


@pytest.fixture(scope="module")
def office(
    saved: dict[str, tuple[Path, Case]], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[Path, str], Any]:
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed (Debian: libreoffice-writer-nogui)")
    jobs = [(path, mode) for path, _ in saved.values() for mode in ("accept", "reject")]
    return libreoffice_paragraphs(jobs, tmp_path_factory.mktemp("office"))


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_libreoffice_accepts_the_new_text_and_rejects_to_the_old(
    saved: dict[str, tuple[Path, Case]], office: dict[tuple[Path, str], Any], name: str
) -> None:
    path, case = saved[name]
    accepted, rejected = office[path, "accept"], office[path, "reject"]
    assert accepted.changes_before == rejected.changes_before > 0
    assert accepted.changes_after == rejected.changes_after == 0
    assert accepted.paragraphs == case.new
    assert rejected.paragraphs == case.old


@pytest.mark.slow
# The memos only: the focused cases start from python-docx's default template, whose own styles part
# (stylesWithEffects) the audit already faults before any revision is marked.
@pytest.mark.parametrize("name", ["memo", "memo-from-nothing"])
def test_openxml_audit_finds_no_schema_errors(saved: dict[str, tuple[Path, Case]], name: str) -> None:
    audit = Path(sys.executable).parent / "openxml-audit"  # in requirements-dev.lock
    assert audit.is_file(), "openxml-audit is missing from the venv: pip install -r requirements-dev.lock"
    path, _ = saved[name]
    done = subprocess.run(
        [str(audit), "--output", "json", "--max-errors", "0", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (report,) = json.loads(done.stdout)
    assert report["valid"] and report["error_count"] == report["warning_count"] == 0, done.stdout
