"""Turn a briefing book's view into one PDF laid out part by part: the front matter, each chapter, the back
matter, each a WeasyPrint document of its own, joined page by page into one file.

WeasyPrint holds a whole document's layout in memory until it is written (#1824, #1950): a book of 200
pages laid out as one document needs far more than its chapters laid out one at a time, whose intermediate
data is freed as each is done. Laying out in parts also leaves each chapter exactly as its standalone
brief is laid out.

The parts must agree on page numbers, which no part can count alone. Each part's first page is numbered by
the template (`first_page`, a `counter-reset` on its first page), and page references into other parts
are written as numbers (`numbers`, anchor -> page) instead of `target-counter`s. The order:

1. the front matter with three-digit placeholders, for its length;
2. each chapter, numbered on from the front matter, for the page of its anchor and its length;
3. the back matter, with the chapters' pages (its index by theme and its sources name them);
4. the front matter again, with every page it names and the book's length; should its length differ from
   step 1 (a contents line wrapping differently), steps 2-4 run again with the new length.

The joined document keeps each page's bookmarks, links and tags, so the outline nests book > part >
chapter > section, the contents link to the chapters and the file is tagged as one; its metadata are the
front matter's. Its HTML side file is the whole book as one document (what `--html` keeps).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ...book import BookView
from .. import Rendered
from .writer import LaidOut, PdfWriter

PLACEHOLDER: Final = "000"
"""The page number the first layout of the front matter shows: as wide as any book's numbers."""
BACK_ANCHORS: Final = ("part-reference", "theme-index", "sources")
"""The back matter's anchors that the contents name."""
ATTEMPTS: Final = 3


def render_book(writer: PdfWriter, view: BookView, template_names: Sequence[str]) -> Rendered:
    names = list(template_names)
    messages: list[str] = []

    def lay_out(unit: str, **context: object) -> Any:
        document, logged = writer.lay_out(writer.html(view, names, 0, {"unit": unit, **context}))
        messages.extend(message for message in logged if message not in messages)
        return document

    placeholders = {anchor: PLACEHOLDER for anchor in _anchors(view)}
    # Only its length is needed: the layout is dropped before the chapters are laid out.
    front_length = len(lay_out("front", numbers=placeholders).pages)
    parts: list[Any] = []  # the front matter, the chapters, the back matter
    for attempt in range(ATTEMPTS):
        parts.clear()  # a layout to redo is freed before it is laid out again
        numbers: dict[str, int] = {}
        first = front_length + 1
        for index, chapter in enumerate(view.chapters):
            document = lay_out("chapter", chapter_index=index, first_page=first)
            numbers[f"chapter-{chapter.id}"] = first + _page_of(document, f"chapter-{chapter.id}")
            parts.append(document)
            first += len(document.pages)
        back = lay_out("back", first_page=first, numbers=numbers)
        parts.append(back)
        for anchor in BACK_ANCHORS:
            if _has(back, anchor):
                numbers[anchor] = first + _page_of(back, anchor)
        total = first + len(back.pages) - 1
        front = lay_out("front", numbers=numbers, total_pages=total)
        parts.insert(0, front)
        if len(front.pages) == front_length or attempt == ATTEMPTS - 1:
            break
        front_length = len(front.pages)
    pages = [page for document in parts for page in document.pages]
    whole = writer.html(view, names)
    return writer.write(view, LaidOut(parts[0].copy(pages), whole, 0, tuple(messages)))


def _anchors(view: BookView) -> list[str]:
    return [*(f"chapter-{chapter.id}" for chapter in view.chapters), *BACK_ANCHORS]


def _has(document: Any, anchor: str) -> bool:
    return any(anchor in page.anchors for page in document.pages)


def _page_of(document: Any, anchor: str) -> int:
    """The index of the page of `document` that holds `anchor`."""
    for index, page in enumerate(document.pages):
        anchors: Mapping[str, object] = page.anchors
        if anchor in anchors:
            return index
    raise AssertionError(f"the book's part lost its anchor {anchor!r}")
