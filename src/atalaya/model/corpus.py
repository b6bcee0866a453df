"""Turn a content folder into a validated, cross-checked `Corpus`: every file read, validated and
checked against the others (countries, related instruments, sources, dates), every problem located at
`path:line:col` and reported together; warnings are returned beside the corpus.
"""

from __future__ import annotations

import difflib
import functools
import multiprocessing
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel

from ..errors import ContentError, Diagnostic, Severity, shown_path
from ..load import Document, PathKey, load_file, yaml_files
from .located import _validate
from .schema import (
    DEFAULT_OFFICE,
    RESERVED_IDS,
    Audience,
    Audiences,
    Corpus,
    Countries,
    Country,
    Instrument,
    Member,
    Office,
    _citations,
)
from .values import STALE, PartialDate, level_rank

# --- loading a content tree ---------------------------------------------------------------------------


def load_corpus(root: Path, *, today: date | None = None) -> Corpus:
    """Load and validate a whole content tree; raise `ContentError` with every problem found."""
    errors: list[Diagnostic] = []
    files: dict[str, Path] = {}

    def read(path: Path, shown: str | None = None) -> Document | None:
        try:
            document = load_file(path, shown or shown_path(path))
        except ContentError as exc:
            errors.extend(exc.diagnostics)
            return None
        files[document.path] = path
        return document

    if not root.is_dir():
        raise ContentError(Diagnostic(shown_path(root), 0, 0, "content folder not found"))

    office = DEFAULT_OFFICE
    office_path = root / "office.yaml"
    if office_path.exists() or office_path.is_symlink():  # a broken link is an error, not no office
        doc = read(office_path)
        if doc is not None:
            office = _validate(doc, Office, errors) or DEFAULT_OFFICE

    audiences: dict[str, Audience] = {}
    doc = read(root / "audiences.yaml")
    if doc is not None:
        validated = _validate(doc, Audiences, errors)
        if validated is not None:
            audiences = validated.root
            errors.extend(_check_audiences(doc, audiences))

    countries: dict[str, Country] = {}
    doc = read(root / "countries.yaml")
    if doc is not None:
        validated = _validate(doc, Countries, errors)
        if validated is not None:
            countries = validated.root

    instrument_dir = root / "instruments"
    paths, stray = yaml_files(instrument_dir) if instrument_dir.is_dir() else ([], [])
    shown_dir = shown_path(instrument_dir)
    for path in stray:
        errors.append(Diagnostic(shown_path(path), 1, 1, "instrument files must end in .yaml"))
    if not paths and not stray:
        errors.append(Diagnostic(shown_path(instrument_dir), 0, 0, "no instrument files (*.yaml) found"))
    known_ids = {p.stem for p in paths}

    instruments: dict[str, Instrument] = {}
    warnings: list[Diagnostic] = []
    context = _CheckContext(countries, known_ids, office, today or date.today())
    jobs = [(path, f"{shown_dir}/{path.name}") for path in paths]
    for loaded in _load_instruments(jobs, context):
        errors.extend(loaded.errors)
        warnings.extend(loaded.warnings)
        files[loaded.shown] = loaded.path
        if loaded.instrument is not None:
            instruments[loaded.instrument.id] = loaded.instrument

    if errors:
        raise ContentError(errors + warnings)
    return Corpus(
        root=root,
        office=office,
        audiences=audiences,
        countries=countries,
        instruments=instruments,
        files=files,
        warnings=sorted(warnings),
    )


# Below this many instrument files, loading in this process is quicker than starting workers.
PARALLEL_LOAD_FROM = 150


@dataclass(frozen=True)
class _CheckContext:
    """What checking one instrument file needs from the rest of the corpus."""

    countries: dict[str, Country]
    known_ids: set[str]
    office: Office
    today: date


@dataclass
class _Loaded:
    path: Path
    shown: str
    instrument: Instrument | None
    errors: list[Diagnostic]
    warnings: list[Diagnostic]


def _load_instrument(job: tuple[Path, str], context: _CheckContext) -> _Loaded:
    """Read, validate and cross-check one instrument file (in a worker process for large corpora)."""
    path, shown = job
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    try:
        doc = load_file(path, shown)
    except ContentError as exc:
        return _Loaded(path, shown, None, list(exc.diagnostics), warnings)
    instrument = _validate(doc, Instrument, errors)
    if instrument is not None and instrument.id != path.stem:
        errors.append(
            doc.diagnostic(("id",), f"id '{instrument.id}' differs from the file name '{path.stem}.yaml'")
        )
        instrument = None
    if instrument is not None and instrument.id in RESERVED_IDS:
        errors.append(
            doc.diagnostic(
                ("id",),
                f"id '{instrument.id}' is reserved: output/<audience>/{instrument.id}… "
                "belongs to another product; choose another",
            )
        )
        instrument = None
    if instrument is not None:
        for diagnostic in _cross_check(
            instrument, doc, context.countries, context.known_ids, context.office, context.today
        ):
            (warnings if diagnostic.severity is Severity.WARNING else errors).append(diagnostic)
    if instrument is not None:
        from ..edition import translation_places

        instrument._places = {
            place: doc.locate(place) for place in translation_places(instrument, context.office.editions[1:])
        }
    # Only the validated model, the places translations go and the findings travel back from a worker, not
    # the values and marks.
    return _Loaded(path, shown, instrument, errors, warnings)


def _load_instruments(jobs: list[tuple[Path, str]], context: _CheckContext) -> list[_Loaded]:
    """Load every instrument file; a large corpus is spread over worker processes (one a core)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_LOAD_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_load_instrument(job, context) for job in jobs]
    load = functools.partial(_load_instrument, context=context)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(load, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


def _check_audiences(doc: Document, audiences: dict[str, Audience]) -> Iterator[Diagnostic]:
    if not audiences:
        yield doc.diagnostic((), "at least one audience is needed")
    public = audiences.get("public")
    if public is not None and public.clearance != "public":
        yield doc.diagnostic(("public", "clearance"), "the public audience's clearance must be 'public'")
    for name, audience in audiences.items():
        seen: set[str] = set()
        for index, section in enumerate(audience.sections):
            if section in seen:
                yield doc.diagnostic((name, "sections", index), f"section '{section}' is listed twice")
            seen.add(section)


def _warning(doc: Document, loc: PathKey, message: str, category: str) -> Diagnostic:
    """A warning at `loc`; `category` is its kind (`content.stale`): what `summary` selects by."""
    line, col = doc.locate(loc)
    return Diagnostic(doc.path, line, col, message, Severity.WARNING, category)


def _latest(value: PartialDate) -> date:
    """The last day a partial date can mean (`2019` -> 31 Dec 2019, `2019-02` -> 28 Feb 2019)."""
    if value.day is not None:
        return value.earliest
    if value.month is None:
        return date(value.year, 12, 31)
    following = date(value.year + value.month // 12, value.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _certainly_after(first: PartialDate, second: PartialDate) -> bool:
    """Whether `first` is after `second` whatever days they stand for (`2004-01` is not after `2004`)."""
    return first.earliest > _latest(second)


def _overlap(one: Member, other: Member) -> bool:
    """Whether two membership periods of one country overlap; a period without `left` runs to now."""
    earlier, later = sorted((one, other), key=lambda m: m.joined.earliest if m.joined else date.min)
    if earlier.left is None or later.joined is None:
        return True
    return _certainly_after(earlier.left, later.joined)


def _period(member: Member) -> str:
    return f"{member.joined or 'from the start'} to {member.left or 'now'}"


# Future wording in an item about the past ("planned", "will", "is to be held"...), unless it is reported
# speech ("announced it will...") in the same sentence.
_FUTURE = re.compile(
    r"\b(planned|scheduled|upcoming|forthcoming|will|(?:is|are) to be|(?:is|are) due to|due to be)\b",
    re.IGNORECASE,
)
_REPORTED = re.compile(
    r"\b(announc\w*|says?|said|stat(?:e|es|ed)|pledg\w*|promis\w*|vow\w*|agree\w*|decid\w*|declar\w*|"
    r"confirm\w*|warn\w*|threaten\w*|tells?|told|insist\w*|expect\w*|hop(?:e|es|ed)|argu\w*|claim\w*|"
    r"notif\w*|inform\w*|report\w*)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def _future_wording(text: str) -> str | None:
    """The first future-tense phrase in `text` that is not reported speech, if any."""
    for found in _FUTURE.finditer(text):
        sentence = re.split(r"[.;:!?]\s", text[: found.start()])[-1]
        if not _REPORTED.search(sentence):
            return found.group()
    return None


def _cross_check(
    instrument: Instrument,
    doc: Document,
    countries: dict[str, Country],
    known_ids: set[str],
    office: Office,
    today: date,
) -> Iterator[Diagnostic]:
    as_of = PartialDate.parse(instrument.as_of)
    source_keys: dict[str, int] = {}
    for index, source in enumerate(instrument.sources):
        if source.key in source_keys:
            yield doc.diagnostic(("sources", index, "key"), f"source key '{source.key}' is used twice")
        source_keys.setdefault(source.key, index)
    if not instrument.sources:
        yield _warning(
            doc,
            ("sources",) if ("sources",) in doc.key_marks else ("id",),
            "no sources: every file needs at least one",
            "content.sources",
        )

    seen_members: set[str] = set()
    for group in ("members", "partners"):
        for index, entry in enumerate(getattr(instrument, group)):
            if entry.country not in countries:
                yield doc.diagnostic(
                    (group, index, "country"),
                    f"{group}[{index}].country: unknown country '{entry.country}' (not in countries.yaml)",
                )
            # A member is listed once per period of membership (their overlap is checked below).
            if entry.country in seen_members and group != "members":
                yield doc.diagnostic((group, index, "country"), f"country '{entry.country}' is listed twice")
            seen_members.add(entry.country)
    periods: dict[str, list[int]] = {}
    for index, member in enumerate(instrument.members):
        periods.setdefault(member.country, []).append(index)
        if member.joined and member.left and member.left < member.joined:
            yield doc.diagnostic(
                ("members", index, "left"),
                f"members[{index}]: left {member.left} is before joined {member.joined}",
            )
        if member.announced is not None:
            if member.left is not None and _certainly_after(member.announced, member.left):
                yield doc.diagnostic(
                    ("members", index, "announced"),
                    f"members[{index}]: announced {member.announced} is after left {member.left}",
                )
            if member.joined is not None and _certainly_after(member.joined, member.announced):
                yield doc.diagnostic(
                    ("members", index, "announced"),
                    f"members[{index}]: announced {member.announced} is before joined {member.joined}",
                )
        for key in ("joined", "announced", "left"):
            value = getattr(member, key)
            if value is not None and as_of < value:
                yield doc.diagnostic(
                    ("members", index, key), f"members[{index}].{key} {value} is after as_of {as_of}"
                )
    for indexes in periods.values():
        for position, first in enumerate(indexes):
            for second in indexes[position + 1 :]:
                if _overlap(instrument.members[first], instrument.members[second]):
                    yield doc.diagnostic(
                        ("members", second, "country"),
                        f"members[{second}]: country '{instrument.members[second].country}' is listed twice "
                        f"with overlapping periods (members[{first}]: {_period(instrument.members[first])}; "
                        f"members[{second}]: {_period(instrument.members[second])}); "
                        "a country that left and came back needs a 'left' before it joins again",
                    )

    if instrument.established and instrument.in_force and instrument.in_force < instrument.established:
        yield doc.diagnostic(
            ("in_force",), f"in_force {instrument.in_force} is before established {instrument.established}"
        )
    for key, value in (
        ("established", instrument.established),
        ("in_force", instrument.in_force),
    ):
        if value is not None and as_of < value:
            yield doc.diagnostic((key,), f"{key} {value} is after as_of {as_of}")
    if instrument.status.since is not None and as_of < instrument.status.since:
        yield doc.diagnostic(
            ("status", "since"), f"status.since {instrument.status.since} is after as_of {as_of}"
        )
    if instrument.status.state == "claimed":
        if instrument.status.since is not None:
            yield doc.diagnostic(
                ("status", "since"),
                "status.since: a claimed instrument is not on record, so nothing dates it; "
                "remove 'since' and give the claimed date in the status note",
            )
        if instrument.verification == "corroborated":
            yield doc.diagnostic(
                ("verification",),
                "verification: a claimed instrument cannot be corroborated as a whole; "
                "use 'disputed' or 'single-source'",
            )

    previous: PartialDate | None = None
    for index, event in enumerate(instrument.timeline):
        if as_of < event.date:
            yield doc.diagnostic(
                ("timeline", index, "date"), f"timeline[{index}].date {event.date} is after as_of {as_of}"
            )
        if previous is not None and event.date < previous:
            yield _warning(
                doc,
                ("timeline", index, "date"),
                f"timeline[{index}].date {event.date} is out of order (after {previous})",
                "content.order",
            )
        previous = event.date
        if event.date < as_of:
            future = _future_wording(event.text)
            if future:
                yield _warning(
                    doc,
                    ("timeline", index, "text"),
                    f"timeline[{index}].text is worded as future ('{future}') but is dated {event.date}, "
                    f"before as_of {as_of}: say what happened",
                    "content.future-wording",
                )
    # Undated prose: an activity or the status note naming a year before as_of's, yet worded as future.
    dateless: list[tuple[PathKey, str, str]] = [
        (("activities", index, "text"), f"activities[{index}]", activity.text)
        for index, activity in enumerate(instrument.activities)
    ]
    if instrument.status.note is not None:
        dateless.append((("status", "note"), "status.note", instrument.status.note.text))
    for loc, where, text in dateless:
        future = _future_wording(text)
        past = [year for year in _YEAR.findall(text) if int(year) < as_of.year]
        if future and past:
            yield _warning(
                doc,
                loc,
                f"{where} mentions {past[-1]}, before as_of {as_of}, but is worded as future ('{future}'): "
                "say what happened",
                "content.future-wording",
            )
    # Verification is for claims of fact: a recommendation is not one.
    for index, recommendation in enumerate(instrument.recommendations):
        if recommendation.verification is not None:
            yield doc.diagnostic(
                ("recommendations", index, "verification"),
                f"recommendations[{index}].verification: a recommendation is not a claim of fact and "
                "carries no verification status; remove it",
            )

    for index, related_id in enumerate(instrument.related):
        if related_id == instrument.id:
            yield doc.diagnostic(("related", index), "an instrument cannot be related to itself")
        elif related_id not in known_ids:
            hint = difflib.get_close_matches(related_id, sorted(known_ids), n=1)
            yield doc.diagnostic(
                ("related", index),
                f"related[{index}]: unknown instrument '{related_id}'"
                + (f"; did you mean '{hint[0]}'?" if hint else ""),
            )
    if len(set(instrument.related)) != len(instrument.related):
        yield doc.diagnostic(("related",), "related lists an instrument twice")

    for loc, item in _citations(instrument):
        level = item.release or instrument.release
        for position, key in enumerate(item.cite):
            if key not in source_keys:
                yield doc.diagnostic((*loc, "cite", position), f"cites unknown source '{key}'")
                continue
            # A cited source is listed wherever the item citing it is shown: it may not sit above the item.
            source_level = instrument.sources[source_keys[key]].release or instrument.release
            if level_rank(source_level) > level_rank(level):
                yield doc.diagnostic(
                    (*loc, "cite", position),
                    f"cites source '{key}', which is {source_level}: above this item's level ({level})",
                )

    age = (today - instrument.as_of).days
    if age > office.stale_after_days:
        yield _warning(
            doc,
            ("as_of",),
            f"not reviewed for {age} days (as_of {instrument.as_of}; limit {office.stale_after_days})",
            STALE,
        )
    elif age < 0:
        yield _warning(doc, ("as_of",), f"as_of {instrument.as_of} is in the future", "content.future-date")


def validate_text(document: Document, path: Path, errors: list[Diagnostic]) -> BaseModel | None:
    """One content file's document validated as what its place makes it (an instrument, the office, the
    audiences, the countries): the model, or None with `errors` filled."""
    model: BaseModel | None
    if path.parent.name == "instruments":
        model = _validate(document, Instrument, errors)
        return model
    models: dict[str, type[BaseModel]] = {
        "office.yaml": Office,
        "audiences.yaml": Audiences,
        "countries.yaml": Countries,
    }
    model = _validate(document, models[path.name], errors) if path.name in models else None
    return model
