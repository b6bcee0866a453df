"""The instrument brief: one document per instrument, for each audience cleared for it.

Its subjects are the instrument ids, its view is `select.make_view` (the one place releasability is
enforced), its file is `<audience>/<id><suffix>` and its templates are the audience's own, falling back to
the format folder's `base` (`briefing/analyst.html.j2`, then `briefing/base.html.j2`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..edition import in_edition
from ..select import View, audiences_for, make_view
from . import register

if TYPE_CHECKING:
    from ..formats import Format, Rendered, Writer
    from ..model import Corpus, Instrument


@dataclass(frozen=True)
class InstrumentBrief:
    name: str = "brief"
    command: str = "build"
    budgeted: bool = True

    def subjects(self, corpus: Corpus) -> Sequence[str]:
        return sorted(corpus.instruments)

    def audiences(self, corpus: Corpus, subject: str) -> Sequence[str]:
        return audiences_for(corpus, corpus.instruments[subject])

    def view(self, corpus: Corpus, subject: str, audience: str, edition: str) -> View:
        corpus = in_edition(corpus, edition)
        return make_view(corpus, corpus.instruments[subject], audience)

    def instruments(self, corpus: Corpus, subject: str, audience: str) -> Sequence[Instrument]:
        return [corpus.instruments[subject]]

    def stem(self, subject: str) -> str:
        return subject

    def template_names(self, fmt: Format, audience: str) -> Sequence[str]:
        return [
            f"{fmt.template_folder}/{audience}{fmt.template_suffix}",
            f"{fmt.template_folder}/base{fmt.template_suffix}",
        ]

    def source_file(self, corpus: Corpus, subject: str) -> str:
        return instrument_file(corpus, subject)

    def render(self, writer: Writer, view: View, template_names: Sequence[str]) -> Rendered:
        return writer.render(view, template_names)


def instrument_file(corpus: Corpus, subject: str) -> str:
    """The instrument's content file as messages name it (`content/instruments/rio-treaty.yaml`)."""
    for shown, path in corpus.files.items():
        if path.parent.name == "instruments" and path.stem == subject:
            return shown
    return subject


BRIEF = register(InstrumentBrief())
