"""Turn a country and an audience into that audience's `CountryView`: the country brief's content.

A country brief is made only of audience views (`select.make_view`, the one place releasability is
enforced), never of raw instruments: for each instrument the audience is cleared for, its view's member and
partner rows for the country (a row above the clearance, or in a section the audience does not show, is
not in the view, so the instrument is not listed), and the items of the view's assessment and
recommendations that name the country (in English, Spanish or Portuguese, or by its ISO code as a word).
An audience whose views list the country nowhere gets no brief.

The brief's banner follows `select`'s rule: the highest level actually shown. Of each instrument it shows
what names it (`InstrumentRef`: name, acronym, kind, status, material at the instrument's own level, as a
related instrument's name is), the country's rows, the items naming the country and the sources those
cite, so those levels count. The view holds nothing else of the instrument's view, so its input hash
(`plan.view_json`) changes only when the brief would: an edit elsewhere in a file rebuilds no country brief.

`membership_svg` draws the membership timeline (one bar per period of membership, one line per
instrument) as inline SVG in the style of `figures`: deterministic, escaped, sized with a fixed width table.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal, TypeVar

from markupsafe import Markup, escape

from .figures import _f, _text_width, _tick_step, position
from .i18n import N_, SOURCE_LANGUAGE, Catalogue, catalogue
from .model import Audience, Corpus, Instrument, Office, PartialDate, level_rank
from .select import Item, MemberRow, Period, SourceRef, View, audiences_for, listed_countries, make_view
from .theme import Theme, load_theme

KIND = "country"
"""The view's kind (`kind_label` spells it "Country")."""

State = Literal["member", "former", "partner"]
_Cited = TypeVar("_Cited", Item, MemberRow)


@dataclass(frozen=True)
class InstrumentRef:
    """What a country brief shows of an audience's view of one instrument, at the instrument's own level:
    the rest of the view is left out, so an edit there changes no country brief's input hash."""

    id: str
    name: str
    acronym: str | None
    kind: str
    release: str
    status: str
    status_since: PartialDate | None
    as_of: date
    sections: tuple[str, ...]
    """The sections the audience's view of the instrument shows (see `View.sections`)."""

    @classmethod
    def of(cls, view: View) -> InstrumentRef:
        return cls(
            view.id,
            view.name,
            view.acronym,
            view.kind,
            view.release,
            view.status,
            view.status_since,
            view.as_of,
            view.sections,
        )

    @property
    def title(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def shows(self, section: str) -> bool:
        return section in self.sections


@dataclass(frozen=True)
class CountryEntry:
    """One instrument the country belongs to or partners with, as one audience may see it."""

    instrument: InstrumentRef
    """The instrument as the audience's view of it names it."""
    members: tuple[MemberRow, ...]
    """The country's member row in the view (one at most: `select` joins a member's periods)."""
    partners: tuple[MemberRow, ...]
    """The country's partner or observer row in the view (one at most)."""
    assessment: tuple[Item, ...]
    """The view's assessment items that name the country (none where the audience has no assessment)."""
    recommendations: tuple[Item, ...]
    """The view's recommendations that name the country."""

    @property
    def id(self) -> str:
        return self.instrument.id

    @property
    def name(self) -> str:
        return self.instrument.name

    @property
    def rows(self) -> tuple[MemberRow, ...]:
        return (*self.members, *self.partners)

    @property
    def ended(self) -> bool:
        """Whether the instrument itself has ended (defunct): no one is a member of it any more."""
        return self.instrument.status == "defunct"

    @property
    def state(self) -> State:
        """`member` (a current member), `former` (a member no longer, or of an instrument that ended) or
        `partner`."""
        if self.ended or (self.members and not self.partners and all(row.left for row in self.members)):
            return "former"
        if any(row.left is None for row in self.members):
            return "member"
        return "partner"

    def row_state(self, row: MemberRow) -> State:
        """One row's state: a partner row `partner`, a member row `member` or `former`."""
        if row in self.partners:
            return "partner"
        return "former" if row.left or self.ended else "member"

    @property
    def periods(self) -> tuple[Period, ...]:
        """Its periods of membership; an open one with a known start, of an instrument that ended, ends
        when the instrument did (when that is known)."""
        periods = tuple(period for row in self.members for period in row.periods)
        end = self.instrument.status_since if self.ended else None
        if end is None:
            return periods
        return tuple(
            replace(p, left=end) if p.left is None and p.joined is not None and p.joined <= end else p
            for p in periods
        )

    @property
    def levels(self) -> list[str]:
        """Every level shown of this instrument: its name's, its rows' and its items'."""
        return [
            self.instrument.release,
            *(row.level for row in self.rows),
            *(item.level for item in (*self.assessment, *self.recommendations)),
        ]


@dataclass(frozen=True)
class CountryView:
    """What one audience's country brief on one country may show, and nothing more."""

    audience_name: str
    audience: Audience
    office: Office
    id: str
    """The country's code: the brief's subject, in messages and document properties."""
    code: str
    """ISO 3166-1 alpha-2, in capitals."""
    name: str
    """The country's name in the edition's language."""
    subregion: str
    oas_member: bool
    title: str
    kind: str
    themes: tuple[str, ...]
    as_of: date
    """The latest as-of date of the instruments listed."""
    banner: str
    entries: tuple[CountryEntry, ...]
    """Each instrument listed, by name."""
    sources: tuple[SourceRef, ...]
    """The sources the rows and items cite (the instruments' views' own), numbered 1..n in entry order;
    the rows' and items' `cites` are these numbers. Empty where the audience is shown no sources."""
    acronym: str | None = None
    """No acronym (the running footer names the document by `acronym or name`)."""

    @property
    def portion_marks(self) -> bool:
        return self.audience.portion_marks

    @property
    def show_verification(self) -> bool:
        return self.audience.show_verification

    def shows(self, section: str) -> bool:
        """Whether any listed instrument's view shows `section` for this audience."""
        return any(entry.instrument.shows(section) for entry in self.entries)

    def of_state(self, state: str) -> tuple[CountryEntry, ...]:
        """The entries where the country is a current member, a former member or a partner."""
        return tuple(entry for entry in self.entries if entry.state == state)

    @property
    def state(self) -> State:
        """The country's own state on the map: a member of anything listed, else a partner, else former."""
        states = {entry.state for entry in self.entries}
        found: State = next((s for s in ("member", "partner", "former") if s in states), "partner")
        return found

    @property
    def discussed(self) -> tuple[CountryEntry, ...]:
        """The entries with assessment or recommendations naming the country."""
        return tuple(entry for entry in self.entries if entry.assessment or entry.recommendations)

    @property
    def dated(self) -> tuple[CountryEntry, ...]:
        """The entries the membership timeline draws (those with a period whose start is known), by the
        first start."""
        dated = [entry for entry in self.entries if any(p.joined for p in entry.periods)]
        return tuple(sorted(dated, key=lambda e: (min(p.joined for p in e.periods if p.joined), e.name)))

    @property
    def undated(self) -> tuple[CountryEntry, ...]:
        """The memberships the timeline cannot draw: no period with a known start."""
        return tuple(entry for entry in self.entries if entry.members and entry not in self.dated)

    def all_text(self) -> list[str]:
        """Every piece of content text in the view (used to check what a document may carry)."""
        texts = [self.name]
        for entry in self.entries:
            texts.append(entry.name)
            texts.extend(row.role for row in entry.rows if row.role)
            texts.extend(item.text for item in (*entry.assessment, *entry.recommendations))
        texts.extend(source.title for source in self.sources)
        return texts

    def membership_svg(self, *, theme: Theme | None = None, catalogue: Catalogue | None = None) -> Markup:
        """The membership timeline as inline SVG (empty when no membership has a known start)."""
        return membership_svg(self, theme=theme, catalogue=catalogue)


# --- building the view ----------------------------------------------------------------------------------


def country_codes(corpus: Corpus) -> list[str]:
    """Every country some instrument names as member or partner, sorted (the subjects of country briefs)."""
    codes = {row.country for instrument in corpus.instruments.values() for row in instrument.members}
    codes |= {row.country for instrument in corpus.instruments.values() for row in instrument.partners}
    return sorted(codes)


class _Index:
    """For each audience, the views of the instruments it is cleared for that list each country: built once
    per corpus and audience in a process (every country's audiences and view read it)."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = weakref.ref(corpus)
        self.by_audience: dict[str, dict[str, tuple[View, ...]]] = {}
        self.listed: dict[str, set[str]] = {}
        self.naming: dict[str, list[Instrument]] | None = None
        self.lock = threading.Lock()

    def views(self, corpus: Corpus, audience: str) -> Mapping[str, tuple[View, ...]]:
        with self.lock:
            if audience not in self.by_audience:
                found: dict[str, list[View]] = {}
                for instrument in corpus.instruments.values():
                    if audience not in audiences_for(corpus, instrument):
                        continue
                    view = make_view(corpus, instrument, audience)
                    for code in dict.fromkeys(row.code for row in (*view.members, *view.partners)):
                        found.setdefault(code, []).append(view)
                self.by_audience[audience] = {
                    code: tuple(sorted(views, key=lambda v: (v.name.casefold(), v.id)))
                    for code, views in found.items()
                }
            return self.by_audience[audience]


_INDEX_LOCK = threading.Lock()
# One index per live corpus: a build reads the source corpus and each edition's side by side.
_indexes: dict[int, _Index] = {}


def _views_listing(corpus: Corpus, audience: str) -> Mapping[str, tuple[View, ...]]:
    with _INDEX_LOCK:
        index = _index(corpus)
    return index.views(corpus, audience)


def _index(corpus: Corpus) -> _Index:
    index = _indexes.get(id(corpus))
    if index is None or index.corpus() is not corpus:
        for key in [key for key, kept in _indexes.items() if kept.corpus() is None]:
            del _indexes[key]
        index = _indexes[id(corpus)] = _Index(corpus)
    return index


def audiences_of(corpus: Corpus, code: str) -> list[str]:
    """The audiences whose views list the country anywhere (in the audiences' order)."""
    return [audience for audience in corpus.audiences if code in _listed(corpus, audience)]


def instruments_naming(corpus: Corpus, code: str) -> Sequence[Instrument]:
    """The instruments whose files name the country as member or partner, at any level."""
    with _INDEX_LOCK:
        index = _index(corpus)
    with index.lock:
        if index.naming is None:
            naming: dict[str, list[Instrument]] = {}
            for instrument in corpus.instruments.values():
                codes = [*(m.country for m in instrument.members), *(p.country for p in instrument.partners)]
                for named in dict.fromkeys(codes):
                    naming.setdefault(named, []).append(instrument)
            index.naming = naming
        return index.naming.get(code, [])


def _listed(corpus: Corpus, audience: str) -> set[str]:
    """The countries any of the audience's views lists (`select.listed_countries`: no view is made)."""
    with _INDEX_LOCK:
        index = _index(corpus)
    with index.lock:
        if audience not in index.listed:
            cleared = corpus.audiences[audience]
            index.listed[audience] = {
                code
                for instrument in corpus.instruments.values()
                for code in listed_countries(instrument, cleared)
            }
        return index.listed[audience]


def mention_pattern(corpus: Corpus, code: str) -> re.Pattern[str]:
    """Text naming the country: its English, Spanish or Portuguese name, or its code as a word (never
    inside a longer word or a hyphenated name: "Dominica" is not in "Dominican", "CA" not in "CA-4")."""
    country = corpus.countries[code]
    names = sorted({country.name.en, country.name.es, country.name.pt}, key=lambda n: (-len(n), n))
    words = "|".join([*(re.escape(name) for name in names), re.escape(code)])
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")


def country_name(corpus: Corpus, code: str, edition: str) -> str:
    """The country's name in an edition: countries.yaml's name in its language, else CLDR's."""
    names = corpus.countries[code].name
    language = edition.split("-")[0].lower()
    given = getattr(names, language, None) if language in ("en", "es", "pt") else None
    return str(given) if given else catalogue(edition).country_name(code)


def _renumbered(pieces: tuple[_Cited, ...], numbers: Mapping[int, int]) -> tuple[_Cited, ...]:
    """Rows or items citing the brief's source numbers (in order) instead of their instrument's."""
    return tuple(replace(p, cites=tuple(sorted(numbers[n] for n in p.cites if n in numbers))) for p in pieces)


def make_country_view(corpus: Corpus, code: str, audience_name: str, edition: str) -> CountryView:
    """What `audience_name` may see about country `code`, from its views of the instruments only."""
    audience = corpus.audiences[audience_name]
    mentions = mention_pattern(corpus, code)
    entries: list[CountryEntry] = []
    sources: list[SourceRef] = []
    for view in _views_listing(corpus, audience_name).get(code, ()):
        members = tuple(row for row in view.members if row.code == code)
        partners = tuple(row for row in view.partners if row.code == code)
        assessment = tuple(item for item in view.assessment if mentions.search(item.text))
        recommendations = tuple(item for item in view.recommendations if mentions.search(item.text))
        # The sources these cite, renumbered after those of the entries before (one list for the brief).
        cited = {n for row in (*members, *partners) for n in row.cites}
        cited |= {n for item in (*assessment, *recommendations) for n in item.cites}
        numbers: dict[int, int] = {}
        for source in view.sources:
            if source.number in cited:
                numbers[source.number] = len(sources) + 1
                sources.append(replace(source, number=numbers[source.number]))

        entries.append(
            CountryEntry(
                InstrumentRef.of(view),
                _renumbered(members, numbers),
                _renumbered(partners, numbers),
                _renumbered(assessment, numbers),
                _renumbered(recommendations, numbers),
            )
        )
    levels = [
        *(level for entry in entries for level in entry.levels),
        *(source.level for source in sources),
    ]
    country = corpus.countries[code]
    name = country_name(corpus, code, edition)
    return CountryView(
        audience_name=audience_name,
        audience=audience,
        office=corpus.office,
        id=code,
        code=code,
        name=name,
        subregion=country.subregion,
        oas_member=country.oas_member,
        title=name,
        kind=KIND,
        themes=(),
        as_of=max((entry.instrument.as_of for entry in entries), default=date.min),
        banner=max(levels, key=level_rank, default="public"),
        entries=tuple(entries),
        sources=tuple(sources),
    )


# --- the membership timeline ------------------------------------------------------------------------------

CURRENT = N_("member")
FORMER = N_("former member")
ANNOUNCED = N_("withdrawal announced")

WIDTH = 640.0
LABEL_SIZE = 9.5
TICK_SIZE = 9.0
ROW = 17.0
BAR = 8.0
LABEL_MAX = 170.0
GAP = 10.0
RIGHT = 14.0


def _fit(text: str, size: float, room: float) -> str:
    """`text`, cut with an ellipsis where it would run past `room` (measured with the fixed table)."""
    if _text_width(text, size) <= room:
        return text
    while text and _text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _end(period: Period, now: float) -> tuple[float, bool]:
    """Where a period's bar ends, and whether it is still open."""
    if period.left is not None:
        return position(period.left), False
    return now, True


def membership_svg(
    view: CountryView, *, theme: Theme | None = None, catalogue: Catalogue | None = None
) -> Markup:
    """One line per instrument the country has been a member of, with a known start; one bar per period
    (the current one in the accent, a former one muted, an open one running to the as-of date with an
    arrow), a ring where a withdrawal was announced; years below. Empty when nothing has a known start."""
    theme = theme or load_theme()
    words = catalogue or _english()
    accent, ink, paper = theme.colour("accent"), theme.colour("ink"), theme.colour("paper")
    muted, rule = theme.colour("figure-muted"), theme.colour("figure-rule")
    entries = view.dated
    if not entries:
        return Markup("")
    now = position(PartialDate(view.as_of.year, view.as_of.month, view.as_of.day))
    starts = [position(p.joined) for entry in entries for p in entry.periods if p.joined]
    first_year = min(p.joined.year for entry in entries for p in entry.periods if p.joined)
    low = min(starts)
    high = max([now, *(position(p.left) for entry in entries for p in entry.periods if p.left)])
    span = max(high - low, 1.0)
    start = low - max(0.5, span * 0.03)
    end = high + max(0.3, span * 0.015)
    labels = [_fit(entry.instrument.acronym or entry.name, LABEL_SIZE, LABEL_MAX) for entry in entries]
    left = min(max(_text_width(label, LABEL_SIZE) for label in labels), LABEL_MAX) + GAP + 4
    scale = (WIDTH - left - RIGHT) / (end - start)

    def x_at(t: float) -> float:
        return left + (t - start) * scale

    top = 4.0
    axis_y = top + len(entries) * ROW + 2
    ticks_y = axis_y + 12
    legend_y = ticks_y + 15
    height = legend_y + 4
    count = len(entries)
    title = words.ngettext(
        "Membership timeline of %(name)s: %(count)d instrument, from %(first)s",
        "Membership timeline of %(name)s: %(count)d instruments, from %(first)s",
        count,
    ) % {"name": view.name, "count": count, "first": first_year}
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="membership-figure" role="img" '
        f'width="{_f(WIDTH)}" height="{_f(height)}" viewBox="0 0 {_f(WIDTH)} {_f(height)}" '
        f'font-family="{escape(theme.face("sans").name)}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    step = _tick_step(end - start)
    year = (int(start) // step + 1) * step
    while year <= end:
        x = x_at(year)
        out.append(
            f'<line x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(axis_y + 3)}" stroke="{rule}" '
            f'stroke-width="0.5" stroke-dasharray="1.5 2.5"/>'
        )
        out.append(
            f'<text x="{_f(x)}" y="{_f(ticks_y)}" font-size="{TICK_SIZE}" fill="{muted}" '
            f'text-anchor="middle">{year}</text>'
        )
        year += step
    out.append(
        f'<line x1="{_f(left - 4)}" y1="{_f(axis_y)}" x2="{_f(WIDTH - RIGHT + 6)}" y2="{_f(axis_y)}" '
        f'stroke="{rule}" stroke-width="1"/>'
    )
    for index, (entry, label) in enumerate(zip(entries, labels, strict=True)):
        middle = top + index * ROW + ROW / 2
        out.append(
            f'<text x="{_f(left - GAP)}" y="{_f(middle + LABEL_SIZE * 0.35)}" font-size="{LABEL_SIZE}" '
            f'fill="{ink}" text-anchor="end">{escape(label)}</text>'
        )
        for period in entry.periods:
            if period.joined is None:
                continue
            x1 = x_at(position(period.joined))
            stop, open_ended = _end(period, now)
            x2 = max(x_at(stop), x1 + 2.0)
            colour = accent if open_ended else muted
            y = middle - BAR / 2
            if open_ended:
                x2 = max(x2 - 4, x1 + 2.0)
                out.append(
                    f'<path d="M{_f(x2)} {_f(y - 1.5)} L{_f(x2 + 6)} {_f(middle)} L{_f(x2)} '
                    f'{_f(y + BAR + 1.5)} Z" fill="{colour}"/>'
                )
            out.append(
                f'<rect x="{_f(x1)}" y="{_f(y)}" width="{_f(x2 - x1)}" height="{_f(BAR)}" rx="1.5" '
                f'fill="{colour}"/>'
            )
            if period.announced is not None:
                ax = x_at(position(period.announced))
                out.append(
                    f'<circle cx="{_f(ax)}" cy="{_f(middle)}" r="3.3" fill="{paper}" stroke="{ink}" '
                    f'stroke-width="1.3"/>'
                )
    # The legend: what the bars and rings mean, at the right below the years.
    items: list[tuple[str, str]] = [("bar", accent)] if any(_open(entry) for entry in entries) else []
    names = [words.gettext(CURRENT)] if items else []
    if any(p.left is not None and p.joined is not None for entry in entries for p in entry.periods):
        items.append(("bar", muted))
        names.append(words.gettext(FORMER))
    if any(p.announced is not None and p.joined is not None for entry in entries for p in entry.periods):
        items.append(("ring", ink))
        names.append(words.gettext(ANNOUNCED))
    x = WIDTH - RIGHT
    pieces: list[str] = []
    for (shape, colour), name in reversed(list(zip(items, names, strict=True))):
        pieces.append(
            f'<text x="{_f(x)}" y="{_f(legend_y)}" font-size="{TICK_SIZE}" fill="{muted}" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        x -= _text_width(name, TICK_SIZE) + 4
        if shape == "bar":
            pieces.append(
                f'<rect x="{_f(x - 12)}" y="{_f(legend_y - 6.5)}" width="12" height="6" rx="1.2" '
                f'fill="{colour}"/>'
            )
            x -= 12 + 14
        else:
            pieces.append(
                f'<circle cx="{_f(x - 3.5)}" cy="{_f(legend_y - 3.3)}" r="3" fill="{paper}" '
                f'stroke="{colour}" stroke-width="1.2"/>'
            )
            x -= 7 + 14
    out.extend(reversed(pieces))
    out.append("</svg>")
    # Safe: every piece of text above went through escape(); the rest is markup written here.
    return Markup("".join(out))  # noqa: S704


def _open(entry: CountryEntry) -> bool:
    return any(p.joined is not None and p.left is None for p in entry.periods)


def _english() -> Catalogue:
    return catalogue(SOURCE_LANGUAGE)
