"""Turn a corpus and an audience into that audience's `BookView`: the briefing book's content.

A book is made only of audience views (`select.make_view`, the one place releasability is enforced), one
per instrument the audience is cleared for, in name order: each is a chapter (the audience's own brief), and
everything the front and back matter show is drawn from those views and nothing else: each chapter's bottom
line (its first summary item), the membership matrix (the member and partner rows the views hold), the
hemisphere timeline (every chapter's timeline items), the index by theme and the sources, numbered per
chapter as each view numbers them.

Handling follows the convention for compiled documents: every page of a chapter carries that chapter's
banner; the cover, the front matter and the back matter carry the highest level of the whole book (which is
the highest chapter banner, since nothing else is shown). The edition date is the latest `as_of`.

The view serialises like any other (`plan.view_json`): dataclasses, tuples and dates only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .model import Audience, Corpus, Office, PartialDate, level_rank
from .select import Item, MemberRow, SourceRef, View, audiences_for, make_view

BOOK_ID = "book"
"""The book's subject and file stem (a reserved instrument id)."""
KIND = "book"

CellKind = Literal["member", "former", "partner"]


@dataclass(frozen=True)
class Cell:
    """One country's place in one instrument, as that instrument's view shows it."""

    kind: CellKind
    since: int | None
    """For a current member, the year its current period of membership began (None where not known)."""
    level: str
    """The level of the row it comes from (shown as a portion mark where the audience sees marks)."""


@dataclass(frozen=True)
class MatrixRow:
    """One country and its cell in each chapter (None: the chapter's view does not list it)."""

    code: str
    country: str
    subregion: str
    cells: tuple[Cell | None, ...]
    """One per chapter, in chapter order."""

    @property
    def level(self) -> str:
        """The highest level of its cells (the row's portion mark)."""
        return max((cell.level for cell in self.cells if cell is not None), key=level_rank)


@dataclass(frozen=True)
class Event:
    """One dated item of a chapter's timeline, for the hemisphere timeline."""

    chapter: str
    """The chapter's instrument id."""
    short: str
    """The instrument's short name: its acronym, else its name."""
    item: Item


@dataclass(frozen=True)
class Theme:
    """One theme and the chapters that list it (ids, in chapter order)."""

    theme: str
    chapters: tuple[str, ...]


@dataclass(frozen=True)
class BookView:
    """What one audience's briefing book may show: its chapters' views and what is compiled from them."""

    audience_name: str
    audience: Audience
    office: Office
    chapters: tuple[View, ...]
    """The audience's view of each instrument it is cleared for, in name order."""
    overview: tuple[Item | None, ...]
    """Each chapter's bottom line (its first summary item; None where its view has no summary)."""
    matrix: tuple[MatrixRow, ...]
    """Every country a chapter's view lists as member or partner, by subregion then name."""
    timeline: tuple[Event, ...]
    """Every chapter's timeline items, by date (then chapter order)."""
    themes_index: tuple[Theme, ...]
    """Every theme of a chapter, by slug, with the chapters that list it."""
    banner: str
    """The highest banner of all chapters: the cover's, the front and back matter's."""
    as_of: date
    """The edition date: the latest `as_of` of the chapters."""
    themes: tuple[str, ...]
    id: str = BOOK_ID
    kind: str = KIND
    acronym: None = None

    @property
    def name(self) -> str:
        """The book's name in the source language (templates write it through gettext)."""
        return "Briefing book"

    @property
    def title(self) -> str:
        return f"{self.name}: {self.audience.title}"

    @property
    def portion_marks(self) -> bool:
        return self.audience.portion_marks

    @property
    def show_verification(self) -> bool:
        return self.audience.show_verification

    @property
    def page_budget(self) -> None:
        """A book is as long as its chapters make it: the writers hold it to no page budget."""
        return None

    @property
    def sources(self) -> tuple[tuple[View, tuple[SourceRef, ...]], ...]:
        """Each chapter with the sources its view numbers (only chapters that have any)."""
        return tuple((chapter, chapter.sources) for chapter in self.chapters if chapter.sources)

    @property
    def chapter_by_id(self) -> Mapping[str, View]:
        return {chapter.id: chapter for chapter in self.chapters}

    def short(self, chapter: View) -> str:
        return chapter.acronym or chapter.name

    def map_states(self) -> dict[str, CellKind]:
        """Each country's strongest tie across the chapters: a current member of any, else a former member
        of any, else a partner (for the map)."""
        order: dict[CellKind, int] = {"member": 0, "former": 1, "partner": 2}
        states: dict[str, CellKind] = {}
        for row in self.matrix:
            kinds = [cell.kind for cell in row.cells if cell is not None]
            if kinds:
                states[row.code] = min(kinds, key=order.__getitem__)
        return states

    def matrix_tables(self) -> tuple[MatrixTable, ...]:
        """The membership matrix cut into tables that fit a page (`matrix_tables`)."""
        return matrix_tables(self)

    def all_text(self) -> list[str]:
        """Every piece of content text in the book (its chapters')."""
        return [text for chapter in self.chapters for text in chapter.all_text()]


def book_audiences(corpus: Corpus) -> list[str]:
    """The audiences cleared for at least one instrument, in the corpus's order."""
    cleared = {
        name for instrument in corpus.instruments.values() for name in audiences_for(corpus, instrument)
    }
    return [name for name in corpus.audiences if name in cleared]


def make_book_view(corpus: Corpus, audience_name: str) -> BookView:
    """The audience's book: a chapter per instrument it is cleared for, in name order."""
    instruments = sorted(
        (i for i in corpus.instruments.values() if audience_name in audiences_for(corpus, i)),
        key=lambda i: (i.name.casefold(), i.id),
    )
    if not instruments:
        raise ValueError(f"audience {audience_name} is cleared for no instrument")
    chapters = tuple(make_view(corpus, instrument, audience_name) for instrument in instruments)
    themes = tuple(sorted({theme for chapter in chapters for theme in chapter.themes}))
    return BookView(
        audience_name=audience_name,
        audience=corpus.audiences[audience_name],
        office=corpus.office,
        chapters=chapters,
        overview=tuple(chapter.summary[0] if chapter.summary else None for chapter in chapters),
        matrix=_matrix(chapters),
        timeline=_timeline(chapters),
        themes_index=tuple(
            Theme(theme, tuple(c.id for c in chapters if theme in c.themes)) for theme in themes
        ),
        banner=max((chapter.banner for chapter in chapters), key=level_rank),
        as_of=max(chapter.as_of for chapter in chapters),
        themes=themes,
    )


SUBREGIONS = ("north-america", "central-america", "caribbean", "south-america", "extra-regional")


def _since(row: MemberRow) -> int | None:
    joined: PartialDate | None = row.periods[-1].joined if row.periods else row.joined
    return joined.year if joined is not None else None


def _matrix(chapters: tuple[View, ...]) -> tuple[MatrixRow, ...]:
    """Countries x chapters from the member and partner rows the views hold (and nothing else)."""
    cells: dict[str, dict[int, Cell]] = {}
    about: dict[str, tuple[str, str]] = {}
    for index, chapter in enumerate(chapters):
        for row in chapter.members:
            kind: CellKind = "former" if row.left is not None else "member"
            cell = Cell(kind, _since(row) if kind == "member" else None, row.level)
            cells.setdefault(row.code, {})[index] = cell
            about[row.code] = (row.country, row.subregion)
        for row in chapter.partners:
            # A member row wins over a partner row of the same instrument (a view rarely holds both).
            cells.setdefault(row.code, {}).setdefault(index, Cell("partner", None, row.level))
            about[row.code] = (row.country, row.subregion)

    def order(code: str) -> tuple[int, str]:
        subregion = about[code][1]
        rank = SUBREGIONS.index(subregion) if subregion in SUBREGIONS else len(SUBREGIONS)
        return rank, about[code][0].casefold()

    return tuple(
        MatrixRow(
            code,
            about[code][0],
            about[code][1],
            tuple(cells[code].get(index) for index in range(len(chapters))),
        )
        for code in sorted(cells, key=order)
    )


def _timeline(chapters: tuple[View, ...]) -> tuple[Event, ...]:
    dated = [
        (item.date, index, Event(chapter.id, chapter.acronym or chapter.name, item))
        for index, chapter in enumerate(chapters)
        for item in chapter.timeline
        if item.date is not None
    ]
    # By date, then chapter order; a chapter's own events keep their order (the sort is stable).
    dated.sort(key=lambda entry: (entry[0], entry[1]))
    return tuple(event for _, _, event in dated)


MATRIX_GROUPS = (
    ("americas-north", ("north-america", "central-america")),
    ("caribbean", ("caribbean",)),
    ("south-america", ("south-america",)),
    ("extra-regional", ("extra-regional",)),
)
"""The matrix's tables: countries of these subregions are its columns (anything else is extra-regional)."""
MATRIX_COLUMNS = 14
"""At most this many countries side by side in one table of the matrix (a group with more is split)."""


@dataclass(frozen=True)
class MatrixTable:
    """One table of the matrix: a group of countries (columns) and the chapters listing any (rows)."""

    group: str
    part: int
    """1 for a group's first table, 2 for its second, ... (the label says so when a group is split)."""
    parts: int
    countries: tuple[MatrixRow, ...]
    chapters: tuple[int, ...]
    """Indexes of the chapters with a cell in these columns, in chapter order."""


def matrix_tables(view: BookView, columns: int = MATRIX_COLUMNS) -> tuple[MatrixTable, ...]:
    """The matrix cut into tables that fit the page: countries by group, at most `columns` a table."""
    known = {subregion for _, members in MATRIX_GROUPS for subregion in members}
    tables: list[MatrixTable] = []
    for group, subregions in MATRIX_GROUPS:
        rows = [
            row
            for row in view.matrix
            if row.subregion in subregions or (group == "extra-regional" and row.subregion not in known)
        ]
        if not rows:
            continue
        count = -(-len(rows) // columns)
        size = -(-len(rows) // count)  # even tables: 37 countries make 13, 12 and 12 columns
        for part in range(count):
            chunk = tuple(rows[part * size : (part + 1) * size])
            used = tuple(i for i in range(len(view.chapters)) if any(r.cells[i] for r in chunk))
            tables.append(MatrixTable(group, part + 1, count, chunk, used))
    return tuple(tables)
