"""The theme (templates/theme.toml through atalaya.theme) and the label catalogues (locale/ through
atalaya.i18n): one definition each, read by every consumer, English output unchanged, catalogues complete."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import typing
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from atalaya import model
from atalaya.errors import TemplateError
from atalaya.figures import timeline_svg
from atalaya.i18n import (
    KIND_LABELS,
    LABELS,
    LEVEL_LABELS,
    Catalogue,
    catalogue,
    po_path,
    pot_path,
    slug_words,
)
from atalaya.model import Corpus, PartialDate, load_corpus
from atalaya.render import TemplateSet, format_date, label
from atalaya.select import View, make_view
from atalaya.theme import COLOURS, SIZES, load_theme
from conftest import FIXTURES, ROOT, TEMPLATES

TODAY = date(2026, 11, 20)
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")
EDITIONS = ("es", "pt")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(FIXTURES / "pdf", today=TODAY)


@pytest.fixture(scope="module")
def view(corpus: Corpus) -> View:
    return make_view(corpus, corpus.instruments["gamma-accord"], "analyst")


# --- the theme ------------------------------------------------------------------------------------------------


def test_theme_names_values_and_formats() -> None:
    theme = load_theme(TEMPLATES)
    assert theme.colour("accent") == "#1f3a5f"
    assert theme.docx_colour("accent") == "1F3A5F"
    assert [theme.level_colour(level) for level in ("public", "internal", "restricted")] == [
        "#17703a",
        "#1c56a6",
        "#b0201b",
    ]
    assert (theme.face("serif").name, theme.face("serif").fallback) == ("Source Serif Pro", "Georgia")
    assert theme.face("sans").css() == '"Source Sans Pro", Arial, sans-serif'
    assert theme.face("serif").css(fallback=False) == '"Source Serif Pro", serif'
    assert theme.size("body") == 10.0 and theme.half_points("memo-body") == 22
    css = theme.css_variables()
    assert css.startswith(":root {\n  --accent: #1f3a5f;\n") and css.endswith("\n}\n")
    assert '  --face-sans: "Source Sans Pro", sans-serif;\n' in css and "  --size-h2: 11.5pt;\n" in css
    assert set(COLOURS) <= set(theme.colours) and set(SIZES) <= set(theme.sizes)
    with pytest.raises(ValueError, match="unknown releasability level"):
        theme.level_colour("secret")
    assert load_theme(TEMPLATES) is theme  # cached per file


def test_every_colour_the_stylesheet_and_figures_draw_with_is_a_theme_colour(view: View) -> None:
    """The PDF's colours are the reference: whatever briefing.css still spells out, and every colour of
    a figure, is one of the theme's values; the index page and the Python modules spell out none."""
    theme = load_theme(TEMPLATES)
    palette = set(theme.colours.values())
    css = (TEMPLATES / "briefing" / "briefing.css").read_text(encoding="utf-8")
    assert {value.lower() for value in HEX.findall(css)} <= palette
    for name, value in re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css):
        assert theme.colour(name) == value.lower(), name
    svg = str(timeline_svg(view))
    assert set(HEX.findall(svg)) <= palette
    assert HEX.findall((TEMPLATES / "index.html.j2").read_text(encoding="utf-8")) == []
    for module in ("figures.py", "render.py", "i18n.py"):
        assert HEX.findall((ROOT / "src" / "atalaya" / module).read_text(encoding="utf-8")) == [], module


def test_templates_and_figures_read_the_folders_theme(tmp_path: Path, view: View) -> None:
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    theme_file = root / "theme.toml"
    theme_file.write_text(
        theme_file.read_text(encoding="utf-8").replace('accent = "#1f3a5f"', 'accent = "#AA0000"'),
        encoding="utf-8",
    )
    (root / "probe.txt.j2").write_text(
        '{{ theme.colour("accent") }} {{ theme.docx_colour("accent") }}\n{{ timeline_svg(view) }}\n',
        encoding="utf-8",
    )
    templates = TemplateSet(root)
    assert templates.theme.colour("accent") == "#aa0000"
    first, svg = templates.render("probe.txt.j2", {"view": view}).split("\n", 1)
    assert first == "#aa0000 AA0000"
    assert 'fill="#aa0000"' in svg and "#1f3a5f" not in svg


def test_a_templates_folder_without_a_theme_has_the_default_theme(tmp_path: Path) -> None:
    (tmp_path / "memo").mkdir()
    assert TemplateSet(tmp_path).theme.colours == load_theme(TEMPLATES).colours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[colours\n",
            "theme.toml:1:9: theme is not valid TOML: ",
        ),
        (
            '[colours]\naccent = "navy"\n',
            "theme.toml:0:0: colour 'accent': expected '#rrggbb', got 'navy'",
        ),
        ("[sizes]\nbody = -1\n", "theme.toml:0:0: size 'body': expected points between 0 and 200, got -1"),
        ("[colours]\n", "theme.toml:0:0: missing colour(s): accent, ink, muted, rule, rule-light, tint"),
        ("[palette]\n", "theme.toml:0:0: unknown table(s): palette (expected colours, faces, sizes)"),
    ],
)
def test_a_bad_theme_is_a_located_template_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("theme.toml").write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as raised:
        TemplateSet(Path())
    assert any(d.format().startswith(expected) for d in raised.value.diagnostics), raised.value


# --- dates and labels in English: what the documents said before the catalogue -------------------------------


def test_english_dates_are_the_documents_dates() -> None:
    english = catalogue("en")
    assert english.format_date(PartialDate(1947, 9, 2)) == "2 September 1947"
    assert english.format_date(PartialDate(1947, 9)) == "September 1947"
    assert english.format_date(PartialDate(1947)) == "1947"
    assert english.format_date(PartialDate(1947, 9, 2), short=True) == "2 Sep 1947"
    assert english.format_date(PartialDate(1947, 9), short=True) == "Sep 1947"
    assert english.format_date(date(2026, 5, 31)) == "31 May 2026"
    assert english.format_date(None) == ""
    assert format_date(PartialDate(2001, 12, 1), short=True) == "1 Dec 2001"
    assert [english.month_name(m, short=True) for m in (1, 6, 9)] == ["Jan", "Jun", "Sep"]
    assert english.month_name(12) == "December"
    assert english.format_list(["Brazil", "Chile", "Peru"]) == "Brazil, Chile, and Peru"
    assert english.country_name("br") == "Brazil"


def test_english_labels_are_the_documents_labels() -> None:
    """Every slug the model allows reads as it did before the catalogue: the kinds as their table said,
    anything else spelled out from its words (subregions are named by their template)."""
    english = catalogue("en")
    slugs = {
        name: typing.get_args(getattr(model, name))
        for name in ("Kind", "State", "Verification", "ActivityKind", "Theme", "Subregion")
    }
    for name, values in slugs.items():
        for slug in values:
            assert slug in LABELS, f"{name} {slug!r} has no label message"
            if name != "Subregion":
                legacy = KIND_LABELS[slug] if slug in KIND_LABELS else slug_words(slug)
                assert english.label(slug) == label(slug) == legacy, slug
    assert english.label("single-source") == "Single-source"
    assert english.label("transnational-crime") == "Transnational crime"
    assert english.kind_label("bilateral-agreement") == "Bilateral agreement"
    assert english.label("never_seen-before") == "Never seen before"
    assert [english.level_label(level) for level in LEVEL_LABELS] == ["PUBLIC", "INTERNAL", "RESTRICTED"]
    assert english.missing == []


# --- the catalogues -------------------------------------------------------------------------------------------


def _pot_ids(messages: typing.Iterable[typing.Any]) -> set[str]:
    return {m.id[0] if isinstance(m.id, tuple) else m.id for m in messages if m.id}


def test_the_template_holds_every_message_of_the_code_and_templates() -> None:
    """locale/atalaya.pot is what `pybabel extract -F babel.cfg` finds now (README, "Labels and dates")."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[str] = set()
    for folder in (ROOT / "src" / "atalaya", TEMPLATES):
        for _, _, message, _, _ in extract_from_dir(folder, method_map, options_map):
            found.add(message[0] if isinstance(message, tuple) else message)
    with pot_path().open("rb") as handle:
        pot = _pot_ids(read_po(handle))
    assert found - pot == set(), "messages missing from locale/atalaya.pot: run pybabel extract"
    assert pot - found == set(), "messages no longer used in locale/atalaya.pot: run pybabel extract"


@pytest.mark.parametrize("language", EDITIONS)
def test_each_catalogue_translates_every_message_of_the_template(language: str) -> None:
    with pot_path().open("rb") as handle:
        pot = read_po(handle)
    with po_path(language).open("rb") as handle:
        po = read_po(handle, locale=language)
    assert _pot_ids(po) == _pot_ids(pot), f"run pybabel update for {language}"
    assert not po.obsolete
    for message in po:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(strings) == (po.num_plurals if message.pluralizable else 1), message.id
        assert all(strings), f"{language}: {message.id!r} is not translated"
    problems = [(message.id, [str(e) for e in errors]) for message, errors in po.check() if errors]
    assert problems == []


def test_spanish_and_portuguese_editions() -> None:
    spanish, portuguese = catalogue("es"), catalogue("pt")
    assert spanish.format_date(PartialDate(1947, 9, 2)) == "2 de septiembre de 1947"
    assert spanish.format_date(PartialDate(1947, 9)) == "septiembre de 1947"
    assert portuguese.format_date(PartialDate(1947, 9, 2)) == "2 de setembro de 1947"
    assert portuguese.format_date(PartialDate(1947)) == "1947"
    assert spanish.kind_label("treaty") == "Tratado" and portuguese.label("single-source") == "Fonte única"
    assert (
        spanish.level_label("restricted") == "RESTRINGIDO" and portuguese.level_label("public") == "PÚBLICO"
    )
    assert spanish.format_list(["A", "B", "C"]) == "A, B y C"
    assert portuguese.country_name("BR") == "Brasil"


def test_a_missing_translation_falls_back_to_english_and_is_recorded() -> None:
    words = Catalogue("es", catalogue("es").translations, source=po_path("es"))
    assert words.gettext("Not a message") == "Not a message"
    assert words.label("not-a-slug") == "Not a slug"
    assert words.missing == ["Not a message", "Not a slug"]


def test_a_language_without_a_catalogue_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no message catalogue for language 'fr'"):
        catalogue("fr", tmp_path)


def test_regional_tags_use_their_languages_catalogue() -> None:
    assert catalogue("es-MX").kind_label("treaty") == "Tratado"
    assert catalogue("es-MX").format_date(PartialDate(1947, 9, 2)) == "2 de septiembre de 1947"
    assert catalogue("en-GB").label("single-source") == "Single-source"


def test_templates_write_in_the_template_sets_language(tmp_path: Path, view: View) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "probe.txt.j2").write_text(
        '{{ _("Treaty") }}|{{ d|date }}|{{ "single-source"|label }}|{{ timeline_svg(view) }}',
        encoding="utf-8",
    )
    context = {"d": PartialDate(1947, 9, 2), "view": view}
    english = TemplateSet(root).render("probe.txt.j2", context)
    assert english.startswith("Treaty|2 September 1947|Single-source|<svg")
    assert "<title>Timeline of Gamma Southern Defence Accord: 15 dated events from 1985 to 2026<" in english
    spanish = TemplateSet(root, language="es").render("probe.txt.j2", context)
    assert spanish.startswith("Tratado|2 de septiembre de 1947|Fuente única|<svg")
    assert "<title>Gamma Southern Defence Accord, cronología: 15 eventos fechados, de 1985 a 2026<" in spanish
    assert "marcador hueco" in spanish


def test_figures_and_render_do_not_import_each_other_at_call_time() -> None:
    code = (
        "import sys, atalaya.figures, atalaya.i18n, atalaya.theme\n"
        "assert 'atalaya.render' not in sys.modules, 'figures imports render'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
