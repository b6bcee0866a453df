"""Sources are releasable material: a document lists a source only when an item that document shows cites
it, or when nothing in the file cites it and its own level (its `release`, else the file's) is within the
audience's clearance.

Built through the real command line from tests/fixtures/sources/ and read back from every output of every
audience: PDF text, link annotations, metadata and outline, the kept HTML, and every XML part and
relationship of the DOCX. Each source of the fixture carries a unique word in its title, its publisher and
its URL; each word must appear exactly in the documents of the audiences that may list that source, the
listed sources are numbered 1..n in file order (no gap shows that a hidden one exists), and the key-facts
count and the banner follow the same rule.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, run_cli

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back: pip install pypdf")
docx = pytest.importorskip("docx", reason="python-docx reads the memos back")

TREE = FIXTURES / "sources"
AUDIENCES = ("executive", "analyst", "staff", "public")
FORMATS = ("pdf", "docx")
TOKEN = re.compile(r"QQ([A-Z]+?)([TPU])QQ")

# The sources of source-release.yaml in file order, with the audiences whose documents list each one.
# The fixture's audiences: executive (restricted) shows no sources section; analyst (restricted) shows
# every section; staff (internal) shows key facts, summary, members, activities, timeline, sources;
# public (public) shows key facts, summary, members, objectives, timeline, sources.
LISTED_BY: dict[str, set[str]] = {
    "INTASSESS": {"analyst"},  # only an internal assessment cites it (staff: cleared, but no assessment)
    "PUBCITED": {"analyst", "staff", "public"},  # cited by a public summary line
    "RESCITED": {"analyst"},  # cited only by restricted items
    "PUBUNCITED": {"analyst", "staff", "public"},  # cited by nothing, at the file's (public) level
    "INTCITED": {"analyst", "staff"},  # cited only by an internal member row
    "INTUNCITED": {"analyst", "staff"},  # cited by nothing, release: internal
    "RESUNCITED": {"analyst"},  # cited by nothing, release: restricted
    "PUBCHALLENGE": {"analyst"},  # a public source cited only by a challenge (a section only analysts see)
    "INTNOTE": {"analyst", "staff"},  # cited only by the internal status note (key facts)
}


def listed(audience: str) -> list[str]:
    """The sources the audience's documents list, in the order (and so the numbers) they must show."""
    return [name for name, audiences in LISTED_BY.items() if audience in audiences]


def squeeze(text: str) -> str:
    """Text with line-end hyphenation undone and all whitespace removed (a PDF line may break anywhere)."""
    return "".join(re.sub(r"[-\u00ad\u2010]\s*\n", "", text).split())


@dataclass
class Read:
    """One output read back: its visible text, its outgoing links, and every text it carries anywhere."""

    text: str  # squeezed (no whitespace) for PDFs, the document part's text for DOCX
    raw: str
    links: set[str]
    everywhere: list[str]


def read_pdf(path: Path) -> Read:
    data = path.read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(data))
    raw = "\n".join(page.extract_text() for page in reader.pages)
    links: set[str] = set()
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            action = annotation.get_object().get("/A", {})
            if "/URI" in action:
                links.add(str(action["/URI"]))
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    outline = json.dumps(reader.outline, default=str)
    html = path.with_suffix(".html").read_text(encoding="utf-8")
    everywhere = [raw, squeeze(raw), metadata, outline, html, *links, data.decode("latin-1")]
    if shutil.which("pdftotext"):  # a second reader, where poppler is installed
        second = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        everywhere += [second, squeeze(second)]
    return Read(squeeze(raw), raw, links, everywhere)


def docx_parts(path: Path) -> dict[str, str]:
    """Every XML part of the package (pictures, such as the map's PNG, hold no text)."""
    with zipfile.ZipFile(path) as package:
        return {
            name: package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith((".xml", ".rels"))
        }


def xml_text(xml: str) -> str:
    """The text of an XML part, one line per paragraph (runs of a paragraph join without a space)."""
    return re.sub(r"<[^>]*>", "", re.sub(r"</w:p>", "\n", xml))


def read_docx(path: Path) -> Read:
    parts = docx_parts(path)
    # every external relationship of every part (the body's hyperlinks live in word/_rels/document.xml.rels)
    links = {
        unescape(target.group(1))
        for name, xml in parts.items()
        if name.endswith(".rels")
        for rel in re.findall(r"<Relationship\b[^>]*>", xml)
        if 'TargetMode="External"' in rel
        for target in [re.search(r'Target="([^"]*)"', rel)]
        if target is not None
    }
    everywhere = [*parts.values(), *(xml_text(xml) for xml in parts.values())]
    text = xml_text(parts["word/document.xml"])
    return Read(text, text, links, everywhere)


def read(output: Path, audience: str, name: str, fmt: str) -> Read:
    path = output / audience / f"{name}.{fmt}"
    return read_pdf(path) if fmt == "pdf" else read_docx(path)


def tokens(read_back: Read) -> set[str]:
    return {match.group(0) for text in read_back.everywhere for match in TOKEN.finditer(text)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("sources") / "output"
    result = run_cli("build", "--content", TREE, "--output", output, "--html", "-j", "2")
    assert result.code == 0, result.stderr
    assert "warning" not in result.stderr
    return output


def test_fixture_sources_are_the_table() -> None:
    """The table above names the fixture's sources, in order, each with its three words."""
    data = yaml.safe_load((TREE / "instruments" / "source-release.yaml").read_text(encoding="utf-8"))
    names = []
    for source in data["sources"]:
        name = TOKEN.search(source["title"]).group(1)
        assert source["title"].startswith(f"QQ{name}TQQ")
        assert source["publisher"].startswith(f"QQ{name}PQQ")
        assert source["url"] == f"https://example.org/QQ{name}UQQ"
        names.append(name)
    assert names == list(LISTED_BY)
    # not vacuous: every audience with a sources section is denied some source and shown some
    for audience in ("analyst", "staff", "public"):
        assert listed(audience)
    assert set(listed("staff")) < set(listed("analyst")) and set(listed("public")) < set(listed("staff"))


TARGETS = [(audience, fmt) for audience in AUDIENCES for fmt in FORMATS]


@pytest.mark.slow
@pytest.mark.parametrize(("audience", "fmt"), TARGETS, ids=["/".join(t) for t in TARGETS])
def test_a_source_is_listed_only_where_cited_by_a_shown_item_or_uncited_and_cleared(
    built: Path, audience: str, fmt: str
) -> None:
    doc = read(built, audience, "source-release", fmt)
    expected = listed(audience)
    # every listed source shows its title and publisher, and its URL is a live link
    for name in expected:
        assert f"QQ{name}TQQ" in doc.text and f"QQ{name}PQQ" in doc.text, name
    assert doc.links == {f"https://example.org/QQ{name}UQQ" for name in expected}
    # and no word of any other source is anywhere in the output (text, metadata, HTML, every XML part)
    allowed = {f"QQ{name}{field}QQ" for name in expected for field in "TPU"}
    assert sorted(tokens(doc) - allowed) == []


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["analyst", "staff", "public"])
def test_listed_sources_are_numbered_from_1_in_file_order_and_citations_follow(
    built: Path, audience: str
) -> None:
    expected = listed(audience)
    numbers = {name: index + 1 for index, name in enumerate(expected)}
    pdf = read(built, audience, "source-release", "pdf")
    assert re.findall(r"\[(\d+)\]QQ([A-Z]+)TQQ", pdf.text) == [(str(n), name) for name, n in numbers.items()]
    html = (built / audience / "source-release.html").read_text(encoding="utf-8")
    assert re.findall(r'id="source-(\d+)"', html) == [str(n) for n in numbers.values()]
    assert {int(n) for n in re.findall(r'href="#source-(\d+)"', html)} <= set(numbers.values())
    # the public summary line cites pub-cited, whatever number it has now
    assert f"Publicsummaryline.[{numbers['PUBCITED']}]" in pdf.text
    memo = read(built, audience, "source-release", "docx")
    assert [m.group(1) for m in TOKEN.finditer(memo.text) if m.group(2) == "T"] == expected
    assert f"Public summary line. [{numbers['PUBCITED']}]" in memo.text
    for text in (pdf.text, memo.text):
        cited = {
            int(n) for group in re.findall(r"\[(\d+(?:,\s*\d+)*)\]", text) for n in re.split(r",\s*", group)
        }
        assert cited <= set(numbers.values()), (cited, numbers)
    if audience == "analyst":  # the file's own order, hidden nothing
        assert "Internalassessment.[1]" in pdf.text
        # the memo's portion mark on each source is the source's own level
        marks = dict((name, mark) for mark, name in re.findall(r"\(([PIR])\)\s*QQ([A-Z]+)TQQ", memo.text))
        assert marks == {
            "INTASSESS": "P",
            "PUBCITED": "P",
            "RESCITED": "R",
            "PUBUNCITED": "P",
            "INTCITED": "I",
            "INTUNCITED": "I",
            "RESUNCITED": "R",
            "PUBCHALLENGE": "P",
            "INTNOTE": "I",
        }
        assert f"Restrictedevent.[{numbers['RESCITED']},{numbers['PUBCITED']}]" in pdf.text


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_key_facts_count_only_the_listed_sources(built: Path, audience: str) -> None:
    pdf = read(built, audience, "source-release", "pdf")
    count = len(listed(audience))
    # the key-facts box reads "Sources: N listed" (its terms and values may come out in separate runs)
    assert re.findall(r"(\d+) listed", pdf.raw) == ([str(count)] if count else [])


def banner_of(output: Path, audience: str, name: str, fmt: str) -> str:
    path = output / audience / f"{name}.{fmt}"
    if fmt == "docx":
        document = docx.Document(path)
        header = document.sections[0].header.paragraphs[0].text
        assert document.core_properties.content_status == header
        return header
    marks = {
        line.strip()
        for page in pypdf.PdfReader(path).pages
        for line in page.extract_text().splitlines()
        if line.strip() in {"PUBLIC", "INTERNAL", "RESTRICTED"}
    }
    assert len(marks) == 1, marks
    return marks.pop()


@pytest.mark.slow
@pytest.mark.parametrize(("audience", "fmt"), TARGETS, ids=["/".join(t) for t in TARGETS])
def test_a_listed_source_counts_for_the_banner(built: Path, audience: str, fmt: str) -> None:
    """source-banner.yaml is public but for one uncited internal source: only documents listing it say
    INTERNAL."""
    doc = read(built, audience, "source-banner", fmt)
    lists_internal = audience in ("analyst", "staff")
    assert ("QQBANNERINTTQQ" in doc.text) is lists_internal
    assert any("QQBANNERINTTQQ" in text for text in doc.everywhere) is lists_internal
    assert banner_of(built, audience, "source-banner", fmt) == ("INTERNAL" if lists_internal else "PUBLIC")


def test_a_source_above_the_level_of_an_item_citing_it_is_an_error(tmp_path: Path) -> None:
    """A cited source is listed wherever its citing item is, so it may not sit above that item's level."""
    tree = tmp_path / "content"
    shutil.copytree(TREE, tree)
    path = tree / "instruments" / "source-banner.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("cite: [public-text]", "cite: [public-text, internal-note]"), encoding="utf-8"
    )
    result = run_cli("check", "--content", tree)
    assert result.code == 1
    errors = [line for line in result.stderr.splitlines() if re.match(r"^\S+:\d+:\d+: ", line)]
    assert [line.split("instruments/", 1)[1] for line in errors] == [
        "source-banner.yaml:10:54: cites source 'internal-note', which is internal: above this item's level"
        " (public)"
    ]


OAS = "oas-hemispheric-security"
SEED = ("ExploringMilitaryDiplomacy", "Unattributedwebarticle")  # the source only an internal item cites


@pytest.fixture(scope="module")
def oas_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("oas") / "output"
    audiences = [arg for audience in ("public", "staff", "analyst") for arg in ("--audience", audience)]
    result = run_cli("build", "--instrument", OAS, *audiences, "--output", output, "--html", "-j", "2")
    assert result.code == 0, result.stderr
    return output


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("audience", ["public", "staff", "analyst"])
def test_shipped_oas_lists_the_seed_article_only_where_its_internal_assessment_shows(
    oas_built: Path, audience: str, fmt: str
) -> None:
    """The seed article is cited only by an internal assessment paragraph: the public and staff documents
    (no assessment section) do not list it; the analyst file does."""
    doc = read(oas_built, audience, OAS, fmt)
    everything = " ".join(squeeze(text) for text in doc.everywhere)
    for word in SEED:
        assert (word in everything) is (audience == "analyst"), (word, audience, fmt)
    if fmt == "pdf":
        html = (oas_built / audience / f"{OAS}.html").read_text(encoding="utf-8")
        count = len(re.findall(r'<li id="source-\d+"', html))
        assert re.findall(r'id="source-(\d+)"', html) == [str(n) for n in range(1, count + 1)]
        assert re.findall(r"(\d+) listed", doc.raw) == [str(count)]
