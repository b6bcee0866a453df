"""Turn a validated corpus into one edition's corpus: every translatable text in the edition's language, or
in the source language with the reason it is (`Fallback`: the translation is missing or stale).

A translation is current when it records (`of`) the short hash of the source text it translates and that
hash is the source's today; an edit to the source makes it stale, automatically. Translatable texts are an
instrument's name (`names`), acronym (`acronyms`, optional: without one the source acronym is kept),
verification note, status note, and every item's text (a member's or partner's: its role); an audience's
title, description, marking and MEMORANDUM FOR line; the office's name and publisher.

The edition's corpus is the source corpus with those texts replaced and `office.language` set to the
edition, so everything downstream (`select`, the products, the writers) works on it unchanged, and the
releasability of every item is the source item's. Each item shown in the source language carries its
`Fallback` into the view, where templates mark it; `fallbacks_in` finds them in any product's view.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .load import PathKey
from .model import (
    MARKED_GROUPS,
    Audience,
    Corpus,
    Fallback,
    Instrument,
    Marked,
    Member,
    Note,
    Office,
    Partner,
    Translation,
)
from .select import visible_to

CURRENT, STALE, UNCONFIRMED, MISSING = "current", "stale", "unconfirmed", "missing"


@functools.lru_cache(maxsize=65536)
def source_hash(text: str) -> str:
    """The short hash a translation records of its source text; re-wrapping the text does not change it."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:8]


def state_of(translation: Translation | None, source: str) -> str:
    """`current`, `stale` (confirmed against another source text), `unconfirmed` or `missing`."""
    if translation is None:
        return MISSING
    if translation.of is None:
        return UNCONFIRMED
    return CURRENT if translation.of == source_hash(source) else STALE


@dataclass(frozen=True)
class Translatable:
    """One text of an instrument file that an edition shows translated: where it is, its source text, the
    level it is released at and the item's own translations."""

    path: PathKey
    """The item's place in the file (`("summary", 0)`); its translations are under `translations`."""
    source: str
    level: str
    translations: dict[str, Translation]
    section: str
    """The section that shows it (`summary`, `members`, `key_facts`, `name`)."""
    own_key: str = "translations"
    """Where the translations sit under `path`: `translations`, or for names the mapping itself."""
    required: bool = True
    """Whether an edition without it falls back (an acronym without translation simply stays)."""

    def location(self, language: str) -> PathKey:
        """Where this text's translation into `language` is (or would be) in the file."""
        return (*self.path, self.own_key, language) if self.own_key else (*self.path, language)


def translatables(instrument: Instrument) -> Iterator[Translatable]:
    """Every translatable text of an instrument file, in file order."""
    default = instrument.release
    yield Translatable(("names",), instrument.name, default, dict(instrument.names or {}), "name", "")
    if instrument.acronym:
        yield Translatable(
            ("acronyms",), instrument.acronym, default, dict(instrument.acronyms or {}), "name", "", False
        )
    verification = instrument.verification_note
    if verification is not None:
        yield Translatable(
            ("verification_note",), verification.text, default, verification.translations, "key_facts"
        )
    status = instrument.status.note
    if status is not None:
        yield Translatable(
            ("status", "note"), status.text, status.release or default, status.translations, "key_facts"
        )
    for group in ("summary", "objectives", "activities", "challenges", "assessment", "recommendations"):
        for index, item in enumerate(getattr(instrument, group)):
            yield Translatable((group, index), item.text, item.release or default, item.translations, group)
    for index, event in enumerate(instrument.timeline):
        yield Translatable(
            ("timeline", index), event.text, event.release or default, event.translations, "timeline"
        )
    for group in ("members", "partners"):
        for index, entry in enumerate(getattr(instrument, group)):
            if entry.role:
                level = entry.release or default
                yield Translatable((group, index), entry.role, level, entry.translations, group)


def translation_place(text: Translatable, language: str) -> PathKey:
    """Where a worklist points for the text in `language`: its translation, or for a name or acronym
    without any, the source name or acronym."""
    if text.section == "name" and text.translations.get(language) is None:
        return ("name",) if text.path == ("names",) else ("acronym",)
    return text.location(language)


def translation_places(instrument: Instrument, languages: Iterable[str]) -> Iterator[PathKey]:
    """The places a worklist of `languages` points to in the instrument's file: those of the texts
    without a current translation."""
    chosen = tuple(languages)
    for text in translatables(instrument):
        for language in chosen:
            if state_of(text.translations.get(language), text.source) != CURRENT:
                yield translation_place(text, language)


def shows(audience: Audience, text: Translatable) -> bool:
    """Whether the audience's documents show this text (in the source edition, or translated)."""
    if not visible_to(audience, text.level):
        return False
    if text.section == "name":
        return True
    if text.path == ("verification_note",):
        return audience.show_verification and "key_facts" in audience.sections
    return text.section in audience.sections


def untranslated_texts(instrument: Instrument, edition: str) -> list[Translatable]:
    """The instrument's texts that an edition would show in the source language (no current translation).
    When an audience's documents show none of them (`shows`), no view made from the instrument for the
    audience holds a `Fallback`: planning which documents are withheld needs no view and no translated
    corpus for them."""
    return [
        text
        for text in translatables(instrument)
        if text.required and state_of(text.translations.get(edition), text.source) != CURRENT
    ]


def in_edition(corpus: Corpus, edition: str) -> Corpus:
    """The corpus in `edition`'s language (the corpus itself for the source edition); made once per corpus
    and edition. The last edition's content (`baseline`) is put in the same edition."""
    if edition == corpus.office.editions[0]:
        return corpus
    if edition not in corpus.editions:
        corpus.editions[edition] = _translated_corpus(corpus, edition)
    return corpus.editions[edition]


def _translated_corpus(corpus: Corpus, edition: str) -> Corpus:
    source = corpus.office.editions[0]
    words = _Words(edition, source)
    office = _translated_office(corpus.office, edition, words)
    audiences = {name: _translated_audience(a, edition, words) for name, a in corpus.audiences.items()}
    instruments = {key: _translated_instrument(i, edition, words) for key, i in corpus.instruments.items()}
    baseline = in_edition(corpus.baseline, edition) if corpus.baseline is not None else None
    return dataclasses.replace(
        corpus,
        office=office,
        audiences=audiences,
        instruments=instruments,
        baseline=baseline,
        editions={},
        warnings=[],
    )


@dataclass(frozen=True)
class _Words:
    edition: str
    source: str

    def pick(self, text: str, translation: Translation | None) -> tuple[str, Fallback | None]:
        """The text to show and, when it is the source's, why."""
        state = state_of(translation, text)
        if state == CURRENT:
            assert translation is not None
            return translation.text, None
        return text, Fallback(MISSING if state == MISSING else STALE, self.source)


def _translated_office(office: Office, edition: str, words: _Words) -> Office:
    given = office.translations.get(edition)
    name, _ = words.pick(office.name, given.name if given else None)
    publisher, _ = words.pick(office.publisher, given.publisher if given else None)
    # `languages` is kept whole: `editions` (the source first) must not change with the language.
    update = {"language": edition, "languages": list(office.editions), "name": name, "publisher": publisher}
    return office.model_copy(update=update)


AUDIENCE_WORDS = ("title", "description", "marking", "memo_for")


def _translated_audience(audience: Audience, edition: str, words: _Words) -> Audience:
    given = audience.translations.get(edition)
    update = {
        field: words.pick(getattr(audience, field), getattr(given, field) if given else None)[0]
        for field in AUDIENCE_WORDS
    }
    return audience.model_copy(update=update)


@dataclass(frozen=True)
class SettingWord:
    """One of the office's or an audience's words (FROM, the marking, ...) and its translation's state."""

    file: str
    """`office.yaml` or `audiences.yaml`."""
    audience: str | None
    """The audience whose word it is; None for the office's."""
    field: str
    source: str
    given: Translation | None
    state: str
    language: str
    """The edition the translation is into."""

    @property
    def place(self) -> PathKey:
        """Where the translation is in its file, or where the source is when there is none yet."""
        owner = (self.audience,) if self.audience else ()
        if self.given is None:
            return (*owner, self.field)
        return (*owner, "translations", self.language, self.field)


def setting_words(corpus: Corpus, edition: str, audiences: Iterable[str]) -> Iterator[SettingWord]:
    """The office's words, then each audience's, with their translations into `edition`."""
    office = corpus.office
    words = office.translations.get(edition)
    for field in ("name", "publisher"):
        given = getattr(words, field) if words else None
        source = getattr(office, field)
        yield SettingWord("office.yaml", None, field, source, given, state_of(given, source), edition)
    for name in audiences:
        audience = corpus.audiences[name]
        translated = audience.translations.get(edition)
        for field in AUDIENCE_WORDS:
            given = getattr(translated, field) if translated else None
            source = getattr(audience, field)
            yield SettingWord("audiences.yaml", name, field, source, given, state_of(given, source), edition)


def settings_fallbacks(corpus: Corpus, audience: str, edition: str) -> list[str]:
    """The office's and the audience's words without a current translation into `edition` (a document for
    an audience that withholds untranslated text is not built while there are any)."""
    if edition == corpus.office.editions[0]:
        return []
    return [
        f"{word.file}: {f'{word.audience}.' if word.audience else ''}{word.field}"
        for word in setting_words(corpus, edition, (audience,))
        if word.state != CURRENT
    ]


def _translated_instrument(instrument: Instrument, edition: str, words: _Words) -> Instrument:
    """The instrument with its texts in the edition; only what changes is copied (the items and the
    status), the rest is shared with the source instrument, which nothing downstream modifies."""

    def translated(item: Marked | Note) -> Any:
        field = "role" if isinstance(item, Member | Partner) else "text"
        source = getattr(item, field)
        copy = item.model_copy()
        if source is not None:
            shown, copy._fallback = words.pick(source, item.translations.get(edition))
            setattr(copy, field, shown)
        return copy

    update: dict[str, Any] = {
        group: [translated(i) for i in getattr(instrument, group)] for group in MARKED_GROUPS
    }
    name, name_fallback = words.pick(instrument.name, (instrument.names or {}).get(edition))
    update["name"] = name
    if instrument.acronym:
        given = (instrument.acronyms or {}).get(edition)
        update["acronym"] = words.pick(instrument.acronym, given)[0] if given else instrument.acronym
    if instrument.verification_note is not None:
        update["verification_note"] = translated(instrument.verification_note)
    if instrument.status.note is not None:
        update["status"] = instrument.status.model_copy(update={"note": translated(instrument.status.note)})
    copy = instrument.model_copy(update=update)
    copy._name_fallback, copy._source_name = name_fallback, instrument.name
    return copy


def fallbacks_in(view: object) -> list[Fallback]:
    """Every `Fallback` anywhere in a product's view (a brief's, a book's, a country brief's, a change
    memo's): the texts it would show in the source language."""
    found: list[Fallback] = []
    seen: set[int] = set()

    def walk(value: object) -> None:
        if isinstance(value, Fallback):
            found.append(value)
        elif isinstance(value, str | int | float | bool | BaseModel) or value is None or id(value) in seen:
            return
        elif dataclasses.is_dataclass(value):
            seen.add(id(value))
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, tuple | list | set | frozenset):
            seen.add(id(value))
            for element in value:
                walk(element)
        elif isinstance(value, dict):
            seen.add(id(value))
            for element in value.values():
                walk(element)

    walk(view)
    return found
