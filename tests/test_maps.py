"""The map of the Americas (atalaya.maps): one path per state, members shaded, former members hatched,
partners outlined, small states marked, legend and notes, alternative text, editions, deterministic bytes,
releasability (a public view's map shows nothing above public), the vendored data, and the map in the
briefing HTML and as a picture with its alternative text in the Word memo."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tomllib
import zipfile
from datetime import date
from importlib import resources
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type information
from PIL import Image

from atalaya.errors import TemplateError
from atalaya.formats.docx import DOCX
from atalaya.formats.docx.memo_xml import parse_memo
from atalaya.formats.docx.writer import DocxWriter
from atalaya.i18n import catalogue
from atalaya.maps import PNG_SCALE, WIDTH, MapFigure, americas_map, view_states
from atalaya.model import Corpus, load_corpus
from atalaya.products.brief import BRIEF
from atalaya.render import TemplateSet
from atalaya.select import View, make_view
from conftest import CONTENT, FIXTURES, ROOT, TEMPLATES

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 12, 1)
EASTERN_CARIBBEAN = ("AG", "BB", "DM", "GD", "KN", "LC", "VC", "TT")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(CONTENT, today=TODAY)


@pytest.fixture(scope="module")
def canary() -> Corpus:
    return load_corpus(FIXTURES / "canary", today=TODAY)


def view_of(corpus: Corpus, instrument: str, audience: str = "analyst") -> View:
    return make_view(corpus, corpus.instruments[instrument], audience)


def tree(figure: MapFigure) -> etree._Element:
    return etree.fromstring(str(figure.svg).encode("utf-8"))


def paths(figure: MapFigure) -> dict[str, str]:
    """Each state's path: code -> class. Fails if a state has more than one."""
    found: dict[str, str] = {}
    for path in tree(figure).iter(f"{SVG}path"):
        code = path.get("data-code")
        if code is not None:
            assert code not in found, f"two paths for {code}"
            found[code] = path.get("class", "")
    return found


def markers(figure: MapFigure) -> dict[str, str]:
    return {
        c.get("data-code"): c.get("class", "")
        for c in tree(figure).iter(f"{SVG}circle")
        if c.get("data-code")
    }


def words(figure: MapFigure) -> str:
    """The text the drawing shows, lines joined by spaces."""
    return " ".join(text.text for text in tree(figure).iter(f"{SVG}text") if not text.get("aria-hidden"))


# --- the drawing --------------------------------------------------------------------------------------


def test_every_state_is_one_path_classed_by_its_membership(corpus: Corpus) -> None:
    view = view_of(corpus, "rio-treaty")
    states = view_states(view)
    figure = americas_map(states, title="Members of TIAR")
    drawn = paths(figure)
    assert len(drawn) == 35  # the 35 independent states of the Americas, each once
    assert set(drawn) == set(load_corpus(CONTENT, today=TODAY).countries) - {
        code for code, country in corpus.countries.items() if country.subregion == "extra-regional"
    }
    members = [row.code for row in view.members if row.left is None]
    assert members and all(drawn[code] == "state member" for code in members)
    assert {code for code, kind in states.items() if kind == "former"} == {"BO", "EC", "MX", "NI"}
    assert all(drawn[code] == "state former" for code in ("BO", "EC", "MX", "NI"))
    assert drawn["CA"] == drawn["JM"] == "state other"  # not parties to the Rio Treaty
    # Former members are filled with the hatch pattern, members with the theme's accent.
    svg = str(figure.svg)
    assert 'class="state former" data-code="MX" d="' in svg and "-hatch)" in svg and "<pattern " in svg
    assert 'class="state member" data-code="BR" d="M' in svg and 'fill="#1f3a5f"' in svg


def test_former_members_are_those_whose_every_period_ended(corpus: Corpus) -> None:
    view = view_of(corpus, "rio-treaty")
    for row in view.members:
        expected = "former" if all(p.left for p in row.periods) else "member"
        assert view_states(view)[row.code] == expected, row.code


def test_partners_are_outlined_and_those_off_the_map_named_in_a_note(corpus: Corpus) -> None:
    figure = americas_map(view_states(view_of(corpus, "cfac")))
    drawn = paths(figure)
    assert drawn["US"] == drawn["MX"] == drawn["CO"] == "state partner"
    assert drawn["GT"] == "state member"
    text = words(figure)
    assert "Partner" in text and "Member" in text
    assert "Partners outside the map: France, Germany, Russia, Spain, and United Kingdom." in text
    for code in ("ES", "FR", "DE", "GB", "RU"):
        assert code not in drawn


def test_states_too_small_to_see_get_markers(corpus: Corpus) -> None:
    figure = americas_map(view_states(view_of(corpus, "oas-hemispheric-security")))
    marked = markers(figure)
    assert set(EASTERN_CARIBBEAN) <= set(marked)
    assert all(marked[code] == "marker member" for code in EASTERN_CARIBBEAN)
    assert not {"BR", "MX", "CU", "US"} & set(marked)  # large states have none
    # the crowded ones are named beside the frame
    assert "Antigua & Barbuda" in words(figure) and "St. Vincent & Grenadines" in words(figure)
    assert "Circles mark states too small to show at this scale." in words(figure)


def test_legend_and_disputed_boundaries_note(corpus: Corpus) -> None:
    text = words(americas_map(view_states(view_of(corpus, "rio-treaty"))))
    assert "Member" in text and "Former member" in text and "Partner" not in text  # only what is shown
    assert (
        "Boundaries: Natural Earth, 1:50m. Disputed areas are shown as administered, which implies no "
        "position on their status." in text
    )


def test_alternative_text_lists_the_members(corpus: Corpus) -> None:
    view = view_of(corpus, "rio-treaty")
    figure = americas_map(view_states(view), title="Members of TIAR")
    assert figure.alt.startswith("Members of TIAR. Members: Argentina, Bahamas, Brazil, Chile, ")
    assert "Former members: Bolivia, Ecuador, Mexico, and Nicaragua." in figure.alt
    svg = tree(figure)
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    assert title.text == figure.alt and svg.get("aria-labelledby") == title.get("id")
    assert svg.find(f"{SVG}desc").get("id") == svg.get("aria-describedby")
    assert americas_map({}).alt == "Map of the Americas. No member or partner is shown."


def test_highlight_outlines_and_names_the_country(corpus: Corpus) -> None:
    figure = americas_map({"BR": "member", "GD": "member"}, highlight="BR")
    assert tree(figure).find(f".//{SVG}path[@class='highlight']") is not None
    assert "Brazil" in words(figure) and figure.alt.endswith("Brazil is highlighted.")
    small = americas_map({"GD": "member"}, highlight="GD")
    bold = [t.text for t in tree(small).iter(f"{SVG}text") if t.get("font-weight") == "600"]
    assert bold == ["Grenada"]


def test_spanish_and_portuguese_editions(corpus: Corpus) -> None:
    states = view_states(view_of(corpus, "oas-hemispheric-security"))
    spanish = catalogue("es")
    figure = americas_map(states, catalogue=spanish)
    text = words(figure)
    assert (
        "Miembro" in text
        and "Socios fuera del mapa: China, Corea del Sur, España, Francia, Japón y Rusia." in text
    )
    assert "Límites: Natural Earth, 1:50m." in text and "San Vicente y las Granadinas" in text
    assert figure.alt.startswith("Mapa de las Américas. Miembros: Antigua y Barbuda, Argentina, ")
    portuguese = americas_map({"BO": "former", "BR": "member"}, catalogue=catalogue("pt"))
    assert "Ex-membro" in words(portuguese) and "Ex-membros: Bolívia." in portuguese.alt
    assert not spanish.missing and not catalogue("pt").missing


def test_the_theme_colours_the_map(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    theme = (TEMPLATES / "theme.toml").read_text(encoding="utf-8").replace('"#1f3a5f"', '"#aa0000"')
    (root / "theme.toml").write_text(theme, encoding="utf-8")
    templates = TemplateSet(root)
    svg = str(templates.env.globals["americas_map"]({"AR": "member"}).svg)
    assert 'fill="#aa0000"' in svg and "#1f3a5f" not in svg


def test_svg_and_png_bytes_are_deterministic(corpus: Corpus) -> None:
    states = view_states(view_of(corpus, "rio-treaty"))
    first, second = americas_map(states), americas_map(states)
    assert first.svg == second.svg and first.png == second.png
    image = Image.open(BytesIO(first.png))
    assert image.format == "PNG" and image.size[0] == round(WIDTH * PNG_SCALE)
    assert first.png_base64.startswith("iVBORw0KGgo")
    code = (
        "import hashlib, sys\n"
        "from atalaya.maps import americas_map\n"
        "m = americas_map({'AR': 'member', 'BO': 'former', 'US': 'partner', 'GD': 'member'}, highlight='AR')\n"
        "sys.stdout.write(hashlib.sha256(str(m.svg).encode() + m.png).hexdigest())\n"
    )
    runs = {
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        for _ in range(2)
    }
    here = americas_map({"AR": "member", "BO": "former", "US": "partner", "GD": "member"}, highlight="AR")
    assert runs == {hashlib.sha256(str(here.svg).encode() + here.png).hexdigest()}


def test_a_views_map_shows_nothing_above_its_clearance(canary: Corpus) -> None:
    """canary-mixed has a public (AR), an internal (BR) and a restricted (CL) member, and partners at
    each level (NO, FR, ES)."""
    public = view_of(canary, "canary-mixed", "public")
    assert view_states(public) == {"AR": "member"}
    figure = americas_map(view_states(public), title="Members of CMA")
    drawn = paths(figure)
    assert drawn["AR"] == "state member" and drawn["BR"] == drawn["CL"] == "state other"
    for name in ("Brazil", "Chile", "Norway", "France", "Spain"):
        assert name not in str(figure.svg) and name not in figure.alt
    staff = americas_map(view_states(view_of(canary, "canary-mixed", "staff")))
    assert paths(staff)["BR"] == "state member" and paths(staff)["CL"] == "state other"
    assert "Chile" not in staff.alt and "Brazil" in staff.alt
    analyst = view_states(view_of(canary, "canary-mixed", "analyst"))
    assert "Partners outside the map: France, Norway, and Spain." in words(americas_map(analyst))
    assert analyst == {
        "AR": "member",
        "BR": "member",
        "CL": "member",
        "NO": "partner",
        "FR": "partner",
        "ES": "partner",
    }


def test_the_data_is_package_data_with_its_notice() -> None:
    data = resources.files("atalaya.data")
    assert (data / "americas-50m.json").is_file()
    notice = (data / "NOTICE.md").read_text(encoding="utf-8")
    assert "world-atlas" in notice and "2.0.2" in notice and "ISC" in notice and "public domain" in notice
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert {"data/*.json", "data/NOTICE.md"} <= set(
        pyproject["tool"]["setuptools"]["package-data"]["atalaya"]
    )


# --- in the documents ---------------------------------------------------------------------------------


def test_briefings_carry_the_map_after_the_members_and_partners(corpus: Corpus) -> None:
    templates = TemplateSet(TEMPLATES)
    for audience in ("analyst", "public"):
        html = templates.briefing_html(view_of(corpus, "cfac", audience))
        assert html.count('<figure class="map"') == 1
        assert html.index('id="section-partners"') < html.index('<figure class="map"')
        assert "Members and partners of CFAC</figcaption>" in html
    assert '<figure class="map"' not in templates.briefing_html(view_of(corpus, "cfac", "executive"))


def test_the_maps_caption_carries_the_highest_level_it_draws(canary: Corpus) -> None:
    templates = TemplateSet(TEMPLATES)
    analyst = view_of(canary, "canary-mixed", "analyst")  # a restricted member (CL) and partner (ES)
    assert (
        '<figcaption><span class="pm pm-restricted">(R)</span> Members and partners of CMA</figcaption>'
        in (templates.briefing_html(analyst))
    )
    assert "<caption><b>(R)</b> Members and partners of CMA</caption>" in templates.memo_xml(analyst)
    public = view_of(canary, "canary-mixed", "public")
    assert "<figcaption>Members of CMA</figcaption>" in templates.briefing_html(public)
    assert "<caption>Members of CMA</caption>" in templates.memo_xml(public)


def test_memo_xml_checks_pictures(corpus: Corpus) -> None:
    view = view_of(corpus, "cfac")
    png = americas_map({"AR": "member"}).png_base64
    root = parse_memo(f'<memo><picture alt="A map" width="100">{png}</picture></memo>', "memo.xml.j2", view)
    assert root[0].tag == "picture"
    with pytest.raises(TemplateError) as caught:
        parse_memo(
            '<memo><picture width="-3">bm90IGEgcG5n</picture><picture alt="x"><b/></picture></memo>',
            "m",
            view,
        )
    messages = [d.message for d in caught.value.diagnostics]
    assert any("<picture> needs a non-empty 'alt' attribute" in m for m in messages)
    assert any("<picture width='-3'>: expected a width in mm" in m for m in messages)
    assert any("<picture> must hold a PNG image, base64-encoded" in m for m in messages)
    assert any("<b> is not allowed inside <picture>" in m for m in messages)


@pytest.mark.slow
def test_the_memo_shows_the_map_as_a_picture_with_its_alternative_text(corpus: Corpus) -> None:
    view = view_of(corpus, "rio-treaty", "public")
    templates = TemplateSet(TEMPLATES)
    rendered = DocxWriter(templates).render(view, list(BRIEF.template_names(DOCX, "public")))
    with zipfile.ZipFile(BytesIO(rendered.data)) as package:
        document = etree.fromstring(package.read("word/document.xml"))
        media = [name for name in package.namelist() if name.startswith("word/media/")]
        picture = package.read(media[0])
    namespaces = {"wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"}
    (doc_pr,) = document.findall(".//wp:inline/wp:docPr", namespaces)
    figure = americas_map(view_states(view), title="Members of TIAR")
    assert doc_pr.get("descr") == figure.alt and "Members: Argentina, " in figure.alt
    assert media == ["word/media/image1.png"] and picture == figure.png
    (extent,) = document.findall(".//wp:inline/wp:extent", namespaces)
    assert int(extent.get("cx")) == 120 * 36000  # 120 mm
    again = DocxWriter(templates).render(view, list(BRIEF.template_names(DOCX, "public")))
    assert again.data == rendered.data
