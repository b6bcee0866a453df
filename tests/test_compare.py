"""compare.compare: what one audience finds changed between two editions of one instrument's view, and the
change page (templates/briefing/changes.html.j2) that shows it.

The two editions are tests/fixtures/changes/before (2 September 2025) and after (30 November 2026); smaller
cases change the loaded `before` instrument with `model_copy`. Views always come from `select.make_view`,
so what is compared is already cleared for the audience.
"""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from atalaya.compare import Comparison, compare, similarity, word_diff
from atalaya.i18n import catalogue
from atalaya.model import Corpus, Instrument, PartialDate, load_corpus
from atalaya.render import TemplateSet
from atalaya.select import View, make_view
from conftest import FIXTURES, TEMPLATES

TODAY = date(2026, 12, 1)
CHANGES = FIXTURES / "changes"
ID = "southern-shield"
TEMPLATE = "briefing/changes.html.j2"


@pytest.fixture(scope="module")
def before() -> Corpus:
    return load_corpus(CHANGES / "before", today=TODAY)


@pytest.fixture(scope="module")
def after() -> Corpus:
    return load_corpus(CHANGES / "after", today=TODAY)


def view(corpus: Corpus, audience: str, instrument: Instrument | None = None) -> View:
    return make_view(corpus, instrument or corpus.instruments[ID], audience)


def editions(before: Corpus, after: Corpus, audience: str) -> Comparison:
    return compare(view(before, audience), view(after, audience))


def edited(corpus: Corpus, **update: Any) -> Instrument:
    """The instrument of `corpus` with some fields replaced (lists of items as the model holds them)."""
    return corpus.instruments[ID].model_copy(update=update)


def section(comparison: Comparison, name: str) -> list[tuple[str, str]]:
    """A section's changes as (kind, the item's text)."""
    found = {s.name: s for s in comparison.sections}[name]
    return [(change.kind, change.item.text) for change in found.changes]


def html(comparison: Comparison, language: str = "en") -> str:
    context = {"view": comparison, "fit": 0, "paper": "A4"}
    return TemplateSet(TEMPLATES, language=language).render(TEMPLATE, context)


# --- words ------------------------------------------------------------------------------------------------


def test_word_diff_marks_only_the_changed_words() -> None:
    old = "Consult within 72 hours of any armed incident on a shared border."
    new = "Consult within 48 hours of any armed incident on a shared border."
    assert word_diff(old, new) == (
        ("same", "Consult within "),
        ("del", "72"),
        ("ins", "48"),
        ("same", " hours of any armed incident on a shared border."),
    )


def test_word_diff_joins_neighbouring_changes_and_keeps_both_texts() -> None:
    old, new = "It binds Argentina and Chile, loosely.", "It binds Brazil, Peru and Chile firmly."
    words = word_diff(old, new)
    assert "".join(text for op, text in words if op != "ins") == old
    assert "".join(text for op, text in words if op != "del") == new
    assert word_diff("the old text", "the new words") == (
        ("same", "the "),
        ("del", "old text"),
        ("ins", "new words"),
    )
    # No two segments in a row have the same op; within a change the deletion comes first.
    assert all(a[0] != b[0] for a, b in itertools.pairwise(words))
    assert all(not (a[0] == "ins" and b[0] == "del") for a, b in itertools.pairwise(words))


def test_similarity_pairs_edits_not_strangers() -> None:
    assert similarity("Propose a standing hotline.", "Propose a standing hotline now.") >= 0.5
    assert similarity("Propose a standing hotline.", "Chile withdraws from the pact.") == 0.0


# --- items ------------------------------------------------------------------------------------------------


def test_an_edited_item_marks_only_the_changed_words(before: Corpus, after: Corpus) -> None:
    comparison = editions(before, after, "analyst")
    summary = {s.name: s for s in comparison.sections}["summary"]
    assert summary.unchanged == 1  # the internal paragraph
    (change,) = summary.changes
    assert change.kind == "edited" and change.old is not None and change.new is not None
    assert [(op, text) for op, text in change.words if op != "same"] == [
        ("del", "five"),
        ("ins", "six"),
        ("del", "72"),
        ("ins", "48"),
    ]
    assert not (change.mark_changed or change.verification_changed or change.date_changed or change.moved)


def test_items_inserted_and_deleted_in_place(before: Corpus, after: Corpus) -> None:
    analyst = editions(before, after, "analyst")
    assert section(analyst, "challenges") == [
        (
            "edited",
            "Participation rises and falls with each government's view of regional integration and the host's budget.",
        ),
        ("deleted", "The consultation clause has never been tested in a real crisis."),
    ]
    assert section(analyst, "activities") == [
        ("inserted", "Relief deployment after the April 2026 floods in Paraguay.")
    ]
    # The executive sees the internal recommendation go; the public never saw it.
    executive = editions(before, after, "executive")
    assert section(executive, "recommendations") == [
        ("deleted", "Support Peru's bid to host the 2026 exercise.")
    ]
    assert {s.name: s.unchanged for s in executive.sections} == {
        "summary": 1,
        "assessment": 1,
        "recommendations": 1,
    }
    assert executive.unchanged_sections == ("assessment",)


def test_a_timeline_event_redated_is_an_edit_of_its_date(before: Corpus, after: Corpus) -> None:
    timeline = {s.name: s for s in editions(before, after, "public").sections}["timeline"]
    redated = timeline.changes[0]
    assert redated.kind == "edited" and redated.date_changed and not redated.text_changed
    assert redated.old and redated.new
    assert (redated.old.date, redated.new.date) == (PartialDate(1995, 1), PartialDate(1995, 1, 15))
    assert [(c.kind, c.item.text) for c in timeline.changes[1:]] == [
        ("inserted", "Paraguay accedes."),
        ("inserted", "Chile announces its withdrawal."),
    ]


def test_a_reclassified_item_is_a_plain_deletion_for_the_public(before: Corpus, after: Corpus) -> None:
    # "Use the exercise cycle ..." was public and is now internal.
    text = "Use the exercise cycle to gauge each member's real readiness."
    public = editions(before, after, "public")
    assert section(public, "objectives") == [
        ("edited", "Consult within 48 hours of any armed incident on a shared border."),
        ("deleted", text),
        ("inserted", "Exchange maritime traffic reports through the national coast guards every month."),
    ]
    deleted = [c for s in public.sections for c in s.changes if c.kind == "deleted"]
    assert [(c.item.text, c.item.level) for c in deleted] == [(text, "public")]
    # Nothing says why: no level above public anywhere in the comparison, nor on the page.
    assert public.banner == "public"
    assert "internal" not in repr(public) and "restricted" not in repr(public)
    page = html(public)
    assert "internal" not in page.lower() and "(I)" not in page and "reclassif" not in page.lower()
    # The analyst, who sees portion marks, sees the same item re-marked, its words unchanged.
    analyst = editions(before, after, "analyst")
    remarked = [c for c in {s.name: s for s in analyst.sections}["objectives"].changes if c.mark_changed]
    assert len(remarked) == 1 and remarked[0].kind == "edited" and not remarked[0].text_changed
    assert remarked[0].old and remarked[0].new
    assert (remarked[0].old.level, remarked[0].new.level) == ("public", "internal")
    # The executive, who sees no marks, sees nothing: the item is not in its sections anyway.
    assert not any(c.mark_changed for s in editions(before, after, "executive").sections for c in s.changes)


def test_a_mark_or_verification_changes_only_where_the_audience_sees_it(before: Corpus) -> None:
    instrument = before.instruments[ID]
    objectives = [p.model_copy() for p in instrument.objectives]
    objectives[1] = objectives[1].model_copy(update={"verification": "disputed"})
    changed = edited(before, objectives=objectives)
    analyst = compare(view(before, "analyst"), view(before, "analyst", changed))
    (change,) = {s.name: s for s in analyst.sections}["objectives"].changes
    assert change.kind == "edited" and change.verification_changed and not change.text_changed
    public = compare(view(before, "public"), view(before, "public", changed))
    assert not public.changed


def test_a_moved_item_is_flagged(before: Corpus) -> None:
    instrument = before.instruments[ID]
    first, second, *rest = instrument.objectives
    comparison = compare(
        view(before, "public"), view(before, "public", edited(before, objectives=[second, first, *rest]))
    )
    changes = {s.name: s for s in comparison.sections}["objectives"].changes
    assert [(c.kind, c.moved, c.item.text) for c in changes] == [("edited", True, first.text)]


# --- members and partners ---------------------------------------------------------------------------------


def test_members_joined_left_and_role_changed(before: Corpus, after: Corpus) -> None:
    comparison = editions(before, after, "analyst")
    assert [(c.kind, c.country) for c in comparison.members] == [
        ("role", "Brazil"),
        ("left", "Chile"),
        ("joined", "Paraguay"),
    ]
    role, left, joined = comparison.members
    assert ("ins", " and host of the 2026 exercise") in role.words
    assert left.period and left.period.announced == PartialDate(2026, 8, 1) and left.period.left is None
    assert joined.period and joined.period.joined == PartialDate(2026, 4, 15) and joined.old is None
    assert [(c.kind, c.country) for c in comparison.partners] == [("added", "France"), ("removed", "Norway")]


def test_members_leaving_rejoining_removed_and_redated(before: Corpus) -> None:
    members = {m.country: m for m in before.instruments[ID].members}
    changed = edited(
        before,
        members=[
            members["BR"],
            members["CL"].model_copy(update={"left": PartialDate(2026, 10)}),
            members["PE"].model_copy(update={"joined": PartialDate(1999, 4)}),
            members["UY"].model_copy(update={"left": PartialDate(2010)}),
            members["UY"].model_copy(update={"joined": PartialDate(2026, 5), "role": None}),
        ],
    )
    comparison = compare(view(before, "staff"), view(before, "staff", changed))
    kinds = [(c.kind, c.code) for c in comparison.members]
    assert kinds == [("left", "CL"), ("dates", "PE"), ("left", "UY"), ("joined", "UY"), ("removed", "AR")]
    left = comparison.members[0]
    assert left.period and left.period.left == PartialDate(2026, 10)
    rejoined = comparison.members[3]
    assert rejoined.period and rejoined.period.joined == PartialDate(2026, 5)


def test_a_country_listed_late_is_added_not_joined(before: Corpus, after: Corpus) -> None:
    # Paraguay, joined April 2026, is "joined" against the 2025 edition but only "added" against an edition
    # already dated after it.
    late = compare(view(before, "staff", edited(before, as_of=date(2026, 6, 1))), view(after, "staff"))
    assert [(c.kind, c.code) for c in late.members if c.code == "PY"] == [("added", "PY")]


# --- headline, sources, new and unchanged documents --------------------------------------------------------


def test_headline_fields_status_note_and_sources(before: Corpus, after: Corpus) -> None:
    comparison = editions(before, after, "public")
    assert [(c.field, c.old, c.new) for c in comparison.headline] == [
        ("in_force", PartialDate(1995, 1), PartialDate(1995, 1, 15)),
        (
            "themes",
            ("confidence-building", "border-security"),
            ("confidence-building", "border-security", "disaster-response"),
        ),
    ]
    assert comparison.status_note is not None
    assert [w for w in comparison.status_note.words if w[0] != "same"] == [
        ("del", "Lima"),
        ("ins", "Asunción"),
        ("del", "2025"),
        ("ins", "2027"),
    ]
    assert [s.title for s in comparison.sources_added] == ["Paraguay joins the Southern Shield"]
    assert [s.title for s in comparison.sources_removed] == ["Ministry chronology 2024"]
    # The executive lists no sources: none are compared.
    assert not editions(before, after, "executive").sources_added


def test_status_and_verification_changes(before: Corpus) -> None:
    changed = edited(
        before,
        status=before.instruments[ID].status.model_copy(
            update={"state": "dormant", "since": PartialDate(2026, 3)}
        ),
        verification="disputed",
    )
    analyst = compare(view(before, "analyst"), view(before, "analyst", changed))
    assert [c.field for c in analyst.headline] == ["status", "status_since", "verification"]
    public = compare(view(before, "public"), view(before, "public", changed))
    assert [c.field for c in public.headline] == ["status", "status_since"]


def test_a_new_document_is_all_insertions(after: Corpus) -> None:
    new = view(after, "analyst")
    comparison = compare(None, new)
    assert comparison.is_new and comparison.changed and comparison.old_as_of is None
    assert comparison.banner == new.banner == "internal"
    assert all(c.kind == "inserted" for s in comparison.sections for c in s.changes)
    assert sum(len(s.changes) for s in comparison.sections) == sum(
        len(getattr(new, s.name)) for s in comparison.sections
    )
    assert {c.kind for c in (*comparison.members, *comparison.partners)} == {"added"}
    assert comparison.headline == ()
    page = html(comparison)
    assert "New document" in page and "As of 30 November 2026" in page and "<del>" not in page


@pytest.mark.parametrize("audience", ["executive", "analyst", "staff", "public"])
def test_no_change_is_not_changed(before: Corpus, audience: str) -> None:
    comparison = compare(view(before, audience), view(before, audience))
    assert not comparison.changed
    assert comparison.changed_sections == () and comparison.members == () and comparison.headline == ()
    assert all(s.unchanged == len(getattr(comparison.new, s.name)) for s in comparison.sections)
    # Another edition date alone is no change either.
    redated = view(before, audience, edited(before, as_of=date(2026, 1, 5)))
    assert not compare(view(before, audience), redated).changed
    assert "No changes for this audience since 2 September 2025." in html(comparison)


def test_the_comparison_reads_like_a_view(before: Corpus, after: Corpus) -> None:
    old, new = view(before, "analyst"), view(after, "analyst")
    comparison = compare(old, new)
    for name in ("office", "audience", "audience_name", "id", "name", "title", "acronym", "kind", "themes"):
        assert getattr(comparison, name) == getattr(new, name), name
    assert (comparison.as_of, comparison.old_as_of) == (date(2026, 11, 30), date(2025, 9, 2))
    assert comparison.portion_marks and comparison.show_verification
    assert comparison.title == "Southern Shield Consultative Pact (SSCP)"
    # The banner is the higher of the two: a deletion shows the old view's text.
    challenges = [*before.instruments[ID].challenges]
    secret = challenges[0].model_copy(update={"text": "A restricted worry.", "release": "restricted"})
    higher = view(before, "analyst", edited(before, challenges=[*challenges, secret]))
    assert higher.banner == "restricted" and new.banner == "internal"
    assert compare(higher, new).banner == "restricted"
    assert compare(new, higher).banner == "restricted"


def test_only_views_of_one_instrument_for_one_audience_compare(before: Corpus, after: Corpus) -> None:
    with pytest.raises(
        ValueError, match="cannot compare southern-shield for public with southern-shield for staff"
    ):
        compare(view(before, "public"), view(after, "staff"))


# --- the change page --------------------------------------------------------------------------------------


def test_the_change_page_marks_insertions_and_deletions(before: Corpus, after: Corpus) -> None:
    page = html(editions(before, after, "analyst"))
    assert "Changes from 2 September 2025 to 30 November 2026" in page
    assert "<del>five</del><ins>six</ins>" in page and "<del>72</del><ins>48</ins>" in page
    assert "<del>The consultation clause has never been tested in a real crisis.</del>" in page
    assert (
        '<del><span class="pm pm-public">(P)</span></del><ins><span class="pm pm-internal">(I)</span></ins>'
        in page
    )
    assert "Withdrawal announced" in page and "Removed from the list" in page
    assert "No changes: Assessment." in page


def test_the_change_page_in_spanish_and_portuguese(before: Corpus, after: Corpus) -> None:
    comparison = editions(before, after, "public")
    spanish = html(comparison, "es")
    assert "Cambios del 2 de septiembre de 2025 al 30 de noviembre de 2026" in spanish
    assert (
        "Resumen de cambios" in spanish
        and "Retiro anunciado" in spanish
        and "Summary of changes" not in spanish
    )
    portuguese = html(comparison, "pt")
    assert "Alterações de 2 de setembro de 2025 a 30 de novembro de 2026" in portuguese
    assert "Paraguai" in portuguese  # country names in the edition's language
    messages = [*catalogue("es").missing, *catalogue("pt").missing]
    assert not [m for m in messages if m in spanish or "change" in m.lower()]


@pytest.mark.slow
def test_the_change_page_as_a_pdf(before: Corpus, after: Corpus, tmp_path: Path) -> None:
    from atalaya.formats.pdf.writer import PdfWriter

    writer = PdfWriter(TemplateSet(TEMPLATES))
    analyst = writer.render(editions(before, after, "analyst"), [TEMPLATE])
    assert analyst.warnings == () and analyst.pages <= 3
    text = pdf_text(analyst.data, tmp_path / "analyst.pdf")
    assert "Changes from 2 September 2025 to 30 November 2026" in text
    for word in ("six", "48", "Exchange maritime traffic reports", "Paraguay", "Asunción"):
        assert word in text, word  # inserted
    for word in (
        "five",
        "72",
        "The consultation clause has never been tested",
        "Support Peru's bid",
        "Norway",
    ):
        assert word in text, word  # deleted
    assert text.count("INTERNAL") >= 2 * analyst.pages  # top and bottom of every page
    assert "RESTRICTED" not in text

    public = writer.render(editions(before, after, "public"), [TEMPLATE])
    text = pdf_text(public.data, tmp_path / "public.pdf")
    assert "PUBLIC" in text and "INTERNAL" not in text
    assert "Use the exercise cycle" in text  # deleted for the public, with nothing saying why
    for hidden in ("Ministries privately doubt", "Support Peru's bid", "(I)", "France"):
        assert hidden not in text, hidden


def pdf_text(data: bytes, path: Path) -> str:
    """The PDF's text as pdftotext reads it (pypdf where poppler is absent)."""
    path.write_bytes(data)
    if shutil.which("pdftotext"):
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    pypdf = pytest.importorskip("pypdf")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
