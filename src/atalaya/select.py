"""Turn an instrument and an audience into that audience's `View`: the one place releasability is enforced.

Every item above the audience's clearance, and every section the audience does not show, is removed here,
before any template sees the content. A source is kept only when an item the view shows cites it, or when
nothing in the file cites it and its own level is within the clearance; the kept sources are numbered
1..n in file order, so no gap betrays a hidden one. The view's banner is the highest level actually left
in it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .model import (
    LEVELS,
    Audience,
    Corpus,
    Fallback,
    Instrument,
    Marked,
    Names,
    Office,
    PartialDate,
    Prose,
    TimelineEvent,
    cited_keys,
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
    fallback: Fallback | None = None
    """Set in an edition other than the source's when `text` is the source's (`edition`)."""

    @property
    def mark(self) -> str:
        return PORTION_MARKS[self.level]


@dataclass(frozen=True)
class Period:
    """One period of membership: joined, withdrawal announced (or notified), left (withdrawal in effect)."""

    joined: PartialDate | None
    announced: PartialDate | None
    left: PartialDate | None


@dataclass(frozen=True)
class MemberRow:
    """One country: a member listed for several periods is one row; `joined`, `announced` and `left` are those
    of its first and last periods, so a row without `left` is a current member."""

    code: str
    country: str
    subregion: str
    joined: PartialDate | None
    left: PartialDate | None
    role: str | None
    level: str
    verification: str = "corroborated"
    cites: tuple[int, ...] = ()
    announced: PartialDate | None = None
    periods: tuple[Period, ...] = ()
    role_fallback: Fallback | None = None
    """Set when `role` is shown in the source language in another edition (`edition`)."""

    @property
    def mark(self) -> str:
        return PORTION_MARKS[self.level]

    @property
    def ever_left(self) -> bool:
        """Whether any period ended or had a withdrawal announced (the tables then show a Left column)."""
        return any(p.left or p.announced for p in self.periods)


@dataclass(frozen=True)
class SourceRef:
    number: int
    key: str
    title: str
    publisher: str
    year: int | None
    url: str | None
    level: str = "public"

    @property
    def mark(self) -> str:
        return PORTION_MARKS[self.level]


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
    also_known_as: tuple[tuple[str, str], ...] = ()
    """The instrument's names in the office's other languages, as (language, name), in `languages` order."""
    name_fallback: Fallback | None = None
    """Set when `name` is the source language's in another edition."""

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


def listed_countries(instrument: Instrument, audience: Audience) -> set[str]:
    """The countries the audience's view of the instrument lists as member or partner (`make_view`'s rows),
    found without making the view."""
    if not visible_to(audience, instrument.release):
        return set()
    listed: set[str] = set()
    for section in ("members", "partners"):
        if section in audience.sections:
            listed.update(
                entry.country
                for entry in getattr(instrument, section)
                if visible_to(audience, entry.release or instrument.release)
            )
    return listed


def make_view(corpus: Corpus, instrument: Instrument, audience_name: str) -> View:
    audience = corpus.audiences[audience_name]
    if not visible_to(audience, instrument.release):
        raise ValueError(f"audience {audience_name} is not cleared for {instrument.id}")
    default = instrument.release
    shown = set(audience.sections)
    present: list[str] = [default]

    def level_of(entry: Marked) -> str:
        return entry.release or default

    # First what the view shows: the items within clearance in the sections the audience lists. Only
    # these may bring a cited source into the view.
    def kept(section: str, entries: list[Any]) -> list[Any]:
        if section not in shown:
            return []
        return [entry for entry in entries if visible_to(audience, level_of(entry))]

    shown_summary = kept("summary", instrument.summary)
    shown_objectives = kept("objectives", instrument.objectives)
    shown_activities = kept("activities", list(instrument.activities))
    shown_challenges = kept("challenges", instrument.challenges)
    shown_assessment = kept("assessment", instrument.assessment)
    shown_recommendations = kept("recommendations", instrument.recommendations)
    shown_timeline = kept("timeline", instrument.timeline)
    shown_members = kept("members", instrument.members)
    shown_partners = kept("partners", instrument.partners)
    note = instrument.status.note
    shown_note = kept("key_facts", [note] if note is not None else [])
    shown_entries: list[Marked] = [
        *shown_summary,
        *shown_objectives,
        *shown_activities,
        *shown_challenges,
        *shown_assessment,
        *shown_recommendations,
        *shown_timeline,
        *shown_members,
        *shown_partners,
        *shown_note,
    ]

    # Then the sources: cited by a shown item, or cited by nothing and within clearance; numbered 1..n.
    sources: tuple[SourceRef, ...] = ()
    if "sources" in shown:
        cited_here = {key for entry in shown_entries for key in entry.cite}
        cited_anywhere = cited_keys(instrument)
        kept_sources = [
            source
            for source in instrument.sources
            if source.key in cited_here
            or (source.key not in cited_anywhere and visible_to(audience, source.release or default))
        ]
        sources = tuple(
            SourceRef(
                number,
                source.key,
                source.title,
                source.publisher,
                source.year,
                source.url,
                source.release or default,
            )
            for number, source in enumerate(kept_sources, start=1)
        )
        present.extend(source.level for source in sources)
    numbers = {source.key: source.number for source in sources}

    def cites(entry: Marked) -> tuple[int, ...]:
        # Without a sources list there is nothing to cite: no numbers at all.
        return tuple(numbers[key] for key in entry.cite if key in numbers)

    def item(prose: Prose, *, kind: str | None = None, when: PartialDate | None = None) -> Item:
        level = level_of(prose)
        present.append(level)
        return Item(
            text=prose.text,
            level=level,
            verification=prose.verification or instrument.verification,
            cites=cites(prose),
            kind=kind,
            date=when,
            fallback=prose._fallback,
        )

    def items(proses: list[Prose]) -> tuple[Item, ...]:
        return tuple(item(p, kind=getattr(p, "kind", None)) for p in proses)

    def rows(entries: list[Any]) -> tuple[MemberRow, ...]:
        # A member listed once per period of membership becomes one row with the periods this view shows, in
        # date order, at the place of its first entry; the row carries the highest level among them.
        by_country: dict[str, list[Any]] = {}
        for entry in entries:
            by_country.setdefault(entry.country, []).append(entry)
        kept_rows: list[MemberRow] = []
        for code, group in by_country.items():
            group.sort(key=lambda e: e.joined.earliest if getattr(e, "joined", None) else date.min)
            levels = [level_of(entry) for entry in group]
            level = max(levels, key=level_rank)
            checks = {entry.verification or instrument.verification for entry in group}
            verification = next(v for v in ("disputed", "single-source", "corroborated") if v in checks)
            periods = tuple(
                Period(getattr(e, "joined", None), getattr(e, "announced", None), getattr(e, "left", None))
                for e in group
            )
            country = corpus.countries[code]
            kept_rows.append(
                MemberRow(
                    code=code,
                    country=country_name(corpus, code),
                    subregion=country.subregion,
                    joined=periods[0].joined,
                    left=periods[-1].left,
                    role=" ".join(entry.role for entry in group if entry.role) or None,
                    role_fallback=next((e._fallback for e in group if e._fallback), None),
                    level=level,
                    verification=verification,
                    cites=tuple(dict.fromkeys(n for entry in group for n in cites(entry))),
                    announced=periods[-1].announced,
                    periods=periods,
                )
            )
            present.extend(levels)
        return tuple(kept_rows)

    def event_item(event: TimelineEvent) -> Item:
        prose = Prose(
            text=event.text, release=event.release, cite=event.cite, verification=event.verification
        )
        prose._fallback = event._fallback
        return item(prose, when=event.date)

    timeline = tuple(event_item(event) for event in shown_timeline)
    status_note = item(shown_note[0]) if shown_note else None

    related: tuple[RelatedRef, ...] = ()
    if "related" in shown:
        related = tuple(
            RelatedRef(rid, corpus.instruments[rid].name, corpus.instruments[rid].acronym)
            for rid in instrument.related
            if rid in corpus.instruments and visible_to(audience, corpus.instruments[rid].release)
        )
        # A related instrument's name is material at that instrument's level: it counts for the banner.
        present.extend(corpus.instruments[ref.id].release for ref in related)

    summary = items(shown_summary)
    objectives = items(shown_objectives)
    activities = items(shown_activities)
    challenges = items(shown_challenges)
    assessment = items(shown_assessment)
    # A recommendation is not a claim of fact: it never shows (or inherits the file's) verification status.
    recommendations = tuple(replace(i, verification="corroborated") for i in items(shown_recommendations))
    members = rows(shown_members)
    partners = rows(shown_partners)
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
        verification_note=(
            instrument.verification_note.text
            if instrument.verification_note is not None and audience.show_verification
            else None
        ),
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
        also_known_as=_other_names(corpus, instrument),
        name_fallback=instrument._name_fallback,
    )


def _other_names(corpus: Corpus, instrument: Instrument) -> tuple[tuple[str, str], ...]:
    """The instrument's name in the office's other languages (in the source edition, the translated names
    whatever their state; in another, the source name and the others' current translations)."""
    from .edition import CURRENT, state_of

    language, source = corpus.office.language, corpus.office.editions[0]
    names = instrument.names or {}
    shown: list[tuple[str, str]] = []
    for other in (source, *corpus.office.editions[1:], *sorted(names)):
        if other == language or other in dict(shown):
            continue
        if other == source:
            # `instrument.name` is the edition's here; the source name is what its translations translate.
            original = _source_name(corpus, instrument)
            if original != instrument.name:
                shown.append((other, original))
            continue
        given = names.get(other)
        if given is None:
            continue
        if language != source and state_of(given, _source_name(corpus, instrument)) != CURRENT:
            continue
        if given.text not in (name for _, name in shown) and given.text != instrument.name:
            shown.append((other, given.text))
    return tuple(shown)


def _source_name(corpus: Corpus, instrument: Instrument) -> str:
    return instrument._source_name or instrument.name


def country_name(corpus: Corpus, code: str) -> str:
    """The country's name in the corpus's edition: countries.yaml's name in its language, else CLDR's."""
    from .i18n import catalogue

    language = corpus.office.language.split("-")[0].lower()
    given = getattr(corpus.countries[code].name, language, None) if language in ("en", "es", "pt") else None
    return str(given) if given else catalogue(corpus.office.language).country_name(code)
