"""Planning and hashing, without building a document: targets and their paths, filters and shards, input
hashes from audience views, the manifest's text, warning categories and editions."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from atalaya import formats, products
from atalaya.errors import ContentError, Diagnostic, Severity, warning
from atalaya.manifest import Manifest, ManifestProblem, entry_for
from atalaya.model import STALE, load_corpus
from atalaya.plan import Filters, InputHasher, Options, Target, all_targets, plan_targets, view_json
from conftest import GOOD, ROOT, TEMPLATES, run_cli

TODAY = date(2026, 11, 20)
BRIEF = products.get("brief")
PDF, DOCX = formats.get("pdf"), formats.get("docx")
# alpha-pact (public) goes to every audience; beta-forum (internal) to all but the public.
DOCUMENTS = [
    f"{audience}/{subject}"
    for subject, audiences in (
        ("alpha-pact", ("analyst", "executive", "public", "staff")),
        ("beta-forum", ("analyst", "executive", "staff")),
    )
    for audience in audiences
]  # in plan order: by subject, then audience


def hashes(content: Path, templates: Path, options: Options | None = None) -> dict[str, str]:
    """Every instrument brief's input hash, by path (the books and country briefs: tests/test_books.py,
    tests/test_country_briefs.py)."""
    corpus = load_corpus(content, today=TODAY)
    hasher = InputHasher(corpus, templates, options or Options())
    return {t.path: hasher.hash(t) for t in all_targets(corpus) if t.product.name == "brief"}


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The documents (audience/subject) whose hash changed in some format."""
    assert before.keys() == after.keys()
    return sorted({path.rsplit(".", 1)[0] for path in before if before[path] != after[path]})


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the templates, so that the hashes compared in a test are of the same templates."""
    copy = tmp_path_factory.mktemp("plan") / "templates"
    shutil.copytree(TEMPLATES, copy)
    return copy


@pytest.fixture(scope="module")
def reference(templates: Path) -> dict[str, str]:
    return hashes(GOOD, templates)


# --- targets and paths ------------------------------------------------------------------------------------


def test_a_targets_path_is_audience_stem_edition_and_suffix() -> None:
    source = Target(BRIEF, "rio-treaty", "analyst", "en", PDF, True)
    spanish = replace(source, edition="es", source_edition=False)
    assert source.path == source.name == "analyst/rio-treaty.pdf"
    assert source.side_path(".html") == "analyst/rio-treaty.html"
    assert spanish.path == "analyst/rio-treaty.es.pdf"
    assert spanish.side_path(".html") == "analyst/rio-treaty.es.html"
    assert replace(spanish, format=DOCX).path == "analyst/rio-treaty.es.docx"


def test_every_target_is_planned_once_in_a_stable_order() -> None:
    corpus = load_corpus(GOOD, today=TODAY)
    targets = all_targets(corpus)
    briefs = [t for t in targets if t.product.name == "brief"]
    assert [t.path for t in briefs] == [f"{d}.{f}" for d in DOCUMENTS for f in ("docx", "pdf")]
    assert {(t.edition, t.source_edition) for t in targets} == {("en", True)}
    assert {t.product.name for t in targets} == {"brief", "book", "countries"}  # no change memo: no baseline
    assert len({t.path for t in targets}) == len(targets)
    assert targets == sorted(targets, key=lambda t: t.sort_key)
    assert BRIEF.template_names(PDF, "staff") == ["briefing/staff.html.j2", "briefing/base.html.j2"]
    assert BRIEF.template_names(DOCX, "staff") == ["memo/staff.xml.j2", "memo/base.xml.j2"]


def test_filters_and_shards_select_from_the_one_plan() -> None:
    corpus = load_corpus(GOOD, today=TODAY)
    public = plan_targets(corpus, Filters(audiences=("public",), products=("brief",)))
    assert [t.path for t in public] == ["public/alpha-pact.docx", "public/alpha-pact.pdf"]
    assert {t.audience for t in plan_targets(corpus, Filters(audiences=("public",)))} == {"public"}
    memos = plan_targets(corpus, Filters(subjects=("beta-forum",), formats=("docx",)))
    assert [t.path for t in memos] == [f"{a}/beta-forum.docx" for a in ("analyst", "executive", "staff")]
    assert plan_targets(corpus, Filters(languages=("en",))) == all_targets(corpus)
    shards = [plan_targets(corpus, Filters(shard=(k, 3))) for k in (1, 2, 3)]
    assert sorted(t.path for shard in shards for t in shard) == sorted(t.path for t in all_targets(corpus))
    assert all(shards)


# --- input hashes from views ------------------------------------------------------------------------------


def test_hashes_are_stable_and_differ_per_target(templates: Path, reference: dict[str, str]) -> None:
    assert hashes(GOOD, templates) == reference
    assert len(set(reference.values())) == len(reference)


def test_an_internal_edit_rebuilds_only_the_audiences_that_see_it(
    good_tree: Path, templates: Path, reference: dict[str, str]
) -> None:
    edit(good_tree / "instruments" / "alpha-pact.yaml", "ALPHA-INTERNAL-CANARY consultations", "Talks")
    assert changed(reference, hashes(good_tree, templates)) == [
        "analyst/alpha-pact",
        "executive/alpha-pact",
        "staff/alpha-pact",
    ]


def test_a_public_edit_rebuilds_every_audience_that_shows_it(
    good_tree: Path, templates: Path, reference: dict[str, str]
) -> None:
    edit(good_tree / "instruments" / "alpha-pact.yaml", "to consult on border incidents", "to talk")
    assert changed(reference, hashes(good_tree, templates)) == [d for d in DOCUMENTS if "alpha-pact" in d]
    # an objective: only the audiences whose documents have the objectives section
    edit(good_tree / "instruments" / "alpha-pact.yaml", "within 48 hours", "within a day")
    assert changed(reference, hashes(good_tree, templates)) == [d for d in DOCUMENTS if "alpha-pact" in d]


def test_an_edit_no_audience_shows_rebuilds_nothing(
    good_tree: Path, templates: Path, reference: dict[str, str]
) -> None:
    # a comment is in the file but in no view
    path = good_tree / "instruments" / "alpha-pact.yaml"
    path.write_text("# reviewed again\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert changed(reference, hashes(good_tree, templates)) == []


def test_renaming_a_related_instrument_rebuilds_only_the_documents_naming_it(
    good_tree: Path, templates: Path, reference: dict[str, str]
) -> None:
    edit(good_tree / "instruments" / "beta-forum.yaml", "name: Beta Forum", "name: Beta Dialogue")
    # beta-forum's own documents, and alpha-pact's only where the (internal) relation is shown: the analyst's
    assert changed(reference, hashes(good_tree, templates)) == [
        "analyst/alpha-pact",
        "analyst/beta-forum",
        "executive/beta-forum",
        "staff/beta-forum",
    ]


def test_an_audience_setting_rebuilds_that_audiences_documents(
    good_tree: Path, templates: Path, reference: dict[str, str]
) -> None:
    edit(good_tree / "audiences.yaml", "marking: STAFF USE", "marking: STAFF ONLY")
    assert changed(reference, hashes(good_tree, templates)) == [
        d for d in DOCUMENTS if d.startswith("staff/")
    ]


def test_templates_count_for_their_format_and_shared_ones_for_all(
    tmp_path: Path, templates: Path, reference: dict[str, str]
) -> None:
    def formats_changed_by(relative: str) -> set[str]:
        edited = tmp_path / relative.replace("/", "-")
        shutil.copytree(templates, edited)
        with (edited / relative).open("a", encoding="utf-8") as handle:
            handle.write("\n")
        new = hashes(GOOD, edited)
        return {path.rsplit(".", 1)[1] for path in reference if new[path] != reference[path]}

    assert formats_changed_by("index.html.j2") == set()  # the index pages are no document's input
    assert formats_changed_by("memo/base.xml.j2") == {"docx"}
    assert formats_changed_by("briefing/base.html.j2") == {"pdf"}
    assert formats_changed_by("partials/macros.html.j2") == {"pdf", "docx"}


def test_options_are_part_of_the_hashes(templates: Path, reference: dict[str, str]) -> None:
    letter = hashes(GOOD, templates, Options(paper="Letter"))
    assert all(letter[path] != reference[path] for path in reference)


def test_view_hashes_do_not_depend_on_the_process(templates: Path, reference: dict[str, str]) -> None:
    script = (
        "import json, sys\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, 'tests')\n"
        "from test_plan import hashes\n"
        f"print(json.dumps(hashes(Path({str(GOOD)!r}), Path({str(templates)!r}))))\n"
    )
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed, "TZ": "Asia/Kathmandu"},
        )
        assert json.loads(done.stdout) == reference


def test_a_view_serialises_every_field() -> None:
    from atalaya.select import make_view

    corpus = load_corpus(GOOD, today=TODAY)
    view = make_view(corpus, corpus.instruments["alpha-pact"], "analyst")
    data = json.loads(view_json(view))
    assert data["office"]["name"] == "Fixture Planning Office"
    assert data["audience"]["marking"] == "ANALYST FILE"
    assert data["related"] == [{"acronym": None, "id": "beta-forum", "name": "Beta Forum"}]
    assert data["as_of"] == "2026-11-01"


# --- the manifest -----------------------------------------------------------------------------------------


def _manifest() -> Manifest:
    target = Target(BRIEF, "alpha-pact", "public", "en", PDF, True)
    entry = entry_for(
        target,
        sha256="a" * 64,
        bytes=10,
        pages=1,
        input_hash="b" * 64,
        side_files={"public/alpha-pact.html": "c" * 64},
    )
    return Manifest(tools={"atalaya": "1"}, entries={entry.target: entry}, files={"index.html": "d" * 64})


def test_the_manifest_reads_back_what_it_wrote() -> None:
    manifest = _manifest()
    assert Manifest.parse(manifest.to_json()) == manifest
    spanish = entry_for(
        Target(BRIEF, "alpha-pact", "public", "es", DOCX, False),
        sha256="a" * 64,
        bytes=10,
        pages=None,
        input_hash="b" * 64,
    )
    manifest.entries[spanish.target] = spanish
    assert spanish.path == "public/alpha-pact.es.docx"
    assert Manifest.parse(manifest.to_json()) == manifest


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "odt"}, "targets[0]: unknown format 'odt'"),
        ({"product": "pamphlet"}, "targets[0]: unknown product 'pamphlet'"),
        (
            {"subject": "beta-forum"},
            "targets[0]: target, path, audience, subject, edition and format disagree",
        ),
        ({"edition": "es"}, None),  # the source path with another language: taken as that language's
        ({"path": "notes.txt", "target": "notes.txt"}, "disagree"),
        ({"side_files": {"public/other.html": "c" * 64}}, "is not this target's side file"),
    ],
)
def test_a_manifest_entry_must_agree_with_its_target(change: dict[str, object], message: str | None) -> None:
    data = json.loads(_manifest().to_json())
    data["targets"][0].update(change)
    if message is None:
        Manifest.parse(json.dumps(data))
        return
    with pytest.raises(ManifestProblem, match=re.escape(message)):
        Manifest.parse(json.dumps(data))


def test_a_format_2_manifest_reads_as_source_language_briefs() -> None:
    data = json.loads(_manifest().to_json())
    (entry,) = data["targets"]
    for key in ("product", "subject", "edition"):
        del entry[key]
    entry["instrument"] = "alpha-pact"
    data["format"] = 2
    old = Manifest.parse(json.dumps(data), source_language="en")
    assert old.version == 2
    assert old.entries == _manifest().entries


# --- warnings and editions --------------------------------------------------------------------------------


def test_warnings_carry_their_category_and_strict_keeps_it() -> None:
    stale = warning("a.yaml", 3, 4, "not reviewed for 200 days", STALE)
    assert stale.format() == "a.yaml:3:4: warning: not reviewed for 200 days [content.stale]"
    assert stale.strict().format() == "a.yaml:3:4: not reviewed for 200 days [content.stale] (--strict)"
    assert stale.strict().severity is Severity.ERROR
    assert (
        stale.github_annotation()
    ) == "::warning file=a.yaml,line=3,col=4::not reviewed for 200 days [content.stale]"
    assert Diagnostic("a.yaml", 1, 1, "broken").format() == "a.yaml:1:1: broken"


def test_every_content_warning_has_a_category(good_tree: Path) -> None:
    office = good_tree / "office.yaml"
    edit(office, "stale_after_days: 3650", "stale_after_days: 1")
    edit(
        good_tree / "instruments" / "alpha-pact.yaml",
        "{date: 2001-02, text: Chile withdraws.}",
        "{date: 1989, text: Chile withdraws.}",
    )
    corpus = load_corpus(good_tree, today=TODAY)
    assert sorted({w.category for w in corpus.warnings}) == ["content.order", STALE]


def test_office_languages_are_the_editions_the_source_first(good_tree: Path) -> None:
    office = good_tree / "office.yaml"
    assert load_corpus(good_tree, today=TODAY).office.editions == ("en",)
    edit(office, "language: en\n", "language: en\nlanguages: [en, es, pt]\n")
    corpus = load_corpus(good_tree, today=TODAY)
    assert corpus.office.editions == ("en", "es", "pt")
    # Nothing is translated and every audience withholds untranslated documents (the default): only the
    # source edition is built; the others are valid filters that select nothing yet.
    assert all_targets(corpus) == all_targets(load_corpus(GOOD, today=TODAY))
    listed = run_cli("list", "--content", good_tree, "--language", "es")
    assert (listed.code, listed.stdout) == (0, "")
    # An audience that shows untranslated text marked gets its other editions at once.
    edit(good_tree / "audiences.yaml", "analyst:\n", "analyst:\n  untranslated: mark\n")
    listed = run_cli("list", "--content", good_tree, "--language", "pt", "--product", "brief")
    assert listed.code == 0
    assert sorted(listed.stdout.split()) == sorted(
        f"analyst/{stem}.pt.{suffix}" for stem in ("alpha-pact", "beta-forum") for suffix in ("docx", "pdf")
    )
    listed = run_cli("list", "--content", good_tree, "--language", "fr")
    assert listed.code == 2
    assert "unknown language 'fr'; choose from: en, es, pt" in listed.stderr


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        ("[]", "languages: List should have at least 1 item"),
        ("[en, es, en]", "languages: 'en' is listed twice"),
        ("[es, en]", "languages: the first language is the source edition: it must be language 'en'"),
        ("[en, Spanish]", "languages[1]: 'Spanish' is not a BCP 47 language tag"),
    ],
)
def test_office_languages_are_checked(good_tree: Path, languages: str, message: str) -> None:
    edit(good_tree / "office.yaml", "language: en\n", f"language: en\nlanguages: {languages}\n")
    with pytest.raises(ContentError) as raised:
        load_corpus(good_tree, today=TODAY)
    shown = [d.format() for d in raised.value.diagnostics]
    assert any(message in line and "office.yaml:" in line for line in shown), shown


def test_formats_are_listed_in_one_order_whichever_was_imported_first() -> None:
    script = (
        "import atalaya.formats.docx, atalaya.formats.pdf\n"
        "from atalaya import formats\n"
        "print(' '.join(formats.names()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["pdf", "docx"]
