"""Turn the corpus and the manifest into what people browse: the index pages and the CI job summary.

Everything here is built from audience views (`select.make_view`), never from raw content, so an index or
a summary shows an audience only what its documents may show.

- `output/<audience>/index.html`: that audience's documents only, with as-of dates, pages and links
  relative to the audience's folder, under a handling banner (top and bottom) naming the highest level
  among the documents it lists, and the audience's marking.
- `output/index.html`: only what the public may see: the office, a PUBLIC banner, the documents of the
  audiences whose clearance is public, and a link to each audience's index labelled by its folder name
  (no audience titles or descriptions, no instrument names, acronyms or counts from above public).
- The job summary (Markdown for $GITHUB_STEP_SUMMARY) covers one audience (by default the one with the
  lowest clearance): its documents with pages, as-of dates and what changed since a previous manifest,
  and its content overdue for review, under that audience's banner. Content-derived text is escaped so it
  cannot break the table or inject links or HTML.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic
from .model import LEVELS, Corpus, Instrument, level_rank
from .plan import Manifest, ManifestEntry
from .render import TemplateSet, format_date
from .select import View, make_view, visible_to

# One template renders both kinds of index page (`page == "top"` or `"audience"`): the input hashes of the
# documents leave out exactly this file (plan.InputHasher), so index changes rebuild no document.
INDEX_TEMPLATE = "index.html.j2"
INDEX_NAME = "index.html"


@dataclass(frozen=True)
class IndexRow:
    id: str
    name: str
    acronym: str | None
    as_of: str
    banner: str
    pdf: str | None  # link relative to the page that lists the row
    docx: str | None
    pages: int | None


@dataclass(frozen=True)
class IndexGroup:
    audience: str
    title: str
    description: str
    marking: str
    banner: str
    href: str  # the audience's own index, relative to the page that shows the group
    rows: tuple[IndexRow, ...]


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


def _views(corpus: Corpus, audience: str) -> list[View]:
    """The audience's view of every instrument it is cleared for, in name order."""
    cleared = corpus.audiences[audience]
    return [make_view(corpus, i, audience) for i in _by_name(corpus) if visible_to(cleared, i.release)]


def _entry(manifest: Manifest, audience: str, instrument_id: str, fmt: str) -> ManifestEntry | None:
    return manifest.entries.get(f"{audience}/{instrument_id}.{fmt}")


def index_group(corpus: Corpus, manifest: Manifest, audience: str, base: str) -> IndexGroup:
    """The audience's documents, with links relative to the folder `base` ("" for output/)."""

    def link(entry: ManifestEntry | None) -> str | None:
        return None if entry is None else posixpath.relpath(entry.path, base or ".")

    rows = []
    for view in _views(corpus, audience):
        pdf = _entry(manifest, audience, view.id, "pdf")
        docx = _entry(manifest, audience, view.id, "docx")
        if pdf is None and docx is None:
            continue
        rows.append(
            IndexRow(
                id=view.id,
                name=view.name,
                acronym=view.acronym,
                as_of=format_date(view.as_of),
                banner=view.banner,
                pdf=link(pdf),
                docx=link(docx),
                pages=pdf.pages if pdf else None,
            )
        )
    settings = corpus.audiences[audience]
    return IndexGroup(
        audience=audience,
        title=settings.title,
        description=settings.description,
        marking=settings.marking,
        banner=highest(row.banner for row in rows),
        href=posixpath.relpath(f"{audience}/{INDEX_NAME}", base or "."),
        rows=tuple(rows),
    )


def index_pages(corpus: Corpus, manifest: Manifest, templates: TemplateSet) -> dict[str, str]:
    """The index pages to write, as output-relative path -> HTML text (empty without an index template).

    `index.html` shows only what the public may see; `<audience>/index.html` shows one audience's documents.
    """
    if not (templates.root / INDEX_TEMPLATE).is_file():
        return {}
    template = templates.env.get_template(INDEX_TEMPLATE)
    pages: dict[str, str] = {}
    for audience in corpus.audiences:
        group = index_group(corpus, manifest, audience, audience)
        pages[f"{audience}/{INDEX_NAME}"] = template.render(
            page="audience",
            office=corpus.office,
            banner=group.banner,
            marking=group.marking,
            audience=group,
            groups=[group],
            audiences=[],
            home=f"../{INDEX_NAME}",
        )
    public = [name for name, a in corpus.audiences.items() if a.clearance == LEVELS[0]]
    groups = [index_group(corpus, manifest, name, "") for name in public]
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
    )
    return pages


# --- the job summary ---------------------------------------------------------------------------------

_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")


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


def job_summary(
    corpus: Corpus,
    manifest: Manifest,
    previous: Manifest,
    stale: list[Diagnostic],
    audience: str | None = None,
) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY about one audience's documents (default: the lowest clearance)."""
    audience = audience or default_audience(corpus)
    settings = corpus.audiences[audience]
    levels: list[str] = []
    rows = []
    total = changed = 0
    for view in _views(corpus, audience):
        cells = []
        listed = False
        for fmt in ("pdf", "docx"):
            entry = _entry(manifest, audience, view.id, fmt)
            if entry is None:
                cells.append("–")
                continue
            total += 1
            listed = True
            state = _state(entry, previous)
            changed += bool(state)
            label = f"{entry.pages} p." if fmt == "pdf" and entry.pages else fmt.upper()
            cells.append(f"{label} **{state}**" if state else label)
        levels.append(view.banner if listed else view.release)
        rows.append(f"| {md(view.name)} | {view.as_of.isoformat()} | " + " | ".join(cells) + " |")

    # Removed documents are named only when their instrument is still released to this audience; the
    # others (deleted, or raised above its clearance) are counted, since their ids may no longer be shown.
    removed_named: list[str] = []
    removed_hidden = 0
    for name, entry in sorted(previous.entries.items()):
        if entry.audience != audience or name in manifest.entries:
            continue
        instrument = corpus.instruments.get(entry.instrument)
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

    banner = f"**{highest(levels).upper()}**"
    lines = [
        banner,
        "",
        md(settings.marking),
        "",
        f"## Briefings and memos: {md(settings.title)} (`{audience}`)",
        "",
        "| Instrument | As of | Briefing | Memo |",
        "|---|---|---|---|",
        *rows,
        "",
        f"{total} document{'s' if total != 1 else ''}; {changed} new or changed since the previous run.",
    ]
    if removed_named or removed_hidden:
        text = ", ".join(md_path(name) for name in removed_named)
        if removed_hidden:
            others = f"{removed_hidden} no longer released to this audience"
            text = f"{text}; and {others}" if text else others
        lines += ["", "Removed since the previous run: " + text]
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
