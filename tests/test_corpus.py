"""The shipped corpus: complete, sourced, releasability-marked, and different for each audience."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from atalaya.model import MARKED_GROUPS, Corpus, load_corpus
from atalaya.select import audiences_for, make_view
from conftest import CONTENT, run_cli

# What the seed articles name, by the id each has in content/instruments/
SEED_INSTRUMENTS = {
    "rio-treaty": "Inter-American Treaty of Reciprocal Assistance",
    "oas-hemispheric-security": "Organization of American States",
    "unasur": "Union of South American Nations",
    "south-american-defense-council": "South American Defense Council",
    "pacific-alliance": "Pacific Alliance",
    "andean-defense-pact": "Andean Defense Pact",
    "sicofaa": "System of Cooperation among the American Air Forces",
    "inter-american-defense-board": "Inter-American Defense Board",
    "cepredenac": "Coordination Center for the Prevention of Natural Disasters in Central America",
    "foreign-military-sales": "Foreign Military Sales",
    "imet": "Military Education and Training",
}
BILATERAL_MINIMUM = 3
OAS_MEMBER_STATES = set(
    [
        "AG",
        "AR",
        "BS",
        "BB",
        "BZ",
        "BO",
        "BR",
        "CA",
        "CL",
        "CO",
        "CR",
        "CU",
        "DM",
        "DO",
        "EC",
        "SV",
        "GD",
        "GT",
        "GY",
        "HT",
        "HN",
        "JM",
        "MX",
        "PA",
        "PY",
        "PE",
        "KN",
        "LC",
        "VC",
        "SR",
        "TT",
        "US",
        "UY",
        "VE",
    ]
)

# The date of the latest review of the shipped content; no file may claim a later one.
REVIEWED = date(2026, 11, 30)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(CONTENT, today=REVIEWED)


def test_check_strict_passes_on_the_shipped_content() -> None:
    result = run_cli("check", "--strict", "--templates", "templates")
    assert result.code == 0, result.stderr
    assert "warning" not in result.stderr


def test_every_seed_instrument_is_present_under_its_name(corpus: Corpus) -> None:
    for instrument_id, name in SEED_INSTRUMENTS.items():
        assert instrument_id in corpus.instruments, instrument_id
        assert name.lower() in corpus.instruments[instrument_id].name.lower(), corpus.instruments[
            instrument_id
        ].name


def test_the_corpus_has_at_least_18_instruments_and_three_bilateral_agreements(corpus: Corpus) -> None:
    assert len(corpus.instruments) >= 18
    bilateral = [i for i in corpus.instruments.values() if i.kind == "bilateral-agreement"]
    assert len(bilateral) >= BILATERAL_MINIMUM
    for agreement in bilateral:
        assert len(agreement.members) + len(agreement.partners) >= 2, agreement.id


def test_every_file_is_sourced_dated_and_substantial(corpus: Corpus) -> None:
    for instrument in corpus.instruments.values():
        assert instrument.sources, instrument.id
        assert instrument.as_of <= REVIEWED
        assert instrument.timeline, instrument.id
        assert len(instrument.objectives) >= 3, instrument.id
        assert instrument.assessment and instrument.recommendations, instrument.id
        for source in instrument.sources:
            assert source.url is None or source.url.startswith("https://"), (instrument.id, source.url)


def test_the_unsupported_seed_claim_is_marked_disputed(corpus: Corpus) -> None:
    pact = corpus.instruments["andean-defense-pact"]
    assert pact.verification == "disputed"
    assert pact.verification_note


def test_every_file_carries_internal_and_restricted_items(corpus: Corpus) -> None:
    for instrument in corpus.instruments.values():
        levels = set()
        for group in MARKED_GROUPS:
            levels.update(item.release or instrument.release for item in getattr(instrument, group))
        assert {"internal", "restricted"} <= levels, instrument.id


def test_no_text_is_repeated_across_files(corpus: Corpus) -> None:
    seen: dict[str, str] = {}
    for instrument in corpus.instruments.values():
        for group in ("summary", "objectives", "activities", "challenges", "assessment", "recommendations"):
            for item in getattr(instrument, group):
                assert item.text not in seen or seen[item.text] == instrument.id, (
                    item.text,
                    seen.get(item.text),
                )
                seen[item.text] = instrument.id


def test_each_audience_view_of_each_instrument_differs(corpus: Corpus) -> None:
    for instrument in corpus.instruments.values():
        views = {a: make_view(corpus, instrument, a) for a in audiences_for(corpus, instrument)}
        assert set(views) == {"executive", "analyst", "staff", "public"}, instrument.id
        fingerprints = {a: (v.sections, tuple(v.all_text()), v.banner) for a, v in views.items()}
        for a, b in itertools.combinations(fingerprints, 2):
            assert fingerprints[a] != fingerprints[b], (instrument.id, a, b)
        assert views["public"].banner == "public"
        assert views["analyst"].banner == "restricted"


def test_reference_data(corpus: Corpus) -> None:
    oas = {code for code, country in corpus.countries.items() if country.oas_member}
    assert oas == OAS_MEMBER_STATES
    named = {m.country for i in corpus.instruments.values() for m in (*i.members, *i.partners)}
    assert named <= set(corpus.countries)
    for country in corpus.countries.values():
        assert country.name.en and country.name.es and country.name.pt
    assert corpus.countries["BR"].name.pt == "Brasil"
    assert {a: corpus.audiences[a].clearance for a in corpus.audiences} == {
        "executive": "restricted",
        "analyst": "restricted",
        "staff": "internal",
        "public": "public",
    }


def test_spanish_and_portuguese_names_are_kept(corpus: Corpus) -> None:
    rio = corpus.instruments["rio-treaty"]
    assert rio.names is not None
    assert rio.names["es"].text == "Tratado Interamericano de Asistencia Recíproca"
    assert rio.names["pt"].text == "Tratado Interamericano de Assistência Recíproca"


def test_the_schema_comment_heads_every_content_file() -> None:
    for path in sorted(Path(CONTENT).rglob("*.yaml")):
        assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema="), path
