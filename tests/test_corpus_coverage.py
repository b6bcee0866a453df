"""The widened corpus: at least 36 instruments, the instruments an analyst expects beside the seed ones, and
each added file complete enough to brief from (sourced, a public summary, members or partners, assessed)."""

from __future__ import annotations

from datetime import date

import pytest

from atalaya.model import Corpus, Instrument, load_corpus
from atalaya.select import audiences_for, make_view
from conftest import CONTENT

CORPUS_MINIMUM = 36

# The instruments added to widen the corpus, by id, with a word their English name must contain.
ADDED = {
    "regional-security-system": "Regional Security System",
    "democratic-security-framework-treaty": "Framework Treaty on Democratic Security",
    "central-american-security-commission": "Central American Security Commission",
    "andean-charter-peace-security": "Andean Charter for Peace and Security",
    "carsi": "Central America Regional Security Initiative",
    "cbsi": "Caribbean Basin Security Initiative",
    "inter-american-defense-college": "Inter-American Defense College",
    "major-non-nato-ally": "Major non-NATO ally",
    "colombia-nato-partnership": "NATO",
    "unitas": "UNITAS",
    "multinational-security-support-haiti": "Multinational Security Support",
    "haiti-gang-suppression-force": "Gang Suppression Force",
    "binuh": "Integrated Office in Haiti",
    "panamax": "PANAMAX",
    "tradewinds": "Tradewinds",
    "zopacas": "South Atlantic Peace and Cooperation Zone",
    "conference-american-armies": "Conference of American Armies",
}

# The Latin American holders of the US major non-NATO ally status, with the year of designation.
MNNA_HOLDERS = {"AR": "1998", "BR": "2019", "CO": "2022"}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(CONTENT, today=date(2026, 11, 30))


def level(instrument: Instrument, release: str | None) -> str:
    return release or instrument.release


def test_the_corpus_has_at_least_36_instruments(corpus: Corpus) -> None:
    assert len(corpus.instruments) >= CORPUS_MINIMUM, sorted(corpus.instruments)


@pytest.mark.parametrize(("instrument_id", "name"), sorted(ADDED.items()))
def test_each_added_instrument_exists_under_its_name(corpus: Corpus, instrument_id: str, name: str) -> None:
    assert instrument_id in corpus.instruments, instrument_id
    assert name.lower() in corpus.instruments[instrument_id].name.lower()


@pytest.mark.parametrize("instrument_id", sorted(ADDED))
def test_each_added_file_is_sourced_summarised_populated_and_assessed(
    corpus: Corpus, instrument_id: str
) -> None:
    instrument = corpus.instruments[instrument_id]
    assert instrument.sources, "no source"
    assert any(level(instrument, item.release) == "public" for item in instrument.summary), (
        "no public summary"
    )
    assert instrument.members or instrument.partners, "no members or partners"
    assert instrument.assessment, "no assessment"
    assert instrument.as_of == date(2026, 11, 30)


@pytest.mark.parametrize("instrument_id", sorted(ADDED))
def test_each_added_file_has_a_public_document_that_carries_its_public_summary(
    corpus: Corpus, instrument_id: str
) -> None:
    instrument = corpus.instruments[instrument_id]
    assert "public" in audiences_for(corpus, instrument)
    shown = make_view(corpus, instrument, "public").all_text()
    public = [item.text for item in instrument.summary if level(instrument, item.release) == "public"]
    assert public and all(any(text in line for line in shown) for text in public)
    hidden = [item.text for item in instrument.assessment if level(instrument, item.release) != "public"]
    assert not any(text in line for text in hidden for line in shown)


def test_every_related_id_resolves_and_no_file_relates_to_itself(corpus: Corpus) -> None:
    for instrument in corpus.instruments.values():
        for related in instrument.related:
            assert related in corpus.instruments, (instrument.id, related)
            assert related != instrument.id


def test_the_added_files_are_linked_into_the_corpus(corpus: Corpus) -> None:
    """Every added file points at an existing instrument and is pointed at by at least one other file."""
    pointed_at = {related for instrument in corpus.instruments.values() for related in instrument.related}
    older = set(corpus.instruments) - set(ADDED)
    for instrument_id in ADDED:
        assert set(corpus.instruments[instrument_id].related) & older, instrument_id
        assert instrument_id in pointed_at, instrument_id


def test_the_major_non_nato_allies_are_the_three_latin_american_designations(corpus: Corpus) -> None:
    holders = {
        m.country: str(m.joined) for m in corpus.instruments["major-non-nato-ally"].members if m.joined
    }
    assert {country: joined[:4] for country, joined in holders.items()} == MNNA_HOLDERS


def test_the_haiti_missions_follow_each_other(corpus: Corpus) -> None:
    mss = corpus.instruments["multinational-security-support-haiti"]
    gsf = corpus.instruments["haiti-gang-suppression-force"]
    assert str(mss.established) == "2023-10-02"
    assert mss.status.state == "defunct"
    assert str(mss.status.since) == str(gsf.established) == "2025-09-30"
    assert {"KE", "HT"} <= {m.country for m in gsf.members}


def test_the_regional_security_system_has_its_seven_treaty_states_and_guyana(corpus: Corpus) -> None:
    members = {m.country for m in corpus.instruments["regional-security-system"].members}
    assert members == {"AG", "BB", "DM", "GD", "KN", "LC", "VC", "GY"}
