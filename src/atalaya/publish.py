"""Turn the corpus and the manifest into what people browse: the index pages and the CI job summary.

Everything here is built from audience views (`select.make_view`), never from raw content, so an index or
a summary shows an audience only what its documents may show.

- `output/<audience>/index.html`: that audience's documents only (a row per instrument, a link per format
  in the registry's order), with as-of dates, pages and links relative to the audience's folder, under a
  handling banner (top and bottom) naming the highest level
  among the documents it lists, and the audience's marking.
- `output/index.html`: only what the public may see: the office, a PUBLIC banner, the documents of the
  audiences whose clearance is public, and a link to each audience's index labelled by its folder name
  (no audience titles or descriptions, no instrument names, acronyms or counts from above public).
- The job summary (Markdown for $GITHUB_STEP_SUMMARY) covers one audience (by default the one with the
  lowest clearance): its documents with pages, as-of dates and what changed since a previous manifest,
  what changed in each instrument since a last edition when one is given (from the change memos'
  comparisons of that audience's views), and its content overdue for review, under that audience's banner.
  Content-derived text is escaped so it cannot break the table or inject links or HTML.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from .compare import Comparison
from .errors import Diagnostic
from .formats import Format, all_formats
from .i18n import endonym
from .manifest import Manifest, ManifestEntry
from .model import LEVELS, Corpus, Instrument, level_rank
from .plan import INDEX_TEMPLATE, Views
from .products import get as get_product
from .render import TemplateSet, format_date
from .select import View, visible_to

# One template renders both kinds of index page (`page == "top"` or `"audience"`): the input hashes of the
# documents leave out exactly this file (plan.INDEX_TEMPLATE), so index changes rebuild no document.
INDEX_NAME = "index.html"
# The product the index pages and the summary list: the brief on each instrument.
LISTED_PRODUCT = "brief"
# The products the index pages list after the briefs: the audience's book and its country briefs.
BOOK_PRODUCT = "book"
COUNTRY_PRODUCT = "countries"
# The product whose comparisons the summary reports against a last edition.
CHANGES_PRODUCT = "changes"


class IndexedView(Protocol):
    """What a row needs of a view (a brief's, a book's or a country brief's)."""

    @property
    def id(self) -> str: ...

    @property
    def banner(self) -> str: ...

    @property
    def as_of(self) -> date: ...

    @property
    def name(self) -> str: ...

    @property
    def acronym(self) -> str | None: ...


@dataclass(frozen=True)
class IndexLink:
    format: str  # the format's name (`pdf`)
    href: str  # relative to the page that lists the row


@dataclass(frozen=True)
class EditionLinks:
    """A document's other editions: the language and its documents, one a format."""

    language: str
    documents: tuple[IndexLink, ...]


@dataclass(frozen=True)
class IndexRow:
    id: str
    name: str
    acronym: str | None
    as_of: str
    banner: str
    documents: tuple[IndexLink, ...]  # one per format that has a document, in the registry's order
    pages: int | None  # of the first document that has pages
    editions: tuple[EditionLinks, ...] = ()  # the other editions' documents, in `languages` order

    def translations(self, format_name: str) -> list[tuple[str, str]]:
        """(language, link) of the row's document in that format in each other edition that has one."""
        return [
            (edition.language, link.href)
            for edition in self.editions
            for link in edition.documents
            if link.format == format_name
        ]

    def __getitem__(self, format_name: str) -> str | None:
        """The link to the row's document in that format (`row["pdf"]`, `row.pdf` in a template), or None."""
        return next((link.href for link in self.documents if link.format == format_name), None)


@dataclass(frozen=True)
class IndexGroup:
    audience: str
    title: str
    description: str
    marking: str
    banner: str
    href: str  # the audience's own index, relative to the page that shows the group
    rows: tuple[IndexRow, ...]  # the briefs, by instrument name
    book: IndexRow | None = None  # the audience's briefing book
    countries: tuple[IndexRow, ...] = ()  # the country briefs, by country code


@dataclass(frozen=True)
class AudienceLink:
    name: str
    href: str


def highest(levels: Iterable[str]) -> str:
    """The highest of the levels; public when there are none."""
    return max((LEVELS[0], *levels), key=level_rank)


def default_audience(corpus: Corpus) -> str:
    """The audience with the lowest clearance (the first in audiences.yaml order on a tie)."""
    return min(corpus.audiences, key=lambda name: level_rank(corpus.audiences[name].clearance))


def _by_name(corpus: Corpus) -> list[Instrument]:
    return sorted(corpus.instruments.values(), key=lambda i: (i.name.lower(), i.id))


def _views(corpus: Corpus, audience: str, views: Views | None = None) -> list[View]:
    """The audience's source-edition view of every instrument it is cleared for, in name order."""
    views = views or Views(corpus)
    product, edition = get_product(LISTED_PRODUCT), corpus.office.editions[0]
    shown = [i.id for i in _by_name(corpus) if visible_to(corpus.audiences[audience], i.release)]
    return [views.get(product, subject, audience, edition) for subject in shown]


class _Documents:
    """The manifest's source-edition documents, by product, audience, subject and format."""

    def __init__(self, corpus: Corpus, manifest: Manifest) -> None:
        edition = corpus.office.editions[0]
        self.entries = {
            (e.product, e.audience, e.subject, e.format): e
            for e in manifest.entries.values()
            if e.edition == edition
        }
        self.others = corpus.office.editions[1:]
        self.translated = {
            (e.product, e.audience, e.subject, e.edition, e.format): e
            for e in manifest.entries.values()
            if e.edition != edition
        }

    def editions(self, product: str, audience: str, subject: str) -> list[tuple[str, list[ManifestEntry]]]:
        """The subject's documents in each other edition that has any, in `languages` order."""
        found = []
        for language in self.others:
            keys = [(product, audience, subject, language, fmt.name) for fmt in all_formats()]
            entries = [self.translated[key] for key in keys if key in self.translated]
            if entries:
                found.append((language, entries))
        return found

    def by_format(
        self, product: str, audience: str, subject: str
    ) -> list[tuple[Format, ManifestEntry | None]]:
        """Each format, in the registry's order, with the subject's document in it (or None)."""
        return [(fmt, self.entries.get((product, audience, subject, fmt.name))) for fmt in all_formats()]

    def of(self, product: str, audience: str, subject: str) -> list[ManifestEntry]:
        """The subject's documents, one per format that has one, in the registry's order."""
        return [entry for _, entry in self.by_format(product, audience, subject) if entry is not None]


def _row(
    view: IndexedView,
    entries: list[ManifestEntry],
    base: str,
    editions: Sequence[tuple[str, list[ManifestEntry]]] = (),
) -> IndexRow:
    def links(chosen: list[ManifestEntry]) -> tuple[IndexLink, ...]:
        return tuple(IndexLink(e.format, posixpath.relpath(e.path, base or ".")) for e in chosen)

    return IndexRow(
        id=view.id,
        name=view.name,
        acronym=view.acronym,
        as_of=format_date(view.as_of),
        banner=view.banner,
        documents=links(entries),
        pages=next((e.pages for e in entries if e.pages is not None), None),
        editions=tuple(EditionLinks(language, links(chosen)) for language, chosen in editions),
    )


def _product_rows(
    corpus: Corpus, documents: _Documents, views: Views, product_name: str, audience: str, base: str
) -> list[IndexRow]:
    """A row for each of the product's subjects that the audience has a document on, in the product's
    order (the briefs: by instrument name; the country briefs: by code)."""
    product, edition = get_product(product_name), corpus.office.editions[0]
    if product_name == LISTED_PRODUCT:
        subjects = [i.id for i in _by_name(corpus) if visible_to(corpus.audiences[audience], i.release)]
    else:
        subjects = [s for s in product.subjects(corpus) if audience in product.audiences(corpus, s)]
    rows = []
    for subject in subjects:
        entries = documents.of(product_name, audience, subject)
        if entries:
            view = views.get(product, subject, audience, edition)
            rows.append(_row(view, entries, base, documents.editions(product_name, audience, subject)))
    return rows


def index_group(
    corpus: Corpus, manifest: Manifest, audience: str, base: str, views: Views | None = None
) -> IndexGroup:
    """The audience's documents, with links relative to the folder `base` ("" for output/)."""

    documents = _Documents(corpus, manifest)
    views = views or Views(corpus)
    rows = _product_rows(corpus, documents, views, LISTED_PRODUCT, audience, base)
    books = _product_rows(corpus, documents, views, BOOK_PRODUCT, audience, base)
    countries = _product_rows(corpus, documents, views, COUNTRY_PRODUCT, audience, base)
    settings = corpus.audiences[audience]
    return IndexGroup(
        audience=audience,
        title=settings.title,
        description=settings.description,
        marking=settings.marking,
        banner=highest(row.banner for row in (*rows, *books, *countries)),
        href=posixpath.relpath(f"{audience}/{INDEX_NAME}", base or "."),
        rows=tuple(rows),
        book=books[0] if books else None,
        countries=tuple(countries),
    )


def index_pages(
    corpus: Corpus, manifest: Manifest, templates: TemplateSet, views: Views | None = None
) -> dict[str, str]:
    """The index pages to write, as output-relative path -> HTML text (empty without an index template).
    `views` are those the build already made for its input hashes.

    `index.html` shows only what the public may see; `<audience>/index.html` shows one audience's documents.
    """
    if not (templates.root / INDEX_TEMPLATE).is_file():
        return {}
    template = templates.env.get_template(INDEX_TEMPLATE)
    views = views or Views(corpus)
    # The columns: each format's name and template folder (`pdf`, `briefing`), in the registry's order.
    formats = [(fmt.name, fmt.template_folder) for fmt in all_formats()]
    # The other editions, named in their own language: a reader looks for "español", not "Spanish".
    editions = {language: endonym(language) for language in corpus.office.editions[1:]}
    pages: dict[str, str] = {}
    for audience in corpus.audiences:
        group = index_group(corpus, manifest, audience, audience, views)
        pages[f"{audience}/{INDEX_NAME}"] = template.render(
            page="audience",
            office=corpus.office,
            banner=group.banner,
            marking=group.marking,
            audience=group,
            groups=[group],
            audiences=[],
            home=f"../{INDEX_NAME}",
            formats=formats,
            editions=editions,
        )
    public = [name for name, a in corpus.audiences.items() if a.clearance == LEVELS[0]]
    groups = [index_group(corpus, manifest, name, "", views) for name in public]
    banner = highest(group.banner for group in groups)
    if banner != LEVELS[0]:  # a public audience's view is public by construction (select)
        raise AssertionError(f"the top index would carry {banner} material")
    pages[INDEX_NAME] = template.render(
        page="top",
        office=corpus.office,
        banner=banner,
        marking=corpus.audiences[public[0]].marking if public else "",
        audience=None,
        groups=groups,
        audiences=[AudienceLink(name, f"{name}/{INDEX_NAME}") for name in corpus.audiences],
        home=None,
        formats=formats,
        editions=editions,
    )
    return pages


# --- the job summary ---------------------------------------------------------------------------------

_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def md(text: str) -> str:
    """Content-derived text as inert Markdown: one line, every ASCII punctuation character escaped.

    `<`, `>` and `&` become entities (no HTML); the rest are backslash-escaped, which GitHub renders as
    the character itself but which can break no table cell (`|`), open no link or image (`[`, `]`, `!`),
    code span (backtick) or emphasis (`*`, `_`, `~`), and starts no autolink (`:` of a scheme, `.` of www.).
    """
    out = []
    for char in _LINE_BREAKS.sub(" ", text):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _ASCII_PUNCTUATION:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def md_path(name: str) -> str:
    """A file name or path as a code span when it is plainly safe to show as one, else as escaped text."""
    return f"`{name}`" if _PLAIN_PATH.fullmatch(name) else md(name)


def _state(entry: ManifestEntry, previous: Manifest) -> str:
    before = previous.entries.get(entry.target)
    if before is None:
        return "new"
    return "changed" if before.sha256 != entry.sha256 else ""


def _what_changed(comparison: Comparison) -> str:
    """What the audience will find changed in an instrument, on one line (`summary 1 edited; ...`)."""
    if comparison.is_new:
        return "new to this audience"
    parts = []
    for section in comparison.changed_sections:
        counts = [
            f"{section.count(kind)} {kind}"
            for kind in ("inserted", "edited", "deleted")
            if section.count(kind)
        ]
        parts.append(f"{section.name} {', '.join(counts)}")
    for group, changes in (("members", comparison.members), ("partners", comparison.partners)):
        kinds = sorted({change.kind for change in changes})
        if kinds:
            counted = ", ".join(f"{sum(1 for c in changes if c.kind == kind)} {kind}" for kind in kinds)
            parts.append(f"{group} {counted}")
    fields = [change.field.replace("_", " ") for change in comparison.headline]
    if comparison.status_note is not None:
        fields.append("status note")
    if fields:
        parts.append("key facts: " + ", ".join(fields))
    if comparison.sources_added or comparison.sources_removed:
        parts.append(
            f"sources {len(comparison.sources_added)} added, {len(comparison.sources_removed)} removed"
        )
    if comparison.related_added or comparison.related_removed:
        parts.append("related instruments")
    return "; ".join(parts)


def change_summary(corpus: Corpus, audience: str, since: str) -> tuple[list[str], list[str]]:
    """The summary's lines on what changed since the last edition (`corpus.baseline`) for one audience, and
    the levels they show: each instrument whose audience view differs, from the change memo's comparison."""
    product, edition = get_product(CHANGES_PRODUCT), corpus.office.editions[0]
    rows, levels = [], []
    for instrument in _by_name(corpus):
        if audience not in product.audiences(corpus, instrument.id):
            continue
        comparison: Comparison = product.view(corpus, instrument.id, audience, edition)
        levels.append(comparison.banner)
        rows.append(f"| {md(comparison.new.name)} | {md(_what_changed(comparison))} |")
    lines = ["", f"### Changed since {md(since)}", ""]
    if rows:
        lines += ["| Instrument | What changed |", "|---|---|", *rows]
    else:
        lines.append("Nothing this audience sees has changed.")
    return lines, levels


def job_summary(
    corpus: Corpus,
    manifest: Manifest,
    previous: Manifest,
    stale: list[Diagnostic],
    audience: str | None = None,
    since: str | None = None,
) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY about one audience's documents (default: the lowest clearance);
    with a last edition (`corpus.baseline`, named `since`), also what changed in it for that audience."""
    audience = audience or default_audience(corpus)
    settings = corpus.audiences[audience]
    levels: list[str] = []
    rows = []
    total = changed = 0
    documents = _Documents(corpus, manifest)
    views = Views(corpus)

    def row(view: IndexedView, product: str, name: str) -> str:
        nonlocal total, changed
        cells = []
        for fmt, entry in documents.by_format(product, audience, view.id):
            if entry is None:
                cells.append("–")
                continue
            total += 1
            state = _state(entry, previous)
            changed += bool(state)
            label = f"{entry.pages} p." if entry.pages else fmt.name.upper()
            cells.append(f"{label} **{state}**" if state else label)
        return f"| {md(name)} | {view.as_of.isoformat()} | " + " | ".join(cells) + " |"

    for view in _views(corpus, audience, views):
        listed = bool(documents.of(LISTED_PRODUCT, audience, view.id))
        levels.append(view.banner if listed else view.release)
        rows.append(row(view, LISTED_PRODUCT, view.name))
    book_product, edition = get_product(BOOK_PRODUCT), corpus.office.editions[0]
    for subject in book_product.subjects(corpus):
        if documents.of(BOOK_PRODUCT, audience, subject):
            book = views.get(book_product, subject, audience, edition)
            levels.append(book.banner)
            rows.append(row(book, BOOK_PRODUCT, book.name))
    country_product = get_product(COUNTRY_PRODUCT)
    country_entries = {
        subject: entries
        for subject in country_product.subjects(corpus)
        if (entries := documents.of(COUNTRY_PRODUCT, audience, subject))
    }
    for subject in country_entries:
        levels.append(views.get(country_product, subject, audience, edition).banner)
    country_documents = [entry for entries in country_entries.values() for entry in entries]
    total += len(country_documents)
    country_changed = sum(bool(_state(entry, previous)) for entry in country_documents)
    changed += country_changed

    # Removed documents are named only when their instrument is still released to this audience; the
    # others (deleted, or raised above its clearance) are counted, since their ids may no longer be shown.
    removed_named: list[str] = []
    removed_hidden = 0
    for name, entry in sorted(previous.entries.items()):
        if entry.audience != audience or name in manifest.entries:
            continue
        if entry.product == BOOK_PRODUCT:  # the audience's own book: it names no instrument
            removed_named.append(name)
            continue
        if entry.product == COUNTRY_PRODUCT:  # counted: its country may no longer be shown to the audience
            removed_hidden += 1
            continue
        if entry.product != LISTED_PRODUCT:
            continue
        instrument = corpus.instruments.get(entry.subject) if entry.product == LISTED_PRODUCT else None
        if instrument is not None and visible_to(settings, instrument.release):
            removed_named.append(name)
            levels.append(instrument.release)
        else:
            removed_hidden += 1

    instrument_files = {
        shown: path.stem for shown, path in corpus.files.items() if path.parent.name == "instruments"
    }
    overdue = []
    for warning in stale:
        instrument = corpus.instruments.get(instrument_files.get(warning.path, ""))
        if instrument is None or not visible_to(settings, instrument.release):
            continue
        levels.append(instrument.release)
        overdue.append(f"- {md_path(Path(warning.path).name)} (line {warning.line}): {md(warning.message)}")

    changes: list[str] = []
    if corpus.baseline is not None:
        changes, changed_levels = change_summary(corpus, audience, since or "the last edition")
        levels += changed_levels
    banner = f"**{highest(levels).upper()}**"
    columns = [fmt.template_folder.capitalize() for fmt in all_formats()]  # Briefing, Memo
    lines = [
        banner,
        "",
        md(settings.marking),
        "",
        f"## Briefings and memos: {md(settings.title)} (`{audience}`)",
        "",
        "| Instrument | As of | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
        *rows,
        "",
        *(
            [
                f"Country briefs: {_count(len(country_entries), 'country', 'countries')}, "
                f"{_count(len(country_documents), 'document', 'documents')} "
                f"({country_changed} new or changed) in `{COUNTRY_PRODUCT}/`.",
                "",
            ]
            if country_entries
            else []
        ),
        f"{total} document{'s' if total != 1 else ''}; {changed} new or changed since the previous run.",
    ]
    if removed_named or removed_hidden:
        text = ", ".join(md_path(name) for name in removed_named)
        if removed_hidden:
            others = f"{removed_hidden} no longer released to this audience"
            text = f"{text}; and {others}" if text else others
        lines += ["", "Removed since the previous run: " + text]
    lines += changes
    lines += ["", "### Overdue for review", ""]
    if overdue:
        lines += overdue
    else:
        lines.append(
            f"None: every instrument this audience sees was reviewed within "
            f"{corpus.office.stale_after_days} days."
        )
    lines += ["", banner]
    return "\n".join(lines) + "\n"
