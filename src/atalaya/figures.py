"""Turn the dated events of an audience `View` into figures drawn as inline SVG for the PDF briefing.

Figures are vector (no raster images), deterministic (the same view gives the same markup, with every
coordinate written to one decimal) and safe: every piece of text is escaped before it enters the markup.
Text sizes are measured with a fixed width table, never with the fonts installed on the machine, so the
layout cannot change from one machine to another. Colours and the face come from the templates' theme
(`atalaya.theme`), words and dates from the edition's catalogue (`atalaya.i18n`); `TemplateSet` passes
both, and a figure drawn without them uses the default theme in English.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .i18n import N_, SOURCE_LANGUAGE, Catalogue, catalogue
from .model import PartialDate
from .select import Item, View
from .theme import Theme, load_theme

LEGEND = N_("hollow marker: date known to the month or year only")

WIDTH = 640.0
"""Width of the drawing in user units; the template scales it to the text width (about 1 unit = 0.27 mm)."""
SIDE = 26.0
LABEL_SIZE = 10.5
TICK_SIZE = 9.5
LEVEL_STEP = 16.0
MAX_LEVELS = 6
GAP = 6.0
BADGE_SIZE = 8.5
BADGE_HEIGHT = 11.0
BADGE_GAP = 3.0
TICK_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)

# Advance widths (em) of Source Sans Pro Regular for the characters labels use (from its hmtx table);
# Semibold is about 3% wider. Anything else counts as 0.55 em.
_ADVANCE = {
    " ": 0.2, ":": 0.249, "A": 0.544, "D": 0.615, "F": 0.494, "J": 0.48, "M": 0.727, "N": 0.647,
    "O": 0.664, "S": 0.534, "a": 0.504, "b": 0.553, "c": 0.456, "d": 0.555, "e": 0.496, "g": 0.504,
    "h": 0.544, "k": 0.495, "l": 0.255, "m": 0.829, "n": 0.547, "o": 0.542, "p": 0.555, "r": 0.347,
    "t": 0.338, "u": 0.544, "v": 0.467, "w": 0.718, "y": 0.467,
    **dict.fromkeys("0123456789", 0.497),
}  # fmt: skip


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    return sum(_ADVANCE.get(char, 0.55) for char in text) * size * (1.035 if bold else 1.0)


def _badge_width(number: int) -> float:
    return _text_width(str(number), BADGE_SIZE, bold=True) + 6


def _f(value: float) -> str:
    """A coordinate as text: one decimal, no negative zero, so output is stable across platforms."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def position(when: PartialDate) -> float:
    """A date as a fractional year; a month alone sits mid-month, a year alone sits mid-year."""
    if when.month is None:
        return when.year + 0.5
    days = calendar.monthrange(when.year, when.month)[1]
    day = (when.day - 0.5) if when.day is not None else days / 2
    return when.year + (when.month - 1 + day / days) / 12


def short_date(when: PartialDate, words: Catalogue | None = None) -> str:
    """A marker's date label: "2 Sep 1947", "Sep 1947", "1947" (in English unless a catalogue is given)."""
    return (words or catalogue(SOURCE_LANGUAGE)).format_date(when, short=True)


def _tick_step(span: float) -> int:
    for step in TICK_STEPS:
        if span / step <= 7:
            return step
    return TICK_STEPS[-1]


@dataclass(frozen=True)
class _Placed:
    number: int
    x: float
    left: float
    right: float
    level: int
    date_text: str
    exact: bool


def _place(
    events: Sequence[tuple[int, PartialDate]], x_of: dict[int, float], words: Catalogue | None = None
) -> list[_Placed]:
    """Give each label the lowest level where it does not touch a label already placed there."""
    rows: list[list[tuple[float, float]]] = [[] for _ in range(MAX_LEVELS)]
    placed: list[_Placed] = []
    for number, when in events:
        x = x_of[number]
        date_text = short_date(when, words)
        width = _badge_width(number) + BADGE_GAP + _text_width(date_text, LABEL_SIZE)
        # The number badge sits on the marker's stem; the date reads on to the right. Near the right
        # edge the label ends at the edge instead.
        left = min(max(x - _badge_width(number) / 2, 2.0), WIDTH - 2 - width)
        right = left + width
        level = next(
            (i for i, row in enumerate(rows) if all(right + GAP <= a or left >= b + GAP for a, b in row)),
            None,
        )
        if level is None:
            # Every level is taken here: reuse the level whose last label ends furthest to the left.
            level = min(range(MAX_LEVELS), key=lambda i: (max((b for _, b in rows[i]), default=0.0), i))
        rows[level].append((left, right))
        placed.append(_Placed(number, x, left, right, level, date_text, when.day is not None))
    return placed


def timeline_svg(
    view: View,
    events: Sequence[Item] | None = None,
    *,
    theme: Theme | None = None,
    catalogue: Catalogue | None = None,
) -> Markup:
    """The view's dated timeline events as an inline SVG figure, numbered like the events table."""
    theme = theme or load_theme()
    words = catalogue or _english()
    accent, ink, paper = theme.colour("accent"), theme.colour("ink"), theme.colour("paper")
    muted, rule = theme.colour("figure-muted"), theme.colour("figure-rule")
    source = view.timeline if events is None else events
    # Numbered by position in the whole list, as the events table numbers them.
    dated = [(index + 1, item.date) for index, item in enumerate(source) if item.date is not None]
    if not dated:
        return Markup("")
    times = [position(when) for _, when in dated]
    low, high = min(times), max(times)
    span = high - low
    pad = max(0.6, span * 0.04)
    start, end = low - pad, high + pad
    if span < 2:
        start, end = low - 1.5, high + 1.5
    scale = (WIDTH - 2 * SIDE) / (end - start)

    def x_at(t: float) -> float:
        return SIDE + (t - start) * scale

    x_of = {number: x_at(t) for (number, _), t in zip(dated, times, strict=True)}
    placed = _place(dated, x_of, words)
    levels = max(p.level for p in placed) + 1
    top = 6.0
    axis_y = top + LABEL_SIZE + (levels - 1) * LEVEL_STEP + 12
    ticks_y = axis_y + 16
    partial = any(not p.exact for p in placed)
    height = ticks_y + (18 if partial else 6)

    first, last = min(when.year for _, when in dated), max(when.year for _, when in dated)
    count = len(dated)
    values = {"name": view.name, "count": count, "first": first, "last": last}
    if first != last:
        title = words.ngettext(
            "Timeline of %(name)s: %(count)d dated event from %(first)s to %(last)s",
            "Timeline of %(name)s: %(count)d dated events from %(first)s to %(last)s",
            count,
        )
    else:
        title = words.ngettext(
            "Timeline of %(name)s: %(count)d dated event in %(first)s",
            "Timeline of %(name)s: %(count)d dated events in %(first)s",
            count,
        )
    title %= values
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-figure" role="img" '
        f'width="{_f(WIDTH)}" height="{_f(height)}" viewBox="0 0 {_f(WIDTH)} {_f(height)}" '
        f'font-family="{escape(theme.face("sans").name)}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{_f(SIDE - 12)}" y1="{_f(axis_y)}" x2="{_f(WIDTH - SIDE + 12)}" y2="{_f(axis_y)}" '
        f'stroke="{rule}" stroke-width="1.2"/>',
    ]
    step = _tick_step(end - start)
    year = (int(start) // step + 1) * step
    while year <= end:
        x = x_at(year)
        out.append(
            f'<line x1="{_f(x)}" y1="{_f(axis_y)}" x2="{_f(x)}" y2="{_f(axis_y + 4)}" stroke="{rule}" '
            f'stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_f(x)}" y="{_f(ticks_y)}" font-size="{TICK_SIZE}" fill="{muted}" '
            f'text-anchor="middle">{year}</text>'
        )
        year += step
    for p in placed:
        baseline = axis_y - 12 - p.level * LEVEL_STEP
        out.append(
            f'<line x1="{_f(p.x)}" y1="{_f(axis_y - 4)}" x2="{_f(p.x)}" y2="{_f(baseline + 3)}" '
            f'stroke="{rule}" stroke-width="0.8"/>'
        )
    for p in placed:
        fill = accent if p.exact else paper
        out.append(
            f'<circle cx="{_f(p.x)}" cy="{_f(axis_y)}" r="3.6" fill="{fill}" stroke="{accent}" '
            f'stroke-width="1.4"/>'
        )
    for p in placed:
        baseline = axis_y - 12 - p.level * LEVEL_STEP
        badge = _badge_width(p.number)
        out.append(
            f'<rect x="{_f(p.left - 1.5)}" y="{_f(baseline - BADGE_HEIGHT + 1.4)}" '
            f'width="{_f(p.right - p.left + 3)}" height="{_f(BADGE_HEIGHT + 2.6)}" fill="{paper}"/>'
        )
        out.append(
            f'<rect x="{_f(p.left)}" y="{_f(baseline - BADGE_HEIGHT + 2.4)}" width="{_f(badge)}" '
            f'height="{_f(BADGE_HEIGHT)}" rx="2" fill="{accent}"/>'
        )
        out.append(
            f'<text x="{_f(p.left + badge / 2)}" y="{_f(baseline)}" font-size="{BADGE_SIZE}" '
            f'font-weight="600" fill="{paper}" text-anchor="middle">{p.number}</text>'
        )
        out.append(
            f'<text x="{_f(p.left + badge + BADGE_GAP)}" y="{_f(baseline)}" font-size="{LABEL_SIZE}" '
            f'fill="{ink}">{escape(p.date_text)}</text>'
        )
    if partial:
        legend = words.gettext(LEGEND)
        legend_y = height - 3
        text_x = WIDTH - SIDE
        circle_x = text_x - _text_width(legend, TICK_SIZE) - 7
        out.append(
            f'<circle cx="{_f(circle_x)}" cy="{_f(legend_y - 3)}" r="3" fill="{paper}" stroke="{accent}" '
            f'stroke-width="1.2"/>'
        )
        out.append(
            f'<text x="{_f(text_x)}" y="{_f(legend_y)}" font-size="{TICK_SIZE}" fill="{muted}" '
            f'text-anchor="end">{escape(legend)}</text>'
        )
    out.append("</svg>")
    # Safe: every piece of text above went through escape(); the rest is markup written here.
    return Markup("".join(out))  # noqa: S704


def _english() -> Catalogue:
    return catalogue(SOURCE_LANGUAGE)
