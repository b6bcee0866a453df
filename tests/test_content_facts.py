"""The November 2026 fact-check of the shipped corpus, and the schema rules it brought in.

The first half asserts corrected facts on the shipped content (each was wrong before the review); the second
half mutates copies of the good fixture tree and asserts the exact located messages `check` prints for
membership periods (`announced`, re-entry), `claimed` instruments, verification on recommendations and
past events still worded as future.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from atalaya.model import Corpus, Instrument, Member, PartialDate, load_corpus
from atalaya.render import TemplateSet
from atalaya.select import make_view
from conftest import CONTENT, TEMPLATES, run_cli

ALPHA = "instruments/alpha-pact.yaml"
BETA = "instruments/beta-forum.yaml"

# The files reviewed in the fact-check: each was re-dated to the review.
REVIEWED = (
    "rio-treaty",
    "imet",
    "sicofaa",
    "unasur",
    "south-american-defense-council",
    "china-defence-engagement",
    "russia-defence-engagement",
    "inter-american-transparency-convention",
    "andean-defense-pact",
    "conference-defense-ministers-americas",
)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(CONTENT, today=date(2026, 11, 30))


def periods(instrument: Instrument, country: str) -> list[Member]:
    return [m for m in instrument.members if m.country == country]


def d(text: str) -> PartialDate:
    return PartialDate.parse(text)


# --- the corrected facts ---------------------------------------------------------------------------------


def test_reviewed_files_carry_the_review_date(corpus: Corpus) -> None:
    for name in REVIEWED:
        assert corpus.instruments[name].as_of == date(2026, 11, 30), name


def test_cuba_is_still_a_rio_treaty_party_and_the_counts_agree(corpus: Corpus) -> None:
    rio = corpus.instruments["rio-treaty"]
    (cuba,) = periods(rio, "CU")
    assert cuba.left is None and cuba.announced is None  # 1962 was its government's exclusion from the OAS
    current = {m.country for m in rio.members if m.left is None}
    undisputed = {m.country for m in rio.members if m.left is None and m.verification != "disputed"}
    assert len(current) == 19 and len(undisputed) == 18 and "VE" in current - undisputed
    assert rio.status.note is not None
    note = rio.status.note.text
    assert "18 states whose status is undisputed" in note and "19 parties were counted in 2019" in note
    assert "17" not in " ".join(r.text for r in rio.recommendations)


def test_rio_treaty_denunciations_date_announcement_and_effect(corpus: Corpus) -> None:
    rio = corpus.instruments["rio-treaty"]
    (mexico,) = periods(rio, "MX")
    assert (mexico.announced, mexico.left) == (d("2002-09"), d("2004-09"))
    for code in ("BO", "NI"):
        (member,) = periods(rio, code)
        assert (member.announced, member.left) == (d("2012-06-05"), d("2014")), code
    (ecuador,) = periods(rio, "EC")
    assert (ecuador.announced, ecuador.left) == (d("2014-02"), d("2016"))
    first, second = periods(rio, "VE")
    assert first.left == d("2014") and second.joined == d("2019") and second.left is None
    assert first.verification == second.verification == "disputed"


def test_nicaragua_is_no_longer_an_oas_member(corpus: Corpus) -> None:
    assert corpus.countries["NI"].oas_member is False
    (nicaragua,) = periods(corpus.instruments["oas-hemispheric-security"], "NI")
    assert nicaragua.left == d("2023-11-19")


def test_venezuela_halted_whinsec_attendance_in_2004(corpus: Corpus) -> None:
    imet = corpus.instruments["imet"]
    (venezuela,) = periods(imet, "VE")
    assert (venezuela.announced, venezuela.left) == (d("2004-01"), d("2004"))
    assert venezuela.role is not None and "2005" not in venezuela.role
    assert all("Venezuela (2005)" not in c.text for c in imet.challenges)


def test_cooperacion_xi_was_held_in_campo_grande_in_march_2026(corpus: Corpus) -> None:
    sicofaa = corpus.instruments["sicofaa"]
    assert sicofaa.status.note is not None
    note = sicofaa.status.note.text
    assert "planned" not in note and "was held from Campo Grande Air Base from 16 to 27 March 2026" in note
    events = {str(e.date): e.text for e in sicofaa.timeline}
    assert "Campo Grande" in events["2026-03-16"] and "opens" in events["2026-03-16"]
    assert "Cooperación VIII" in events["2022-04"] and "2022-03" not in events
    (brazil,) = [m for m in sicofaa.members if m.country == "BR"]
    assert brazil.role is not None and brazil.role.startswith("Member; hosted Cooperación XI")


def test_prosur_was_launched_by_seven_presidents_and_guyanas_ambassador(corpus: Corpus) -> None:
    unasur = corpus.instruments["unasur"]
    (launch,) = [e for e in unasur.timeline if e.date == d("2019-03-22")]
    assert "Eight" not in launch.text
    assert "Argentina, Brazil, Chile, Colombia, Ecuador, Paraguay and Peru" in launch.text
    assert "Guyana's ambassador" in launch.text


@pytest.mark.parametrize("name", ["unasur", "south-american-defense-council"])
def test_re_entry_to_unasur_is_a_second_membership_period(corpus: Corpus, name: str) -> None:
    instrument = corpus.instruments[name]
    colombia = periods(instrument, "CO")
    assert [(m.announced, m.left) for m in colombia] == [(d("2018-08-28"), d("2019-03-01")), (None, None)]
    assert colombia[1].joined == d("2023-12-05")
    brazil = periods(instrument, "BR")
    assert [(m.left, m.joined) for m in brazil][1] == (None, d("2023-05-06")) and brazil[0].left == d("2019")
    argentina = periods(instrument, "AR")
    assert argentina[0].announced == d("2019-04-12") and argentina[0].left == d("2019")
    assert argentina[1].joined == d("2023-04-06") and argentina[1].verification == "single-source"
    view = make_view(corpus, instrument, "analyst")
    (row,) = [r for r in view.members if r.code == "CO"]
    assert len(row.periods) == 2 and row.left is None  # one row, still a current member


def test_china_forum_and_seed_citations(corpus: Corpus) -> None:
    china = corpus.instruments["china-defence-engagement"]
    (fifth,) = [e for e in china.timeline if e.date == d("2022-12-13")]
    assert "video link" in fifth.text and "Beijing" not in fifth.text
    # The seed article mentions China only for arms sales: it is cited there and nowhere else.
    citing = [i.text for i in (*china.summary, *china.activities) if "seed-diplomacy" in i.cite]
    assert len(citing) == 1 and citing[0].startswith("Arms sales")


def test_russia_claims_rest_on_sources_that_state_them(corpus: Corpus) -> None:
    russia = corpus.instruments["russia-defence-engagement"]
    assert "seed-alliances" not in {s.key for s in russia.sources}
    (air,) = [c for c in russia.challenges if "air defences" in c.text]
    assert air.cite == ["kyiv-independent-2026"]
    (bananas,) = [c for c in russia.challenges if "banana" in c.text]
    assert "kyiv-independent-2024" in bananas.cite


def test_transparency_convention_lists_only_parties(corpus: Corpus) -> None:
    convention = corpus.instruments["inter-american-transparency-convention"]
    assert "US" not in {m.country for m in convention.members} and len(convention.members) == 12
    for item in convention.activities:
        if "oas-ag-res-2110" in item.cite:
            assert "2007" not in item.text


def test_the_andean_pact_is_claimed_not_defunct(corpus: Corpus) -> None:
    pact = corpus.instruments["andean-defense-pact"]
    assert pact.status.state == "claimed" and pact.status.since is None
    assert all(r.verification is None for r in pact.recommendations)
    view = make_view(corpus, pact, "analyst")
    assert {r.verification for r in view.recommendations} == {"corroborated"}  # no flag, though disputed


def test_mendoza_invitations_rest_on_the_hosts_statement(corpus: Corpus) -> None:
    cdma = corpus.instruments["conference-defense-ministers-americas"]
    for code in ("NI", "VE"):
        (member,) = periods(cdma, code)
        assert member.role is not None and "One press report" not in member.role
        assert "argentina-mindef-2024" in member.cite


def test_every_defence_council_source_is_cited(corpus: Corpus) -> None:
    council = corpus.instruments["south-american-defense-council"]
    cited = {
        key
        for group in ("summary", "members", "activities", "assessment", "objectives")
        for i in getattr(council, group)
        for key in i.cite
    }
    assert {s.key for s in council.sources} <= cited


def test_check_strict_passes_on_the_shipped_content() -> None:
    result = run_cli("check", "--strict")
    assert result.code == 0, result.stderr


# --- the schema rules, on mutated copies of the good fixture tree ----------------------------------------


def edit(tree: Path, name: str, old: str, new: str) -> None:
    path = tree / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def check(tree: Path, *options: str) -> tuple[int, list[str]]:
    """Exit code and the located lines `check` printed, with the tree's own path left off."""
    result = run_cli("check", "--content", tree, *options)
    lines = [line.replace(f"{tree}/", "") for line in result.stderr.splitlines()]
    return result.code, [line for line in lines if line.startswith("instruments/")]


MEMBER_CL = "{country: CL, joined: 1990-05-01, left: 2001-02}"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            MEMBER_CL,
            "{country: CL, joined: 1990-05-01, announced: 2001-03, left: 2001-02}",
            f"{ALPHA}:17:50: members[2]: announced 2001-03 is after left 2001-02",
        ),
        (
            MEMBER_CL,
            "{country: CL, joined: 1990-05-01, announced: 1989, left: 2001-02}",
            f"{ALPHA}:17:50: members[2]: announced 1989 is before joined 1990-05-01",
        ),
        (
            "{country: AR, joined: 1990-05-01}",
            "{country: AR, joined: 1990-05-01, announced: 2027}",
            f"{ALPHA}:15:50: members[0].announced 2027 is after as_of 2026-11-01",
        ),
        (
            MEMBER_CL,
            MEMBER_CL + "\n  - {country: CL, joined: 2000}",
            f"{ALPHA}:18:15: members[3]: country 'CL' is listed twice with overlapping periods "
            "(members[2]: 1990-05-01 to 2001-02; members[3]: 2000 to now); "
            "a country that left and came back needs a 'left' before it joins again",
        ),
        (
            "{country: AR, joined: 1990-05-01}",
            "{country: AR, joined: 1990-05-01}\n  - {country: AR, joined: 2010}",
            f"{ALPHA}:16:15: members[1]: country 'AR' is listed twice with overlapping periods "
            "(members[0]: 1990-05-01 to now; members[1]: 2010 to now); "
            "a country that left and came back needs a 'left' before it joins again",
        ),
        (
            '{country: "NO", role: Observer since 1999.}',
            '{country: "NO", role: Observer since 1999.}\n  - {country: AR}',
            f"{ALPHA}:20:15: country 'AR' is listed twice",
        ),
        (
            "    release: internal\ntimeline:",
            "    release: internal\n    verification: single-source\ntimeline:",
            f"{ALPHA}:34:19: recommendations[0].verification: a recommendation is not a claim of fact and "
            "carries no verification status; remove it",
        ),
    ],
    ids=[
        "announced-after-left",
        "announced-before-joined",
        "announced-after-as-of",
        "overlap",
        "overlap-open",
        "member-and-partner",
        "recommendation-verification",
    ],
)
def test_membership_and_verification_errors_are_located(
    good_tree: Path, old: str, new: str, expected: str
) -> None:
    edit(good_tree, ALPHA, old, new)
    code, lines = check(good_tree)
    assert code == 1
    assert lines == [expected]


def test_a_claimed_instrument_has_no_since_and_is_not_corroborated(good_tree: Path) -> None:
    edit(good_tree, ALPHA, "status: {state: active, since: 1991}", "status: {state: claimed, since: 1991}")
    code, lines = check(good_tree)
    assert code == 1
    assert lines == [
        f"{ALPHA}:7:15: verification: a claimed instrument cannot be corroborated as a whole; "
        "use 'disputed' or 'single-source'",
        f"{ALPHA}:9:33: status.since: a claimed instrument is not on record, so nothing dates it; "
        "remove 'since' and give the claimed date in the status note",
    ]


def test_a_claimed_instrument_checks_clean_and_shows_its_status(good_tree: Path) -> None:
    edit(good_tree, BETA, "status: {state: dormant, since: 2018-03}", "status: {state: claimed}")
    code, lines = check(good_tree, "--strict")
    assert (code, lines) == (0, [])
    corpus = load_corpus(good_tree, today=date(2026, 11, 20))
    view = make_view(corpus, corpus.instruments["beta-forum"], "analyst")
    assert "<dd>Claimed</dd>" in TemplateSet(TEMPLATES).briefing_html(view)


def test_a_country_that_left_and_came_back_is_one_row_with_both_periods(good_tree: Path) -> None:
    edit(
        good_tree, ALPHA, MEMBER_CL, MEMBER_CL[:-1] + ", announced: 2000-08}\n  - {country: CL, joined: 2010}"
    )
    assert check(good_tree, "--strict") == (0, [])
    corpus = load_corpus(good_tree, today=date(2026, 11, 20))
    view = make_view(corpus, corpus.instruments["alpha-pact"], "analyst")
    (chile,) = [row for row in view.members if row.code == "CL"]
    assert [(p.joined, p.announced, p.left) for p in chile.periods] == [
        (d("1990-05-01"), d("2000-08"), d("2001-02")),
        (d("2010"), None, None),
    ]
    assert chile.left is None  # a current member again
    templates = TemplateSet(TEMPLATES)
    html = templates.briefing_html(view)
    assert '<td class="membership">1 May 1990 – Feb 2001 (withdrawal announced Aug 2000); 2010 –</td>' in html
    memo = templates.memo_xml(view)
    assert "<td>1 May 1990; 2010</td><td>February 2001 (withdrawal announced August 2000); –</td>" in memo


def test_recommendations_never_show_a_verification_status(good_tree: Path) -> None:
    edit(good_tree, ALPHA, "verification: corroborated", "verification: disputed")
    corpus = load_corpus(good_tree, today=date(2026, 11, 20))
    view = make_view(corpus, corpus.instruments["alpha-pact"], "analyst")
    assert view.show_verification and view.summary[0].verification == "disputed"
    assert [r.verification for r in view.recommendations] == ["corroborated"]
    html = TemplateSet(TEMPLATES).briefing_html(view)
    recommendations = html.split('id="section-recommendations"')[1].split("</section>")[0]
    assert "Propose a standing hotline." in recommendations and "flag" not in recommendations


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{date: 2001-02, text: Chile withdraws.}",
            "{date: 2001-02, text: Chile withdraws; a review conference is scheduled.}",
            f"{ALPHA}:36:27: warning: timeline[1].text is worded as future ('scheduled') but is dated 2001-02, "
            "before as_of 2026-11-01: say what happened [content.future-wording]",
        ),
        (
            "{text: Annual tabletop exercise on border incidents., kind: exercise}",
            "{text: The 2025 tabletop exercise will be held in Santiago., kind: exercise}",
            f"{ALPHA}:25:12: warning: activities[0] mentions 2025, before as_of 2026-11-01, but is worded as "
            "future ('will'): say what happened [content.future-wording]",
        ),
        (
            "status: {state: active, since: 1991}",
            "status: {state: active, since: 1991, note: The 2019 summit is to be held in Lima.}",
            f"{ALPHA}:9:44: warning: status.note mentions 2019, before as_of 2026-11-01, but is worded as "
            "future ('is to be'): say what happened [content.future-wording]",
        ),
    ],
    ids=["timeline", "activity", "status-note"],
)
def test_past_items_worded_as_future_are_located_warnings(
    good_tree: Path, old: str, new: str, expected: str
) -> None:
    edit(good_tree, ALPHA, old, new)
    assert check(good_tree) == (0, [expected])
    code, lines = check(good_tree, "--strict")
    assert code == 1 and lines == [expected.replace("warning: ", "") + " (--strict)"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "{date: 2001-02, text: Chile withdraws.}",
            "{date: 2001-02, text: Chile announces it will withdraw.}",
        ),
        (
            "{text: Annual tabletop exercise on border incidents., kind: exercise}",
            "{text: The 2026 tabletop exercise will be held in Santiago., kind: exercise}",
        ),
        (
            "{text: Annual tabletop exercise on border incidents., kind: exercise}",
            "{text: A tabletop exercise will be held each year., kind: exercise}",
        ),
    ],
    ids=["reported-speech", "year-of-as-of", "no-year"],
)
def test_reported_speech_and_undated_plans_are_not_flagged(good_tree: Path, old: str, new: str) -> None:
    edit(good_tree, ALPHA, old, new)
    assert check(good_tree, "--strict") == (0, [])
