"""select.make_view: the one place releasability is enforced, tested on views alone (no document is built).

- Items: an item is in an audience's view when its level (its own `release`, else the file's) is within
  the audience's clearance and its section is one the audience shows; nothing else is.
- Banner: the highest level actually present in the view (the file's own level, the items, member rows,
  listed sources and related instruments' names it holds), never one it does not hold.
- Sources: listed when an item the view shows cites them, or when nothing in the file cites them and their
  own level is within the clearance; numbered 1..n in file order, and citations use those numbers.
- Portion marks: each item, row and source carries the mark of its own level; audiences say whether they
  show them.

The fixture trees' expectations are stated once, beside the tests that read the documents back:
tests/test_hardening.py (canary words per level and section) and tests/test_source_release.py (which
audience lists which source). Here the same expectations are checked on the views, so a releasability
regression fails fast, before any PDF or DOCX is written.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from atalaya.model import LEVELS, Corpus, load_corpus
from atalaya.select import View, make_view
from conftest import FIXTURES, GOOD
from test_hardening import AUDIENCES as CANARY_AUDIENCES
from test_hardening import CANARY, CANARY_DOCUMENTS, canaries_of, expected_banner, expected_canaries
from test_source_release import TOKEN, listed

TODAY = date(2026, 12, 1)
SOURCES = FIXTURES / "sources"
MARKS = {"public": "P", "internal": "I", "restricted": "R"}


def load(root: Path) -> Corpus:
    return load_corpus(root, today=TODAY)


@pytest.fixture(scope="module")
def canary() -> Corpus:
    return load(CANARY)


@pytest.fixture(scope="module")
def sources() -> Corpus:
    return load(SOURCES)


@pytest.fixture(scope="module")
def good() -> Corpus:
    return load(GOOD)


def texts(view: View) -> str:
    """Every text the view holds that a canary word can sit in (prose, roles, the status note, related
    instruments' names), one string."""
    return "\n".join([*view.all_text(), *(ref.name for ref in view.related)])


def marked(view: View) -> list[Any]:
    """Every item, member row and source of the view: everything that carries a level and a mark."""
    groups = (
        view.summary,
        view.objectives,
        view.activities,
        view.challenges,
        view.assessment,
        view.recommendations,
        view.timeline,
        view.members,
        view.partners,
        view.sources,
    )
    return [entry for group in groups for entry in group] + ([view.status_note] if view.status_note else [])


def rank(level: str) -> int:
    return LEVELS.index(level)


def instrument_file(good_tree: Path, name: str, body: str) -> Path:
    """Write `instruments/<name>.yaml` into a copy of the good tree (which keeps its own two files)."""
    path = good_tree / "instruments" / f"{name}.yaml"
    path.write_text(f"id: {name}\n{body}", encoding="utf-8")
    return path


# --- items: per level and per section (the canary tree) -------------------------------------------------

CANARY_CASES = [(name, audience) for name in CANARY_DOCUMENTS for audience in CANARY_AUDIENCES]


@pytest.mark.parametrize(("name", "audience"), CANARY_CASES, ids=["/".join(c) for c in CANARY_CASES])
def test_view_holds_exactly_the_canaries_its_clearance_and_sections_allow(
    canary: Corpus, name: str, audience: str
) -> None:
    shown, hidden = expected_canaries(name, audience, "view")
    held = texts(make_view(canary, canary.instruments[name], audience))
    assert sorted(word for word in shown if word not in held) == []
    assert sorted(word for word in hidden if word in held) == []


@pytest.mark.parametrize(("name", "audience"), CANARY_CASES, ids=["/".join(c) for c in CANARY_CASES])
def test_banner_is_the_highest_level_present(canary: Corpus, name: str, audience: str) -> None:
    view = make_view(canary, canary.instruments[name], audience)
    assert view.banner == expected_banner(name, audience, "view")
    # and it is what the view holds: the highest of its entries' levels, the file's own level and the
    # related instruments' levels
    present = [
        view.release,
        *(entry.level for entry in marked(view)),
        *(canary.instruments[ref.id].release for ref in view.related),
    ]
    assert view.banner == max(present, key=rank)


def test_the_canary_banners_are_not_all_the_same(canary: Corpus) -> None:
    """Each level is some view's banner, and the banner is below the clearance somewhere: the banner
    follows the content, not the audience."""
    banners = {
        (name, audience): make_view(canary, canary.instruments[name], audience).banner
        for name, audience in CANARY_CASES
    }
    assert set(banners.values()) == set(LEVELS)
    assert banners["canary-public", "analyst"] == "internal"  # only a related instrument's name is internal
    assert banners["canary-note-internal", "public"] == "public"  # the internal note is left out
    assert banners["canary-note-internal", "staff"] == "internal"  # and shown here, in key facts


def test_sections_are_the_audiences_own_with_content_in_its_order(canary: Corpus) -> None:
    for name, audience in CANARY_CASES:
        view = make_view(canary, canary.instruments[name], audience)
        sections = CANARY_AUDIENCES[audience]["sections"]
        assert [s for s in sections if s in view.sections] == list(view.sections), (name, audience)
        for section in ("objectives", "activities", "challenges", "assessment", "recommendations"):
            if section not in sections:
                assert getattr(view, section) == (), (name, audience, section)
    executive = make_view(canary, canary.instruments["canary-mixed"], "executive")
    assert executive.members == executive.partners == executive.timeline == ()
    assert executive.sources == executive.related == ()


def test_an_item_without_its_own_level_takes_the_files(canary: Corpus, good: Corpus) -> None:
    secret = make_view(canary, canary.instruments["canary-secret"], "analyst")
    assert {entry.level for entry in marked(secret)} == {"internal"}
    beta = make_view(good, good.instruments["beta-forum"], "staff")
    assert beta.summary and {entry.level for entry in marked(beta)} == {"internal"}


def test_the_banner_never_falls_below_the_files_own_level(good_tree: Path) -> None:
    """An internal file whose every item is marked public still has internal documents."""
    instrument_file(
        good_tree,
        "gamma-board",
        "name: Gamma Board\nkind: board\nrelease: internal\nverification: corroborated\n"
        "status: {state: active}\n"
        "summary: [{text: Public line., release: public}]\n"
        "objectives: [{text: Public aim., release: public}]\n"
        "sources: [{key: s, title: Board note, publisher: Fixture Ministry, release: public}]\n"
        "as_of: 2026-11-01\n",
    )
    corpus = load(good_tree)
    for audience in ("staff", "analyst"):
        view = make_view(corpus, corpus.instruments["gamma-board"], audience)
        assert {entry.level for entry in marked(view)} == {"public"}
        assert view.banner == "internal"


def test_an_audience_not_cleared_for_the_file_gets_no_view(good: Corpus) -> None:
    with pytest.raises(ValueError, match="audience public is not cleared for beta-forum"):
        make_view(good, good.instruments["beta-forum"], "public")


def test_a_related_instrument_above_the_clearance_is_left_out(canary: Corpus, good: Corpus) -> None:
    # alpha-pact (public) relates to beta-forum (internal)
    analyst = make_view(good, good.instruments["alpha-pact"], "analyst")
    assert [ref.id for ref in analyst.related] == ["beta-forum"]
    assert analyst.banner == "restricted"  # the restricted objective, shown to analysts
    executive = make_view(canary, canary.instruments["canary-public"], "executive")
    assert executive.related == ()  # cleared, but executives do not show related instruments
    assert executive.banner == "public"


# --- portion marks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CANARY_DOCUMENTS)
def test_each_entry_carries_the_mark_of_its_own_level(canary: Corpus, name: str) -> None:
    levels = canaries_of(name)
    view = make_view(canary, canary.instruments[name], "analyst")
    entries = marked(view)
    assert entries
    for entry in entries:
        assert entry.mark == MARKS[entry.level], entry
        text = getattr(entry, "text", None) or getattr(entry, "role", None) or ""
        for word, level in levels.items():
            if word in text:
                assert entry.level == level, (word, entry)
    mixed = make_view(canary, canary.instruments["canary-mixed"], "analyst")
    assert [item.mark for item in mixed.summary] == ["P", "I", "R"]
    assert [row.mark for row in mixed.members] == ["P", "I", "R"]


def test_only_audiences_that_ask_for_portion_marks_show_them(canary: Corpus) -> None:
    for audience, settings in CANARY_AUDIENCES.items():
        view = make_view(canary, canary.instruments["canary-mixed"], audience)
        assert view.portion_marks is bool(settings.get("portion_marks", False)), audience
    assert make_view(canary, canary.instruments["canary-mixed"], "analyst").portion_marks


def test_verification_notes_show_only_where_verification_does(good_tree: Path) -> None:
    beta = good_tree / "instruments" / "beta-forum.yaml"
    beta.write_text(
        beta.read_text(encoding="utf-8") + "verification_note: One note, unconfirmed.\n", encoding="utf-8"
    )
    corpus = load(good_tree)
    for audience in ("executive", "analyst", "staff"):
        view = make_view(corpus, corpus.instruments["beta-forum"], audience)
        expected = "One note, unconfirmed." if view.show_verification else None
        assert view.verification_note == expected, audience
    assert make_view(corpus, corpus.instruments["beta-forum"], "analyst").show_verification


# --- sources ------------------------------------------------------------------------------------------


def _source_file(name: str) -> dict[str, Any]:
    return yaml.safe_load((SOURCES / "instruments" / f"{name}.yaml").read_text(encoding="utf-8"))


def _token(title: str) -> str:
    match = TOKEN.search(title)
    assert match is not None, title
    return match.group(1)


@pytest.mark.parametrize("audience", ["executive", "analyst", "staff", "public"])
def test_sources_listed_are_the_cited_and_the_uncited_cleared_numbered_in_file_order(
    sources: Corpus, audience: str
) -> None:
    view = make_view(sources, sources.instruments["source-release"], audience)
    expected = listed(audience)  # executives show no sources section: none
    assert [_token(source.title) for source in view.sources] == expected
    assert [source.number for source in view.sources] == list(range(1, len(view.sources) + 1))


@pytest.mark.parametrize("audience", ["executive", "analyst", "staff", "public"])
def test_citations_use_the_numbers_of_the_listed_sources(sources: Corpus, audience: str) -> None:
    data = _source_file("source-release")
    view = make_view(sources, sources.instruments["source-release"], audience)
    number = {source.key: source.number for source in view.sources}
    cited_by_text: dict[str, list[str]] = {}
    for key in ("summary", "objectives", "activities", "challenges", "assessment", "recommendations"):
        for entry in data.get(key, []):
            if isinstance(entry, dict):
                cited_by_text[entry["text"]] = entry.get("cite", [])
    for event in data["timeline"]:
        cited_by_text[event["text"]] = event.get("cite", [])
    cited_by_text[data["status"]["note"]["text"]] = data["status"]["note"]["cite"]
    items = [entry for entry in marked(view) if hasattr(entry, "text") and hasattr(entry, "cites")]
    assert items
    for item in items:
        expected = tuple(number[key] for key in cited_by_text.get(item.text, []) if key in number)
        assert item.cites == expected, (audience, item.text)
    for row in view.members:
        cites = next(m.get("cite", []) for m in data["members"] if m["country"] == row.code)
        assert row.cites == tuple(number[key] for key in cites if key in number), (audience, row.code)
    if audience == "executive":  # without a sources list there is nothing to cite
        assert all(entry.cites == () for entry in items)


def test_every_cited_key_of_a_shown_item_is_listed(sources: Corpus) -> None:
    """A source cited by an item the view shows is always listed, whatever its own level."""
    data = _source_file("source-release")
    for audience in ("analyst", "staff", "public"):
        view = make_view(sources, sources.instruments["source-release"], audience)
        listed_keys = {source.key for source in view.sources}
        held = texts(view)
        for key in ("summary", "assessment", "challenges"):
            for entry in data.get(key, []):
                if isinstance(entry, dict) and entry["text"] in held:
                    assert set(entry.get("cite", [])) <= listed_keys, (audience, entry["text"])


@pytest.mark.parametrize(
    ("audience", "banner", "listed_sources"),
    [
        ("executive", "public", []),
        ("analyst", "internal", [("BANNERINT", "I"), ("BANNERPUB", "P")]),
        ("staff", "internal", [("BANNERINT", "I"), ("BANNERPUB", "P")]),
        ("public", "public", [("BANNERPUB", "P")]),
    ],
)
def test_a_listed_source_counts_for_the_banner(
    sources: Corpus, audience: str, banner: str, listed_sources: list[tuple[str, str]]
) -> None:
    """In source-banner everything is public except one uncited internal source."""
    view = make_view(sources, sources.instruments["source-banner"], audience)
    assert [(_token(source.title), source.mark) for source in view.sources] == listed_sources
    assert view.banner == banner


def test_a_source_cited_only_by_a_hidden_item_is_not_listed_even_if_public(good_tree: Path) -> None:
    instrument_file(
        good_tree,
        "gamma-board",
        "name: Gamma Board\nkind: board\nrelease: public\nverification: corroborated\n"
        "status: {state: active}\n"
        "summary: [Public line.]\n"
        "objectives:\n"
        "  - {text: Restricted aim., release: restricted, cite: [public-note]}\n"
        "  - {text: Public aim., cite: [shown-note]}\n"
        "sources:\n"
        "  - {key: public-note, title: Public note, publisher: Fixture Ministry}\n"
        "  - {key: shown-note, title: Shown note, publisher: Fixture Ministry}\n"
        "  - {key: loose-note, title: Loose note, publisher: Fixture Ministry}\n"
        "as_of: 2026-11-01\n",
    )
    corpus = load(good_tree)
    public = make_view(corpus, corpus.instruments["gamma-board"], "public")
    assert [(s.number, s.key) for s in public.sources] == [(1, "shown-note"), (2, "loose-note")]
    assert [item.cites for item in public.objectives] == [(1,)]
    analyst = make_view(corpus, corpus.instruments["gamma-board"], "analyst")
    assert [(s.number, s.key) for s in analyst.sources] == [
        (1, "public-note"),
        (2, "shown-note"),
        (3, "loose-note"),
    ]
    assert [item.cites for item in analyst.objectives] == [(1,), (2,)]
