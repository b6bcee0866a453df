"""Planning editions without building their views: which documents an edition withholds, which audiences get
a country brief, and where the translators' worklist points, each worked out from the source instruments
and checked here against what the views and the files themselves say.

- `Views.withheld` decides from the source instruments (`Views.may_show_untranslated`) and makes a view only
  when one of them shows the audience an untranslated text; its answer, for every product, subject,
  audience and edition of a partly translated tree (with and without a last edition), is the one counting
  the `Fallback`s of every view gives.
- `select.listed_countries` is the set of countries `make_view`'s member and partner rows list.
- The worklist's places, taken from the load, are those found by reading each file again.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from atalaya.edition import fallbacks_in, settings_fallbacks
from atalaya.load import load_file
from atalaya.model import Corpus, load_corpus
from atalaya.plan import Views
from atalaya.products import all_products
from atalaya.select import audiences_for, listed_countries, make_view
from atalaya.translations import worklist
from conftest import CONTENT, FIXTURES
from test_editions import translated_tree


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fully translated canary tree and a copy in which one public summary line lost its Spanish, a public
    objective and a restricted activity were reworded (their translations stale) and one member role has
    no translation."""
    whole = translated_tree(tmp_path_factory.mktemp("planning") / "whole")
    partial = whole.parent / "partial"
    shutil.copytree(whole, partial)
    path = partial / "instruments" / "canary-mixed.yaml"
    data = load_file(path).data
    del data["summary"][0]["translations"]["es"]
    restricted = next(i for i in data["activities"] if i.get("release") == "restricted")
    restricted["text"] += " Reworded."
    data["objectives"][0]["text"] += " Reworded."
    member = next(m for m in data["members"] if m.get("role"))
    member.pop("translations", None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return whole, partial


def expected_reasons(
    views: Views, product: object, subject: str, audience: str, edition: str
) -> tuple[str, ...]:
    """What `withheld` said before it could skip views: the settings and every view's fallbacks counted."""
    corpus = views.corpus
    if edition == corpus.office.editions[0] or corpus.audiences[audience].untranslated != "withhold":
        return ()
    reasons = settings_fallbacks(corpus, audience, edition)
    count = len(fallbacks_in(views.get(product, subject, audience, edition)))  # type: ignore[arg-type]
    if count:
        reasons.append(f"{count} text{'s' if count != 1 else ''} of the content")
    return tuple(reasons)


def check_withholding(corpus: Corpus) -> tuple[int, int]:
    """Compare every document's withholding with the views' count; return how many were decided without a
    view and how many needed one."""
    views, counting = Views(corpus), Views(corpus)
    without_view = with_view = 0
    for product in all_products():
        for subject in product.subjects(corpus):
            for audience in product.audiences(corpus, subject):
                for edition in corpus.office.editions[1:]:
                    reasons = views.withheld(product, subject, audience, edition)
                    assert reasons == expected_reasons(counting, product, subject, audience, edition), (
                        product.name, subject, audience, edition,
                    )  # fmt: skip
                    if corpus.audiences[audience].untranslated != "withhold":
                        continue
                    if views.may_show_untranslated(product, subject, audience, edition):
                        with_view += 1
                    else:
                        without_view += 1
                        view = counting.get(product, subject, audience, edition)
                        assert not fallbacks_in(view), (product.name, subject, audience, edition)
    return without_view, with_view


def test_withholding_decided_from_the_instruments_matches_the_views(trees: tuple[Path, Path]) -> None:
    whole, partial = trees
    without_view, with_view = check_withholding(load_corpus(partial))
    assert without_view and with_view  # both ways were taken
    # Fully translated: no document needs its view to be planned.
    assert check_withholding(load_corpus(whole))[1] == 0


@pytest.mark.parametrize("old_is_partial", [False, True], ids=["new-untranslated", "old-untranslated"])
def test_change_memo_withholding_counts_the_last_editions_texts(
    trees: tuple[Path, Path], old_is_partial: bool
) -> None:
    whole, partial = trees
    new, old = (whole, partial) if old_is_partial else (partial, whole)
    corpus = dataclasses.replace(load_corpus(new), baseline=load_corpus(old))
    views = Views(corpus)
    changes = next(p for p in all_products() if p.name == "changes")
    assert "canary-mixed" in changes.subjects(corpus)
    withheld = [
        (audience, edition)
        for audience in changes.audiences(corpus, "canary-mixed")
        for edition in corpus.office.editions[1:]
        if views.withheld(changes, "canary-mixed", audience, edition)
    ]
    assert ("public", "es") in withheld
    for audience in changes.audiences(corpus, "canary-mixed"):
        for edition in corpus.office.editions[1:]:
            assert views.withheld(changes, "canary-mixed", audience, edition) == expected_reasons(
                Views(corpus), changes, "canary-mixed", audience, edition
            )


@pytest.mark.parametrize("root", [CONTENT, FIXTURES / "canary", FIXTURES / "good"], ids=lambda p: p.name)
def test_listed_countries_are_the_views_member_and_partner_rows(root: Path) -> None:
    corpus = load_corpus(root)
    compared = 0
    for instrument in corpus.instruments.values():
        for name, audience in corpus.audiences.items():
            listed = listed_countries(instrument, audience)
            if name not in audiences_for(corpus, instrument):
                assert listed == set()
                continue
            view = make_view(corpus, instrument, name)
            assert listed == {row.code for row in (*view.members, *view.partners)}, (instrument.id, name)
            compared += bool(listed)
    assert compared


def test_the_worklist_points_where_reading_the_file_again_would(trees: tuple[Path, Path]) -> None:
    _, partial = trees
    for root in (partial, CONTENT):
        corpus = load_corpus(root)
        from_the_load = worklist(corpus)
        assert any(item.line > 1 for item in from_the_load.items)
        assert any(instrument._places for instrument in corpus.instruments.values())
        for instrument in corpus.instruments.values():
            instrument._places = {}
        assert worklist(corpus) == from_the_load
