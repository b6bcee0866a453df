"""Turn the corpus and the manifest into what people browse: the index page and the CI job summary.

The index page (output/index.html) lists every document by audience with its as-of date, pages and
relative links, so it works opened from disk. The job summary is a Markdown table of instrument x audience
with pages, as-of dates and what changed since a previous manifest, followed by the content that is overdue
for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic
from .model import Corpus
from .plan import Manifest
from .render import TemplateSet, format_date

INDEX_TEMPLATE = "index.html.j2"


@dataclass(frozen=True)
class IndexRow:
    id: str
    name: str
    acronym: str | None
    as_of: str
    pdf: str | None
    docx: str | None
    pages: int | None


@dataclass(frozen=True)
class IndexGroup:
    audience: str
    title: str
    description: str
    rows: tuple[IndexRow, ...]


def index_groups(corpus: Corpus, manifest: Manifest) -> list[IndexGroup]:
    groups = []
    for audience_name, audience in corpus.audiences.items():
        rows = []
        for instrument_id in sorted(corpus.instruments, key=lambda i: corpus.instruments[i].name.lower()):
            pdf = manifest.entries.get(f"{audience_name}/{instrument_id}.pdf")
            docx = manifest.entries.get(f"{audience_name}/{instrument_id}.docx")
            if pdf is None and docx is None:
                continue
            instrument = corpus.instruments[instrument_id]
            rows.append(
                IndexRow(
                    id=instrument_id,
                    name=instrument.name,
                    acronym=instrument.acronym,
                    as_of=format_date(instrument.as_of),
                    pdf=pdf.path if pdf else None,
                    docx=docx.path if docx else None,
                    pages=pdf.pages if pdf else None,
                )
            )
        if rows:
            groups.append(IndexGroup(audience_name, audience.title, audience.description, tuple(rows)))
    return groups


def index_html(corpus: Corpus, manifest: Manifest, templates: TemplateSet) -> str | None:
    """The index page, or None when the templates folder has no index template."""
    if not (templates.root / INDEX_TEMPLATE).is_file():
        return None
    template = templates.env.get_template(INDEX_TEMPLATE)
    return template.render(office=corpus.office, groups=index_groups(corpus, manifest))


def job_summary(corpus: Corpus, manifest: Manifest, previous: Manifest, stale: list[Diagnostic]) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY."""
    audiences = list(corpus.audiences)
    lines = ["## Briefings and memos", ""]
    changed = 0
    header = "| Instrument | As of | " + " | ".join(corpus.audiences[a].title for a in audiences) + " |"
    lines += [header, "|" + "---|" * (2 + len(audiences))]
    for instrument_id in sorted(corpus.instruments):
        instrument = corpus.instruments[instrument_id]
        cells = []
        for audience in audiences:
            parts = []
            for fmt in ("pdf", "docx"):
                name = f"{audience}/{instrument_id}.{fmt}"
                entry = manifest.entries.get(name)
                if entry is None:
                    continue
                before = previous.entries.get(name)
                if before is None:
                    state = "new"
                elif before.sha256 != entry.sha256:
                    state = "changed"
                else:
                    state = ""
                changed += bool(state)
                label = f"{entry.pages} p." if fmt == "pdf" and entry.pages else fmt.upper()
                parts.append(f"{label} **{state}**" if state else label)
            cells.append(", ".join(parts) if parts else "–")
        lines.append(f"| {instrument.name} | {instrument.as_of} | " + " | ".join(cells) + " |")
    removed = sorted(set(previous.entries) - set(manifest.entries))
    lines += ["", f"{len(manifest.entries)} documents; {changed} new or changed since the previous run."]
    if removed:
        lines += ["", "Removed since the previous run: " + ", ".join(removed)]
    lines += ["", "### Overdue for review", ""]
    if stale:
        lines += [f"- `{Path(w.path).name}` (line {w.line}): {w.message}" for w in stale]
    else:
        lines.append(f"None: every instrument was reviewed within {corpus.office.stale_after_days} days.")
    return "\n".join(lines) + "\n"
