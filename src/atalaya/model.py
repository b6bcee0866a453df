"""Turn loaded YAML documents into a validated, typed, cross-checked `Corpus`.

The pydantic models here are the content schema (exported as JSON Schema for editors). Validation collects
every problem of every file, each located at `path:line:col`, and raises them together; warnings (no
sources, content not reviewed for too long) are returned beside the corpus for the caller to print.
"""

from __future__ import annotations

import difflib
import functools
import multiprocessing
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import total_ordering
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    WithJsonSchema,
)

from .errors import ContentError, Diagnostic, Severity, shown_path
from .load import Document, PathKey, load_file, shown_value, yaml_files

LEVELS: tuple[str, ...] = ("public", "internal", "restricted")
Level = Literal["public", "internal", "restricted"]
Verification = Literal["corroborated", "single-source", "disputed"]
Kind = Literal[
    "treaty",
    "organization",
    "council",
    "forum",
    "conference",
    "board",
    "programme",
    "bilateral-agreement",
    "convention",
    "mission",
    "engagement",
    "initiative",
]
# `claimed`: some source says the instrument exists, but no text, depositary record, ratification or activity
# is on record. It has no `since` (nothing on record dates it) and the file is not `corroborated` as a whole.
State = Literal["active", "dormant", "suspended", "defunct", "claimed"]
ActivityKind = Literal[
    "exercise", "training", "information-sharing", "operations", "dialogue", "procurement", "relief"
]
Theme = Literal[
    "transnational-crime",
    "disaster-response",
    "peacekeeping",
    "external-powers",
    "strategic-autonomy",
    "confidence-building",
    "collective-defence",
    "arms-control",
    "counter-narcotics",
    "training-education",
    "defence-industry",
    "maritime-security",
    "border-security",
    "democratic-governance",
]
Subregion = Literal["north-america", "central-america", "caribbean", "south-america", "extra-regional"]
Section = Literal[
    "key_facts",
    "summary",
    "members",
    "partners",
    "objectives",
    "activities",
    "challenges",
    "assessment",
    "recommendations",
    "timeline",
    "related",
    "sources",
]

MAX_TEXT_CHARS = 4000
MAX_LIST_ITEMS = 200


def level_rank(level: str) -> int:
    return LEVELS.index(level)


# Characters XML cannot hold (so neither tagged PDF nor DOCX can): C0/C1 controls other than tab and
# newline, lone surrogates, and the non-characters U+FDD0..U+FDEF, U+FFFE, U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


# Bidirectional embeddings and overrides (LRE, RLE, LRO, RLO) end at PDF; isolates (LRI, RLI, FSI) at PDI.
_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
_POP_EMBEDDING = "\u202c"
_ISOLATES = frozenset("\u2066\u2067\u2068")
_POP_ISOLATE = "\u2069"
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _bidi_name(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char).lower()})"


def _check_bidi(value: str) -> None:
    """Refuse bidirectional controls left open or closing nothing within one text value.

    An override left open reorders whatever a document prints after the value (the next field, a banner,
    a source number: "Trojan Source"), so each value must close what it opens. As in the Unicode
    bidirectional algorithm, a PDI also closes the embeddings opened inside its isolate; a PDF never
    closes an isolate.
    """
    opened: list[tuple[str, int]] = []
    for found in _BIDI.finditer(value):
        char, at = found.group(), found.start() + 1
        if char in _EMBEDDINGS or char in _ISOLATES:
            opened.append((char, at))
        elif char == _POP_EMBEDDING:
            if not opened or opened[-1][0] not in _EMBEDDINGS:
                raise ValueError(f"bidirectional control {_bidi_name(char)} at character {at} closes nothing")
            opened.pop()
        else:  # PDI
            if not any(c in _ISOLATES for c, _ in opened):
                raise ValueError(f"bidirectional control {_bidi_name(char)} at character {at} closes nothing")
            while opened.pop()[0] not in _ISOLATES:
                pass
    if opened:
        char, at = opened[-1]
        closer = _POP_ISOLATE if char in _ISOLATES else _POP_EMBEDDING
        raise ValueError(
            f"bidirectional control {_bidi_name(char)} at character {at} is not closed; "
            f"end it with {_bidi_name(closer)} in the same text"
        )


def _check_text(value: str) -> str:
    """Reject characters that XML (and so PDF tagging and DOCX) cannot hold, unbalanced bidirectional
    controls, and runaway lengths."""
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        code = ord(bad.group())
        raise ValueError(f"control character U+{code:04X} at character {bad.start() + 1} is not allowed")
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"text is {len(value):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    _check_bidi(value)
    stripped = " ".join(value.split())
    if not stripped:
        raise ValueError("text must not be empty")
    return stripped


Text = Annotated[str, AfterValidator(_check_text)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Url = Annotated[str, Field(pattern=r"^https?://[^\s<>\"']+$", max_length=500)]

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@total_ordering
@dataclass(frozen=True)
class PartialDate:
    """A date known to the day, the month or only the year (`1947-09-02`, `1947-09`, `1947`)."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("expected a date as YYYY-MM-DD, YYYY-MM or YYYY")
        match = _PARTIAL_DATE.match(value.strip())
        if not match:
            raise ValueError(f"'{shown_value(value)}' is not a date as YYYY-MM-DD, YYYY-MM or YYYY")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"'{shown_value(value)}' has no month {month}")
        if day is not None:
            try:
                date(year, month or 1, day)
            except ValueError:
                raise ValueError(f"'{shown_value(value)}' is not a real calendar date") from None
        return cls(year, month, day)

    @property
    def earliest(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def _key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


PartialDateField = Annotated[
    PartialDate,
    BeforeValidator(PartialDate.parse),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                {"type": "integer", "minimum": 1000, "maximum": 9999},
            ],
            "description": "YYYY-MM-DD, or YYYY-MM / YYYY when only that is known",
        }
    ),
]


def _parse_full_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"'{shown_value(value)}' is not a real calendar date") from None
    raise ValueError(f"'{shown_value(value)}' is not a full date as YYYY-MM-DD")


FullDate = Annotated[
    date,
    BeforeValidator(_parse_full_date),
    WithJsonSchema({"type": "string", "format": "date", "description": "YYYY-MM-DD"}),
]


def _text_to_mapping(value: Any) -> Any:
    """A prose item may be written as a plain string: it means `{text: <string>}`."""
    return {"text": value} if isinstance(value, str) else value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str | dict) else value


# Output names of other products under output/<audience>/: an instrument with one of these ids would collide.
RESERVED_IDS = frozenset({"index", "book", "countries", "changes"})

_STRICT = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


class Marked(BaseModel):
    """What every item a reader may doubt carries: its own releasability, citations and verification."""

    model_config = _STRICT

    release: Level | None = None
    cite: list[Slug] = Field(default_factory=list, max_length=20)
    verification: Verification | None = None


class Prose(Marked):
    """One paragraph or list item of prose."""

    text: Text


ProseItem = Annotated[
    Prose,
    BeforeValidator(_text_to_mapping),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1}, Prose.model_json_schema()]}),
]


class Activity(Prose):
    kind: ActivityKind | None = None


ActivityItem = Annotated[
    Activity,
    BeforeValidator(_text_to_mapping),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1}, Activity.model_json_schema()]}),
]


class Names(BaseModel):
    model_config = _STRICT
    es: Text | None = None
    pt: Text | None = None


class Status(BaseModel):
    """The instrument's current status. `claimed` means said to exist but not on record: no `since` then."""

    model_config = _STRICT
    state: State
    since: PartialDateField | None = None
    note: ProseItem | None = None


class Partner(Marked):
    """An external (extra-regional) partner or observer; listed once, and never also as a member."""

    country: CountryCode
    role: Text | None = None


class Member(Marked):
    """One period of one country's membership, from `joined` to `left` (the date its withdrawal took effect).

    `announced` is when the withdrawal was announced or notified (a denunciation notice): not after `left`,
    and alone (without `left`) a withdrawal announced but not in effect. A country that left and came back
    is listed once per period, and its periods must not overlap.
    """

    country: CountryCode
    joined: PartialDateField | None = Field(default=None, description="when this period of membership began")
    announced: PartialDateField | None = Field(
        default=None, description="when the withdrawal was announced or notified; not after `left`"
    )
    left: PartialDateField | None = Field(default=None, description="when the withdrawal took effect")
    role: Text | None = None


class TimelineEvent(Marked):
    date: PartialDateField
    text: Text


class Source(BaseModel):
    """One numbered source. A cited source is listed wherever an item citing it is shown; `release` (default:
    the file's) decides who sees a source that nothing cites, and may not be above an item citing it."""

    model_config = _STRICT
    key: Slug
    title: Text
    publisher: Text
    year: Annotated[int, Field(ge=1800, le=2100)] | None = None
    url: Url | None = None
    release: Level | None = None


def _items(max_items: int = MAX_LIST_ITEMS) -> Any:
    return Field(default_factory=list, max_length=max_items)


class Instrument(BaseModel):
    """One alliance or military-diplomacy instrument: the content of `instruments/<id>.yaml`."""

    model_config = ConfigDict(extra="forbid", title="Instrument", str_strip_whitespace=True)

    id: Slug
    name: Text
    names: Names | None = None
    acronym: Text | None = None
    kind: Kind
    release: Level
    verification: Verification
    verification_note: Text | None = None
    established: PartialDateField | None = None
    in_force: PartialDateField | None = None
    status: Status
    summary: Annotated[
        list[ProseItem],
        BeforeValidator(_one_or_many),
        Field(min_length=1, max_length=10),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "minLength": 1},
                    Prose.model_json_schema(),
                    {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 10,
                        "items": {"anyOf": [{"type": "string", "minLength": 1}, Prose.model_json_schema()]},
                    },
                ]
            }
        ),
    ]
    members: list[Member] = _items()
    partners: list[Partner] = _items()
    objectives: list[ProseItem] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    activities: list[ActivityItem] = _items()
    challenges: list[ProseItem] = _items()
    assessment: list[ProseItem] = _items()
    recommendations: list[ProseItem] = _items()
    timeline: list[TimelineEvent] = _items()
    related: list[Slug] = _items(50)
    themes: list[Theme] = _items(14)
    sources: list[Source] = _items(100)
    as_of: FullDate


class CountryNames(BaseModel):
    model_config = _STRICT
    en: Text
    es: Text
    pt: Text


class Country(BaseModel):
    model_config = _STRICT
    name: CountryNames
    subregion: Subregion
    oas_member: bool


class Countries(RootModel[dict[CountryCode, Country]]):
    model_config = ConfigDict(title="Countries")


class Audience(BaseModel):
    model_config = _STRICT
    title: Text
    description: Text
    clearance: Level
    marking: Text
    sections: list[Section] = Field(min_length=1, max_length=len(Section.__args__))  # type: ignore[attr-defined]
    page_budget: Annotated[int, Field(ge=1, le=50)]
    portion_marks: bool = False
    show_verification: bool = False
    memo_for: Text


class Audiences(RootModel[dict[Slug, Audience]]):
    model_config = ConfigDict(title="Audiences")


class Office(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Office", str_strip_whitespace=True)
    name: Text
    publisher: Text
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "en"
    stale_after_days: Annotated[int, Field(ge=1, le=3650)] = 180
    paper: Literal["A4", "Letter"] = "A4"


DEFAULT_OFFICE = Office(name="Policy Planning Office", publisher="Policy Planning Office")


@dataclass
class Corpus:
    """Everything validated: the office, audiences, countries and instruments, with their source files."""

    root: Path
    office: Office
    audiences: dict[str, Audience]
    countries: dict[str, Country]
    instruments: dict[str, Instrument]
    documents: dict[str, Document] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)


# --- turning pydantic errors into located diagnostics ------------------------------------------------


def _dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{shown_value(part)}" if out else shown_value(part)
    return out


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    """A model's keys as an analyst thinks of them: its own first, the shared `Marked` ones last."""
    if model is None:
        return []
    keys = list(model.model_fields)
    shared = [key for key in keys if key in Marked.model_fields and key != "text"]
    return [key for key in keys if key not in shared] + shared


def _model_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that holds the last element of `loc` (for suggesting a misspelt key)."""
    current: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, RootModel):
            current = current.model_fields["root"].annotation
            args = getattr(current, "__args__", ())
            current = args[-1] if args else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _innermost_model(info.annotation)
    if isinstance(current, type) and issubclass(current, RootModel):
        args = getattr(current.model_fields["root"].annotation, "__args__", ())
        current = args[-1] if args else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _innermost_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _innermost_model(arg)
        if found is not None:
            return found
    metadata_origin = getattr(annotation, "__origin__", None)
    if metadata_origin is not None and metadata_origin is not annotation:
        return _innermost_model(metadata_origin)
    return None


def _diagnostics_from(exc: ValidationError, document: Document, model: type[BaseModel]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        where = _dotted(loc[:-1]) if loc else ""
        if kind == "missing":
            field_name = loc[-1]
            message = f"missing required key '{field_name}'" + (f" in {where}" if where else "")
            found.append(document.diagnostic(loc[:-1], message))
        elif kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = _allowed_keys(_model_at(model, loc[:-1]))
            hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            message = f"unknown key '{shown_value(key)}'" + (f" in {where}" if where else "")
            message += (
                f"; did you mean '{hint[0]}'?"
                if hint
                else (f"; expected one of: {', '.join(allowed)}" if allowed else "")
            )
            found.append(document.diagnostic(loc, message, key=True))
        elif kind == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            found.append(
                document.diagnostic(
                    loc, f"{_dotted(loc)}: '{shown_value(error['input'])}' is not one of {expected}"
                )
            )
        elif kind == "string_pattern_mismatch":
            is_key = "[key]" in loc
            loc = tuple(part for part in loc if part != "[key]")
            message = _pattern_message(loc, error["input"], country_key=is_key and model is Countries)
            found.append(document.diagnostic(loc, f"{_dotted(loc)}: {message}", key=is_key))
        else:
            message = error["msg"]
            message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            if kind != "value_error" and isinstance(error.get("input"), str):
                message += f" (got '{shown_value(error['input'])}')"
            found.append(document.diagnostic(loc, f"{_dotted(loc)}: {message}" if loc else message))
    return found


def _pattern_message(loc: tuple[str | int, ...], value: Any, *, country_key: bool = False) -> str:
    last = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if last == "country" or country_key:
        return f"'{shown_value(value)}' is not an ISO 3166-1 alpha-2 code (two capital letters)"
    if last == "url":
        return f"'{shown_value(value)}' is not an http(s) URL"
    if last == "language":
        return f"'{shown_value(value)}' is not a BCP 47 language tag"
    return f"'{shown_value(value)}' must be lower-case letters, digits and single hyphens"


def _validate(document: Document, model: type[BaseModel], errors: list[Diagnostic]) -> Any:
    if not isinstance(document.data, dict):
        errors.append(document.diagnostic((), "expected a mapping of keys to values at the top level"))
        return None
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        errors.extend(_diagnostics_from(exc, document, model))
        return None


# --- loading a content tree ---------------------------------------------------------------------------


def load_corpus(root: Path, *, today: date | None = None) -> Corpus:
    """Load and validate a whole content tree; raise `ContentError` with every problem found."""
    errors: list[Diagnostic] = []
    documents: dict[str, Document] = {}
    files: dict[str, Path] = {}

    def read(path: Path, shown: str | None = None) -> Document | None:
        try:
            document = load_file(path, shown or shown_path(path))
        except ContentError as exc:
            errors.extend(exc.diagnostics)
            return None
        documents[document.path] = document
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
        documents=documents,
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
    # Only the validated model and the findings travel back from a worker, not the values and marks.
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


def _warning(doc: Document, loc: PathKey, message: str, *, key: bool = False) -> Diagnostic:
    line, col = doc.locate(loc, key=key)
    return Diagnostic(doc.path, line, col, message, Severity.WARNING)


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
        )
    elif age < 0:
        yield _warning(doc, ("as_of",), f"as_of {instrument.as_of} is in the future")


# The instrument's lists whose items carry their own level, citations and verification (`Marked`).
MARKED_GROUPS = (
    "summary",
    "objectives",
    "activities",
    "challenges",
    "assessment",
    "recommendations",
    "timeline",
    "members",
    "partners",
)


def _citations(instrument: Instrument) -> Iterator[tuple[PathKey, Marked]]:
    """Every item of the file that cites a source, with its location."""
    for group in MARKED_GROUPS:
        for index, item in enumerate(getattr(instrument, group)):
            if item.cite:
                yield (group, index), item
    if instrument.status.note is not None and instrument.status.note.cite:
        yield ("status", "note"), instrument.status.note


def cited_keys(instrument: Instrument) -> set[str]:
    """The keys of the sources some item of the file cites, whatever its level (an uncited source is listed
    by its own level instead)."""
    return {key for _, item in _citations(instrument) for key in item.cite}


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas editors use to check content while analysts type (yaml-language-server `$schema`)."""
    schemas: dict[str, dict[str, Any]] = {}
    for name, model in (
        ("instrument", Instrument),
        ("countries", Countries),
        ("audiences", Audiences),
        ("office", Office),
    ):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"{name}.schema.json"
        schemas[name] = schema
    return schemas
