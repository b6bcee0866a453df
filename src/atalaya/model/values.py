"""The values content is made of: levels, kinds and other vocabularies, partial dates, and the checks
every text value passes (no control characters, balanced bidirectional controls).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import total_ordering
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    WithJsonSchema,
)

from ..load import shown_value

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

# The category of the warning about content not reviewed for too long: what `summary` lists as overdue.
STALE = "content.stale"

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
LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
LanguageTag = Annotated[str, Field(pattern=LANGUAGE_TAG)]

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
