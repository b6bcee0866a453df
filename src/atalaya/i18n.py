"""Turn a language code into a `Catalogue`: the labels, dates, lists and names one edition is written in.

Labels are gettext messages whose ids are the English text (English is the source language): the English
edition uses them as they are (`gettext.NullTranslations`); any other edition reads
`locale/<language>/LC_MESSAGES/atalaya.po`. The .po files are the only form kept: each is compiled in
memory when a process first asks for its language (no .mo file to go stale). `locale/atalaya.pot` is
extracted from the package and the templates (see README, "Labels and dates"); a test fails when a
catalogue lacks a message of the template or the template lacks a message of the code.

Dates, lists, month and country names come from CLDR through Babel, in the edition's locale
(`es` is Latin American Spanish, `es-419`; `pt` is Brazilian Portuguese, `pt-BR`). English dates keep the
office's day-month-year order: "2 September 1947", "September 1947", "1947"; short "2 Sep 1947".

A message a catalogue does not translate falls back to the English text and is recorded in
`Catalogue.missing`, so a build can report it: never silently.
"""

from __future__ import annotations

import gettext as gettext_module
import io
import re
import threading
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.lists import format_list as babel_format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .errors import Diagnostic, TemplateError, shown_path
from .model import PartialDate

DOMAIN: Final = "atalaya"
SOURCE_LANGUAGE: Final = "en"
LOCALE_DIR: Final = Path(__file__).resolve().parents[2] / "locale"
"""The catalogues of the checkout the package runs from (beside templates/ and content/)."""

CLDR_LOCALES: Final = {"en": "en", "es": "es_419", "pt": "pt_BR"}
"""The CLDR locale of each edition's language; any other language code is used as it is."""

_ENGLISH_DATES: Final = {
    "day": "d MMMM y",
    "month": "MMMM y",
    "year": "y",
    "day-short": "d MMM y",
    "month-short": "MMM y",
}
"""English date patterns: the office writes day, month, year, and "Sep" (CLDR's en_GB has "Sept")."""
_DATE_SKELETONS: Final = {
    "day": "yMMMMd",
    "month": "yMMMM",
    "year": "y",
    "day-short": "yMMMd",
    "month-short": "yMMM",
}
"""Every other language: CLDR's own pattern for these fields ("2 de septiembre de 1947")."""


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here (it is translated where it is shown)."""
    return message


KIND_LABELS: Final = {
    "treaty": N_("Treaty"),
    "organization": N_("Organization"),
    "council": N_("Council"),
    "forum": N_("Forum"),
    "conference": N_("Conference"),
    "board": N_("Board"),
    "programme": N_("Programme"),
    "bilateral-agreement": N_("Bilateral agreement"),
    "convention": N_("Convention"),
    "mission": N_("Mission"),
    "engagement": N_("External engagement"),
    "initiative": N_("Initiative"),
}
"""The instrument kinds (model `Kind`) as words."""

LABELS: Final = {
    **KIND_LABELS,
    # statuses (model `State`)
    "active": N_("Active"),
    "dormant": N_("Dormant"),
    "suspended": N_("Suspended"),
    "defunct": N_("Defunct"),
    "claimed": N_("Claimed"),
    # verification (model `Verification`)
    "corroborated": N_("Corroborated"),
    "single-source": N_("Single-source"),
    "disputed": N_("Disputed"),
    # activity kinds (model `ActivityKind`); `other` where an item has none
    "exercise": N_("Exercise"),
    "training": N_("Training"),
    "information-sharing": N_("Information sharing"),
    "operations": N_("Operations"),
    "dialogue": N_("Dialogue"),
    "procurement": N_("Procurement"),
    "relief": N_("Relief"),
    "other": N_("Other"),
    # themes (model `Theme`)
    "transnational-crime": N_("Transnational crime"),
    "disaster-response": N_("Disaster response"),
    "peacekeeping": N_("Peacekeeping"),
    "external-powers": N_("External powers"),
    "strategic-autonomy": N_("Strategic autonomy"),
    "confidence-building": N_("Confidence building"),
    "collective-defence": N_("Collective defence"),
    "arms-control": N_("Arms control"),
    "counter-narcotics": N_("Counter narcotics"),
    "training-education": N_("Training education"),
    "defence-industry": N_("Defence industry"),
    "maritime-security": N_("Maritime security"),
    "border-security": N_("Border security"),
    "democratic-governance": N_("Democratic governance"),
    # subregions (model `Subregion`)
    "north-america": N_("North America"),
    "central-america": N_("Central America"),
    "caribbean": N_("Caribbean"),
    "south-america": N_("South America"),
    "extra-regional": N_("Extra-regional"),
}
"""Every slug content may hold where a document shows a word: its English label."""

FOLIO: Final = N_("Page %(page)s of %(pages)s")
"""A page's number in its footer, with the document's length (briefings, memos, the book in one part)."""
FOLIO_NO_TOTAL: Final = N_("Page %(page)s")
"""A page's number without the length (a book laid out in parts: the cover gives its length)."""
_PLACEHOLDER: Final = re.compile(r"%\((page|pages)\)s")

LEVEL_LABELS: Final = {
    "public": N_("PUBLIC"),
    "internal": N_("INTERNAL"),
    "restricted": N_("RESTRICTED"),
}
"""Releasability levels as handling banners show them (in capitals)."""


def slug_words(value: str) -> str:
    """A slug as English words, for a slug no table knows: `counter-narcotics` -> "Counter narcotics"
    (`single-source` keeps its hyphen)."""
    words = value.replace("_", " ")
    if value not in ("single-source",):
        words = words.replace("-", " ")
    return words[:1].upper() + words[1:]


class Catalogue:
    """One edition's messages (gettext), dates, lists and names (CLDR).

    Passed to Jinja's `install_gettext_translations`, it provides `gettext`, `ngettext`, `pgettext` and
    `npgettext` to templates (`{{ _("Key facts") }}`)."""

    def __init__(
        self, language: str, translations: gettext_module.NullTranslations, *, source: Path | None = None
    ) -> None:
        self.language = language
        self.translations = translations
        self.source = source
        """The .po file the messages come from; None for the source language."""
        self.locale = Locale.parse(cldr_locale(language))
        self._missing: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Catalogue({self.language!r})"

    @property
    def is_source(self) -> bool:
        return self.source is None

    @property
    def missing(self) -> list[str]:
        """The messages asked for so far that this catalogue does not translate (shown in English)."""
        with self._lock:
            return sorted(self._missing)

    # --- messages -----------------------------------------------------------------------------------

    def gettext(self, message: str) -> str:
        if not message:  # gettext("") is a catalogue's header, never a label
            return message
        text = self.translations.gettext(message)
        if text == message and not self.is_source and message:
            self._note_missing(message)
        return text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        text = self.translations.ngettext(singular, plural, n)
        if not self.is_source and text in (singular, plural):
            self._note_missing(singular)
        return text

    def pgettext(self, context: str, message: str) -> str:
        text = self.translations.pgettext(context, message)
        if text == message and not self.is_source and message:
            self._note_missing(f"{context}\x04{message}")
        return text

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        text = self.translations.npgettext(context, singular, plural, n)
        if not self.is_source and text in (singular, plural):
            self._note_missing(f"{context}\x04{singular}")
        return text

    def _note_missing(self, message: str) -> None:
        with self._lock:
            self._missing.add(message)

    # --- labels -------------------------------------------------------------------------------------

    def kind_label(self, kind: str) -> str:
        """An instrument kind as a word: `bilateral-agreement` -> "Bilateral agreement"."""
        return self.gettext(KIND_LABELS[kind]) if kind in KIND_LABELS else self.label(kind)

    def label(self, slug: str) -> str:
        """A slug as words: `single-source` -> "Single-source", `transnational-crime` ->
        "Transnational crime"; a slug no table knows is spelled out from its words and still looked up."""
        return self.gettext(LABELS.get(slug) or slug_words(slug))

    def level_label(self, level: str) -> str:
        """A releasability level as banners show it: `restricted` -> "RESTRICTED"."""
        value = str(getattr(level, "value", level))
        return self.gettext(LEVEL_LABELS[value]) if value in LEVEL_LABELS else value.upper()

    def folio(self) -> dict[str, str]:
        """The footer's words around the page numbers, for the PDF stylesheet (`data-folio*` attributes,
        read with `attr()`): {"data-folio": "Página ", "data-folio-of": " de ", "data-folio-end": "",
        "data-folio-part": "Página ", "data-folio-part-end": ""}. Empty in the source language, whose words
        are the stylesheet's own ("Page 3 of 4", "Page 57"). A translation must keep the page before the
        length (the stylesheet counts them in that order)."""
        if self.is_source:
            return {}
        total = _PLACEHOLDER.split(self.gettext(FOLIO))
        alone = _PLACEHOLDER.split(self.gettext(FOLIO_NO_TOTAL))
        if total[1::2] != ["page", "pages"] or alone[1::2] != ["page"]:
            raise ValueError(f"{self.source}: the page footer must name %(page)s, then %(pages)s, once each")
        return {
            "data-folio": total[0],
            "data-folio-of": total[2],
            "data-folio-end": total[4],
            "data-folio-part": alone[0],
            "data-folio-part-end": alone[2],
        }

    # --- CLDR ---------------------------------------------------------------------------------------

    def format_date(self, value: PartialDate | date | None, short: bool = False) -> str:
        """A date as far as it is known: "2 September 1947", "September 1947", "1947"; with `short`,
        abbreviated months ("2 Sep 1947"). None is ""."""
        if value is None:
            return ""
        if isinstance(value, date):
            value = PartialDate(value.year, value.month, value.day)
        if value.month is None:
            field = "year"
        elif value.day is None:
            field = "month-short" if short else "month"
        else:
            field = "day-short" if short else "day"
        when = date(value.year, value.month or 1, value.day or 1)
        if self.is_source:
            return babel_format_date(when, _ENGLISH_DATES[field], locale=self.locale)
        return format_skeleton(_DATE_SKELETONS[field], when, locale=self.locale)

    def month_name(self, month: int, short: bool = False) -> str:
        """A month's name standing alone: 9 -> "September" (short: "Sep")."""
        if not 1 <= month <= 12:
            raise ValueError(f"no month {month}")
        return str(self.locale.months["stand-alone"]["abbreviated" if short else "wide"][month])

    def format_list(self, items: Iterable[str], style: str = "standard") -> str:
        """Items joined as the language joins them: "a, b, and c", "a, b y c", "a, b e c"."""
        return babel_format_list(list(items), style=style, locale=self.locale)  # type: ignore[arg-type]

    def language_name(self, code: str) -> str:
        """A language's name from its code, in this edition's language: "es" -> "Spanish", "español",
        "espanhol"; a regional tag (`pt-BR`) is named by CLDR where it names it, else by its language; an
        unknown code is returned as it is."""
        tag = code.replace("-", "_")
        languages = self.locale.languages
        return str(languages.get(tag) or languages.get(tag.split("_")[0].lower()) or code)

    def country_name(self, code: str) -> str:
        """A country's name from its ISO 3166-1 alpha-2 code: "BR" -> "Brazil", "Brasil"; an unknown
        code is returned as it is."""
        return str(self.locale.territories.get(code.upper(), code))


def catalogue(language: str = SOURCE_LANGUAGE, locale_dir: Path | None = None) -> Catalogue:
    """The catalogue of one edition's language (cached per process). A language other than the source
    without a catalogue in `locale_dir` is a `TemplateError` naming the file it looked for."""
    return _catalogue(language, (locale_dir or LOCALE_DIR).resolve())


@lru_cache(maxsize=32)
def _catalogue(language: str, locale_dir: Path) -> Catalogue:
    primary = language.split("-")[0].lower()
    if primary == SOURCE_LANGUAGE:  # en, en-GB: the messages' own text
        return Catalogue(language, gettext_module.NullTranslations())
    path = po_path(language, locale_dir)
    if not path.is_file() and primary != language:  # es-MX: the es catalogue
        path = po_path(primary, locale_dir)
    try:
        with path.open("rb") as handle:
            messages = read_po(handle, locale=cldr_locale(language))
    except FileNotFoundError:
        raise TemplateError(
            Diagnostic(shown_path(path), 0, 0, f"no message catalogue for language '{language}'")
        ) from None
    except Exception as exc:  # Babel raises plain exceptions (PoFileError, ValueError) for bad catalogues
        raise TemplateError(Diagnostic(shown_path(path), 0, 0, f"unreadable catalogue: {exc}")) from None
    compiled = io.BytesIO()
    write_mo(compiled, messages, use_fuzzy=False)  # a fuzzy entry is not a translation yet
    compiled.seek(0)
    return Catalogue(language, gettext_module.GNUTranslations(compiled), source=path)


def cldr_locale(language: str) -> str:
    """The CLDR locale of a language tag: `es` -> `es_419`, `pt` -> `pt_BR`, `es-MX` -> `es_MX`."""
    return CLDR_LOCALES.get(language, language.replace("-", "_"))


def endonym(language: str) -> str:
    """A language's name in that language, as a reader picking an edition looks for it in a list: `es` ->
    "Español", `pt` -> "Português" (CLDR's name, capitalised to stand alone); an unknown tag is returned
    as it is."""
    try:
        name = str(Locale.parse(cldr_locale(language)).language_name or language)
    except (ValueError, LookupError, UnknownLocaleError):
        return language
    return name[:1].upper() + name[1:]


def po_path(language: str, locale_dir: Path | None = None) -> Path:
    """Where a language's catalogue lives: `locale/<language>/LC_MESSAGES/atalaya.po`."""
    return (locale_dir or LOCALE_DIR) / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def pot_path(locale_dir: Path | None = None) -> Path:
    """The message template every catalogue is updated from: `locale/atalaya.pot`."""
    return (locale_dir or LOCALE_DIR) / f"{DOMAIN}.pot"
