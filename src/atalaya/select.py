"""Turn an instrument and an audience into that audience's `View`: the one place releasability is enforced.

Every item above the audience's clearance, and every section the audience does not show, is removed here,
before any template sees the content. The view's banner is the highest level actually left in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .model import (
    LEVELS,
    Audience,
    Corpus,
    Instrument,
    Names,
    Office,
    PartialDate,
    Prose,
    level_rank,
)

PORTION_MARKS = {"public": "P", "internal": "I", "restricted": "R"}


@dataclass(frozen=True)
class Item:
    """A paragraph or list item that the audience may see."""

    text: str
    level: str
    verification: str
    cites: tuple[int, ...] = ()
    kind: str | None = None
    date: PartialDate | None = None

    @property
    def mark(self) -> str:
        return PORTION_MARKS[self.level]


@dataclass(frozen=True)
class MemberRow:
    code: str
    country: str
    subregion: str
    joined: PartialDate | None
    left: PartialDate | None
    role: str | None
    level: str
    verification: str = "corroborated"
    cites: tuple[int, ...] = ()

    @property
    def mark(self) -> str:
        return PORTION_MARKS[self.level]


@dataclass(frozen=True)
class SourceRef:
    number: int
    key: str
    title: str
    publisher: str
    year: int | None
    url: str | None


@dataclass(frozen=True)
class RelatedRef:
    id: str
    name: str
    acronym: str | None


@dataclass(frozen=True)
class View:
    """What one audience's documents about one instrument may show, and nothing more."""

    audience_name: str
    audience: Audience
    office: Office
    id: str
    name: str
    names: Names | None
    acronym: str | None
    kind: str
    release: str
    verification: str
    verification_note: str | None
    established: PartialDate | None
    in_force: PartialDate | None
    status: str
    status_since: PartialDate | None
    status_note: Item | None
    as_of: date
    themes: tuple[str, ...]
    banner: str
    sections: tuple[str, ...]
    summary: tuple[Item, ...]
    members: tuple[MemberRow, ...]
    partners: tuple[MemberRow, ...]
    objectives: tuple[Item, ...]
    activities: tuple[Item, ...]
    challenges: tuple[Item, ...]
    assessment: tuple[Item, ...]
    recommendations: tuple[Item, ...]
    timeline: tuple[Item, ...]
    related: tuple[RelatedRef, ...]
    sources: tuple[SourceRef, ...]

    @property
    def portion_marks(self) -> bool:
        return self.audience.portion_marks

    @property
    def show_verification(self) -> bool:
        return self.audience.show_verification

    @property
    def title(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def shows(self, section: str) -> bool:
        return section in self.sections

    def all_text(self) -> list[str]:
        """Every piece of content text in the view (used to check what a document may carry)."""
        texts = [self.name, *(i.text for i in self.summary)]
        for group in (
            self.objectives,
            self.activities,
            self.challenges,
            self.assessment,
            self.recommendations,
            self.timeline,
        ):
            texts.extend(i.text for i in group)
        texts.extend(r.role for r in (*self.members, *self.partners) if r.role)
        if self.status_note:
            texts.append(self.status_note.text)
        return texts


def visible_to(audience: Audience, level: str) -> bool:
    return level_rank(level) <= level_rank(audience.clearance)


def audiences_for(corpus: Corpus, instrument: Instrument) -> list[str]:
    """The audiences cleared for the instrument's own level (a restricted file has no public documents)."""
    return [name for name, audience in corpus.audiences.items() if visible_to(audience, instrument.release)]


def make_view(corpus: Corpus, instrument: Instrument, audience_name: str) -> View:
    audience = corpus.audiences[audience_name]
    if not visible_to(audience, instrument.release):
        raise ValueError(f"audience {audience_name} is not cleared for {instrument.id}")
    default = instrument.release
    numbers = {source.key: index + 1 for index, source in enumerate(instrument.sources)}
    shown = set(audience.sections)
    present: list[str] = [default]

    def item(prose: Prose, *, kind: str | None = None, when: PartialDate | None = None) -> Item | None:
        level = prose.release or default
        if not visible_to(audience, level):
            return None
        return Item(
            text=prose.text,
            level=level,
            verification=prose.verification or instrument.verification,
            cites=tuple(numbers[key] for key in prose.cite),
            kind=kind,
            date=when,
        )

    def items(section: str, proses: list[Prose]) -> tuple[Item, ...]:
        if section not in shown:
            return ()
        kept = tuple(i for i in (item(p, kind=getattr(p, "kind", None)) for p in proses) if i is not None)
        present.extend(i.level for i in kept)
        return kept

    def rows(section: str) -> tuple[MemberRow, ...]:
        if section not in shown:
            return ()
        kept: list[MemberRow] = []
        for entry in getattr(instrument, section):
            level = entry.release or default
            if not visible_to(audience, level):
                continue
            country = corpus.countries[entry.country]
            kept.append(
                MemberRow(
                    code=entry.country,
                    country=country.name.en,
                    subregion=country.subregion,
                    joined=getattr(entry, "joined", None),
                    left=getattr(entry, "left", None),
                    role=entry.role,
                    level=level,
                    verification=entry.verification or instrument.verification,
                    cites=tuple(numbers[key] for key in entry.cite),
                )
            )
            present.append(level)
        return tuple(kept)

    timeline: tuple[Item, ...] = ()
    if "timeline" in shown:
        events = []
        for event in instrument.timeline:
            shown_event = item(
                Prose(
                    text=event.text, release=event.release, cite=event.cite, verification=event.verification
                ),
                when=event.date,
            )
            if shown_event is not None:
                events.append(shown_event)
                present.append(shown_event.level)
        timeline = tuple(events)

    status_note = None
    if "key_facts" in shown and instrument.status.note is not None:
        status_note = item(instrument.status.note)
        if status_note is not None:
            present.append(status_note.level)

    related: tuple[RelatedRef, ...] = ()
    if "related" in shown:
        related = tuple(
            RelatedRef(rid, corpus.instruments[rid].name, corpus.instruments[rid].acronym)
            for rid in instrument.related
            if rid in corpus.instruments and visible_to(audience, corpus.instruments[rid].release)
        )
        # A related instrument's name is material at that instrument's level: it counts for the banner.
        present.extend(corpus.instruments[ref.id].release for ref in related)

    summary = items("summary", instrument.summary)
    objectives = items("objectives", instrument.objectives)
    activities = items("activities", list(instrument.activities))
    challenges = items("challenges", instrument.challenges)
    assessment = items("assessment", instrument.assessment)
    recommendations = items("recommendations", instrument.recommendations)
    members = rows("members")
    partners = rows("partners")
    sources = (
        tuple(
            SourceRef(numbers[s.key], s.key, s.title, s.publisher, s.year, s.url) for s in instrument.sources
        )
        if "sources" in shown
        else ()
    )
    content_of = {
        "key_facts": True,
        "summary": summary,
        "members": members,
        "partners": partners,
        "objectives": objectives,
        "activities": activities,
        "challenges": challenges,
        "assessment": assessment,
        "recommendations": recommendations,
        "timeline": timeline,
        "related": related,
        "sources": sources,
    }
    sections = tuple(s for s in audience.sections if content_of[s])
    banner = max(present, key=level_rank)
    assert banner in LEVELS

    return View(
        audience_name=audience_name,
        audience=audience,
        office=corpus.office,
        id=instrument.id,
        name=instrument.name,
        names=instrument.names,
        acronym=instrument.acronym,
        kind=instrument.kind,
        release=instrument.release,
        verification=instrument.verification,
        verification_note=instrument.verification_note if audience.show_verification else None,
        established=instrument.established,
        in_force=instrument.in_force,
        status=instrument.status.state,
        status_since=instrument.status.since,
        status_note=status_note,
        as_of=instrument.as_of,
        themes=tuple(instrument.themes),
        banner=banner,
        sections=sections,
        summary=summary,
        members=members,
        partners=partners,
        objectives=objectives,
        activities=activities,
        challenges=challenges,
        assessment=assessment,
        recommendations=recommendations,
        timeline=timeline,
        related=related,
        sources=sources,
    )
