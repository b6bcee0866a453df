"""The content schema: pydantic models of instruments, countries, audiences and the office, and the
validated `Corpus` they make together (exported as JSON Schema for editors).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ..errors import Diagnostic
from ..load import PathKey
from .values import (
    LANGUAGE_TAG,
    MAX_LIST_ITEMS,
    ActivityKind,
    CountryCode,
    FullDate,
    Kind,
    LanguageTag,
    Level,
    PartialDateField,
    Section,
    Slug,
    State,
    Subregion,
    Text,
    Theme,
    Url,
    Verification,
    _one_or_many,
    _text_to_mapping,
)

RESERVED_IDS = frozenset({"index", "book", "countries", "changes"})

_STRICT = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)

SOURCE_HASH = r"^[0-9a-f]{8}$"


@dataclass(frozen=True)
class Fallback:
    """Why a text of another edition is shown in the source language: its translation is `missing`, or
    `stale` (its source changed since the translation was confirmed, or it was never confirmed)."""

    kind: str
    language: str
    """The language the text is shown in (the source edition's)."""


class Translation(BaseModel):
    """One language's translation of a text. `of` is the short hash of the source text it translates,
    written when a translator confirms it (`build.py translations confirm`): when the source changes, the
    hash no longer matches and the translation is stale. Written as a plain string, it is not confirmed."""

    model_config = _STRICT
    text: Text
    of: Annotated[str, Field(pattern=SOURCE_HASH)] | None = Field(
        default=None, description="the hash of the source text this translates (written on confirming)"
    )


TranslationItem = Annotated[
    Translation,
    BeforeValidator(_text_to_mapping),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1}, Translation.model_json_schema()]}),
]


def _translations() -> Any:
    return Field(
        default_factory=dict, max_length=20, description="the text in other languages, by language tag"
    )


class Marked(BaseModel):
    """What every item a reader may doubt carries: its own releasability, citations and verification, and
    the translations of its text (a member's or partner's: of its role)."""

    model_config = _STRICT

    release: Level | None = None
    cite: list[Slug] = Field(default_factory=list, max_length=20)
    verification: Verification | None = None
    translations: dict[LanguageTag, TranslationItem] = _translations()
    _fallback: Fallback | None = PrivateAttr(default=None)


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


Names = Annotated[
    dict[LanguageTag, TranslationItem],
    Field(max_length=20, description="the name (or acronym) in other languages, by language tag"),
]


class Note(BaseModel):
    """A note that is not a claim of its own (the verification note): text and translations."""

    model_config = _STRICT
    text: Text
    translations: dict[LanguageTag, TranslationItem] = _translations()
    _fallback: Fallback | None = PrivateAttr(default=None)


NoteItem = Annotated[
    Note,
    BeforeValidator(_text_to_mapping),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1}, Note.model_json_schema()]}),
]


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
    acronyms: Names | None = None
    kind: Kind
    release: Level
    verification: Verification
    verification_note: NoteItem | None = None
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
    _name_fallback: Fallback | None = PrivateAttr(default=None)
    _source_name: str | None = PrivateAttr(default=None)
    """In another edition's corpus, the name in the source language (what `names` translate)."""
    _places: dict[tuple[str | int, ...], tuple[int, int]] = PrivateAttr(default_factory=dict)
    """Line and column, in its file, of where each untranslated text's translation into each edition is
    or would go (`edition.translation_places`): the translators' worklist names them without reading the
    file again."""


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


class AudienceTranslation(BaseModel):
    """An audience's words in another language (each, like any translation, confirmed against its source)."""

    model_config = _STRICT
    title: TranslationItem | None = None
    description: TranslationItem | None = None
    marking: TranslationItem | None = None
    memo_for: TranslationItem | None = None


class OfficeTranslation(BaseModel):
    model_config = _STRICT
    name: TranslationItem | None = None
    publisher: TranslationItem | None = None


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
    untranslated: Literal["mark", "withhold"] = Field(
        default="withhold",
        description="In another edition, a text without a current translation is shown in the source "
        "language and marked (`mark`), or the document is not built until it is translated (`withhold`).",
    )
    translations: dict[LanguageTag, AudienceTranslation] = Field(default_factory=dict, max_length=20)


class Audiences(RootModel[dict[Slug, Audience]]):
    model_config = ConfigDict(title="Audiences")


class Office(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Office", str_strip_whitespace=True)
    name: Text
    publisher: Text
    language: LanguageTag = "en"
    languages: list[LanguageTag] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="The editions' languages, the source (language) first; without it, the source only.",
    )
    stale_after_days: Annotated[int, Field(ge=1, le=3650)] = 180
    paper: Literal["A4", "Letter"] = "A4"
    translations: dict[LanguageTag, OfficeTranslation] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _source_from_languages(cls, data: Any) -> Any:
        # `languages: [es, en]` alone makes Spanish the source language.
        if isinstance(data, dict) and "language" not in data:
            languages = data.get("languages")
            if languages and isinstance(languages, list) and re.fullmatch(LANGUAGE_TAG, str(languages[0])):
                return {**data, "language": languages[0]}
        return data

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return value
        repeated = sorted({tag for tag in value if value.count(tag) > 1})
        if repeated:
            raise ValueError(f"'{repeated[0]}' is listed twice")
        source = info.data.get("language")
        if source is not None and value[0] != source:
            raise ValueError(f"the first language is the source edition: it must be language '{source}'")
        return value

    @property
    def editions(self) -> tuple[str, ...]:
        """The languages documents are published in, the source first (`languages`, else `language`)."""
        return tuple(self.languages) if self.languages else (self.language,)


DEFAULT_OFFICE = Office(name="Policy Planning Office", publisher="Policy Planning Office")


@dataclass
class Corpus:
    """Everything validated: the office, audiences, countries and instruments, with their source files."""

    root: Path
    office: Office
    audiences: dict[str, Audience]
    countries: dict[str, Country]
    instruments: dict[str, Instrument]
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    baseline: Corpus | None = None
    """The last edition's content, read under this corpus's office and audiences, when a command compares
    against it (`changes`); None otherwise."""
    editions: dict[str, Corpus] = field(default_factory=dict, repr=False, compare=False)
    """This corpus in each other edition's language, made on first use (`atalaya.edition`)."""


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
