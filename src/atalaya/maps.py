"""Turn the states of an alliance (ISO alpha-2 code -> member, former member or partner) into a map of the
Americas: an inline SVG figure for the PDF briefing and the same drawing as a PNG for the Word memo.

The boundaries are Natural Earth's 1:50m admin-0 countries, vendored from a registry package in
`atalaya/data/` (see its NOTICE.md; nothing is downloaded). They are drawn in code in a Lambert azimuthal
equal-area projection centred on the Americas, cropped to a frame from southern Canada to Cape Horn.
Members are filled with the theme's accent, former members hatched, partners outlined, every other state
and territory drawn as plain land; a state too small to see at this scale also gets a circle marker
(crowded ones, such as the Eastern Caribbean, in a labelled column beside the frame). States off the map
(extra-regional partners) are named in a note under the legend, and a note says how disputed boundaries
are shown. Words come from the edition's catalogue (`atalaya.i18n`), colours from the theme.

Both drawings come from one list of shapes, so they show the same map, and both are deterministic: SVG
coordinates are exact tenths of a unit; the PNG is painted by Pillow with the sans face from its registry
package (whose measures also place the labels), reduced from three times its size to a fixed palette.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from markupsafe import Markup, escape

from . import drawing
from .drawing import HATCH, Area, Dot, Line, Ring, Shape, Text, rect, text_width, wrap
from .i18n import N_, SOURCE_LANGUAGE, Catalogue, catalogue
from .select import View
from .theme import Theme, load_theme

MapState = Literal["member", "former", "partner"]
KINDS: tuple[MapState, ...] = ("member", "former", "partner")

TITLE = N_("Map of the Americas")
LEGEND = {"member": N_("Member"), "former": N_("Former member"), "partner": N_("Partner")}
ALT = {
    "member": N_("Members: %(countries)s."),
    "former": N_("Former members: %(countries)s."),
    "partner": N_("Partners: %(countries)s."),
}
OUTSIDE = {
    "member": N_("Members outside the map: %(countries)s."),
    "former": N_("Former members outside the map: %(countries)s."),
    "partner": N_("Partners outside the map: %(countries)s."),
}
HIGHLIGHTED = N_("%(country)s is highlighted.")
NONE_SHOWN = N_("No member or partner is shown.")
MARKERS = N_("Circles mark states too small to show at this scale.")
DISPUTED = N_(
    "Boundaries: Natural Earth, 1:50m. Disputed areas are shown as administered, which implies no "
    "position on their status."
)

CENTRE = (-80.0, -3.0)
"""Longitude and latitude of the projection's centre (degrees)."""
FRAME = (-0.62, -0.93, 0.80, 0.90)
"""The part of the projected plane shown: west, south, east, north (unit sphere)."""
MAP_WIDTH = 250.0
"""Width of the framed map in user units (1 unit = 1 CSS px = 0.26 mm at the drawing's own size)."""
SCALE = MAP_WIDTH / (FRAME[2] - FRAME[0])
MAP_HEIGHT = (FRAME[3] - FRAME[1]) * SCALE
SIDE, GAP = 126.0, 8.0
"""Width of the legend column right of the frame, and the gap before it."""
WIDTH = 1 + MAP_WIDTH + GAP + SIDE + 2
SMALL_AREA = 16.0
"""A state drawn smaller than this (square units, about 1 mm²) also gets a marker."""
RADIUS = 3.8
LEGEND_SIZE, LABEL_SIZE, NOTE_SIZE = 10.5, 9.8, 9.0
PNG_SCALE = 2.5
"""PNG pixels per unit: about 200 dpi when the memo shows the map 120 mm wide."""


@dataclass(frozen=True)
class MapFigure:
    """One map: the inline SVG, the same map as PNG bytes (painted when first asked for: briefings never
    need it) and the alternative text. The SVG's <title> is the alternative text (WeasyPrint makes it the
    figure's /Alt in a tagged PDF); its <desc> holds the notes under the legend."""

    svg: Markup
    alt: str
    paint: Callable[[], bytes] = field(repr=False, compare=False)

    @functools.cached_property
    def png(self) -> bytes:
        return self.paint()

    @property
    def png_base64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")


def view_states(view: View) -> dict[str, MapState]:
    """A brief's view as map states: members whose every period ended are former members, other members
    current ones, partners partners (a country both member and partner is shown as a member)."""
    states: dict[str, MapState] = {row.code: "partner" for row in view.partners}
    for row in view.members:
        ended = all(p.left is not None for p in row.periods) if row.periods else row.left is not None
        states[row.code] = "former" if ended else "member"
    return states


# --- geometry -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    rings: tuple[Ring, ...]
    area: float
    anchor: tuple[float, float]
    box: tuple[float, float, float, float]


def _project(lon: float, lat: float) -> tuple[float, float]:
    """Lambert azimuthal equal-area, then user units inside the frame."""
    lam, phi, phi0 = math.radians(lon - CENTRE[0]), math.radians(lat), math.radians(CENTRE[1])
    cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam)
    k = math.sqrt(2 / (1 + cos_c))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam))
    return 1 + (x - FRAME[0]) * SCALE, 1 + (FRAME[3] - y) * SCALE


def _clip(points: list[tuple[float, float]], axis: int, low: float, high: float) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the ring cut to low <= coordinate `axis` <= high."""
    for bound, sign in ((low, 1), (high, -1)):
        out: list[tuple[float, float]] = []
        for i, point in enumerate(points):
            previous = points[i - 1]
            inside, was = (point[axis] - bound) * sign >= 0, (previous[axis] - bound) * sign >= 0
            if inside != was:
                t = (bound - previous[axis]) / (point[axis] - previous[axis])
                out.append(
                    (previous[0] + (point[0] - previous[0]) * t, previous[1] + (point[1] - previous[1]) * t)
                )
            if inside:
                out.append(point)
        points = out
    return points


def _twice_area(ring: Ring) -> int:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))


def _centroid(ring: Ring) -> tuple[float, float]:
    pairs = list(zip(ring, ring[1:] + ring[:1], strict=True))
    twice = _twice_area(ring) * 30  # tenths: the centroid's sums carry 3 * twice the area, * 10
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in pairs) / twice
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in pairs) / twice
    return cx, cy


def _shape(polygons: list[list[list[int]]]) -> _Shape:
    """Polygons of the data file (hundredths of a degree) projected, cut to just outside the frame (the
    drawing clips the rest) and rounded to tenths of a unit."""
    rings: list[Ring] = []
    area = 0.0
    largest: tuple[int, Ring] = (0, ())
    for polygon in polygons:
        for index, flat in enumerate(polygon):
            points = [_project(flat[i] / 100, flat[i + 1] / 100) for i in range(0, len(flat), 2)]
            ring: list[tuple[int, int]] = []
            for x, y in _clip(_clip(points, 0, -2, MAP_WIDTH + 4), 1, -2, MAP_HEIGHT + 4):
                if not ring or ring[-1] != (round(x * 10), round(y * 10)):
                    ring.append((round(x * 10), round(y * 10)))
            while len(ring) > 1 and ring[0] == ring[-1]:
                ring.pop()
            if len(ring) < 3 or not _twice_area(tuple(ring)):
                if index == 0:
                    break  # the outer ring is outside the frame, and so are its holes
                continue
            rings.append(tuple(ring))
            if index == 0:
                size = abs(_twice_area(rings[-1]))
                area += size / 200
                largest = max(largest, (size, rings[-1]))
    if not rings:
        return _Shape((), 0.0, (0.0, 0.0), (0.0, 0.0, 0.0, 0.0))
    xs, ys = [x / 10 for r in rings for x, _ in r], [y / 10 for r in rings for _, y in r]
    return _Shape(tuple(rings), area, _centroid(largest[1]), (min(xs), min(ys), max(xs), max(ys)))


@functools.cache
def _geometry() -> tuple[dict[str, _Shape], _Shape]:
    """The states in the frame (by alpha-2 code) and the territories (one shape of plain land)."""
    data = json.loads((resources.files("atalaya.data") / "americas-50m.json").read_text(encoding="utf-8"))
    states = {code: _shape(polygons) for code, polygons in data["states"].items()}
    land = _shape([polygon for polygons in data["territories"].values() for polygon in polygons])
    return {code: shape for code, shape in states.items() if shape.rings}, land


def americas_map(
    states: Mapping[str, MapState],
    *,
    highlight: str | None = None,
    title: str = "",
    theme: Theme | None = None,
    catalogue: Catalogue | None = None,
) -> MapFigure:
    """The map of the Americas with `states` (ISO alpha-2 -> "member", "former" or "partner") shown and
    `highlight` (a country brief's country) outlined and named, in the theme's colours and the catalogue's
    language (by default the default theme, in English)."""
    theme, words = theme or load_theme(), catalogue or _english()
    title = title.unescape() if isinstance(title, Markup) else title  # from a template's _(): plain text
    shapes, land = _geometry()
    accent, ink, paper = theme.colour("accent"), theme.colour("ink"), theme.colour("paper")
    ground, muted, rule = (
        theme.colour("rule-light"),
        theme.colour("figure-muted"),
        theme.colour("figure-rule"),
    )
    kinds = {code: states[code] if states.get(code) in KINDS else "other" for code in shapes}
    areas = {"member": (accent, paper, 0.5), "former": (HATCH, paper, 0.5), "partner": (ground, accent, 0.9)}
    dots = {"member": (accent, paper, 0.8), "former": (HATCH, accent, 0.8), "partner": (paper, accent, 1.2)}
    order = {"other": 0, "former": 1, "member": 2, "partner": 3}

    drawn: list[Shape] = [Area(land.rings, ground, paper, 0.5, ' class="territory"')]
    for code in sorted(shapes, key=lambda c: (order[kinds[c]], c)):
        fill, stroke, width = areas.get(kinds[code], (ground, paper, 0.5))
        attrs = f' class="state {kinds[code]}" data-code="{escape(code)}"'
        drawn.append(Area(shapes[code].rings, fill, stroke, width, attrs))
    if highlight in shapes:
        drawn.append(Area(shapes[highlight].rings, None, paper, 2.6))
        drawn.append(Area(shapes[highlight].rings, None, ink, 1.1, ' class="highlight"'))

    def dot(code: str, x: float, y: float) -> Dot:
        fill, stroke, width = dots.get(kinds[code], (ground, rule, 0.7))
        stroke, width = (ink, 1.4) if code == highlight else (stroke, width)
        return Dot(
            x, y, RADIUS, fill, stroke, width, f' class="marker {kinds[code]}" data-code="{escape(code)}"'
        )

    frame = (1.0, 1.0, 1 + MAP_WIDTH, 1 + MAP_HEIGHT)
    over: list[Shape] = [Area(rect(1, 1, MAP_WIDTH, MAP_HEIGHT), None, rule, 0.6)]
    small = sorted((c for c in shapes if shapes[c].area < SMALL_AREA), key=lambda c: shapes[c].anchor[1])
    near = 2 * RADIUS + 2
    crowded = [
        c for c in small if any(0 < math.dist(shapes[c].anchor, shapes[o].anchor) < near for o in small)
    ]
    over += [dot(code, *shapes[code].anchor) for code in small if code not in crowded]
    if highlight in shapes and highlight not in crowded:
        name, (x, y), box = words.country_name(highlight), shapes[highlight].anchor, shapes[highlight].box
        y = min(max(y, 1 + LABEL_SIZE), MAP_HEIGHT - LABEL_SIZE)  # a state cut by the frame: label inside
        right = max(box[2], x + RADIUS) + 3
        if right + text_width(name, LABEL_SIZE, True) < MAP_WIDTH:
            over.append(Text(right, y + LABEL_SIZE * 0.35, name, LABEL_SIZE, ink, True, "start", paper))
        else:
            x = min(box[0], x - RADIUS) - 3
            over.append(Text(x, y + LABEL_SIZE * 0.35, name, LABEL_SIZE, ink, True, "end", paper))

    # The column beside the frame: the legend, the crowded small states, the notes.
    left, y = 1 + MAP_WIDTH + GAP, 3.0
    for kind in [k for k in KINDS if k in states.values()] or ["member"]:
        fill, stroke, width = areas[kind]
        over.append(Area(rect(left, y, 16, 10.5), fill, rule if stroke == paper else stroke, width))
        over.append(Text(left + 21, y + 8.8, words.gettext(LEGEND[kind]), LEGEND_SIZE, ink))
        y += 15.0
    if crowded:
        labels = {
            c: wrap(words.country_name(c), LABEL_SIZE, SIDE - 2 * RADIUS - 6, c == highlight) for c in crowded
        }
        steps = {c: max(2 * RADIUS + 2.6, len(labels[c]) * LABEL_SIZE * 1.15 + 1.6) for c in crowded}
        middle = sum(shapes[c].anchor[1] for c in crowded) / len(crowded)
        y = max(y + 6, middle - sum(steps.values()) / 2)
        for code in crowded:
            cy, (ax, ay) = y + steps[code] / 2, shapes[code].anchor
            over.append(Line(((ax, ay), (left - 2, ay), (left + 0.5, cy)), muted, 0.45))
            over += [Dot(ax, ay, 0.9, muted, muted, 0.1), dot(code, left + RADIUS + 1.5, cy)]
            top = cy - (len(labels[code]) - 1) * LABEL_SIZE * 0.575 + LABEL_SIZE * 0.33
            for i, line in enumerate(labels[code]):
                y_line = top + i * LABEL_SIZE * 1.15
                over.append(Text(left + 2 * RADIUS + 5, y_line, line, LABEL_SIZE, ink, code == highlight))
            y += steps[code]
    notes = [words.gettext(MARKERS)] if small else []
    for kind in KINDS:
        away = sorted(
            (words.country_name(c) for c, k in states.items() if k == kind and c not in shapes),
            key=str.casefold,
        )
        if away:
            notes.append(words.gettext(OUTSIDE[kind]) % {"countries": words.format_list(away)})
    notes.append(words.gettext(DISPUTED))
    lines = [
        (line, i > 0 and j == 0)
        for i, note in enumerate(notes)
        for j, line in enumerate(wrap(note, NOTE_SIZE, SIDE))
    ]
    height = sum(NOTE_SIZE * 1.2 + (3 if gap else 0) for _, gap in lines)
    y = max(y + 8, 1 + MAP_HEIGHT - height + NOTE_SIZE * 0.3)
    for line, gap in lines:
        y += 3 if gap else 0
        over.append(Text(left, y + NOTE_SIZE * 0.8, line, NOTE_SIZE, muted))
        y += NOTE_SIZE * 1.2

    size = (WIDTH, float(math.ceil(max(2 + MAP_HEIGHT, y + 1))))
    alt = _alt_text(states, highlight, title or words.gettext(TITLE), words)
    key = json.dumps([sorted(states.items()), highlight, alt, sorted(theme.colours.items())])
    prefix = "map-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    hatch, face = (ground, accent), theme.face("sans").name
    svg = drawing.svg(
        drawn,
        over,
        size=size,
        frame=frame,
        prefix=prefix,
        title=alt,
        desc=" ".join(notes),
        hatch=hatch,
        face=face,
    )
    paint = functools.partial(
        drawing.png, drawn, over, size=size, frame=frame, scale=PNG_SCALE, paper=paper, hatch=hatch
    )
    return MapFigure(svg, alt, paint)


def _alt_text(states: Mapping[str, MapState], highlight: str | None, title: str, words: Catalogue) -> str:
    parts = [title if title.endswith(".") else f"{title}."]
    for kind in KINDS:
        names = sorted((words.country_name(c) for c, k in states.items() if k == kind), key=str.casefold)
        if names:
            parts.append(words.gettext(ALT[kind]) % {"countries": words.format_list(names)})
    if len(parts) == 1:
        parts.append(words.gettext(NONE_SHOWN))
    if highlight:
        parts.append(words.gettext(HIGHLIGHTED) % {"country": words.country_name(highlight)})
    return " ".join(parts)


def _english() -> Catalogue:
    return catalogue(SOURCE_LANGUAGE)
