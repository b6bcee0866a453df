"""Every label of every edition comes from the catalogue: the catalogues are complete, the template of messages
is what the sources hold, and the Spanish and Portuguese instrument briefs (briefing HTML and memo XML) carry
no English label; text shown in the source language in another edition is marked as such."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from atalaya.i18n import catalogue, po_path, pot_path
from atalaya.model import Corpus, Fallback, load_corpus
from atalaya.render import TemplateSet
from atalaya.select import View, make_view, visible_to
from conftest import FIXTURES, ROOT, TEMPLATES

EDITIONS = ("es", "pt")
TODAY = date(2026, 11, 20)
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")
MIN_LABEL = 4
"""Shorter labels ("OAS", "Map", "No.") are left out of the search: they are too short to tell from text."""


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return read(pot_path())


# --- (a) the catalogues ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", EDITIONS)
def test_every_label_of_the_template_is_translated(pot: Catalog, language: str) -> None:
    """Each message of locale/atalaya.pot has a translation in the edition's catalogue: present, not fuzzy,
    every plural form filled, the same placeholders (the singular form as the singular msgid's). A translation is put into HTML and memo XML as it is
    (new-style gettext marks it safe), so it holds no markup characters."""
    po = read(po_path(language), language)
    problems: list[str] = []
    for message in pot:
        if not message.id:
            continue
        translated = po.get(message.id)
        if translated is None:
            problems.append(f"missing: {message.id!r}")
            continue
        if translated.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        texts = strings(translated)
        if not all(texts) or len(texts) != (po.num_plurals if message.pluralizable else 1):
            problems.append(f"not translated (every form): {message.id!r}")
        for form, text in enumerate(texts):
            # The first form is the singular's (n = 1; in Brazilian Portuguese also 0, which no label
            # counts): like the English singular it may spell the number out ("un instrumento").
            source = ids(message)[0 if form == 0 else -1]
            wanted = sorted(set(PLACEHOLDER.findall(source)))
            if text and sorted(set(PLACEHOLDER.findall(text))) != wanted:
                problems.append(f"placeholders differ: {message.id!r} -> {text!r}")
            if any(char in text for char in "<>&"):
                problems.append(f"markup character in the translation of {message.id!r}: {text!r}")
    assert problems == [], f"{po_path(language)}: fix these entries (README, 'Labels and dates')"


# --- (b) the template of messages --------------------------------------------------------------------------


def extracted(target: Path) -> Catalog:
    """What `pybabel extract` (as babel.cfg says to run it) finds in the sources now."""
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(target),
            str(ROOT / "src" / "atalaya"),
            str(TEMPLATES),
        ]
    )
    return read(target)


def test_the_template_of_messages_is_up_to_date(pot: Catalog, tmp_path: Path) -> None:
    fresh = {ids(m) for m in extracted(tmp_path / "atalaya.pot") if m.id}
    committed = {ids(m) for m in pot if m.id}
    assert fresh - committed == set(), "messages missing from locale/atalaya.pot: run pybabel extract"
    assert committed - fresh == set(), "messages no longer used in locale/atalaya.pot: run pybabel extract"


# --- (c) no English label in a Spanish or Portuguese brief ------------------------------------------------


@pytest.fixture(scope="module")
def corpora() -> dict[str, Corpus]:
    return {tree: load_corpus(FIXTURES / tree, today=TODAY) for tree in ("pdf", "good")}


def briefs(corpora: dict[str, Corpus]) -> Iterator[View]:
    """Every instrument of the fixture trees, for every audience cleared for it."""
    for corpus in corpora.values():
        for instrument in corpus.instruments.values():
            for name, audience in corpus.audiences.items():
                if visible_to(audience, instrument.release):
                    yield make_view(corpus, instrument, name)


def english_labels(pot: Catalog, language: str) -> dict[str, str]:
    """The English words of every label the edition translates differently: each message's text between
    its placeholders (at least MIN_LABEL characters), as the msgid it comes from."""
    po = read(po_path(language), language)
    found: dict[str, str] = {}
    for message in pot:
        if not message.id:
            continue
        translations = " ".join(strings(po[message.id]))
        for text in ids(message):
            for piece in PLACEHOLDER.split(text):
                piece = piece.strip(" ,.;:()\n")
                if len(piece) >= MIN_LABEL and piece not in translations:
                    found[piece] = ids(message)[0]
    return found


def label_pattern(labels: dict[str, str]) -> re.Pattern[str]:
    """Any of the labels, as whole words (longest first)."""
    words = sorted(labels, key=len, reverse=True)
    return re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in words))


class _Shown(HTMLParser):
    """The text a reader is shown: text nodes (not a picture's data) and the attributes that are read out
    or shown (meta content, alternative text, labels, the folio's words)."""

    ATTRIBUTES = ("content", "alt", "aria-label", "title", "label")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("picture", "style", "script"):
            self.hidden += 1
        for name, value in attrs:
            if value and (name in self.ATTRIBUTES or name.startswith("data-folio")):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("picture", "style", "script"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def shown_text(document: str) -> str:
    parser = _Shown()
    parser.feed(document)
    parser.close()
    return "\n".join(parser.parts)


def content_of(view: View) -> list[str]:
    """The view's content (in the source language here): it may hold any English word, labels' too."""
    audience, office = view.audience, view.office
    texts = [
        *view.all_text(),
        view.title,
        view.acronym or "",
        view.verification_note or "",
        audience.title,
        audience.title.lower(),
        audience.description,
        audience.marking,
        audience.memo_for,
        office.name,
        office.publisher,
        *(name for _, name in view.also_known_as),
        *(row.country for row in (*view.members, *view.partners)),
        *(text for ref in view.related for text in (ref.name, ref.acronym or "")),
        *(text for source in view.sources for text in (source.title, source.publisher, source.url or "")),
    ]
    return sorted({text for text in texts if text}, key=len, reverse=True)


@pytest.mark.parametrize("language", EDITIONS)
def test_spanish_and_portuguese_briefs_hold_no_english_label(
    pot: Catalog, corpora: dict[str, Corpus], language: str
) -> None:
    templates = TemplateSet(TEMPLATES, language=language)
    pattern = label_pattern(english_labels(pot, language))
    found: dict[str, set[str]] = {}
    for view in briefs(corpora):
        html = templates.briefing_html(view, fit=0, paper="A4")
        xml = templates.memo_xml(view)
        for kind, document in (("html", html), ("xml", xml)):
            text = shown_text(document)
            for content in content_of(view):
                text = text.replace(content, " ")
            for match in pattern.finditer(text):
                found.setdefault(f"{view.audience_name}/{view.id}.{kind}", set()).add(match.group())
    assert found == {}, f"English labels in the {language} edition (wrap them in _()): {found}"
    assert templates.catalogue.missing == []


def test_the_search_finds_an_english_label(pot: Catalog) -> None:
    """The search above sees a label left in English, in text or in an attribute read out, and not its
    translation."""
    pattern = label_pattern(english_labels(pot, "es"))
    document = '<h2>Key facts</h2><h2>Datos clave</h2><field label="Information as of"/><p>Eventos</p>'
    assert pattern.findall(shown_text(document)) == ["Key facts", "Information as of"]


# --- fallback markers, other-language names, the folio -------------------------------------------------


def with_fallbacks(view: View) -> View:
    missing, stale = Fallback("missing", "en"), Fallback("stale", "en")
    return dataclasses.replace(
        view,
        summary=tuple(dataclasses.replace(item, fallback=missing) for item in view.summary),
        members=tuple(dataclasses.replace(row, role_fallback=stale) for row in view.members),
        name_fallback=missing,
    )


@pytest.mark.parametrize(
    ("language", "missing", "stale"),
    [("es", "sin traducir", "traducción desactualizada"), ("pt", "não traduzido", "tradução desatualizada")],
)
def test_text_shown_in_the_source_language_is_marked(
    corpora: dict[str, Corpus], language: str, missing: str, stale: str
) -> None:
    corpus = corpora["pdf"]
    plain = make_view(corpus, corpus.instruments["gamma-accord"], "analyst")
    view = with_fallbacks(plain)
    templates = TemplateSet(TEMPLATES, language=language)
    html = templates.briefing_html(view, fit=0, paper="A4")
    summary, role = view.summary[0].text, next(row.role for row in view.members if row.role)
    assert html.count(f'<span class="fallback">[{missing}]</span>') == len(view.summary) + 1  # and the title
    assert (
        f'<span lang="en" class="untranslated">{summary}</span> <span class="fallback">[{missing}]</span>'
        in html
    )
    assert (
        f'<span lang="en" class="untranslated">{role}</span> <span class="fallback">[{stale}]</span>' in html
    )
    xml = templates.memo_xml(view)
    assert f"{summary} <i>[{missing}]</i>" in xml and f"{role} <i>[{stale}]</i>" in xml
    assert f"<title>{plain.title} <i>[{missing}]</i></title>" in xml
    # Without fallbacks, no marker at all.
    assert "untranslated" not in templates.briefing_html(plain, fit=0, paper="A4")
    assert f"[{missing}]" not in templates.memo_xml(plain)


def test_other_language_names_are_named_in_the_editions_language(corpora: dict[str, Corpus]) -> None:
    corpus = corpora["pdf"]
    view = make_view(corpus, corpus.instruments["gamma-accord"], "analyst")
    assert [code for code, _ in view.also_known_as] == ["es", "pt"]
    for language, words in (
        ("en", ("Spanish", "Portuguese")),
        ("es", ("español", "portugués")),
        ("pt", ("espanhol", "português")),
    ):
        templates = TemplateSet(TEMPLATES, language=language)
        xml = templates.memo_xml(view)
        (_, es_name), (_, pt_name) = view.also_known_as
        assert f"<i>{es_name}</i> ({words[0]}); <i>{pt_name}</i> ({words[1]})" in xml
        html = templates.briefing_html(view, fit=0, paper="A4")
        assert f'<span lang="es">{es_name}</span><span lang="pt">{pt_name}</span>' in html
    assert catalogue("es").language_name("en") == "inglés"
    assert catalogue("pt").language_name("pt-BR") == "português"
    assert catalogue("en").language_name("zz") == "zz"


def test_the_folio_is_in_the_editions_words() -> None:
    assert catalogue("en").folio() == {}  # the stylesheet's own words: "Page 3 of 4"
    assert catalogue("es").folio() == {
        "data-folio": "Página ",
        "data-folio-of": " de ",
        "data-folio-end": "",
        "data-folio-part": "Página ",
        "data-folio-part-end": "",
    }
    stylesheet = (TEMPLATES / "briefing" / "briefing.css").read_text(encoding="utf-8")
    assert "attr(data-folio) counter(page) attr(data-folio-of) counter(pages)" in stylesheet
