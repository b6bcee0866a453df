"""Country briefs (`products/countries.py`, `atalaya.country`): one document per country an instrument
names, per audience whose views list it, made of those views only.

The fast tests check the views (who gets a brief, what it lists, its banner, which items name the country)
and render the templates without laying them out; the slow ones build the canary tree through the command
line (with items naming countries at every level added to a copy) and read every brief back: the files
each audience gets, canaries above the clearance in no part of any brief, the banner on every page, the
dates and roles shown, deterministic bytes and an incremental rebuild.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from atalaya.country import CountryView, InstrumentRef, make_country_view, membership_svg, mention_pattern
from atalaya.formats import get as get_format
from atalaya.model import Corpus, PartialDate, load_corpus
from atalaya.plan import all_targets, view_json
from atalaya.products import get as get_product
from atalaya.render import TemplateSet
from atalaya.select import make_view
from conftest import CONTENT, FIXTURES, TEMPLATES, run_cli

CANARY = FIXTURES / "canary"
TODAY = date(2026, 11, 20)
PRODUCT = get_product("countries")
LEVELS = ("public", "internal", "restricted")
CANARY_WORD = re.compile(r"ZZ([A-Z]{3})(PUB|INT|RES)ZZ")
LEVEL_OF = {"PUB": "public", "INT": "internal", "RES": "restricted"}
CLEARANCE = {"executive": "restricted", "analyst": "restricted", "staff": "internal", "public": "public"}

# The canary tree's briefs, from its audiences' sections and clearances: executive shows neither members
# nor partners, staff and public no partners; BR's and FR's rows are internal, CL's and ES's restricted.
EXPECTED_BRIEFS = {
    "analyst": {"AR", "BR", "CL", "ES", "FR", "NO"},
    "staff": {"AR", "BR"},
    "public": {"AR"},
    "executive": set(),
}

# Added to a copy of the canary tree: assessment and recommendations naming countries (by English,
# Spanish or Portuguese name, or by code), at every level, each with a canary word of its own.
NAMING_ITEMS = """
assessment:
  - ZZASSPUBZZ assessment.
  - {text: ZZASSINTZZ assessment., release: internal}
  - {text: ZZASSRESZZ assessment., release: restricted}
  - ZZCASPUBZZ Argentina hosts the combined staff.
  - {text: ZZCASINTZZ Brasil is wavering., release: internal}
  - {text: ZZCASRESZZ Chile may leave the accord., release: restricted}
  - {text: ZZCNOPUBZZ Argentinian and BRAZILIAN officers train together., release: public}
recommendations:
  - ZZRECPUBZZ recommendation.
  - {text: ZZRECINTZZ recommendation., release: internal}
  - {text: ZZRECRESZZ recommendation., release: restricted}
  - {text: ZZCREINTZZ Engage AR before the summit., release: internal}
  - {text: ZZCRERESZZ Press França on the observer seat., release: restricted}
"""
# Which brief each naming canary belongs in (ZZCNO... names no country as a word: in none).
NAMES = {
    "ZZCASPUBZZ": {"AR"},
    "ZZCASINTZZ": {"BR"},
    "ZZCASRESZZ": {"CL"},
    "ZZCREINTZZ": {"AR"},
    "ZZCRERESZZ": {"FR"},
    "ZZCNOPUBZZ": set(),
}
EXPECTED_BANNER = {
    ("analyst", "AR"): "internal",  # a public row, an internal recommendation naming it
    ("analyst", "BR"): "internal",
    ("analyst", "CL"): "restricted",
    ("analyst", "ES"): "restricted",
    ("analyst", "FR"): "restricted",  # an internal row, a restricted recommendation naming it
    ("analyst", "NO"): "public",
    ("staff", "AR"): "public",
    ("staff", "BR"): "internal",
    ("public", "AR"): "public",
}


def naming_tree(root: Path) -> Path:
    """A copy of the canary tree whose mixed accord's assessment and recommendations name countries."""
    content = root / "content"
    shutil.copytree(CANARY, content)
    path = content / "instruments" / "canary-mixed.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"assessment:\n(  - .*\n)+recommendations:\n(  - .*\n)+", NAMING_ITEMS.lstrip("\n"), text)
    assert "ZZCASPUBZZ" in text
    path.write_text(text, encoding="utf-8")
    return content


@pytest.fixture(scope="module")
def canary() -> Corpus:
    return load_corpus(CANARY, today=TODAY)


@pytest.fixture(scope="module")
def naming(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return load_corpus(naming_tree(tmp_path_factory.mktemp("naming")), today=TODAY)


@pytest.fixture(scope="module")
def shipped() -> Corpus:
    return load_corpus(CONTENT, today=TODAY)


# === the product and its views ============================================================================


def test_the_product_is_registered_for_the_build_command_without_a_budget() -> None:
    assert (PRODUCT.name, PRODUCT.command, PRODUCT.budgeted) == ("countries", "build", False)
    assert PRODUCT.stem("AR") == "countries/AR"
    pdf, docx = get_format("pdf"), get_format("docx")
    assert PRODUCT.template_names(pdf, "staff") == ["briefing/country.html.j2"]
    assert PRODUCT.template_names(docx, "staff") == ["memo/country.xml.j2"]


def test_subjects_are_every_country_named_and_audiences_those_whose_views_list_it(canary: Corpus) -> None:
    assert list(PRODUCT.subjects(canary)) == ["AR", "BR", "CL", "ES", "FR", "NO"]
    got = {
        audience: {code for code in PRODUCT.subjects(canary) if audience in PRODUCT.audiences(canary, code)}
        for audience in canary.audiences
    }
    assert got == EXPECTED_BRIEFS
    assert PRODUCT.source_file(canary, "AR").endswith("canary/countries.yaml")


def test_targets_lie_under_the_audiences_countries_folder(canary: Corpus) -> None:
    paths = sorted(t.path for t in all_targets(canary) if t.product.name == "countries")
    expected = sorted(
        f"{audience}/countries/{code}.{suffix}"
        for audience, codes in EXPECTED_BRIEFS.items()
        for code in codes
        for suffix in ("pdf", "docx")
    )
    assert paths == expected


def test_the_view_is_made_of_the_audience_views_only(canary: Corpus) -> None:
    staff = make_country_view(canary, "BR", "staff", "en")
    mixed = make_view(canary, canary.instruments["canary-mixed"], "staff")
    assert [entry.instrument for entry in staff.entries] == [InstrumentRef.of(mixed)]
    assert staff.entries[0].instrument.title == "Canary Mixed Accord (CMA)"
    assert staff.entries[0].members == tuple(row for row in mixed.members if row.code == "BR")
    assert (staff.banner, staff.name, staff.kind) == ("internal", "Brazil", "country")
    assert staff.id == staff.code == "BR"
    # AR: two instruments by name, each with its public member row; nothing above public shown.
    public = make_country_view(canary, "AR", "public", "en")
    assert [entry.name for entry in public.entries] == ["Canary Mixed Accord", "Canary Note Forum"]
    assert [entry.state for entry in public.entries] == ["member", "member"]
    assert public.banner == "public" and public.as_of == date(2026, 11, 1)
    assert public.entries[0].members[0].periods[0].joined == PartialDate(2001, 3, 4)
    # Partners only where the audience shows partners, rows only within its clearance.
    assert make_country_view(canary, "NO", "staff", "en").entries == ()
    assert make_country_view(canary, "CL", "staff", "en").entries == ()
    analyst = make_country_view(canary, "ES", "analyst", "en")
    assert [(e.state, e.partners[0].level) for e in analyst.entries] == [("partner", "restricted")]
    assert analyst.banner == "restricted"


def test_items_naming_the_country_are_listed_within_the_audiences_view(naming: Corpus) -> None:
    def words(view: CountryView) -> set[str]:
        return {
            CANARY_WORD.search(item.text).group(0)  # type: ignore[union-attr]
            for entry in view.entries
            for item in (*entry.assessment, *entry.recommendations)
        }

    for audience, codes in EXPECTED_BRIEFS.items():
        for code in codes:
            view = make_country_view(naming, code, audience, "en")
            expected = {
                word
                for word, named in NAMES.items()
                if code in named
                and audience == "analyst"  # staff and public show neither assessment nor recommendations
                and LEVELS.index(LEVEL_OF[word[5:8]]) <= LEVELS.index(CLEARANCE[audience])
            }
            assert words(view) == expected, (audience, code)
            assert view.banner == EXPECTED_BANNER[(audience, code)], (audience, code)


def test_a_country_is_named_by_any_of_its_names_or_its_code_as_a_word(shipped: Corpus) -> None:
    dominica, dominican, brazil, canada = (mention_pattern(shipped, c) for c in ("DM", "DO", "BR", "CA"))
    assert dominica.search("Dominica joined in 1979.")
    assert not dominica.search("The Dominican Republic hosts it.")
    assert dominican.search("The Dominican Republic hosts it.") and dominican.search("República Dominicana.")
    assert (
        brazil.search("Brasil lidera.") and brazil.search("Talks with BR.") and brazil.search("Brazil's navy")
    )
    assert not brazil.search("BRAZILIAN officers") and not brazil.search("Brazilian officers")
    assert not canada.search("The CA-4 border agreement") and canada.search("Canadá participa.")


def test_defunct_instruments_end_the_memberships_in_them(shipped: Corpus) -> None:
    view = make_country_view(shipped, "AR", "analyst", "en")
    minustah = next(entry for entry in view.entries if entry.instrument.acronym == "MINUSTAH")
    assert minustah.instrument.status == "defunct" and minustah.state == "former"
    assert all(period.left == minustah.instrument.status_since for period in minustah.periods)


def test_every_shipped_country_brief_has_a_view_with_content(shipped: Corpus) -> None:
    counts = {audience: 0 for audience in shipped.audiences}
    for code in PRODUCT.subjects(shipped):
        for audience in PRODUCT.audiences(shipped, code):
            view = PRODUCT.view(shipped, code, audience, "en")
            assert view.entries and all(entry.rows for entry in view.entries)
            assert view.banner in LEVELS and view.as_of > date(2000, 1, 1)
            assert view_json(view) == view_json(PRODUCT.view(shipped, code, audience, "en"))
            counts[audience] += 1
    # Every state any instrument names, for each audience that shows members and partners.
    assert counts == {"executive": 0, "analyst": 72, "staff": 72, "public": 72}


def test_the_membership_timeline_is_deterministic_escaped_and_drawn_from_the_view(shipped: Corpus) -> None:
    view = make_country_view(shipped, "BR", "analyst", "en")
    svg = membership_svg(view)
    assert svg == membership_svg(view)
    assert svg.startswith("<svg") and svg.count("<rect") >= len(view.dated)
    assert "Membership timeline of Brazil" in svg
    hostile = CountryView(**{**vars(view), "name": "<script>&"})
    assert "<script>" not in membership_svg(hostile) and "&lt;script&gt;&amp;" in membership_svg(hostile)
    partner_only = make_country_view(shipped, "FR", "analyst", "en")
    assert not partner_only.dated or membership_svg(partner_only)


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_the_templates_render_every_label_through_the_catalogue(shipped: Corpus, language: str) -> None:
    templates = TemplateSet(TEMPLATES, language=language)
    for code, audience in (("BR", "analyst"), ("US", "staff"), ("FR", "public")):
        view = PRODUCT.view(shipped, code, audience, language)
        html = templates.render("briefing/country.html.j2", {"view": view, "fit": 0, "paper": "A4"})
        xml = templates.render("memo/country.xml.j2", {"view": view})
        assert view.name in html and view.name in xml
    assert templates.catalogue.missing == []
    if language == "es":
        assert "Ficha país" in html and "Brasil" in PRODUCT.view(shipped, "BR", "analyst", "es").name


# === building: the canary tree through the command line ====================================================

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back")
docx = pytest.importorskip("docx", reason="python-docx reads the memos back")


def build(content: Path, output: Path) -> str:
    result = run_cli("build", "--content", content, "--output", output, "--html", "-j", "2")
    assert result.code == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    return result.stderr


@dataclass(frozen=True)
class Built:
    first: Path
    """The naming tree's build."""
    second: Path
    """The same tree built again into another folder."""
    again: str
    """The messages of building it once more into the first folder."""
    edited: str
    """The messages of building it into the first folder after an edit no country brief shows."""
    before_edit: dict[str, bytes]
    """The first folder's briefs before that edit."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("country-briefs")
    content = naming_tree(root)
    first, second = root / "first", root / "second"
    build(content, first)
    build(content, second)
    again = build(content, first)
    before = {str(path.relative_to(first)): path.read_bytes() for path in briefs(first)}
    # A restricted recommendation naming no country: the analyst's and executive's instrument briefs change,
    # no country brief does (its view holds only the items naming the country).
    mixed = content / "instruments" / "canary-mixed.yaml"
    text = mixed.read_text(encoding="utf-8")
    old = "  - {text: ZZRECRESZZ recommendation., release: restricted}"
    assert old in text
    mixed.write_text(
        text.replace(old, old.replace("recommendation.", "recommendation revised.")), encoding="utf-8"
    )
    edited = build(content, first)
    return Built(first, second, again, edited, before)


def briefs(output: Path) -> list[Path]:
    return sorted(p for p in output.glob("*/countries/*") if p.suffix in (".pdf", ".docx"))


def pdf_texts(path: Path) -> list[str]:
    """Every text a PDF brief carries: pypdf's and pdftotext's reading, its metadata and outline, its kept
    HTML and the raw bytes."""
    data = path.read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(data))
    texts = ["\n".join(page.extract_text() for page in reader.pages)]
    if shutil.which("pdftotext"):
        texts.append(
            subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        )
    texts.append(" ".join(str(value) for value in (reader.metadata or {}).values()))
    texts.append(repr(reader.outline))
    texts.append(path.with_suffix(".html").read_text(encoding="utf-8"))
    texts.append(data.decode("latin-1"))
    return texts


def docx_texts(path: Path) -> list[str]:
    """Every XML part of a Word brief, as XML and as its text."""
    with zipfile.ZipFile(path) as package:
        parts = [package.read(n).decode("utf-8") for n in package.namelist() if n.endswith((".xml", ".rels"))]
    return [*parts, *(re.sub(r"<[^>]*>", "", part) for part in parts)]


def docx_body(path: Path) -> str:
    """The text of a Word brief's body."""
    with zipfile.ZipFile(path) as package:
        return re.sub(r"<[^>]*>", "", package.read("word/document.xml").decode("utf-8"))


def texts_of(path: Path) -> list[str]:
    return pdf_texts(path) if path.suffix == ".pdf" else docx_texts(path)


def squeeze(text: str) -> str:
    return "".join(re.sub(r"[-\u00ad]\s*\n", "", text).split())


@pytest.mark.slow
def test_each_audience_gets_a_brief_on_exactly_the_countries_its_views_list(
    built: Built,
) -> None:
    first = built.first
    got = {audience: set() for audience in EXPECTED_BRIEFS}
    for path in briefs(first):
        audience = path.parent.parent.name
        got[audience].add(path.name)
    assert got == {
        audience: {f"{code}.{suffix}" for code in codes for suffix in ("pdf", "docx")}
        for audience, codes in EXPECTED_BRIEFS.items()
    }


@pytest.mark.slow
def test_no_canary_above_the_clearance_is_in_any_part_of_any_brief(built: Built) -> None:
    first = built.first
    checked = 0
    for path in briefs(first):
        audience = path.parent.parent.name
        texts = texts_of(path)
        found = {match.group(0) for text in texts for match in CANARY_WORD.finditer(text)}
        above = {w for w in found if LEVELS.index(LEVEL_OF[w[5:8]]) > LEVELS.index(CLEARANCE[audience])}
        assert above == set(), path
        if audience in ("staff", "public"):
            # The restricted member is named nowhere in their briefs, in any language.
            assert not any(re.search(r"\bChile\b", text) for text in texts), path
            assert not any(re.search(r"ZZ(ROL|CAS)RESZZ|ZZPAR", text) for text in texts), path
        checked += 1
    assert checked == 2 * sum(len(codes) for codes in EXPECTED_BRIEFS.values())


@pytest.mark.slow
def test_each_brief_shows_what_its_view_holds(built: Built) -> None:
    first = built.first
    corpus = load_corpus(naming_tree(first.parent / "again"), today=TODAY)
    for path in briefs(first):
        audience, code = path.parent.parent.name, path.stem
        view = make_country_view(corpus, code, audience, "en")
        shown = {
            match.group(0)
            for entry in view.entries
            for text in (
                *(row.role or "" for row in entry.rows),
                *(item.text for item in (*entry.assessment, *entry.recommendations)),
            )
            for match in CANARY_WORD.finditer(text)
        }
        body = squeeze(texts_of(path)[0] if path.suffix == ".pdf" else docx_body(path))
        assert sorted(w for w in shown if w not in body) == [], path
        for entry in view.entries:
            assert squeeze(entry.name) in squeeze(body), (path, entry.name)


@pytest.mark.slow
def test_the_banner_is_the_highest_level_shown_on_every_page(built: Built) -> None:
    first = built.first
    for (audience, code), level in EXPECTED_BANNER.items():
        banner = level.upper()
        reader = pypdf.PdfReader(first / audience / "countries" / f"{code}.pdf")
        for page in reader.pages:
            marks = [
                line.strip()
                for line in page.extract_text().splitlines()
                if line.strip() in {"PUBLIC", "INTERNAL", "RESTRICTED"}
            ]
            assert set(marks) == {banner} and len(marks) >= 2, (audience, code, marks)
        memo = docx.Document(first / audience / "countries" / f"{code}.docx")
        assert memo.sections[0].header.paragraphs[0].text == banner
        assert memo.sections[0].footer.paragraphs[-1].text == banner
        assert memo.core_properties.content_status == banner
        assert memo.core_properties.identifier == f"{code}/{audience}"


@pytest.mark.slow
def test_the_public_brief_on_argentina_lists_its_memberships_with_dates_and_roles(
    built: Built,
) -> None:
    first = built.first
    text = subprocess.run(
        ["pdftotext", str(first / "public" / "countries" / "AR.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    assert "Argentina" in flat and "Country brief".upper() in flat.upper()
    assert "Canary Mixed Accord" in flat and "Canary Note Forum" in flat
    assert "Since 4 March 2001" in flat and "ZZROLPUBZZ role." in flat
    assert "Memberships and partnerships" in flat
    memo = docx.Document(first / "public" / "countries" / "AR.docx")
    cells = [cell.text for table in memo.tables for row in table.rows for cell in row.cells]
    assert any("Canary Mixed Accord" in c for c in cells) and any("Since 4 March 2001" in c for c in cells)
    assert any("ZZROLPUBZZ role." in c for c in cells)
    assert memo.core_properties.title == "Argentina"


@pytest.mark.slow
def test_briefs_are_deterministic_and_rebuilt_only_when_their_inputs_change(
    built: Built,
) -> None:
    for name, data in built.before_edit.items():
        assert data == (built.second / name).read_bytes(), name
    assert "0 to build" in built.again, built.again
    assert "/countries/" not in built.again


@pytest.mark.slow
def test_an_edit_no_brief_shows_rebuilds_no_brief(built: Built) -> None:
    rebuilt = sorted(re.findall(r"\] (\S+) \(", built.edited))
    assert "analyst/canary-mixed.pdf" in rebuilt and "executive/canary-mixed.docx" in rebuilt, rebuilt
    assert [name for name in rebuilt if "/countries/" in name] == []
    after = {str(path.relative_to(built.first)): path.read_bytes() for path in briefs(built.first)}
    assert after == built.before_edit
