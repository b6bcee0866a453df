"""Turn a corpus into its translators' worklist: every text an edition shows without a current translation,
located at `path:line:col`, and the coverage of each language for each audience.

A text counts for an audience when the audience shows it: the item is within its clearance and in one of
its sections (the name always; the status note with the key facts; the verification note only where
verification is shown). Listing the worklist for one audience (`translations --audience public`) prints
only what that audience may see, so the list can go to a translator cleared for it and no further.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .edition import (
    CURRENT,
    MISSING,
    STALE,
    UNCONFIRMED,
    Translatable,
    setting_words,
    shows,
    state_of,
    translatables,
    translation_place,
)
from .errors import Diagnostic, Severity
from .load import Document, PathKey, load_file
from .model import Audience, Corpus, Instrument

_REASONS = {
    MISSING: "has no {language} translation",
    STALE: "has a stale {language} translation: its source changed since the translation was confirmed",
    UNCONFIRMED: "has an unconfirmed {language} translation: once checked, `build.py confirm --language "
    "{language} FILE:LINE` records it",
}


@dataclass(frozen=True)
class Untranslated:
    """One text an edition would show in the source language."""

    file: str
    line: int
    col: int
    language: str
    state: str
    source: str
    audiences: tuple[str, ...]
    """The audiences that show the text."""
    blocking: tuple[str, ...]
    """Those of them that withhold a document with untranslated text (`untranslated: withhold`)."""

    def diagnostic(self, *, error: bool = False) -> Diagnostic:
        words = _REASONS[self.state].format(language=self.language)
        shown = ", ".join(self.audiences)
        severity = Severity.ERROR if error else Severity.WARNING
        return Diagnostic(
            self.file, self.line, self.col, f"text {words} (shown to {shown})", severity, "translation"
        )


@dataclass
class Coverage:
    """How much of what one audience is shown is translated into one language."""

    current: int = 0
    total: int = 0
    stale: int = 0

    @property
    def percent(self) -> int:
        # Rounded down, so that 100% means complete.
        return 100 if self.total == 0 else self.current * 100 // self.total


@dataclass
class Worklist:
    items: list[Untranslated] = field(default_factory=list)
    coverage: dict[tuple[str, str], Coverage] = field(default_factory=dict)
    """By (language, audience)."""


def worklist(
    corpus: Corpus,
    *,
    languages: Sequence[str] = (),
    audiences: Sequence[str] = (),
    subjects: Sequence[str] = (),
) -> Worklist:
    """What each edition (other than the source) lacks, for the audiences and instruments given (all by
    default), in file order."""
    editions = [e for e in corpus.office.editions[1:] if not languages or e in languages]
    chosen = {n: a for n, a in corpus.audiences.items() if not audiences or n in audiences}
    withholding = {n for n, a in chosen.items() if a.untranslated == "withhold"}
    result = Worklist()
    # Which audiences show each text does not depend on the language: worked out once per instrument.
    shown: dict[str, list[tuple[Translatable, tuple[str, ...]]]] = {}
    files = {
        path.stem: (name, path) for name, path in corpus.files.items() if path.parent.name == "instruments"
    }
    for language in editions:
        for name in chosen:
            result.coverage[(language, name)] = Coverage()
        result.items.extend(_settings(corpus, language, chosen))
        for instrument_id in sorted(corpus.instruments):
            if subjects and instrument_id not in subjects:
                continue
            instrument = corpus.instruments[instrument_id]
            if instrument_id not in shown:
                shown[instrument_id] = [
                    (text, tuple(n for n, a in chosen.items() if shows(a, text)))
                    for text in translatables(instrument)
                ]
            places = _Places(instrument, *files.get(instrument_id, (instrument_id, None)))
            found: list[Untranslated] = []
            for text, shown_to in shown[instrument_id]:
                given = text.translations.get(language)
                if not text.required and given is None:
                    continue
                state = state_of(given, text.source)
                for name in shown_to:
                    cover = result.coverage[(language, name)]
                    cover.total += 1
                    cover.current += state == CURRENT
                    cover.stale += state in (STALE, UNCONFIRMED)
                if state == CURRENT or not shown_to:
                    continue
                file, (line, col) = places.locate(translation_place(text, language))
                blocking = tuple(n for n in shown_to if n in withholding)
                found.append(Untranslated(file, line, col, language, state, text.source, shown_to, blocking))
            result.items.extend(sorted(found, key=lambda item: (item.line, item.col)))
    return result


class _Places:
    """Where an instrument's translations go in its file: from the load (`Instrument._places`), else read
    from the file again (an instrument made without loading its file)."""

    def __init__(self, instrument: Instrument, shown: str, path: Path | None) -> None:
        self.instrument = instrument
        self.shown = shown
        self.path = path
        self.document: Document | None = None

    def locate(self, place: PathKey) -> tuple[str, tuple[int, int]]:
        known = self.instrument._places.get(place)
        if known is not None:
            return self.shown, known
        if self.path is None:
            return self.shown, (0, 0)
        if self.document is None:
            self.document = load_file(self.path, self.shown)
        return self.shown, self.document.locate(place)


def _settings(corpus: Corpus, language: str, chosen: dict[str, Audience]) -> Iterator[Untranslated]:
    """The office's and the audiences' words without a current translation (every document shows them)."""
    files = {name: _file(corpus, name) for name in ("office.yaml", "audiences.yaml")}
    withholding = tuple(n for n, a in chosen.items() if a.untranslated == "withhold")
    for word in setting_words(corpus, language, chosen):
        if word.state == CURRENT or not chosen:
            continue
        file = files[word.file]
        line, col = _locate(file, word.place)
        shown_to = (word.audience,) if word.audience else tuple(chosen)
        blocking = tuple(n for n in shown_to if n in withholding)
        yield Untranslated(file[0], line, col, language, word.state, word.source, shown_to, blocking)


def _file(corpus: Corpus, name: str) -> tuple[str, Document | None]:
    for shown, path in corpus.files.items():
        if path.name == name and path.parent == corpus.root:
            return shown, load_file(path, shown)
    return name, None


def _locate(file: tuple[str, Document | None], where: PathKey) -> tuple[int, int]:
    return file[1].locate(where) if file[1] is not None else (0, 0)


def strict_failures(items: Sequence[Untranslated], corpus: Corpus) -> list[Untranslated]:
    """The untranslated texts that keep a public edition from being built (`check --strict` fails on
    them): shown to an audience cleared only for public material that withholds untranslated text."""
    public = {
        n for n, a in corpus.audiences.items() if a.clearance == "public" and a.untranslated == "withhold"
    }
    return [item for item in items if public & set(item.blocking)]
