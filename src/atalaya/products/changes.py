"""The change memo: for each instrument and audience whose view differs from the last edition's, the new
memo with native tracked changes against the old one (DOCX) and a change page (PDF).

Both views come from `select.make_view`, the old one from the last edition's content read under today's
office and audiences (`Corpus.baseline`), so the comparison is between what the audience could see then and
may see now, never between raw files: an item raised above the audience's clearance is, for that audience,
removed, and nothing above it is compared, counted or hinted at. An audience that would see nothing
different (`Comparison.changed`: the as-of date aside) gets no change memo; nor does anyone without a
baseline (`build` plans none).

Files: `<audience>/changes/<id><suffix>`. A format whose writer can write revisions of its own documents
(`render_revisions`: the Word memo) renders the change memo that way; the others render the change page
template (`briefing/changes.html.j2`) from the `compare.Comparison`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..compare import Comparison, compare
from ..edition import in_edition
from ..select import View, audiences_for, make_view
from . import register
from .brief import instrument_file

if TYPE_CHECKING:
    from ..formats import Format, Rendered, Writer
    from ..model import Corpus, Instrument

CHANGES_FOLDER = "changes"


def old_view(corpus: Corpus, subject: str, audience: str) -> View | None:
    """What `audience` could see of `subject` in the last edition (None: nothing, or no document)."""
    baseline = corpus.baseline
    if baseline is None or subject not in baseline.instruments:
        return None
    instrument = baseline.instruments[subject]
    if audience not in audiences_for(baseline, instrument):
        return None
    return make_view(baseline, instrument, audience)


@dataclass(frozen=True)
class ChangeMemo:
    name: str = "changes"
    command: str = "changes"
    budgeted: bool = False

    def subjects(self, corpus: Corpus) -> Sequence[str]:
        return sorted(corpus.instruments) if corpus.baseline is not None else []

    def audiences(self, corpus: Corpus, subject: str) -> Sequence[str]:
        instrument = corpus.instruments[subject]
        return [
            audience
            for audience in audiences_for(corpus, instrument)
            if self.view(corpus, subject, audience, corpus.office.editions[0]).changed
        ]

    def view(self, corpus: Corpus, subject: str, audience: str, edition: str) -> Comparison:
        corpus = in_edition(corpus, edition)
        new = make_view(corpus, corpus.instruments[subject], audience)
        return compare(old_view(corpus, subject, audience), new)

    def instruments(self, corpus: Corpus, subject: str, audience: str) -> Sequence[Instrument]:
        old = corpus.baseline.instruments.get(subject) if corpus.baseline is not None else None
        return [corpus.instruments[subject], *([old] if old is not None else [])]

    def stem(self, subject: str) -> str:
        return f"{CHANGES_FOLDER}/{subject}"

    def template_names(self, fmt: Format, audience: str) -> Sequence[str]:
        folder, suffix = fmt.template_folder, fmt.template_suffix
        return [f"{folder}/changes{suffix}", f"{folder}/{audience}{suffix}", f"{folder}/base{suffix}"]

    def source_file(self, corpus: Corpus, subject: str) -> str:
        return instrument_file(corpus, subject)

    def render(self, writer: Writer, view: Comparison, template_names: Sequence[str]) -> Rendered:
        revise = getattr(writer, "render_revisions", None)
        if revise is not None:
            # The revised memo is the audience's own memo: its templates, not a change template.
            rendered: Rendered = revise(view.old, view.new, template_names[1:], banner=view.banner)
            return rendered
        return writer.render(view, template_names)


CHANGES = register(ChangeMemo())
