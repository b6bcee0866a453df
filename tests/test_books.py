"""The briefing book (`<audience>/book.pdf`, `<audience>/book.docx`): its view, its plan, and the documents
read back.

- The view is made of `select.make_view` views only: a chapter per instrument the audience is cleared for,
  in name order; the overview, the membership matrix, the hemisphere timeline and the index by theme come
  from those views; the banner is the highest chapter's and the edition date the latest `as_of`.
- Planning: one book per audience cleared for any instrument; it rebuilds exactly when a view it shows
  changes (an edit an audience cannot see leaves its book alone).
- PDF: the contents' page numbers are the pages where the chapters start (read back with pypdf), bookmarks
  nest book > part > chapter > section, every page's banner is its chapter's level (the cover, front and
  back matter the book's highest), the matrix cells are the views' rows, and no canary word above the
  audience's clearance is anywhere in the file (text, metadata, outline).
- DOCX: a contents field filled with entries and page numbers, one section per chapter (plus the front and
  back matter) whose headers carry the chapter's banner, real headings, canaries in every part.
- Both: deterministic bytes; a second build builds nothing; an edit rebuilds the affected audiences' books
  only.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from atalaya import formats, products
from atalaya.book import BookView, make_book_view, matrix_tables
from atalaya.i18n import catalogue
from atalaya.model import LEVELS, Corpus, level_rank, load_corpus
from atalaya.plan import InputHasher, Options, all_targets, view_json
from atalaya.render import TemplateSet
from atalaya.select import audiences_for, make_view
from conftest import FIXTURES, GOOD, TEMPLATES, run_cli

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back: pip install pypdf")
docx = pytest.importorskip("docx", reason="python-docx reads the memos back")

TODAY = date(2026, 11, 20)
CANARY = FIXTURES / "canary"
BOOK = products.get("book")
CANARY_WORD = re.compile(r"ZZ[A-Z]{3}(PUB|INT|RES)ZZ")
TOKEN_LEVEL = {"PUB": "public", "INT": "internal", "RES": "restricted"}
WORDS = catalogue("en")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def corpus_of(tree: Path) -> Corpus:
    return load_corpus(tree, today=TODAY)


def squeeze(text: str) -> str:
    """Text with line-end hyphenation undone and all whitespace removed."""
    return "".join(re.sub(r"[-\u00ad\u2010]\s*\n", "", text).split())


def spaced(text: str) -> str:
    """Text with every run of whitespace as one space."""
    return " ".join(text.split())


# === the view ===========================================================================================


@pytest.mark.parametrize("tree", [GOOD, CANARY], ids=["good", "canary"])
def test_the_view_is_the_audiences_views_of_the_instruments_it_is_cleared_for(tree: Path) -> None:
    corpus = corpus_of(tree)
    for audience in BOOK.audiences(corpus, "book"):
        book = make_book_view(corpus, audience)
        cleared = [i for i in corpus.instruments.values() if audience in audiences_for(corpus, i)]
        expected = [make_view(corpus, i, audience) for i in sorted(cleared, key=lambda i: i.name.casefold())]
        assert list(book.chapters) == expected
        assert book.banner == max((v.banner for v in expected), key=level_rank)
        assert book.as_of == max(v.as_of for v in expected)
        assert list(book.overview) == [v.summary[0] if v.summary else None for v in expected]
        assert book.themes == tuple(sorted({t for v in expected for t in v.themes}))
        for entry in book.themes_index:
            assert entry.chapters == tuple(v.id for v in expected if entry.theme in v.themes)
        events = [(e.chapter, e.item) for e in book.timeline]
        assert sorted(events, key=lambda e: e[1].date) == events  # type: ignore[arg-type, return-value]
        assert sorted(events, key=repr) == sorted(((v.id, i) for v in expected for i in v.timeline), key=repr)
        # it serialises for the input hash, and nothing above the clearance is in it
        text = view_json(book)
        for token in CANARY_WORD.finditer(text):
            assert level_rank(TOKEN_LEVEL[token.group(1)]) <= level_rank(corpus.audiences[audience].clearance)


def test_public_book_has_no_chapter_on_an_internal_file_and_every_audience_gets_a_book() -> None:
    corpus = corpus_of(CANARY)
    assert list(BOOK.audiences(corpus, "book")) == list(corpus.audiences)
    public = make_book_view(corpus, "public")
    assert "canary-secret" not in [c.id for c in public.chapters]
    assert public.banner == "public"
    assert "ZZRELINTZZ" not in view_json(public)
    analyst = make_book_view(corpus, "analyst")
    assert [c.id for c in analyst.chapters] == [
        "canary-mixed",
        "canary-note-internal",
        "canary-public",
        "canary-secret",
    ]
    assert analyst.banner == "restricted"
    assert {c.id: c.banner for c in analyst.chapters}["canary-note-internal"] == "internal"


@pytest.mark.parametrize("tree", [GOOD, CANARY, Path("content")], ids=["good", "canary", "content"])
def test_matrix_cells_are_the_views_member_and_partner_rows(tree: Path) -> None:
    corpus = corpus_of(tree if tree.is_absolute() else TEMPLATES.parent / tree)
    for audience in BOOK.audiences(corpus, "book"):
        book = make_book_view(corpus, audience)
        rows = {row.code: row for row in book.matrix}
        expected: dict[tuple[str, int], tuple[str, int | None]] = {}
        for index, view in enumerate(book.chapters):
            for member in view.members:
                joined = member.periods[-1].joined if member.periods else member.joined
                kind = "former" if member.left else "member"
                since = joined.year if joined and kind == "member" else None
                expected[member.code, index] = (kind, since)
            for partner in view.partners:
                expected.setdefault((partner.code, index), ("partner", None))
        found = {
            (code, index): (cell.kind, cell.since)
            for code, row in rows.items()
            for index, cell in enumerate(row.cells)
            if cell is not None
        }
        assert found == expected
        # the tables that cut it to the page hold every country once and every filled cell
        tables = matrix_tables(book)
        assert sorted(r.code for t in tables for r in t.countries) == sorted(rows)
        for table in tables:
            assert len(table.countries) <= 14
            assert all(
                i in table.chapters for r in table.countries for i, c in enumerate(r.cells) if c is not None
            )


# === planning =========================================================================================


def book_hashes(content: Path, templates: Path) -> dict[str, str]:
    corpus = corpus_of(content)
    hasher = InputHasher(corpus, templates, Options())
    return {t.path: hasher.hash(t) for t in all_targets(corpus) if t.product.name == "book"}


def test_one_book_per_audience_in_every_format() -> None:
    corpus = corpus_of(GOOD)
    paths = sorted(t.path for t in all_targets(corpus) if t.product.name == "book")
    assert paths == sorted(f"{a}/book{f.suffix}" for a in corpus.audiences for f in formats.all_formats())


def test_a_book_rehashes_only_when_a_view_it_shows_changes(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    content = tmp_path / "content"
    shutil.copytree(CANARY, content)
    before = book_hashes(content, templates)
    # a restricted challenge: the analyst sees it; the executive shows no challenges; staff and public not cleared
    path = content / "instruments" / "canary-mixed.yaml"
    path.write_text(path.read_text().replace("ZZCHARESZZ challenge.", "ZZCHARESZZ challenge again."))
    after = book_hashes(content, templates)
    assert sorted(p for p in before if before[p] != after[p]) == ["analyst/book.docx", "analyst/book.pdf"]
    # a public summary line: every audience's book
    path.write_text(path.read_text().replace("ZZSUMPUBZZ summary line.", "ZZSUMPUBZZ summary line again."))
    again = book_hashes(content, templates)
    assert sorted(p for p in after if after[p] != again[p]) == sorted(before)


def test_the_book_template_renders_unique_anchors_and_every_link_has_a_target() -> None:
    corpus = corpus_of(CANARY)
    names = BOOK.template_names(formats.get("pdf"), "analyst")
    html = TemplateSet(TEMPLATES).render(list(names), {"view": make_book_view(corpus, "analyst"), "fit": 0})
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert targets and targets <= set(ids), sorted(targets - set(ids))


# === built documents ==================================================================================


def build(content: Path, output: Path, *args: str) -> str:
    result = run_cli("build", "--content", content, "--output", output, "-j", "2", *args)
    assert result.code == 0, result.stderr
    return result.stderr


class Pdf:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = path.read_bytes()
        self.reader = pypdf.PdfReader(io.BytesIO(self.data))

    @cached_property
    def pages_text(self) -> list[str]:
        return [page.extract_text() for page in self.reader.pages]

    def outline(self) -> list[tuple[int, str, int]]:
        """(depth, title, page index) of every bookmark, in order."""
        found: list[tuple[int, str, int]] = []

        def walk(items: list[Any], depth: int) -> None:
            for item in items:
                if isinstance(item, list):
                    walk(item, depth + 1)
                else:
                    found.append((depth, item.title, self.reader.get_destination_page_number(item)))

        walk(self.reader.outline, 0)
        return found


def page_runs(page: Any) -> list[tuple[str, float]]:
    """Every text run on a page with its baseline height in points from the bottom of the page."""
    runs: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            runs.append((text.strip(), tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    return runs


@pytest.fixture(scope="module")
def canary_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("books") / "output"
    build(CANARY, output, "--html")
    return output


@pytest.fixture(scope="module")
def canary_corpus() -> Corpus:
    return corpus_of(CANARY)


def chapter_starts(pdf: Pdf, book: BookView) -> dict[str, int]:
    """Each chapter's first page (1-based): the first page whose footer names the chapter."""
    starts: dict[str, int] = {}
    for chapter in book.chapters:
        footer = spaced(f"{chapter.acronym or chapter.name} · {chapter.audience.title} · As of")
        pages = [n for n, text in enumerate(pdf.pages_text, start=1) if footer in spaced(text)]
        assert pages, f"no page of {chapter.id}"
        assert pages == list(range(pages[0], pages[-1] + 1)), f"{chapter.id}'s pages are not together"
        starts[chapter.id] = pages[0]
    return starts


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["executive", "analyst", "staff", "public"])
def test_contents_numbers_are_the_pages_where_chapters_start(
    canary_build: Path, canary_corpus: Corpus, audience: str
) -> None:
    pdf = Pdf(canary_build / audience / "book.pdf")
    book = make_book_view(canary_corpus, audience)
    starts = chapter_starts(pdf, book)
    contents = spaced(pdf.pages_text[1])
    assert contents.startswith("Contents")
    for chapter in book.chapters:
        match = re.search(re.escape(spaced(chapter.title)) + r"\s*(?:\.\s*)+(\d+)", contents)
        assert match, f"{chapter.title} is not in the contents"
        assert int(match.group(1)) == starts[chapter.id], chapter.id
    # the chapters' bookmarks lead to the same pages; chapters follow one another in name order
    marks = {title: page + 1 for depth, title, page in pdf.outline() if depth == 2}
    assert [marks[c.name] for c in book.chapters] == [starts[c.id] for c in book.chapters]
    assert sorted(starts.values()) == [starts[c.id] for c in book.chapters]


@pytest.mark.slow
def test_bookmarks_nest_book_part_chapter_section(canary_build: Path, canary_corpus: Corpus) -> None:
    pdf = Pdf(canary_build / "analyst" / "book.pdf")
    book = make_book_view(canary_corpus, "analyst")
    outline = pdf.outline()
    assert outline[0][:2] == (0, "Briefing book")
    assert [t for d, t, _ in outline if d == 0] == ["Briefing book"]
    assert [t for d, t, _ in outline if d == 1] == ["Contents", "Overview", "Instruments", "Reference"]
    titles = [(d, t) for d, t, _ in outline]
    instruments = titles.index((1, "Instruments"))
    reference = titles.index((1, "Reference"))
    assert [t for d, t in titles[instruments:reference] if d == 2] == [c.name for c in book.chapters]
    # under a chapter, its sections; under the overview, its parts
    mixed = titles.index((2, "Canary Mixed Accord"))
    assert titles[mixed + 1 : mixed + 3] == [(3, "Key facts"), (3, "Summary")]
    assert max(d for d, _ in titles) >= 3
    overview = [t for d, t in titles[:instruments] if d == 2]
    assert overview[:3] == ["Bottom lines", "Membership matrix", "Hemisphere timeline"]
    back = [t for d, t in titles[reference:] if d == 2]
    assert back == ["Index of instruments by theme", "Sources"]
    # every bookmark leads to a page at or after the one before
    pages = [p for _, _, p in outline]
    assert pages == sorted(pages)


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["executive", "analyst", "staff", "public"])
def test_every_page_shows_its_chapters_level_and_the_rest_the_books(
    canary_build: Path, canary_corpus: Corpus, audience: str
) -> None:
    pdf = Pdf(canary_build / audience / "book.pdf")
    book = make_book_view(canary_corpus, audience)
    starts = chapter_starts(pdf, book)
    reference = next(p + 1 for d, t, p in pdf.outline() if d == 1 and t == "Reference")
    bounds = sorted((start, c.banner) for c, start in zip(book.chapters, starts.values(), strict=True))
    for number, page in enumerate(pdf.reader.pages, start=1):
        expected = book.banner
        if bounds[0][0] <= number < reference:
            expected = [level for start, level in bounds if start <= number][-1]
        runs = page_runs(page)
        height = float(page.mediabox.height)
        top = max(runs, key=lambda run: run[1])
        label = WORDS.level_label(expected)
        assert top[0] == label and top[1] > height - 90, f"page {number}: {top[0]} at the top, not {label}"
        assert any(text == label and y < 60 for text, y in runs), f"page {number}: no {label} at the bottom"
        assert {text for text, _ in runs} & set(map(WORDS.level_label, LEVELS)) == {label}, number
    assert pdf.reader.metadata.title == f"Briefing book: {book.audience.title}"
    if audience == "analyst":
        assert {c.banner for c in book.chapters} == {"restricted", "internal"}


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["executive", "analyst", "staff", "public"])
def test_no_canary_above_the_clearance_anywhere_in_the_book(
    canary_build: Path, canary_corpus: Corpus, audience: str
) -> None:
    clearance = canary_corpus.audiences[audience].clearance
    book = make_book_view(canary_corpus, audience)
    shown = {m.group(0) for text in book.all_text() for m in CANARY_WORD.finditer(text)}
    pdf = Pdf(canary_build / audience / "book.pdf")
    text = squeeze("\n".join(pdf.pages_text))
    metadata = " ".join(str(v) for v in (pdf.reader.metadata or {}).values())
    outline = " ".join(t for _, t, _ in pdf.outline())
    parts = {"pdf text": text, "pdf metadata": metadata, "pdf outline": outline}
    with zipfile.ZipFile(canary_build / audience / "book.docx") as package:
        for name in package.namelist():
            parts[name] = package.read(name).decode("utf-8", "replace")
    parts["kept html"] = (canary_build / audience / "book.html").read_text(encoding="utf-8")
    for where, content in parts.items():
        for token in CANARY_WORD.finditer(content):
            level = TOKEN_LEVEL[token.group(1)]
            assert level_rank(level) <= level_rank(clearance), f"{token.group(0)} in {where} of {audience}"
    assert shown, "the canaries must show in the book"
    for token in shown:  # what the views show, the book shows
        assert token in text, token
    if audience == "public":
        assert "ZZRELINTZZ" not in " ".join(parts.values())


@pytest.mark.slow
def test_matrix_cells_in_the_pdf_are_the_views_rows(canary_build: Path, canary_corpus: Corpus) -> None:
    for audience in ("analyst", "staff", "public"):
        book = make_book_view(canary_corpus, audience)
        html = (canary_build / audience / "book.html").read_text(encoding="utf-8")
        cells = dict(
            re.findall(
                r'<td class="cell(?: (?:member|former|partner))?" data-cell="([^"]+)">([^<]*)</td>', html
            )
        )
        expected: dict[str, str] = {}
        for view in book.chapters:
            for row in view.partners:
                expected[f"{row.code}/{view.id}"] = "partner"
            for row in view.members:
                joined = row.periods[-1].joined if row.periods else row.joined
                text = "former" if row.left else str(joined.year) if joined else "•"
                expected[f"{row.code}/{view.id}"] = text
        assert {k: v for k, v in cells.items() if v} == expected
        text = squeeze("\n".join(Pdf(canary_build / audience / "book.pdf").pages_text))
        for row in book.matrix:
            assert squeeze(row.country) in text


@pytest.mark.slow
def test_deterministic_bytes_and_a_second_build_builds_nothing(canary_build: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build(CANARY, again, "--html")
    for audience in ("executive", "analyst", "staff", "public"):
        for suffix in (".pdf", ".docx"):
            first = (canary_build / audience / f"book{suffix}").read_bytes()
            assert (again / audience / f"book{suffix}").read_bytes() == first, f"{audience}/book{suffix}"
    report = build(CANARY, again, "--html")
    assert report.splitlines()[0].startswith("0 to build")


@pytest.mark.slow
def test_an_edit_rebuilds_the_books_of_the_audiences_that_see_it(tmp_path: Path) -> None:
    content, output = tmp_path / "content", tmp_path / "output"
    shutil.copytree(CANARY, content)
    build(content, output)
    path = content / "instruments" / "canary-mixed.yaml"
    path.write_text(path.read_text().replace("ZZTIMINTZZ event.", "ZZTIMINTZZ event again."))
    report = build(content, output)
    built = set(re.findall(r"\] (\S+/book\.\w+)", report))
    # the internal event is in the timelines of the analyst and staff books; the executive shows no
    # timeline, the public is not cleared for it
    assert built == {f"{a}/book.{f}" for a in ("analyst", "staff") for f in ("pdf", "docx")}


# --- the Word book -------------------------------------------------------------------------------------


def docx_body(path: Path) -> Any:
    return docx.Document(str(path))


def paragraph_style(paragraph: Any) -> str:
    return str(paragraph.style.name)


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["executive", "analyst", "staff", "public"])
def test_docx_contents_field_is_filled_with_every_chapter_and_a_page_number(
    canary_build: Path, canary_corpus: Corpus, audience: str
) -> None:
    book = make_book_view(canary_corpus, audience)
    document = docx_body(canary_build / audience / "book.docx")
    body = document.element.body
    instructions = [t.text for t in body.iter(f"{W}instrText")]
    assert instructions[0].strip() == 'TOC \\o "1-2" \\h \\z \\u'
    # begin, TOC, separate, then per entry a PAGEREF field with its number, then the TOC's end
    chars = [(c.get(f"{W}fldCharType")) for c in body.iter(f"{W}fldChar")]
    assert chars[:2] == ["begin", "separate"]
    links = [h for h in body.iter(f"{W}hyperlink") if h.get(f"{W}anchor")]
    entries = []
    for link in links:
        texts = [t.text or "" for t in link.iter(f"{W}t")]
        instruction = "".join(t.text for t in link.iter(f"{W}instrText")).split()
        assert instruction == ["PAGEREF", link.get(f"{W}anchor"), "\\h"]
        entries.append((texts[0], int(texts[-1]), link.get(f"{W}anchor")))
    assert chars[2 : 2 + 3 * len(entries)] == ["begin", "separate", "end"] * len(entries)
    assert chars[2 + 3 * len(entries)] == "end"
    titles = [title for title, _, _ in entries]
    assert [t for t in titles if t in {c.title for c in book.chapters}] == [c.title for c in book.chapters]
    assert titles[0] == "Part I · Overview" and "Part II · Instruments" in titles
    numbers = [page for _, page, _ in entries]
    assert numbers == sorted(numbers) and numbers[0] >= 2
    # each entry leads to a bookmark on its heading (Heading 1 or 2)
    marks = {
        start.get(f"{W}name"): paragraph
        for paragraph in document.paragraphs
        for start in paragraph._p.iter(f"{W}bookmarkStart")
    }
    for title, _, anchor in entries:
        assert paragraph_style(marks[anchor]) in ("Heading 1", "Heading 2")
        assert marks[anchor].text == title
    assert {paragraph_style(marks[a]) for t, _, a in entries if t in titles[1:2]} == {"Heading 2"}


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["executive", "analyst", "staff", "public"])
def test_docx_one_section_per_chapter_each_headed_by_its_banner(
    canary_build: Path, canary_corpus: Corpus, audience: str
) -> None:
    book = make_book_view(canary_corpus, audience)
    document = docx_body(canary_build / audience / "book.docx")
    sections = document.sections
    expected = [book.banner, *(c.banner for c in book.chapters), book.banner]
    assert len(sections) == len(expected) == len(list(document.element.body.iter(f"{W}sectPr")))
    parts = set()
    labels = set(map(WORDS.level_label, LEVELS))
    for index, (section, level) in enumerate(zip(sections, expected, strict=True)):
        assert not section.header.is_linked_to_previous and not section.footer.is_linked_to_previous
        header = [p.text for p in section.header.paragraphs]
        footer = [p.text for p in section.footer.paragraphs]
        assert header[:2] == [WORDS.level_label(level), book.audience.marking], index
        assert footer[-1] == WORDS.level_label(level), index
        assert not (set(header) | set(footer)) & (labels - {WORDS.level_label(level)})
        parts.add(section.header.part.partname)
    assert len(parts) == len(sections)  # a header part of its own for every section
    # every chapter after the first starts a section of its own, on a new page
    for sect_pr in list(document.element.body.iter(f"{W}sectPr"))[:-1]:
        assert sect_pr.find(f"{W}type").get(f"{W}val") == "nextPage"


@pytest.mark.slow
def test_docx_headings_move_under_the_chapters(canary_build: Path, canary_corpus: Corpus) -> None:
    book = make_book_view(canary_corpus, "analyst")
    document = docx_body(canary_build / "analyst" / "book.docx")
    styles = [(paragraph_style(p), p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert [t for s, t in styles if s == "Heading 1"] == [
        "Part I · Overview",
        "Part II · Instruments",
        "Part III · Reference",
    ]
    chapters = [t for s, t in styles if s == "Heading 2"]
    assert [t for t in chapters if t in {c.title for c in book.chapters}] == [c.title for c in book.chapters]
    assert ("Heading 3", "Bottom line up front") in styles and ("Heading 4", "Key facts") in styles
    assert not [p for p in document.paragraphs if paragraph_style(p) == "Title" and p.text != "Briefing book"]
    assert document.core_properties.title == "Briefing book: Analyst"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_shows_the_contents_with_their_page_numbers(canary_build: Path, tmp_path: Path) -> None:
    source = canary_build / "analyst" / "book.docx"
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        capture_output=True, timeout=300, check=True,
    )  # fmt: skip
    pdf = Pdf(tmp_path / "book.pdf")
    contents = next(spaced(text) for text in pdf.pages_text if "Contents" in text)
    # LibreOffice makes the headings bookmarks: where it laid each one out
    laid_out = {title: page + 1 for depth, title, page in pdf.outline() if depth <= 1}
    xml = zipfile.ZipFile(source).read("word/document.xml").decode("utf-8")
    entries = re.findall(
        r'<w:t xml:space="preserve">([^<]+)</w:t></w:r><w:r><w:tab/>.*?<w:t>(\d+)</w:t>', xml
    )
    assert len(entries) >= 10
    for title, number in entries:
        title = title.replace("&amp;", "&")
        assert re.search(re.escape(title) + r"\s*(?:\.\s*)+" + number, contents), title
        # the estimate is where LibreOffice puts the heading, give or take a page
        assert abs(laid_out[title] - int(number)) <= 1, (title, number, laid_out[title])
