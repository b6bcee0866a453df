"""Turn two audience views of one instrument (the last edition's and the new one) into a `Comparison`: what
that audience will find changed, section by section and word by word.

Both views come from `select.make_view` for the same audience, so everything compared here is already
cleared: an item raised above the audience's clearance is simply absent from the new view and shows as a
deletion, with nothing saying why. Only what the audience's documents show is compared: portion marks only
where the audience sees them, verification only where it is shown, key facts only where they are printed.
Nothing here is user-facing text: change kinds and field names are slugs the templates turn into labels.

Items are paired in order of preference: identical (text, date and kind), then the same text, then the
most similar text (word ratio at least `MATCH_RATIO`); a pair whose visible parts differ is an edit,
with a word-level difference (`word_diff`); an unpaired old item is a deletion, an unpaired new one an
insertion. Citation numbers are not compared: they follow the sources list, compared on its own.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import Generic, Literal, TypeVar, cast

from .model import Audience, Office, PartialDate, level_rank
from .select import Item, MemberRow, Period, RelatedRef, SourceRef, View

ITEM_SECTIONS = (
    "summary",
    "objectives",
    "activities",
    "challenges",
    "assessment",
    "recommendations",
    "timeline",
)
"""The sections of prose items, compared item by item."""
MATCH_RATIO = 0.5
"""How similar (difflib ratio over words) two different texts must be to count as one item edited."""

Op = Literal["same", "ins", "del"]
Segment = tuple[Op, str]
ItemKind = Literal["inserted", "deleted", "edited"]
MemberKind = Literal["joined", "left", "removed", "added", "role", "dates", "mark"]

T = TypeVar("T")
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def tokens(text: str) -> list[str]:
    """Words, runs of white space and single punctuation marks; joined again they are the text."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> tuple[Segment, ...]:
    """The word-level difference of two texts as (op, text) segments: `same`, `del` (only in old) and `ins`
    (only in new). Within each changed stretch the deleted words come before the inserted ones, and a bare
    space between two changed stretches joins them, so "a b" -> "x y" reads "[-a b-]{+x y+}"."""
    a, b = tokens(old), tokens(new)
    raw: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            raw.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            raw.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            raw.append(("ins", "".join(b[j1:j2])))
    return _tidy(raw)


def _tidy(raw: list[Segment]) -> tuple[Segment, ...]:
    """Each changed stretch as one deletion then one insertion; a same-run of bare space between two
    changes becomes part of both."""
    tidy: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        tidy.extend([("del", "".join(deleted))] if deleted else [])
        tidy.extend([("ins", "".join(inserted))] if inserted else [])
        deleted.clear()
        inserted.clear()

    for index, (op, text) in enumerate(raw):
        between_changes = bool(deleted or inserted) and index + 1 < len(raw) and raw[index + 1][0] != "same"
        if op == "same" and not (between_changes and text.isspace()):
            flush()
            tidy.append((op, text))
            continue
        if op != "ins":
            deleted.append(text)
        if op != "del":
            inserted.append(text)
    flush()
    return tuple(tidy)


def similarity(old: str, new: str) -> float:
    """How alike two texts are, 0 to 1: difflib's ratio over their words and punctuation (not spaces); 0 for
    any pair below MATCH_RATIO."""
    a = [t for t in tokens(old) if not t.isspace()]
    b = [t for t in tokens(new) if not t.isspace()]
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # The cheap upper bounds first: most pairs of a long list are far apart.
    if matcher.real_quick_ratio() < MATCH_RATIO or matcher.quick_ratio() < MATCH_RATIO:
        return 0.0
    return matcher.ratio()


@dataclass(frozen=True)
class ItemChange:
    """One item inserted, deleted or edited. `words` is the text's difference (all `ins` for an insertion,
    all `del` for a deletion); the flags say which other visible parts of an edited item changed."""

    kind: ItemKind
    old: Item | None
    new: Item | None
    words: tuple[Segment, ...]
    mark_changed: bool = False
    verification_changed: bool = False
    date_changed: bool = False
    kind_changed: bool = False
    """An activity's kind (exercise, training, ...)."""
    moved: bool = False
    """The item now stands in another place among the items kept from the last edition."""

    @property
    def item(self) -> Item:
        """The item as the audience sees it now (as it was, for a deletion)."""
        shown = self.new or self.old
        assert shown is not None
        return shown

    @property
    def text_changed(self) -> bool:
        return any(op != "same" for op, _ in self.words)


@dataclass(frozen=True)
class SectionChanges:
    """One section's changed items in the new view's order, deletions where the old items stood."""

    name: str
    changes: tuple[ItemChange, ...]
    unchanged: int
    """How many items are the same in both views (not listed)."""

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def count(self, kind: ItemKind) -> int:
        return sum(1 for change in self.changes if change.kind == kind)


@dataclass(frozen=True)
class MemberChange:
    """One change to a member's or partner's row. `period` is the period joined or left; `words` the
    difference of the role (for `role`)."""

    kind: MemberKind
    code: str
    country: str
    old: MemberRow | None
    new: MemberRow | None
    period: Period | None = None
    words: tuple[Segment, ...] = ()

    @property
    def row(self) -> MemberRow:
        shown = self.new or self.old
        assert shown is not None
        return shown


@dataclass(frozen=True)
class FieldChange:
    """A headline field of the document (`HEADLINE_FIELDS`) with its old and new values."""

    field: str
    old: object
    new: object


HEADLINE_FIELDS = (
    "name",
    "acronym",
    "kind",
    "status",
    "status_since",
    "established",
    "in_force",
    "themes",
    "verification",
    "verification_note",
    "banner",
)
"""The document's headline fields compared, in this order (`FieldChange.field`)."""
_KEY_FACTS_FIELDS = frozenset({"established", "in_force", "themes"})
_VERIFICATION_FIELDS = frozenset({"verification", "verification_note"})


class _New(Generic[T]):
    """A `Comparison` attribute read from its new view: `comparison.office` is `comparison.new.office`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, comparison: Comparison, owner: type | None = None) -> T:
        return cast(T, getattr(comparison.new, self.name))


@dataclass(frozen=True)
class Comparison:
    """What changed for one audience between two editions of one instrument's view (`old` None: the
    audience had no document before). Reads like a view where the PDF writer and the masthead need one:
    office, audience, names, as-of date (the new one) and banner (the higher of the two)."""

    old: View | None
    new: View
    sections: tuple[SectionChanges, ...]
    """Every section of prose items either view shows, in the audience's order; see `changed_sections`."""
    members: tuple[MemberChange, ...]
    partners: tuple[MemberChange, ...]
    headline: tuple[FieldChange, ...]
    status_note: ItemChange | None
    related_added: tuple[RelatedRef, ...]
    related_removed: tuple[RelatedRef, ...]
    sources_added: tuple[SourceRef, ...]
    sources_removed: tuple[SourceRef, ...]

    @property
    def changed(self) -> bool:
        """Whether the audience would see anything different (always, for a new document)."""
        parts = (self.changed_sections, self.members, self.partners, self.headline, self.status_note)
        lists = (self.related_added, self.related_removed, self.sources_added, self.sources_removed)
        return self.old is None or any(parts) or any(lists)

    @property
    def is_new(self) -> bool:
        return self.old is None

    @property
    def changed_sections(self) -> tuple[SectionChanges, ...]:
        return tuple(section for section in self.sections if section.changed)

    @property
    def unchanged_sections(self) -> tuple[str, ...]:
        return tuple(section.name for section in self.sections if not section.changed)

    # --- what the writer and the masthead read, as from a view: the new view's ---------------------------

    office = _New[Office]()
    audience = _New[Audience]()
    audience_name = _New[str]()
    id = _New[str]()
    name = _New[str]()
    acronym = _New[str | None]()
    title = _New[str]()
    kind = _New[str]()
    themes = _New[tuple[str, ...]]()
    as_of = _New[date]()
    portion_marks = _New[bool]()
    show_verification = _New[bool]()

    @property
    def old_as_of(self) -> date | None:
        return self.old.as_of if self.old else None

    @property
    def banner(self) -> str:
        """The higher of the two views' banners: a deletion shows text of the old view."""
        if self.old is None:
            return self.new.banner
        return max(self.old.banner, self.new.banner, key=level_rank)


def compare(old: View | None, new: View) -> Comparison:
    """What changed between `old` and `new`, two views of one instrument for one audience."""
    if old is not None and (old.id, old.audience_name) != (new.id, new.audience_name):
        raise ValueError(
            f"cannot compare {old.id} for {old.audience_name} with {new.id} for {new.audience_name}"
        )
    audience = new.audience
    marks, verification = audience.portion_marks, audience.show_verification
    shown = set(new.sections) | set(old.sections if old else ())
    sections = tuple(
        _section(name, getattr(old, name) if old else (), getattr(new, name), marks, verification)
        for name in audience.sections
        if name in ITEM_SECTIONS and name in shown
    )
    old_note = (old.status_note,) if old and old.status_note else ()
    new_note = (new.status_note,) if new.status_note else ()
    note_changes = _section("key_facts", old_note, new_note, marks, verification).changes
    since = old.as_of if old else None
    return Comparison(
        old=old,
        new=new,
        sections=sections,
        members=_rows(old.members if old else (), new.members, since, marks),
        partners=_rows(old.partners if old else (), new.partners, since, marks),
        headline=_headline(old, new) if old else (),
        status_note=note_changes[0] if note_changes else None,
        related_added=_missing(new.related, old.related if old else (), lambda r: r.id),
        related_removed=_missing(old.related, new.related, lambda r: r.id) if old else (),
        sources_added=_missing(new.sources, old.sources if old else (), lambda s: s.title),
        sources_removed=_missing(old.sources, new.sources, lambda s: s.title) if old else (),
    )


def _missing(these: Sequence[T], others: Sequence[T], key: Callable[[T], str]) -> tuple[T, ...]:
    """The entries of `these` whose key none of `others` has, in order."""
    keys = {key(other) for other in others}
    return tuple(entry for entry in these if key(entry) not in keys)


def _headline(old: View, new: View) -> tuple[FieldChange, ...]:
    sections = new.audience.sections
    changes = []
    for name in HEADLINE_FIELDS:
        if name in _KEY_FACTS_FIELDS and "key_facts" not in sections:
            continue
        if name in _VERIFICATION_FIELDS and not new.show_verification:
            continue
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(FieldChange(name, before, after))
    return tuple(changes)


# --- items -------------------------------------------------------------------------------------------


def _section(
    name: str, old: Sequence[Item], new: Sequence[Item], marks: bool, verification: bool
) -> SectionChanges:
    pairs = _pair(old, new)
    moved = _moved(pairs)
    paired_old = set(pairs.values())
    changes: list[ItemChange] = []
    unchanged = 0
    next_old = 0

    def deletions_before(limit: int) -> None:
        nonlocal next_old
        for i in range(next_old, limit):
            if i not in paired_old:
                changes.append(ItemChange("deleted", old[i], None, (("del", old[i].text),)))
        next_old = max(next_old, limit)

    for j, item in enumerate(new):
        i = pairs.get(j)
        if i is None:
            # What was deleted in the same gap comes first: the old items before the next pair's.
            deletions_before(next((pairs[k] for k in range(j + 1, len(new)) if k in pairs), len(old)))
            changes.append(ItemChange("inserted", None, item, (("ins", item.text),)))
            continue
        deletions_before(i)
        change = _edit(old[i], item, marks, verification, moved=j in moved)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    deletions_before(len(old))
    return SectionChanges(name, tuple(changes), unchanged)


def _edit(old: Item, new: Item, marks: bool, verification: bool, *, moved: bool) -> ItemChange | None:
    """The visible change between two paired items; None when the audience would see none."""
    words = word_diff(old.text, new.text) if old.text != new.text else (("same", new.text),)
    flags = {
        "mark_changed": marks and old.level != new.level,
        "verification_changed": verification and old.verification != new.verification,
        "date_changed": old.date != new.date,
        "kind_changed": old.kind != new.kind,
        "moved": moved,
    }
    change = ItemChange("edited", old, new, words, **flags)
    return change if change.text_changed or any(flags.values()) else None


def _pair(old: Sequence[Item], new: Sequence[Item]) -> dict[int, int]:
    """New item index -> old item index: identical items first, then the same text, then the most
    similar texts (ratio at least MATCH_RATIO), each in order."""
    pairs: dict[int, int] = {}
    for key in (lambda it: (it.text, it.date, it.kind), lambda it: it.text):
        free: dict[object, list[int]] = {}
        for i, item in enumerate(old):
            if i not in pairs.values():
                free.setdefault(key(item), []).append(i)
        for j, item in enumerate(new):
            if j not in pairs and free.get(key(item)):
                pairs[j] = free[key(item)].pop(0)
    taken = set(pairs.values())
    candidates = sorted(
        (-ratio, j, i)
        for j, item in enumerate(new)
        if j not in pairs
        for i, before in enumerate(old)
        if i not in taken and (ratio := similarity(before.text, item.text)) >= MATCH_RATIO
    )
    for _, j, i in candidates:
        if j not in pairs and i not in taken:
            pairs[j] = i
            taken.add(i)
    return pairs


def _moved(pairs: dict[int, int]) -> set[int]:
    """The new indexes of paired items out of their old order: all but a longest run kept in order."""
    order = sorted(pairs)
    olds = [pairs[j] for j in order]
    best: list[int] = [1] * len(olds)
    back: list[int] = [-1] * len(olds)
    for k in range(len(olds)):
        for m in range(k):
            if olds[m] < olds[k] and best[m] + 1 > best[k]:
                best[k], back[k] = best[m] + 1, m
    kept: set[int] = set()
    k = max(range(len(olds)), key=lambda n: best[n], default=-1)
    while k >= 0:
        kept.add(order[k])
        k = back[k]
    return set(order) - kept


# --- members and partners ----------------------------------------------------------------------------


def _rows(
    old: Sequence[MemberRow], new: Sequence[MemberRow], since: date | None, marks: bool
) -> tuple[MemberChange, ...]:
    before = {row.code: row for row in old}
    after = {row.code for row in new}
    changes: list[MemberChange] = []
    for row in new:
        previous = before.get(row.code)
        if previous is None:
            last = row.periods[-1] if row.periods else None
            joined = since is not None and last is not None and last.joined and _latest(last.joined) > since
            kind: MemberKind = "joined" if joined else "added"
            changes.append(MemberChange(kind, row.code, row.country, None, row, last))
        else:
            changes.extend(_row_changes(previous, row, marks))
    changes.extend(
        MemberChange("removed", row.code, row.country, row, None) for row in old if row.code not in after
    )
    return tuple(changes)


def _row_changes(old: MemberRow, new: MemberRow, marks: bool) -> list[MemberChange]:
    changes: list[MemberChange] = []

    def add(kind: MemberKind, period: Period | None = None, words: tuple[Segment, ...] = ()) -> None:
        changes.append(MemberChange(kind, new.code, new.country, old, new, period, words))

    if old.periods != new.periods:
        # Periods are matched by when they began; anything these kinds do not explain is "dates".
        by_joined = {period.joined: period for period in old.periods}
        kept = {p.joined for p in new.periods}
        unexplained = any(p.joined not in kept for p in old.periods)
        for period in new.periods:
            before = by_joined.get(period.joined)
            if before == period:
                continue
            if before is None:
                # A new period after every old one, all still there: the country joined again.
                rejoined = period.joined is not None and all(
                    p.joined is not None and p.joined < period.joined and p.joined in kept
                    for p in old.periods
                )
                if rejoined:
                    add("joined", period)
                unexplained = unexplained or not rejoined
                continue
            newly_left = period.left is not None and before.left is None
            newly_announced = (
                period.announced is not None and before.announced is None and before.left is None
            )
            if (newly_left or newly_announced) and before.announced in (None, period.announced):
                add("left", period)
            else:
                unexplained = True
        if unexplained:
            add("dates")
    if old.role != new.role:
        add("role", words=word_diff(old.role or "", new.role or ""))
    if marks and old.level != new.level:
        add("mark")
    return changes


def _latest(value: PartialDate) -> date:
    """The last day a partial date may mean: "2026" -> 31 December 2026."""
    month = value.month or 12
    return date(value.year, month, value.day or calendar.monthrange(value.year, month)[1])
