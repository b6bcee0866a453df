"""The index pages and the job summary show each audience only what its documents may show.

Built from tests/fixtures/canary (DOCX only, fast): canary-secret is an internal file whose name carries the
canary ZZRELINTZZ; canary-mixed holds one canary word per level in every prose field. The top index and
the default (lowest-clearance) summary are what every reader of the repository or the site sees.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from lxml import etree

from conftest import FIXTURES, GOOD, ROOT, TEMPLATES, run_cli

if TYPE_CHECKING:
    from atalaya.model import Corpus

CANARY = FIXTURES / "canary"
# The canary tree's audiences, as audiences.yaml spells them.
AUDIENCES = {
    "executive": ("Executive", "Senior decision-makers.", "EXECUTIVE DISTRIBUTION", "restricted"),
    "analyst": ("Analyst", "The full file.", "ANALYST FILE", "restricted"),
    "staff": ("Staff", "Military staff.", "STAFF USE", "internal"),
    "public": ("Public", "Public release.", "PUBLIC RELEASE", "public"),
}
# The highest level in any document each audience gets of the canary tree (canary-mixed has restricted
# summary items that the executive and analyst views keep; staff's internal items; public's nothing more).
BANNERS = {"executive": "restricted", "analyst": "restricted", "staff": "internal", "public": "public"}
# The countries whose brief each audience gets: those its views name as member or partner (the public's
# sections show members, not partners; the staff's none above internal; the executive's neither section).
COUNTRY_BRIEFS = {
    "executive": [],
    "analyst": ["AR", "BR", "CL", "ES", "FR", "NO"],
    "staff": ["AR", "BR"],
    "public": ["AR"],
}
# The names of the countries that canary-mixed lists only above public (BR, CL, FR, ES) or in a section the
# public is not shown (NO, a partner): none may reach what the public sees.
NOT_PUBLIC_COUNTRIES = ("Brazil", "Chile", "France", "Spain", "Norway")
INTERNAL_FILE = "canary-secret"
INTERNAL_NAME = "ZZRELINTZZ Council"
ABOVE_PUBLIC = re.compile(r"ZZ[A-Z]{3}(INT|RES)ZZ")


def index_pages(content: Path, output: Path) -> dict[str, str]:
    """The index pages the engine writes after a full build of `content` into `output`."""
    from atalaya.manifest import MANIFEST_NAME
    from atalaya.model import load_corpus
    from atalaya.output import read_manifest
    from atalaya.publish import index_pages
    from atalaya.render import TemplateSet

    manifest = read_manifest(output / MANIFEST_NAME)
    return index_pages(load_corpus(content), manifest, TemplateSet(TEMPLATES))


def build_docx(content: Path, output: Path) -> Path:
    """A DOCX-only build (fast), plus the index pages a full build would write (a filtered one writes none)."""
    done = run_cli("build", "--content", content, "--output", output, "--format", "docx", "-j", "1")
    assert done.code == 0, done.stderr
    for relative, page in index_pages(content, output).items():
        (output / relative).write_text(page, encoding="utf-8")
    return output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_docx(CANARY, tmp_path_factory.mktemp("canary") / "output")


def parse(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(path.read_bytes(), parser)


def links(page: etree._Element) -> list[str]:
    return sorted(a.get("href") for a in page.iter("{*}a", "a"))


def banners(page: etree._Element) -> list[tuple[str, str, str]]:
    """(class, level text, marking text) of each handling banner, in page order."""
    found = []
    for div in page.iter("div"):
        classes = div.get("class", "").split()
        if "banner" in classes:
            texts = ["".join(p.itertext()).strip() for p in div.iter("p")]
            found.append((" ".join(classes), texts[0], texts[1] if len(texts) > 1 else ""))
    return found


def targets_of(output: Path, audience: str, product: str | None = None) -> list[str]:
    """The output-relative paths of the audience's documents in the manifest (of one product if given)."""
    data = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    return sorted(
        t["path"]
        for t in data["targets"]
        if t["audience"] == audience and (product is None or t["product"] == product)
    )


@dataclass(frozen=True)
class Row:
    name: str  # the first cell's text
    handling: str | None  # the level of the handling cell (`level-internal`), where the table has one
    links: tuple[str, ...]


def tables(page: etree._Element) -> dict[str, list[Row]]:
    """The rows of each table in the page's main part, by the heading of its first column (Instrument for
    the briefs, Book for the briefing book, Country for the country briefs); one group per page here."""
    found: dict[str, list[Row]] = {}
    for table in page.iter("table"):
        key = "".join(table.find("thead").find("tr").find("th").itertext()).strip()
        assert key not in found, key
        rows = []
        for tr in table.find("tbody").iter("tr"):
            cells = tr.findall("td")
            levels = [
                c.get("class", "").removeprefix("level-")
                for c in cells
                if c.get("class", "").startswith("level-")
            ]
            assert len(levels) <= 1, levels
            rows.append(
                Row(
                    name="".join(cells[0].itertext()).strip(),
                    handling=levels[0] if levels else None,
                    links=tuple(a.get("href") for a in tr.iter("a")),
                )
            )
        found[key] = rows
    return found


def listed_view(corpus: Corpus, audience: str, document: str) -> Any:
    """The audience's view behind a document its index lists (`canary-mixed.docx`, `book.docx`,
    `countries/AR.docx`, relative to the audience's folder), made directly from the view builders."""
    from atalaya.book import make_book_view
    from atalaya.country import make_country_view
    from atalaya.select import make_view

    stem = document.rsplit(".", 1)[0]
    if stem == "book":
        return make_book_view(corpus, audience)
    if stem.startswith("countries/"):
        return make_country_view(corpus, stem.removeprefix("countries/"), audience, "en")
    return make_view(corpus, corpus.instruments[stem], audience)


# --- the index pages ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_top_index_shows_nothing_above_public(built: Path) -> None:
    text = (built / "index.html").read_text(encoding="utf-8")
    page = parse(built / "index.html")
    assert not ABOVE_PUBLIC.search(text)
    assert INTERNAL_NAME not in text and INTERNAL_FILE not in text
    shown = "".join(page.find("body").itertext()).upper()
    assert "INTERNAL" not in shown and "RESTRICTED" not in shown
    for name, (title, description, marking, clearance) in AUDIENCES.items():
        if clearance != "public":
            assert title not in text and description not in text and marking not in text, name
    body = [child for child in page.find("body") if isinstance(child.tag, str)]
    assert body[0] is not body[-1]
    for element in (body[0], body[-1]):  # a banner at the top and at the bottom
        assert "banner-public" in element.get("class", "").split()
    assert banners(page) == [("banner banner-public", "PUBLIC", "PUBLIC RELEASE")] * 2
    # The public documents (briefs, book, country briefs), and each audience's own index by folder name.
    expected = targets_of(built, "public") + [f"{name}/index.html" for name in AUDIENCES]
    assert links(page) == sorted(expected)
    for link in links(page):
        assert (built / link).is_file(), link
    labels = {a.get("href"): "".join(a.itertext()) for a in page.iter("a")}
    for name in AUDIENCES:
        assert labels[f"{name}/index.html"] == name
    # The book and country-brief rows are the public's, made from the public's views, which are all public.
    shown = tables(page)
    assert shown["Book"] == [Row("Briefing book", None, ("public/book.docx",))]
    assert shown["Country"] == [Row("Argentina", None, ("public/countries/AR.docx",))]
    from atalaya.model import load_corpus

    corpus = load_corpus(CANARY)
    for rows in shown.values():
        for row in rows:
            assert not ABOVE_PUBLIC.search(row.name), row
            for link in row.links:
                assert listed_view(corpus, "public", link.removeprefix("public/")).banner == "public", link


@pytest.mark.slow
@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_each_audience_index_carries_its_banner_marking_and_only_its_documents(
    built: Path, audience: str
) -> None:
    path = built / audience / "index.html"
    page = parse(path)
    level = BANNERS[audience]
    marking = AUDIENCES[audience][2]
    assert banners(page) == [(f"banner banner-{level}", level.upper(), marking)] * 2
    body = [child for child in page.find("body") if isinstance(child.tag, str)]
    assert f"banner-{level}" in body[0].get("class", "") and f"banner-{level}" in body[-1].get("class", "")
    documents = [link for link in links(page) if link != "../index.html"]
    assert documents == sorted(p.split("/", 1)[1] for p in targets_of(built, audience))
    for link in documents:
        assert (path.parent / link).is_file(), link
    # Its banner is the highest level of everything it lists (briefs, book, country briefs), each taken
    # from the audience's own view of it; each row's handling cell is that view's banner.
    from atalaya.model import level_rank, load_corpus

    corpus = load_corpus(CANARY)
    views = {document: listed_view(corpus, audience, document) for document in documents}
    assert "book.docx" in views
    assert max((v.banner for v in views.values()), key=level_rank) == level
    rows = [row for found in tables(page).values() for row in found]
    assert sorted(link for row in rows for link in row.links) == documents
    for row in rows:
        for link in row.links:
            assert row.handling == views[link].banner, (row, link)
    text = path.read_text(encoding="utf-8")
    for name, (_, _, other_marking, _) in AUDIENCES.items():
        if name != audience:
            assert other_marking not in text and f"{name}/" not in text, name
    assert AUDIENCES[audience][0] in text


@pytest.mark.slow
@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_each_audience_index_lists_its_book_and_exactly_its_country_briefs(
    built: Path, audience: str
) -> None:
    from atalaya.book import book_audiences
    from atalaya.country import audiences_of, country_codes
    from atalaya.model import load_corpus

    corpus = load_corpus(CANARY)
    codes = [code for code in country_codes(corpus) if audience in audiences_of(corpus, code)]
    assert codes == COUNTRY_BRIEFS[audience]
    assert audience in book_audiences(corpus)  # every canary audience is cleared for a public instrument
    path = built / audience / "index.html"
    text = path.read_text(encoding="utf-8")
    shown = tables(parse(path))
    book = listed_view(corpus, audience, "book.docx")
    assert shown["Book"] == [Row("Briefing book", book.banner, ("book.docx",))]
    if codes:
        assert "<h3>Country briefs</h3>" in text
        assert shown["Country"] == [
            Row(
                listed_view(corpus, audience, f"countries/{code}.docx").name,
                listed_view(corpus, audience, f"countries/{code}.docx").banner,
                (f"countries/{code}.docx",),
            )
            for code in codes
        ]
    else:
        assert "Country" not in shown
        assert "Country briefs" not in text and "countries/" not in text
    # The manifest agrees with the page, and every link leads to its document.
    assert targets_of(built, audience, "book") == [f"{audience}/book.docx"]
    assert targets_of(built, audience, "countries") == [f"{audience}/countries/{code}.docx" for code in codes]
    for row in (*shown["Book"], *shown.get("Country", [])):
        for link in row.links:
            assert (path.parent / link).is_file(), link


@pytest.mark.slow
def test_a_full_build_writes_every_index_page(tmp_path: Path) -> None:
    output = tmp_path / "output"
    done = run_cli("build", "--content", CANARY, "--output", output)
    assert done.code == 0, done.stderr
    pages = index_pages(CANARY, output)
    assert sorted(pages) == sorted(["index.html", *(f"{name}/index.html" for name in AUDIENCES)])
    for relative, page in pages.items():
        assert (output / relative).read_text(encoding="utf-8") == page, relative
    top = (output / "index.html").read_text(encoding="utf-8")
    assert not ABOVE_PUBLIC.search(top) and INTERNAL_NAME not in top
    assert 'href="public/canary-public.pdf"' in top
    assert 'href="canary-secret.pdf"' in (output / "staff" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_public_index_lists_no_internal_instrument(built: Path) -> None:
    text = (built / "public" / "index.html").read_text(encoding="utf-8")
    assert not ABOVE_PUBLIC.search(text)
    assert INTERNAL_NAME not in text and INTERNAL_FILE not in text
    assert "Canary Public Board" in text and "Canary Mixed Accord (CMA)" in text


@pytest.mark.slow
def test_staff_index_lists_the_internal_instrument_under_its_internal_banner(built: Path) -> None:
    text = (built / "staff" / "index.html").read_text(encoding="utf-8")
    assert INTERNAL_NAME in text and 'href="canary-secret.docx"' in text
    assert "RESTRICTED" not in "".join(parse(built / "staff" / "index.html").find("body").itertext())


# --- the job summary ---------------------------------------------------------------------------------


def summary(output: Path, *args: str | Path, content: Path = CANARY) -> tuple[int, str, str]:
    done = run_cli("summary", "--content", content, "--output", output, *args)
    return done.code, done.stdout, done.stderr


@pytest.mark.slow
def test_summary_defaults_to_the_lowest_clearance_and_shows_only_what_it_may_see(
    built: Path, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(CANARY, content)
    office = content / "office.yaml"
    office.write_text(
        office.read_text(encoding="utf-8").replace("stale_after_days: 3650", "stale_after_days: 1"),
        encoding="utf-8",
    )
    previous = tmp_path / "previous.json"
    data = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    template = next(t for t in data["targets"] if t["target"] == "public/canary-public.docx")
    for audience, instrument in (("staff", "gone-staff"), ("public", INTERNAL_FILE), ("public", "gone")):
        name = f"{audience}/{instrument}.docx"
        data["targets"].append(
            {**template, "target": name, "path": name, "audience": audience, "subject": instrument}
        )
    # A country brief the public had and no longer has (the country may no longer be shown to it).
    name = "public/countries/BR.docx"
    data["targets"].append(
        {**template, "target": name, "path": name, "product": "countries", "subject": "BR"}
    )
    previous.write_text(json.dumps(data), encoding="utf-8")

    code, out, err = summary(built, "--previous", previous, content=content)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "**PUBLIC**" and lines[-1] == "**PUBLIC**"
    assert "PUBLIC RELEASE" in out
    assert not ABOVE_PUBLIC.search(out)
    assert INTERNAL_FILE not in out and "ZZRELINTZZ" not in out
    assert "gone" not in out  # removed documents of no longer released content are counted, not named
    assert "BR.docx" not in out and "Brazil" not in out
    for name, (title, _, marking, clearance) in AUDIENCES.items():
        if clearance != "public":
            assert title not in out and marking not in out and f"{name}/" not in out, name
    assert "| Canary Public Board | 2026-11-01 | – | DOCX |" in out
    assert "| Briefing book | 2026-11-01 | – | DOCX |" in lines
    assert "Country briefs: 1 country, 1 document (0 new or changed) in `countries/`." in lines
    # three briefs, the book and one country brief
    assert "5 documents; 0 new or changed since the previous run." in out
    assert "Removed since the previous run: 3 no longer released to this audience" in out
    overdue = out.split("### Overdue for review", 1)[1]
    assert "`canary-public.yaml`" in overdue and "`canary-mixed.yaml`" in overdue
    assert "canary-secret.yaml" not in overdue


@pytest.mark.slow
def test_summary_of_a_named_audience_shows_its_documents_under_its_banner(built: Path) -> None:
    code, out, err = summary(built, "--audience", "staff")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "**INTERNAL**" and lines[-1] == "**INTERNAL**"
    assert "STAFF USE" in out and "ZZRELINTZZ Council" in out
    assert "| Briefing book | 2026-11-01 | – | DOCX **new** |" in lines
    assert "Country briefs: 2 countries, 2 documents (2 new or changed) in `countries/`." in lines
    # four briefs, the book and two country briefs
    assert "7 documents; 7 new or changed since the previous run." in out
    assert "RESTRICTED" not in out and "ANALYST FILE" not in out


def docx_xml(path: Path) -> str:
    """The main part of a Word document, as text (enough to look for a canary word in it)."""
    with zipfile.ZipFile(path) as package:
        return package.read("word/document.xml").decode("utf-8")


@pytest.mark.slow
def test_no_canary_above_public_reaches_the_top_index_or_the_default_summary(built: Path) -> None:
    # The canaries are live: the analyst's book and country briefs carry words above public.
    assert ABOVE_PUBLIC.search(docx_xml(built / "analyst" / "book.docx"))
    assert ABOVE_PUBLIC.search(docx_xml(built / "analyst" / "countries" / "BR.docx"))
    assert "Brazil" in (built / "analyst" / "index.html").read_text(encoding="utf-8")

    top = (built / "index.html").read_text(encoding="utf-8")
    shown = tables(parse(built / "index.html"))
    new_rows = [*shown["Book"], *shown["Country"]]
    assert [row.links for row in new_rows] == [("public/book.docx",), ("public/countries/AR.docx",)]
    for row in new_rows:
        assert not ABOVE_PUBLIC.search(row.name), row
        assert row.name not in NOT_PUBLIC_COUNTRIES, row
    assert not ABOVE_PUBLIC.search(top)
    for name in NOT_PUBLIC_COUNTRIES:
        assert name not in top, name

    code, out, err = summary(built)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "**PUBLIC**" and lines[-1] == "**PUBLIC**"
    [book_row] = [line for line in lines if line.startswith("| Briefing book |")]
    assert book_row == "| Briefing book | 2026-11-01 | – | DOCX **new** |"
    [country_line] = [line for line in lines if line.startswith("Country briefs:")]
    assert country_line == "Country briefs: 1 country, 1 document (1 new or changed) in `countries/`."
    assert not ABOVE_PUBLIC.search(out)
    for name in NOT_PUBLIC_COUNTRIES:
        assert name not in out, name


@pytest.mark.slow
def test_summary_of_the_analyst_shows_its_book_row_and_its_country_briefs(built: Path) -> None:
    code, out, err = summary(built, "--audience", "analyst")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "**RESTRICTED**" and lines[-1] == "**RESTRICTED**"
    assert "ANALYST FILE" in out
    table = [line for line in lines if line.startswith("| ") and not line.startswith("| Instrument |")]
    # the briefs by instrument name, then the audience's book
    assert [row.split(" | ")[0] for row in table] == [
        "| Canary Mixed Accord",
        "| Canary Note Forum",
        "| Canary Public Board",
        "| ZZRELINTZZ Council",
        "| Briefing book",
    ]
    assert table[-1] == "| Briefing book | 2026-11-01 | – | DOCX **new** |"
    assert "Country briefs: 6 countries, 6 documents (6 new or changed) in `countries/`." in lines
    # four briefs, the book and six country briefs
    assert "11 documents; 11 new or changed since the previous run." in out


@pytest.mark.slow
def test_summary_refuses_an_unknown_audience_with_the_choices(built: Path) -> None:
    code, out, err = summary(built, "--audience", "press")
    assert code == 2 and out == ""
    assert "unknown audience 'press'; choose from: analyst, executive, public, staff" in err


@pytest.mark.slow
def test_summary_reports_a_missing_previous_manifest(built: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "manifest.json"
    code, out, err = summary(built, "--previous", missing)
    assert code == 1 and out == ""
    assert f"{missing}:0:0: previous manifest not found (--previous)" in err
    assert "Traceback" not in err


def test_markdown_escaping_of_content_text() -> None:
    from atalaya.publish import md

    assert md("a|b") == "a\\|b"
    assert md("<script>x</script>") == "&lt;script&gt;x&lt;\\/script&gt;"
    assert md("[x](http://e)") == "\\[x\\]\\(http\\:\\/\\/e\\)"
    assert md("`*_~!&") == "\\`\\*\\_\\~\\!&amp;"
    assert md("one\r\ntwo\nthree\rfour\u2028five") == "one two three four five"
    assert md("Tratado Interamericano de Assistência Recíproca") == (
        "Tratado Interamericano de Assistência Recíproca"
    )


HOSTILE_NAME = "Alpha | <script>alert(1)</script> [x](http://e) `tick` *b* _i_\nNext line"


@pytest.mark.slow
def test_summary_and_indexes_escape_a_hostile_instrument_name(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(GOOD, content)
    alpha = content / "instruments" / "alpha-pact.yaml"
    text = alpha.read_text(encoding="utf-8")
    assert "\nname: Alpha Pact\n" in text
    alpha.write_text(text.replace("\nname: Alpha Pact\n", f"\nname: {json.dumps(HOSTILE_NAME)}\n"), "utf-8")
    output = build_docx(content, tmp_path / "output")

    code, out, err = summary(output, content=content)
    assert code == 0, err
    rows = [line for line in out.splitlines() if "Alpha" in line]
    assert len(rows) == 1, out  # the line break did not split the row
    row = rows[0]
    assert "Next line" in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # four cells: no pipe from the name splits one
    name_cell = row.split(" | 2026-11-01 |", 1)[0]
    assert "<" not in name_cell and ">" not in name_cell
    assert not re.search(r"(?<!\\)[\[\]`*_]", name_cell)  # no link, code span or emphasis can open
    assert "](http" not in name_cell and "http://" not in name_cell
    assert row.startswith(
        "| Alpha \\| &lt;script&gt;alert\\(1\\)&lt;\\/script&gt; \\[x\\]\\(http\\:\\/\\/e\\) "
        "\\`tick\\` \\*b\\* \\_i\\_ Next line | 2026-11-01 |"
    )

    for page in (output / "index.html", output / "public" / "index.html", output / "analyst" / "index.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
        parse(page)


def test_the_workflow_publishes_the_default_summary_only() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "briefings.yml").read_text(encoding="utf-8"))
    runs = [step.get("run", "") for step in workflow["jobs"]["publish"]["steps"]]
    [command] = [run for run in runs if "build.py summary" in run]
    assert "--audience" not in command
    assert "$GITHUB_STEP_SUMMARY" in command
