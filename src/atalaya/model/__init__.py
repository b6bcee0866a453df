"""Turn loaded YAML documents into a validated, typed, cross-checked `Corpus`.

The stage in four modules: `values` (levels, vocabularies, partial dates, text checks), `schema` (the
pydantic models: the content schema, exported as JSON Schema for editors), `located` (validation errors
placed at their YAML node) and `corpus` (reading a content folder, cross-checking files against each other,
collecting every problem and warning). Validation collects every problem of every file, each located at
`path:line:col`, and raises them together; warnings are returned beside the corpus for the caller to print.
"""

from __future__ import annotations

from .corpus import (
    PARALLEL_LOAD_FROM as PARALLEL_LOAD_FROM,
)
from .corpus import (
    load_corpus as load_corpus,
)
from .schema import (
    DEFAULT_OFFICE as DEFAULT_OFFICE,
)
from .schema import (
    MARKED_GROUPS as MARKED_GROUPS,
)
from .schema import (
    RESERVED_IDS as RESERVED_IDS,
)
from .schema import (
    Activity as Activity,
)
from .schema import (
    ActivityItem as ActivityItem,
)
from .schema import (
    Audience as Audience,
)
from .schema import (
    Audiences as Audiences,
)
from .schema import (
    AudienceTranslation as AudienceTranslation,
)
from .schema import (
    Corpus as Corpus,
)
from .schema import (
    Countries as Countries,
)
from .schema import (
    Country as Country,
)
from .schema import (
    CountryNames as CountryNames,
)
from .schema import (
    Fallback as Fallback,
)
from .schema import (
    Instrument as Instrument,
)
from .schema import (
    Marked as Marked,
)
from .schema import (
    Member as Member,
)
from .schema import (
    Names as Names,
)
from .schema import (
    Note as Note,
)
from .schema import (
    Office as Office,
)
from .schema import (
    OfficeTranslation as OfficeTranslation,
)
from .schema import (
    Partner as Partner,
)
from .schema import (
    Prose as Prose,
)
from .schema import (
    ProseItem as ProseItem,
)
from .schema import (
    Source as Source,
)
from .schema import (
    Status as Status,
)
from .schema import (
    TimelineEvent as TimelineEvent,
)
from .schema import (
    Translation as Translation,
)
from .schema import (
    cited_keys as cited_keys,
)
from .schema import (
    json_schemas as json_schemas,
)
from .values import (
    LANGUAGE_TAG as LANGUAGE_TAG,
)
from .values import (
    LEVELS as LEVELS,
)
from .values import (
    MAX_LIST_ITEMS as MAX_LIST_ITEMS,
)
from .values import (
    MAX_TEXT_CHARS as MAX_TEXT_CHARS,
)
from .values import (
    STALE as STALE,
)
from .values import (
    ActivityKind as ActivityKind,
)
from .values import (
    CountryCode as CountryCode,
)
from .values import (
    FullDate as FullDate,
)
from .values import (
    Kind as Kind,
)
from .values import (
    LanguageTag as LanguageTag,
)
from .values import (
    Level as Level,
)
from .values import (
    PartialDate as PartialDate,
)
from .values import (
    PartialDateField as PartialDateField,
)
from .values import (
    Section as Section,
)
from .values import (
    Slug as Slug,
)
from .values import (
    State as State,
)
from .values import (
    Subregion as Subregion,
)
from .values import (
    Text as Text,
)
from .values import (
    Theme as Theme,
)
from .values import (
    Url as Url,
)
from .values import (
    Verification as Verification,
)
from .values import (
    level_rank as level_rank,
)
