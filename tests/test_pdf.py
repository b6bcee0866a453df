"""PDF briefings: render every fixture document once, then read the PDFs back (text per page, banners,
outline, metadata, fonts, tags, links), and check the writer's locks (URL fetcher, escaping, page budget,
determinism), the format's declaration and theme, and the timeline figure. Tests that render documents
are marked `slow` (run them with `-m slow`)."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from atalaya import formats, products
from atalaya.errors import BuildError, Severity, TemplateError, UsageError
from atalaya.figures import _place, position, timeline_svg
from atalaya.formats import Rendered
from atalaya.formats.pdf.fonts import font_faces
from atalaya.formats.pdf.writer import FIT_LEVELS, FONT, WEASYPRINT, LockedFetcher, PdfWriter, RefusedURL
from atalaya.model import Corpus, load_corpus
from atalaya.plan import Options
from atalaya.render import TemplateSet, format_date, label
from atalaya.select import Item, View, audiences_for, make_view
from atalaya.theme import load_theme
from conftest import FIXTURES, GOOD, ROOT, TEMPLATES

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back: pip install pypdf")
PdfReader = pypdf.PdfReader

TODAY = date(2026, 11, 20)
LONG = FIXTURES / "pdf"
GOOD_DOCUMENTS = [
    ("alpha-pact", "executive"),
    ("alpha-pact", "analyst"),
    ("alpha-pact", "staff"),
    ("alpha-pact", "public"),
    ("beta-forum", "executive"),
    ("beta-forum", "analyst"),
    ("beta-forum", "staff"),
]
LONG_DOCUMENTS = [
    ("gamma-accord", "executive"),
    ("gamma-accord", "analyst"),
    ("gamma-accord", "staff"),
    ("gamma-accord", "public"),
    ("delta-minimal", "analyst"),
]
ALL_DOCUMENTS = GOOD_DOCUMENTS + LONG_DOCUMENTS
CANARIES = (
    "ALPHA-INTERNAL-CANARY",
    "ALPHA-RESTRICTED-CANARY",
    "GAMMA-INTERNAL-CANARY",
    "GAMMA-RESTRICTED-CANARY",
)


def names(view: View) -> list[str]:
    """The briefing templates for the view's audience, as the instrument brief names them."""
    return list(products.get("brief").template_names(formats.get("pdf"), view.audience_name))


def html_of(pdf: Rendered) -> str:
    return pdf.side_files[".html"].decode("utf-8")


def messages(pdf: Rendered) -> list[str]:
    return [warning.message for warning in pdf.warnings]


@dataclass
class Doc:
    view: View
    pdf: Rendered
    reader: Any

    @cached_property
    def html(self) -> str:
        return html_of(self.pdf)

    @cached_property
    def pages_text(self) -> list[str]:
        return [page.extract_text() for page in self.reader.pages]

    @cached_property
    def text(self) -> str:
        return "\n".join(self.pages_text)


def page_runs(page: Any) -> list[tuple[str, float]]:
    """Every text run on a page with its baseline height in points from the bottom of the page."""
    runs: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            runs.append((text.strip(), tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    return runs


def connections(listener: socket.socket) -> int:
    """How many connections are waiting on the listener (each accepted and closed)."""
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


@pytest.fixture(scope="module")
def corpora() -> dict[str, Corpus]:
    return {"good": load_corpus(GOOD, today=TODAY), "long": load_corpus(LONG, today=TODAY)}


@pytest.fixture(scope="module")
def writer() -> PdfWriter:
    return PdfWriter(TemplateSet(TEMPLATES))


def view_of(corpora: dict[str, Corpus], instrument: str, audience: str) -> View:
    corpus = corpora["good"] if instrument in corpora["good"].instruments else corpora["long"]
    return make_view(corpus, corpus.instruments[instrument], audience)


@pytest.fixture(scope="module")
def docs(corpora: dict[str, Corpus], writer: PdfWriter) -> dict[tuple[str, str], Doc]:
    """Each fixture document rendered once for the whole module."""
    rendered = {}
    for instrument, audience in ALL_DOCUMENTS:
        view = view_of(corpora, instrument, audience)
        pdf = writer.render(view, names(view))
        rendered[(instrument, audience)] = Doc(view, pdf, PdfReader(io.BytesIO(pdf.data)))
    return rendered


def test_fixture_documents_are_every_cleared_audience(corpora: dict[str, Corpus]) -> None:
    good = corpora["good"]
    expected = {(i, a) for i, inst in good.instruments.items() for a in audiences_for(good, inst)}
    assert expected == set(GOOD_DOCUMENTS)


# --- every document ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("key", ALL_DOCUMENTS, ids="/".join)
def test_pages_within_budget_and_no_warnings(docs: dict[tuple[str, str], Doc], key: tuple[str, str]) -> None:
    doc = docs[key]
    assert 1 <= doc.pdf.pages <= doc.view.audience.page_budget
    assert len(doc.reader.pages) == doc.pdf.pages
    assert doc.pdf.warnings == ()
    assert doc.pdf.data.startswith(b"%PDF-")


@pytest.mark.slow
@pytest.mark.parametrize("key", ALL_DOCUMENTS, ids="/".join)
def test_banner_top_and_bottom_and_folio_on_every_page(
    docs: dict[tuple[str, str], Doc], key: tuple[str, str]
) -> None:
    doc = docs[key]
    banner = doc.view.banner.upper()
    total = doc.pdf.pages
    for number, page in enumerate(doc.reader.pages, start=1):
        height = float(page.mediabox.height)
        runs = page_runs(page)
        banners = [y for text, y in runs if text == banner]
        assert any(y > height - 90 for y in banners), f"page {number}: no {banner} banner at the top"
        assert any(y < 60 for y in banners), f"page {number}: no {banner} banner at the bottom"
        texts = [text for text, _ in runs]
        assert f"Page {number} of {total}" in texts
        assert doc.view.audience.marking in texts
        view = doc.view
        footer = f"{view.acronym or view.name} · {view.audience.title} · As of {format_date(view.as_of)}"
        assert footer in texts
    assert f'class="banner banner-{doc.view.banner}"' in doc.html


@pytest.mark.slow
@pytest.mark.parametrize("key", ALL_DOCUMENTS, ids="/".join)
def test_title_block_and_key_facts_on_page_one(
    docs: dict[tuple[str, str], Doc], key: tuple[str, str]
) -> None:
    doc = docs[key]
    first = " ".join(doc.pages_text[0].split())
    view = doc.view
    for expected in (view.name, label(view.kind), label(view.status), format_date(view.as_of)):
        assert expected in first
    if view.acronym:
        assert view.acronym in first
    if "key_facts" in view.sections:
        assert "KEY FACTS" in first


@pytest.mark.slow
@pytest.mark.parametrize("key", ALL_DOCUMENTS, ids="/".join)
def test_metadata_from_the_content_not_the_clock(
    docs: dict[tuple[str, str], Doc], key: tuple[str, str]
) -> None:
    doc = docs[key]
    view = doc.view
    info = doc.reader.metadata
    assert info["/Title"] == f"{view.title}: {view.audience.title}"
    assert info["/Author"] == view.office.name
    assert info["/Publisher"] == view.office.publisher
    assert view.name in info["/Subject"]
    assert info["/Keywords"] == ", ".join(label(theme) for theme in view.themes)
    stamp = "D:" + view.as_of.strftime("%Y%m%d")
    assert info["/CreationDate"] == stamp
    assert info["/ModDate"] == stamp
    root = doc.reader.trailer["/Root"]
    assert root["/Lang"] == view.office.language
    assert f'<html lang="{view.office.language}"' in doc.html


def _struct_types(node: Any, found: list[str], depth: int = 0) -> None:
    node = node.get_object()
    if depth > 60 or not hasattr(node, "get"):
        return
    if "/S" in node:
        found.append(str(node["/S"]))
    kids = node.get("/K")
    if kids is None:
        return
    kids = kids.get_object()
    for kid in kids if isinstance(kids, list) else [kids]:
        if hasattr(kid, "get_object") and not isinstance(kid.get_object(), int):
            _struct_types(kid, found, depth + 1)


@pytest.mark.slow
@pytest.mark.parametrize("key", ALL_DOCUMENTS, ids="/".join)
def test_tagged_with_headings_in_order_and_outline(
    docs: dict[tuple[str, str], Doc], key: tuple[str, str]
) -> None:
    doc = docs[key]
    root = doc.reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    types: list[str] = []
    _struct_types(root["/StructTreeRoot"], types)
    headings = [t for t in types if re.fullmatch(r"/H\d", t)]
    assert headings[0] == "/H1"
    assert headings.count("/H1") == 1
    assert set(headings[1:]) == {"/H2"}
    assert len(headings) - 1 == len(doc.view.sections)
    # Bookmarks: the instrument, then one per section, in the audience's order.
    outline = doc.reader.outline
    assert [item.title for item in outline if not isinstance(item, list)] == [doc.view.name]
    children = outline[1]
    assert len(children) == len(doc.view.sections)
    if doc.view.sections[0] == "key_facts":
        assert children[0].title == "Key facts"
    if "sources" in doc.view.sections:
        assert children[-1].title == "Sources"


@pytest.mark.slow
@pytest.mark.parametrize("key", ALL_DOCUMENTS, ids="/".join)
def test_only_source_fonts_all_embedded(docs: dict[tuple[str, str], Doc], key: tuple[str, str]) -> None:
    names = set()
    for page in docs[key].reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
    assert names
    for name in names:
        assert re.fullmatch(r"/[A-Z]{6}\+Source-(Serif|Sans)-Pro(-Italic|-Semi-Bold|-Bold)?", name), name
    assert any("Serif" in name for name in names) and any("Sans" in name for name in names)


@pytest.mark.slow
def test_pdffonts_reports_every_font_embedded(docs: dict[tuple[str, str], Doc], tmp_path: Path) -> None:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "gamma.pdf"
    path.write_bytes(docs[("gamma-accord", "analyst")].pdf.data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows
    for row in rows:
        assert row[0].split("+")[1].startswith(("Source-Serif-Pro", "Source-Sans-Pro")), row
        assert row[-5] == "yes", f"not embedded: {row}"  # columns: ... emb sub uni object ID


@pytest.mark.slow
def test_pdftotext_reads_banner_and_folio_on_each_page(
    docs: dict[tuple[str, str], Doc], tmp_path: Path
) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    doc = docs[("gamma-accord", "analyst")]
    path = tmp_path / "gamma.pdf"
    path.write_bytes(doc.pdf.data)
    for number in range(1, doc.pdf.pages + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert lines[0] == "RESTRICTED" and lines[-1] == "RESTRICTED"
        assert f"Page {number} of {doc.pdf.pages}" in text


@pytest.mark.slow
def test_pdftoppm_draws_page_one(docs: dict[tuple[str, str], Doc], tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    path = tmp_path / "exec.pdf"
    path.write_bytes(docs[("gamma-accord", "executive")].pdf.data)
    done = subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    assert (tmp_path / "page-1.png").stat().st_size > 1000


# --- what each audience may see --------------------------------------------------------------------


@pytest.mark.slow
def test_public_carries_no_internal_or_restricted_text(docs: dict[tuple[str, str], Doc]) -> None:
    for key in (("alpha-pact", "public"), ("gamma-accord", "public")):
        doc = docs[key]
        for canary in CANARIES:
            assert canary not in doc.text
            assert canary not in doc.html
        assert doc.view.banner == "public"
        assert "PUBLIC" in doc.pages_text[0]
        assert "RESTRICTED" not in doc.text and "INTERNAL" not in doc.text


@pytest.mark.slow
def test_staff_sees_internal_but_not_restricted(docs: dict[tuple[str, str], Doc]) -> None:
    doc = docs[("gamma-accord", "staff")]
    assert "GAMMA-INTERNAL-CANARY" in doc.text
    assert "GAMMA-RESTRICTED-CANARY" not in doc.text and "GAMMA-RESTRICTED-CANARY" not in doc.html
    assert doc.view.banner == "internal"


@pytest.mark.slow
def test_portion_marks_and_verification_only_in_analyst(docs: dict[tuple[str, str], Doc]) -> None:
    for key, doc in docs.items():
        analyst = key[1] == "analyst"
        assert ("(P)" in doc.text) is analyst, key
        single_source = doc.view.verification == "single-source" or any(
            item.verification == "single-source" for item in (*doc.view.summary, *doc.view.timeline)
        )
        assert ("SINGLE-SOURCE" in doc.text) is (analyst and single_source), key
    gamma = docs[("gamma-accord", "analyst")].text
    for mark in ("(P)", "(I)", "(R)"):
        assert mark in gamma
    assert "DISPUTED" in gamma
    assert "Most of the record comes from one ministry's published chronology." in " ".join(gamma.split())


@pytest.mark.slow
def test_numbered_citations_link_to_sources_and_urls_are_live(docs: dict[tuple[str, str], Doc]) -> None:
    doc = docs[("gamma-accord", "analyst")]
    assert "[1] Texto del Acuerdo de Defensa del Cono Sur" in " ".join(doc.text.split())
    uris, internal = set(), 0
    for page in doc.reader.pages:
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            action = annotation.get("/A", {})
            if "/URI" in action:
                uris.add(action["/URI"])
            elif "/Dest" in annotation or action.get("/S") == "/GoTo":
                internal += 1
    assert "https://example.org/gamma/tratado" in uris
    assert "https://example.org/gamma/cronologia?lang=pt&ano=2026" in uris
    assert internal >= 5  # [n] citations jump to the sources list
    assert 'href="#source-2"' in doc.html and 'id="source-2"' in doc.html


@pytest.mark.slow
def test_spanish_and_portuguese_diacritics(docs: dict[tuple[str, str], Doc]) -> None:
    from fontTools.ttLib import TTFont

    for face in font_faces():
        with TTFont(face.path) as font:
            cmap = font.getBestCmap()
        missing = [char for char in "ãâáàçéêíñóôõúüÁÉÍÑÓÚÇÃÕ«»–—·" if ord(char) not in cmap]
        assert not missing, f"{face.path.name} lacks {missing}"
    text = " ".join(docs[("gamma-accord", "analyst")].text.split())
    for word in (
        "cooperación, señales y logística",
        "cooperação, sinais e logística de ações",
        "Asunción",
        "São Paulo",
    ):
        assert word in text
    assert '<span lang="es">' in docs[("gamma-accord", "analyst")].html


@pytest.mark.slow
def test_executive_fits_one_page_with_its_three_parts(docs: dict[tuple[str, str], Doc]) -> None:
    doc = docs[("gamma-accord", "executive")]
    assert doc.pdf.pages == 1
    text = doc.pages_text[0]
    assert "Bottom line up front" in text and "Recommended action" in text and "KEY FACTS" in text


@pytest.mark.slow
def test_deterministic_across_writers_renders_and_clocks(
    docs: dict[tuple[str, str], Doc], corpora: dict[str, Corpus], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = docs[("alpha-pact", "analyst")].pdf.data
    view = view_of(corpora, "alpha-pact", "analyst")
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)  # 2033: fontTools would stamp this
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    again = PdfWriter(TemplateSet(TEMPLATES)).render(view, names(view)).data
    assert again == first


@pytest.mark.slow
def test_deterministic_in_another_process(docs: dict[tuple[str, str], Doc], tmp_path: Path) -> None:
    script = (
        "import sys; from datetime import date; from pathlib import Path\n"
        "from atalaya.model import load_corpus\nfrom atalaya.select import make_view\n"
        "from atalaya.render import TemplateSet\nfrom atalaya.formats.pdf.writer import PdfWriter\n"
        f"corpus = load_corpus(Path({str(LONG)!r}), today=date(2026, 11, 20))\n"
        "view = make_view(corpus, corpus.instruments['gamma-accord'], 'public')\n"
        "names = ['briefing/public.html.j2', 'briefing/base.html.j2']\n"
        f"data = PdfWriter(TemplateSet(Path({str(TEMPLATES)!r}))).render(view, names).data\n"
        "Path(sys.argv[1]).write_bytes(data)\n"
    )
    out = tmp_path / "again.pdf"
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    environment.update(TZ="Pacific/Kiritimati", HOME=str(tmp_path))  # another clock, another zone
    subprocess.run(
        [sys.executable, "-c", script, str(out)], check=True, cwd=ROOT, timeout=300, env=environment
    )
    assert out.read_bytes() == docs[("gamma-accord", "public")].pdf.data


# --- paper, variants, options ----------------------------------------------------------------------


@pytest.mark.slow
def test_letter_paper_and_pdf_a_3b(corpora: dict[str, Corpus]) -> None:
    view = view_of(corpora, "beta-forum", "staff")
    letter = PdfReader(
        io.BytesIO(PdfWriter(TemplateSet(TEMPLATES), paper="Letter").render(view, names(view)).data)
    )
    box = letter.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    archiver = PdfWriter(TemplateSet(TEMPLATES), pdf_variant="pdf/a-3b")
    archival = archiver.render(view, names(view))
    assert archiver.render(view, names(view)).data == archival.data
    reader = PdfReader(io.BytesIO(archival.data))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/OutputIntents" in root and "/StructTreeRoot" in root
    a4 = (
        PdfReader(io.BytesIO(PdfWriter(TemplateSet(TEMPLATES)).render(view, names(view)).data))
        .pages[0]
        .mediabox
    )
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)


def test_wrong_paper_or_variant_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown paper size 'A5'"):
        PdfWriter(TemplateSet(TEMPLATES), paper="A5")
    with pytest.raises(UsageError, match="unknown PDF variant 'pdf/z'"):
        PdfWriter(TemplateSet(TEMPLATES), pdf_variant="pdf/z")


def test_font_faces_are_exact_package_files_and_few() -> None:
    import font_source_sans_pro
    import font_source_serif_pro

    faces = font_faces()
    assert 4 <= len(faces) <= 6
    folders = {
        Path(font_source_serif_pro.font_directory).resolve(),
        Path(font_source_sans_pro.font_directory).resolve(),
    }
    for face in faces:
        assert face.path.parent in folders and face.path.suffix == ".ttf" and face.path.is_file()


# --- page budget -----------------------------------------------------------------------------------


def _with_recommendations(view: View, count: int) -> View:
    extra = tuple(
        Item(
            text=f"Recommendation {n}: keep the staff talks and the exercise cycle funded through the next "
            "budget round, and report back to the minister on attendance.",
            level="public",
            verification="corroborated",
        )
        for n in range(count)
    )
    return dataclasses.replace(view, recommendations=view.recommendations + extra)


@pytest.mark.slow
def test_overflowing_executive_is_tightened_to_fit(corpora: dict[str, Corpus], writer: PdfWriter) -> None:
    view = view_of(corpora, "gamma-accord", "executive")
    assert writer.layout(view, names(view)).fit == 0
    for count in range(2, 60, 2):
        laid_out = writer.layout(_with_recommendations(view, count), names(view))
        if laid_out.fit > 0:
            assert len(laid_out.document.pages) == 1
            assert f'class="fit-{laid_out.fit}"' in laid_out.html
            return
    pytest.fail("the executive never needed a tighter setting")


@pytest.mark.slow
def test_briefing_over_budget_at_tightest_setting_is_returned_for_the_caller_to_refuse(
    corpora: dict[str, Corpus], writer: PdfWriter
) -> None:
    view = _with_recommendations(view_of(corpora, "gamma-accord", "executive"), 80)
    laid_out = writer.layout(view, names(view))
    assert laid_out.fit == FIT_LEVELS - 1
    assert len(laid_out.document.pages) > view.audience.page_budget == 1
    assert f'class="fit-{FIT_LEVELS - 1}"' in laid_out.html


# --- locked down: fetcher, escaping, warnings ------------------------------------------------------


def test_fetcher_allows_only_data_fonts_and_assets(tmp_path: Path, listener: socket.socket) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "mark.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("secret")
    font = font_faces()[0].path
    fetcher = LockedFetcher(assets, frozenset({font}))
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert fetcher.fetch(font.as_uri()).read()[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true")
    assert fetcher.fetch((assets / "mark.svg").as_uri()).read().startswith(b"<svg")
    port = listener.getsockname()[1]
    for url in (
        f"http://127.0.0.1:{port}/x.png",
        f"https://127.0.0.1:{port}/x.png",
        "file:///etc/passwd",
        (tmp_path / "secret.txt").as_uri(),
        (assets / ".." / "secret.txt").as_uri(),
        font.with_name("SourceSerifPro-Black.ttf").as_uri(),
        f"ftp://127.0.0.1:{port}/x",
        "file://otherhost/etc/passwd",
    ):
        with pytest.raises(RefusedURL, match="refused to load"):
            fetcher.fetch(url)
    assert connections(listener) == 0


HOSTILE_HTML = [
    '<img src="http://127.0.0.1:{port}/img.png" alt="x">',
    '<img src="file:///etc/passwd" alt="x">',
    '<object data="file:///etc/passwd"></object>',
    '<p style="background: url(http://127.0.0.1:{port}/bg.png)">x</p>',
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>x</title>'
    '<image href="http://127.0.0.1:{port}/i.png" width="10" height="10"/></svg>',
    '<style>@import url("http://127.0.0.1:{port}/i.css");</style>',
    '<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">',
    '<link rel="attachment" href="http://127.0.0.1:{port}/a.bin">',
]


def _hostile_templates(tmp_path: Path, head: str = "", body: str = "", css: str = "") -> TemplateSet:
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    base = root / "briefing" / "base.html.j2"
    text = base.read_text(encoding="utf-8")
    text = text.replace("</head>", head + "\n</head>").replace(
        "{% block title_block %}", body + "\n{% block title_block %}"
    )
    base.write_text(text, encoding="utf-8")
    if css:
        sheet = root / "briefing" / "briefing.css"
        sheet.write_text(css + "\n" + sheet.read_text(encoding="utf-8"), encoding="utf-8")
    return TemplateSet(root)


@pytest.mark.slow
@pytest.mark.parametrize("markup", HOSTILE_HTML)
def test_hostile_template_cannot_fetch(
    markup: str, tmp_path: Path, listener: socket.socket, corpora: dict[str, Corpus]
) -> None:
    port = listener.getsockname()[1]
    markup = markup.format(port=port)
    in_head = markup.startswith(("<style", "<link"))
    templates = _hostile_templates(tmp_path, head=markup if in_head else "", body="" if in_head else markup)
    with pytest.raises(BuildError, match="refused to load") as caught:
        view = view_of(corpora, "beta-forum", "staff")
        PdfWriter(templates).render(view, names(view))
    message = caught.value.diagnostics[0].format()
    assert message.startswith(f"{templates.root}:0:0: refused to load ")
    assert "Traceback" not in message
    assert connections(listener) == 0


@pytest.mark.parametrize(
    "css",
    [
        '@import url("http://127.0.0.1:{port}/x.css");',
        '@font-face { font-family: X; src: url("http://127.0.0.1:{port}/x.ttf"); }',
        '@font-face { font-family: X; src: url("file:///etc/passwd"); }',
    ],
)
def test_hostile_stylesheet_cannot_fetch(css: str, tmp_path: Path, listener: socket.socket) -> None:
    templates = _hostile_templates(tmp_path, css=css.replace("{port}", str(listener.getsockname()[1])))
    with pytest.raises(BuildError, match="refused to load") as caught:
        PdfWriter(templates)
    stylesheet = templates.root / "briefing" / "briefing.css"
    assert caught.value.diagnostics[0].format().startswith(f"{stylesheet}:0:0: refused to load ")
    assert connections(listener) == 0


@pytest.mark.slow
def test_markup_in_content_is_text_and_never_fetched(
    good_tree: Path, listener: socket.socket, writer: PdfWriter
) -> None:
    port = listener.getsockname()[1]
    path = good_tree / "instruments" / "alpha-pact.yaml"
    text = path.read_text(encoding="utf-8")
    hostile = f'<b>bold</b> <img src="http://127.0.0.1:{port}/x.png"> & <script>alert(1)</script>'
    text = text.replace(
        "  - The Alpha Pact binds Argentina, Brazil and Chile to consult on border incidents.",
        "  - '" + hostile.replace("'", "''") + "'",
    )
    text = text.replace('url: "https://example.org/alpha"', f'url: "http://127.0.0.1:{port}/source"')
    path.write_text(text, encoding="utf-8")
    corpus = load_corpus(good_tree, today=TODAY)
    view = make_view(corpus, corpus.instruments["alpha-pact"], "public")
    pdf = writer.render(view, names(view))
    html = html_of(pdf)
    shown = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert f'<b>bold</b> <img src="http://127.0.0.1:{port}/x.png"> & <script>alert(1)</script>' in shown
    assert "&lt;b&gt;bold&lt;/b&gt; &lt;img src=&#34;http://127.0.0.1" in html
    assert "<b>" not in html and "<script>" not in html
    assert f'href="http://127.0.0.1:{port}/source"' in html  # a live link, never fetched
    assert pdf.warnings == ()
    assert connections(listener) == 0


@pytest.mark.slow
def test_weasyprint_warnings_are_captured_and_returned(tmp_path: Path, corpora: dict[str, Corpus]) -> None:
    templates = _hostile_templates(
        tmp_path, body="<p style=\"colr: red; font-family: 'Source Sans Pro'; font-style: italic\">odd</p>"
    )
    view = view_of(corpora, "beta-forum", "staff")
    pdf = PdfWriter(templates).render(view, names(view))
    found = messages(pdf)
    assert any("colr: red" in w and "unknown property" in w for w in found), found
    assert any("Source Sans Pro 400 oblique is not declared" in w for w in found), found
    categories = {w.message: w.category for w in pdf.warnings}
    assert {categories[w] for w in found if "colr: red" in w} == {WEASYPRINT}
    assert {categories[w] for w in found if "is not declared" in w} == {FONT}
    assert {(w.path, w.severity) for w in pdf.warnings} == {("", Severity.WARNING)}  # the engine locates them


# --- the format and its theme ----------------------------------------------------------------------


def test_pdf_format_is_declared_without_loading_weasyprint() -> None:
    script = (
        "import sys\nfrom atalaya import formats\npdf = formats.get('pdf')\n"
        "assert (pdf.suffix, pdf.template_folder, pdf.side_suffixes) == ('.pdf', 'briefing', ('.html',))\n"
        "assert not [m for m in sys.modules if m.startswith(('weasyprint', 'fontTools'))]\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=120)


@pytest.mark.slow
def test_writer_made_through_the_registry_keeps_the_html(corpora: dict[str, Corpus]) -> None:
    writer = formats.get("pdf").make_writer(TemplateSet(TEMPLATES), Options(paper="Letter"))
    view = view_of(corpora, "delta-minimal", "analyst")
    pdf = writer.render(view, names(view))
    assert isinstance(pdf, Rendered) and pdf.pages == len(PdfReader(io.BytesIO(pdf.data)).pages)
    assert set(pdf.side_files) == {".html"}
    assert "@page { size: letter; }" in html_of(pdf)


def test_stylesheet_takes_every_colour_face_and_size_from_the_theme() -> None:
    css = (TEMPLATES / "briefing" / "briefing.css").read_text(encoding="utf-8")
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(", rules)
    assert "Source" not in rules and not re.search(r"font-family:(?!\s*var\()", rules)
    assert ":root" not in rules  # the variables are the theme's, put before the sheet by the writer
    theme = load_theme(TEMPLATES)
    defined = set(re.findall(r"(--[a-z0-9-]+):", theme.css_variables()))
    used = set(re.findall(r"var\((--[a-z0-9-]+)\)", rules))
    assert used <= defined, used - defined
    sizes = {f"--size-{name}" for name in ("body", "lead", "h1", "h2", "banner", "table", "small")}
    assert {"--accent", "--ink", "--face-serif", "--face-sans", *sizes} <= used
    for value in ("19pt", "11.5pt", "10pt;"):  # the theme's sizes are never written out again
        assert f"font-size: {value}" not in rules.split(".fit-1")[0]


def _themed_templates(tmp_path: Path, old: str, new: str) -> TemplateSet:
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    theme = root / "theme.toml"
    text = theme.read_text(encoding="utf-8")
    assert old in text
    theme.write_text(text.replace(old, new, 1), encoding="utf-8")
    return TemplateSet(root)


@pytest.mark.slow
def test_theme_colour_reaches_the_pdf(
    tmp_path: Path, corpora: dict[str, Corpus], docs: dict[tuple[str, str], Doc]
) -> None:
    templates = _themed_templates(tmp_path, 'accent = "#1f3a5f"', 'accent = "#ff0000"')
    view = view_of(corpora, "delta-minimal", "analyst")
    pdf = PdfWriter(templates).render(view, names(view))
    assert "--accent: #ff0000;" in html_of(pdf) and "#1f3a5f" not in html_of(pdf)
    assert pdf.warnings == ()
    before = docs[("delta-minimal", "analyst")]
    assert pdf.data != before.pdf.data
    again = PdfReader(io.BytesIO(pdf.data))
    assert [page.extract_text() for page in again.pages] == before.pages_text
    drawn = b"".join(page.get_contents().get_data() for page in again.pages)
    assert b"1 0 0 rg" in drawn  # the title and headings in the new accent


def test_theme_face_the_pdf_cannot_embed_is_a_template_error(tmp_path: Path) -> None:
    templates = _themed_templates(tmp_path, 'name = "Source Sans Pro"', 'name = "Comic Sans MS"')
    with pytest.raises(TemplateError) as caught:
        PdfWriter(templates)
    assert caught.value.diagnostics[0].format() == (
        f"{templates.root / 'theme.toml'}:0:0: the PDF embeds only Source Sans Pro and Source Serif Pro; "
        "the theme names sans = 'Comic Sans MS'"
    )


# --- the timeline figure ---------------------------------------------------------------------------


def test_timeline_svg_is_deterministic_escaped_vector(corpora: dict[str, Corpus]) -> None:
    view = view_of(corpora, "gamma-accord", "analyst")
    svg = timeline_svg(view)
    assert svg == timeline_svg(view)
    tree = ET.fromstring(str(svg))  # noqa: S314 (markup this test just generated, not outside input)
    ns = "{http://www.w3.org/2000/svg}"
    assert tree.tag == f"{ns}svg"
    assert len(tree.findall(f"{ns}circle")) == len(view.timeline) + 1  # markers and the legend's sample
    assert tree.find(f"{ns}title").text == f"Timeline of {view.name}: 15 dated events from 1985 to 2026"
    assert "<image" not in svg and "href" not in svg
    assert "hollow marker" in svg  # some dates are known only to the month or year
    hostile = dataclasses.replace(view, name='<script>alert("x")</script> & co')
    hostile_svg = str(timeline_svg(hostile))
    assert "<script>" not in hostile_svg
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in hostile_svg
    ET.fromstring(hostile_svg)  # noqa: S314 (markup this test just generated, not outside input)


def test_timeline_labels_never_collide_and_partial_dates_sit_mid_period(corpora: dict[str, Corpus]) -> None:
    view = view_of(corpora, "gamma-accord", "analyst")
    events = [(n + 1, item.date) for n, item in enumerate(view.timeline) if item.date is not None]
    x_of = {n: 26 + (position(when) - 1984) * 13.5 for n, when in events}  # as drawn: 13.5 units a year
    placed = _place(events, x_of)
    by_level: dict[int, list[tuple[float, float]]] = {}
    for p in placed:
        for left, right in by_level.get(p.level, []):
            assert p.right <= left or p.left >= right, f"label {p.number} overlaps on level {p.level}"
        by_level.setdefault(p.level, []).append((p.left, p.right))
    from atalaya.model import PartialDate

    assert position(PartialDate(1993)) == 1993.5
    assert 2009.8 < position(PartialDate(2009, 11)) < 2009.9
    assert position(PartialDate(1986, 3, 14)) < position(PartialDate(1986, 3, 15))


@pytest.mark.slow
def test_timeline_svg_one_event_and_none(
    corpora: dict[str, Corpus], docs: dict[tuple[str, str], Doc]
) -> None:
    view = view_of(corpora, "delta-minimal", "analyst")
    svg = str(timeline_svg(view))
    assert svg.count("<circle") == 2  # the event and the legend sample (its date is a year only)
    assert "Timeline of Delta Ministers&#39; Forum: 1 dated event in 2018" in svg
    assert str(timeline_svg(dataclasses.replace(view, timeline=()))) == ""
    assert "2018" in docs[("delta-minimal", "analyst")].text
