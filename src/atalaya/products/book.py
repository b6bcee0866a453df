"""The briefing book: one document per audience, compiling the audience's brief on every instrument it is
cleared for, with a cover, contents, overview, membership matrix, hemisphere timeline, map, index by theme
and sources.

Its one subject is `book` (a reserved instrument id), its view is `book.make_book_view` (made of
`select.make_view` views only, the one place releasability is enforced), its file is
`<audience>/book<suffix>` and its template is the format folder's `book` (`briefing/book.html.j2`,
`memo/book.xml.j2`). Since its input hash covers the whole view, a book rebuilds exactly when one of the
views it shows changes. A book is as long as its chapters make it: no page budget. A format whose writer can
write books of its own (`render_book`: the Word memo, which needs sections and a contents field) renders it
that way; the others render the template as they render any view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..book import BOOK_ID, BookView, book_audiences, make_book_view
from ..edition import in_edition
from ..select import audiences_for
from . import register

if TYPE_CHECKING:
    from ..formats import Format, Rendered, Writer
    from ..model import Corpus, Instrument

AUDIENCES_FILE = "audiences.yaml"


@dataclass(frozen=True)
class BriefingBook:
    name: str = "book"
    command: str = "build"
    budgeted: bool = False

    def subjects(self, corpus: Corpus) -> Sequence[str]:
        return [BOOK_ID] if corpus.instruments else []

    def audiences(self, corpus: Corpus, subject: str) -> Sequence[str]:
        return book_audiences(corpus)

    def view(self, corpus: Corpus, subject: str, audience: str, edition: str) -> BookView:
        return make_book_view(in_edition(corpus, edition), audience)

    def instruments(self, corpus: Corpus, subject: str, audience: str) -> Sequence[Instrument]:
        return [i for i in corpus.instruments.values() if audience in audiences_for(corpus, i)]

    def stem(self, subject: str) -> str:
        return BOOK_ID

    def template_names(self, fmt: Format, audience: str) -> Sequence[str]:
        return [f"{fmt.template_folder}/book{fmt.template_suffix}"]

    def source_file(self, corpus: Corpus, subject: str) -> str:
        """content/audiences.yaml, as messages name it: the book is the audience's."""
        for shown, path in corpus.files.items():
            if path.name == AUDIENCES_FILE and path.parent.resolve() == corpus.root.resolve():
                return shown
        return AUDIENCES_FILE

    def render(self, writer: Writer, view: BookView, template_names: Sequence[str]) -> Rendered:
        render_book = getattr(writer, "render_book", None)
        if render_book is not None:
            rendered: Rendered = render_book(view, template_names)
            return rendered
        return writer.render(view, template_names)


BOOK = register(BriefingBook())
