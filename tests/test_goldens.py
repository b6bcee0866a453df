"""Golden outputs: what the templates make of the fixture trees, per audience, compared byte for byte.

For each tree in `TREES` and each document the tree has (every instrument, for every audience cleared for
it), two goldens under tests/goldens/<tree>/<audience>/<id>:

- `.html`: the briefing HTML as the command line keeps it (`build --html --format pdf`), the input
  WeasyPrint lays out: templates, partials and figures together. The inlined stylesheet (the same
  in every document) is kept once, in `tests/goldens/briefing.css`, and each golden holds the page
  without it; that golden holds what the writer adds (theme variables, @font-face rules, page size)
  around templates/briefing/briefing.css, which it names instead of copying;
- `.xml`: the memo XML the memo templates make of `make_view(corpus, instrument, audience)`, the input
  of the DOCX writer.

A failing comparison shows the start of a unified diff. If the change is meant (a template, the
stylesheet or the rendering changed on purpose), regenerate every golden with

    python -m pytest tests/test_goldens.py --update-goldens

and review `git diff tests/goldens/` before committing it with the change that caused it: each hunk
should be one the change explains. Never regenerate to make a failure you did not expect go away: a
golden that changes with no template or rendering change is a bug (or a leak) to find, like Pelican's
functional tests (`invoke update-functional-tests`).
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path

import pytest

from atalaya.book import BOOK_ID, book_audiences
from atalaya.country import audiences_of, country_codes
from atalaya.model import LEVELS, Corpus, load_corpus
from atalaya.render import TemplateSet
from atalaya.select import make_view
from conftest import FIXTURES, GOLDENS, TEMPLATES, run_cli

TREES = ("good", "canary")
TODAY = date(2026, 12, 1)  # what the views hold does not depend on it; it only keeps staleness quiet
DIFF_LINES = 40
UPDATE = "python -m pytest tests/test_goldens.py --update-goldens"


def corpus_of(tree: str) -> Corpus:
    return load_corpus(FIXTURES / tree, today=TODAY)


def documents(tree: str) -> list[tuple[str, str]]:
    """(audience, instrument id) for every document of the tree: an audience gets an instrument's
    documents when its clearance reaches the instrument file's own level."""
    corpus = corpus_of(tree)
    return sorted(
        (name, instrument.id)
        for instrument in corpus.instruments.values()
        for name, audience in corpus.audiences.items()
        if LEVELS.index(instrument.release) <= LEVELS.index(audience.clearance)
    )


def built_documents(tree: str) -> list[str]:
    """`<audience>/<stem>` of every document a full build of the tree makes: the briefs (`documents`),
    each audience's briefing book (`book/book_audiences`) and the country briefs (`countries/<CODE>` for
    each audience whose views name the country as member or partner)."""
    corpus = corpus_of(tree)
    briefs = [f"{audience}/{id_}" for audience, id_ in documents(tree)]
    books = [f"{audience}/{BOOK_ID}" for audience in book_audiences(corpus)]
    countries = [
        f"{audience}/countries/{code}"
        for code in country_codes(corpus)
        for audience in audiences_of(corpus, code)
    ]
    return sorted([*briefs, *books, *countries])


CASES = [(tree, audience, id_) for tree in TREES for audience, id_ in documents(tree)]
CASE_IDS = [f"{tree}/{audience}/{id_}" for tree, audience, id_ in CASES]


def check_golden(golden: Path, actual: bytes, update: bool) -> None:
    """Compare `actual` with the golden file exactly, or rewrite the golden when updating."""
    if update:
        if not golden.is_file() or golden.read_bytes() != actual:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_bytes(actual)
        return
    shown = golden.relative_to(GOLDENS.parent.parent).as_posix()
    if not golden.is_file():
        pytest.fail(f"no golden {shown}: write it with `{UPDATE}` and review it", pytrace=False)
    expected = golden.read_bytes()
    if expected == actual:
        return
    diff = list(
        difflib.unified_diff(
            expected.decode("utf-8", "replace").splitlines(keepends=True),
            actual.decode("utf-8", "replace").splitlines(keepends=True),
            fromfile=shown,
            tofile="rendered now",
        )
    )
    if not diff:  # differs only in bytes a line-by-line diff does not show (line ends, a final newline)
        diff = [f"same lines, different bytes: {len(expected)} in the golden, {len(actual)} rendered\n"]
    head = "".join(diff[:DIFF_LINES])
    more = f"... ({len(diff) - DIFF_LINES} more diff lines)\n" if len(diff) > DIFF_LINES else ""
    pytest.fail(
        f"{shown} differs from what is rendered now:\n{head}{more}"
        f"If the change is meant, regenerate with `{UPDATE}` and review the diff.",
        pytrace=False,
    )


# --- memo XML (fast: templates only) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpora() -> dict[str, Corpus]:
    return {tree: corpus_of(tree) for tree in TREES}


@pytest.fixture(scope="module")
def templates() -> TemplateSet:
    return TemplateSet(TEMPLATES)


@pytest.mark.parametrize(("tree", "audience", "id_"), CASES, ids=CASE_IDS)
def test_memo_xml_matches_its_golden(
    corpora: dict[str, Corpus],
    templates: TemplateSet,
    update_goldens: bool,
    tree: str,
    audience: str,
    id_: str,
) -> None:
    corpus = corpora[tree]
    view = make_view(corpus, corpus.instruments[id_], audience)
    xml = templates.render([f"memo/{audience}.xml.j2", "memo/base.xml.j2"], {"view": view})
    check_golden(GOLDENS / tree / audience / f"{id_}.xml", xml.encode("utf-8"), update_goldens)


# --- briefing HTML (slow: the command line builds the PDFs and keeps their HTML) ---------------------------


@pytest.fixture(scope="module")
def kept_html(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each tree's output folder, built once for the module with `--html --format pdf` (every product:
    the kept HTML of the books and country briefs is checked too, though only briefs have goldens)."""
    built: dict[str, Path] = {}
    for tree in TREES:
        output = tmp_path_factory.mktemp(f"goldens-{tree}") / "output"
        result = run_cli(
            "build", "--content", FIXTURES / tree, "--output", output, "--html", "--format", "pdf"
        )
        assert result.code == 0, result.stderr
        built[tree] = output
    return built


@pytest.mark.slow
@pytest.mark.parametrize("tree", TREES)
def test_the_build_keeps_html_for_exactly_the_trees_documents(kept_html: dict[str, Path], tree: str) -> None:
    expected = [f"{stem}.html" for stem in built_documents(tree)]
    # the full build's documents: briefs, a book per audience cleared for some instrument, country briefs
    assert {name.split("/", 1)[1] for name in expected} >= {"book.html", "countries/AR.html"}
    kept = sorted(p.relative_to(kept_html[tree]).as_posix() for p in kept_html[tree].rglob("*.html"))
    assert kept == expected


@pytest.mark.slow
@pytest.mark.parametrize(("tree", "audience", "id_"), CASES, ids=CASE_IDS)
def test_briefing_html_matches_its_golden(
    kept_html: dict[str, Path], update_goldens: bool, tree: str, audience: str, id_: str
) -> None:
    html = (kept_html[tree] / audience / f"{id_}.html").read_text(encoding="utf-8")
    page, stylesheet = split_stylesheet(html)
    check_golden(GOLDENS / tree / audience / f"{id_}.html", page.encode("utf-8"), update_goldens)
    source = (TEMPLATES / "briefing" / "briefing.css").read_text(encoding="utf-8")
    assert stylesheet.count(source) == 1, "the kept HTML inlines templates/briefing/briefing.css whole"
    generated = stylesheet.replace(source, "/* templates/briefing/briefing.css */\n")
    check_golden(GOLDENS / "briefing.css", generated.encode("utf-8"), update_goldens)


def split_stylesheet(html: str) -> tuple[str, str]:
    """The page with its one inlined stylesheet replaced by a marker, and the stylesheet."""
    match = re.search(r"<style>\n(.*?)</style>\n", html, re.S)
    assert match is not None, "the kept HTML inlines its stylesheet"
    return html[: match.start()] + "<style><!-- tests/goldens/briefing.css --></style>\n" + html[
        match.end() :
    ], (match.group(1))


# --- the goldens folder itself ----------------------------------------------------------------------------


@pytest.mark.parametrize("tree", TREES)
def test_goldens_are_exactly_the_trees_documents(update_goldens: bool, tree: str) -> None:
    """No golden is missing and none is left over from a document the tree no longer has (an update
    deletes those)."""
    folder = GOLDENS / tree
    expected = sorted(f"{a}/{i}{suffix}" for a, i in documents(tree) for suffix in (".html", ".xml"))
    present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    missing = sorted(set(expected) - set(present))
    extra = sorted(set(present) - set(expected))
    if update_goldens:
        for name in extra:
            (folder / name).unlink()
        for empty in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
            if not any(empty.iterdir()):
                empty.rmdir()
        return
    assert (missing, extra) == ([], []), (
        f"goldens of {tree}: missing {missing}, left over {extra}; regenerate with `{UPDATE}` and review the diff"
    )
