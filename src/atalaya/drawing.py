"""Turn a list of shapes (filled areas, circles, lines, text) into SVG markup or PNG bytes: one drawing,
two outputs that show the same thing, both deterministic.

The map of the Americas (`atalaya.maps`) lays its shapes out once and hands them here: the PDF briefing
takes the SVG, the Word memo the PNG. Coordinates are user units (1 unit = 1 CSS px); area rings are
integer tenths of a unit, so SVG paths are exact and compact (an absolute move, then relative lines).
The PNG is painted by Pillow at `SUPERSAMPLE` times its size with the sans face from its registry package
(the same face measures text for layout, `text_width`), reduced with a box filter, then written with a
fixed-size palette: the same shapes give the same bytes.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import font_source_sans_pro
from markupsafe import Markup, escape
from PIL import Image, ImageDraw, ImageFont

Ring = tuple[tuple[int, int], ...]
"""A closed ring in tenths of a unit (the first point not repeated)."""
HATCH = "hatch"
"""A fill of diagonal lines (the hatch colours passed to `svg` and `png`) instead of a colour."""
SUPERSAMPLE, PALETTE = 3, 48
_FONT_FILES = {False: "SourceSansPro-Regular.ttf", True: "SourceSansPro-Semibold.ttf"}


@dataclass(frozen=True)
class Area:
    """Filled rings (even-odd), outlined; `attrs` are extra SVG attributes (class, data-*)."""

    rings: tuple[Ring, ...]
    fill: str | None
    stroke: str | None
    width: float
    attrs: str = ""


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    fill: str
    stroke: str
    width: float
    attrs: str = ""


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float


@dataclass(frozen=True)
class Text:
    """Text on a baseline; `halo` draws a band of that colour behind the letters."""

    x: float
    y: float
    text: str
    size: float
    fill: str
    bold: bool = False
    anchor: str = "start"
    halo: str | None = None


Shape = Area | Dot | Line | Text


def rect(x: float, y: float, width: float, height: float) -> tuple[Ring]:
    corners = ((x, y), (x + width, y), (x + width, y + height), (x, y + height))
    return (tuple((round(a * 10), round(b * 10)) for a, b in corners),)


@functools.cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    path = Path(font_source_sans_pro.font_directory) / _FONT_FILES[bold]
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The advance width of `text` set in the sans face at `size` units."""
    return float(_font(bold, 400).getlength(text)) * size / 400


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a longer word keeps its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size, bold) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


# --- SVG ----------------------------------------------------------------------------------------------


def _f(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _tenths(value: int) -> str:
    whole, tenth = divmod(abs(value), 10)
    return ("-" if value < 0 else "") + (f"{whole}.{tenth}" if tenth else str(whole))


def _path(rings: tuple[Ring, ...]) -> str:
    out = []
    for ring in rings:
        steps = [_tenths(b[axis] - a[axis]) for a, b in itertools.pairwise(ring) for axis in (0, 1)]
        out.append(f"M{_tenths(ring[0][0])} {_tenths(ring[0][1])}l{' '.join(steps).replace(' -', '-')}z")
    return "".join(out)


def _svg_shape(shape: Shape, prefix: str) -> str:
    def paint(colour: str | None) -> str:
        return "none" if colour is None else f"url(#{prefix}-hatch)" if colour == HATCH else colour

    if isinstance(shape, Area):
        stroke = (
            f' stroke="{shape.stroke}" stroke-width="{shape.width}" stroke-linejoin="round"'
            if shape.stroke
            else ""
        )
        fill = f'fill="{paint(shape.fill)}" fill-rule="evenodd"'
        return f'<path{shape.attrs} d="{_path(shape.rings)}" {fill}{stroke}/>'
    if isinstance(shape, Dot):
        return (
            f'<circle{shape.attrs} cx="{_f(shape.x)}" cy="{_f(shape.y)}" r="{shape.r}" '
            f'fill="{paint(shape.fill)}" stroke="{shape.stroke}" stroke-width="{shape.width}"/>'
        )
    if isinstance(shape, Line):
        points = " ".join(f"{_f(x)},{_f(y)}" for x, y in shape.points)
        return (
            f'<polyline points="{points}" fill="none" stroke="{shape.stroke}" stroke-width="{shape.width}"/>'
        )
    weight = ' font-weight="600"' if shape.bold else ""
    at = f'x="{_f(shape.x)}" y="{_f(shape.y)}" font-size="{shape.size}"{weight} text-anchor="{shape.anchor}"'
    text = escape(shape.text)
    if not shape.halo:
        return f'<text {at} fill="{shape.fill}">{text}</text>'
    halo = f'fill="{shape.halo}" stroke="{shape.halo}" stroke-width="2.4" stroke-linejoin="round"'
    halo += ' aria-hidden="true"'
    return f'<text {at} {halo}>{text}</text><text {at} fill="{shape.fill}">{text}</text>'


def svg(
    clipped: list[Shape],
    shapes: list[Shape],
    *,
    size: tuple[float, float],
    frame: tuple[float, float, float, float],
    prefix: str,
    title: str,
    desc: str,
    hatch: tuple[str, str],
    face: str,
) -> Markup:
    """An inline SVG (role img, labelled by its <title>, described by its <desc>): `clipped` cut to
    `frame` (x0, y0, x1, y1), then `shapes`; `prefix` makes the ids of its parts unique in a document."""
    width, height = _f(size[0]), _f(size[1])
    x0, y0, x1, y1 = frame
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map-figure" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{escape(face)}" '
        f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc">',
        f'<title id="{prefix}-title">{escape(title)}</title><desc id="{prefix}-desc">{escape(desc)}</desc>',
        f'<defs><clipPath id="{prefix}-frame"><rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(x1 - x0)}" '
        f'height="{_f(y1 - y0)}"/></clipPath>',
        f'<pattern id="{prefix}-hatch" patternUnits="userSpaceOnUse" width="3" height="3" '
        f'patternTransform="rotate(45)"><rect width="3" height="3" fill="{hatch[0]}"/>'
        f'<line x1="1.5" y1="0" x2="1.5" y2="3" stroke="{hatch[1]}" stroke-width="1.1"/></pattern></defs>',
        f'<g clip-path="url(#{prefix}-frame)">',
        *(_svg_shape(shape, prefix) for shape in clipped),
        "</g>",
        *(_svg_shape(shape, prefix) for shape in shapes),
        "</svg>",
    ]
    # Safe: every piece of text went through escape(); attributes and colours are written by the caller.
    return Markup("\n".join(out))  # noqa: S704


# --- PNG ----------------------------------------------------------------------------------------------


def png(
    clipped: list[Shape],
    shapes: list[Shape],
    *,
    size: tuple[float, float],
    frame: tuple[float, float, float, float],
    scale: float,
    paper: str,
    hatch: tuple[str, str],
) -> bytes:
    """The same drawing as `svg`'s, `scale` pixels per unit: painted `SUPERSAMPLE` times larger, `clipped`
    cut to its frame, reduced with a box filter and quantized to a palette of `PALETTE` colours."""
    s = scale * SUPERSAMPLE
    pixels = (round(size[0] * scale) * SUPERSAMPLE, round(size[1] * scale) * SUPERSAMPLE)
    canvas = Image.new("RGB", pixels, paper)
    _paint(canvas, clipped, s, hatch)
    x0, y0, x1, y1 = (round(v * s) for v in frame)
    draw = ImageDraw.Draw(canvas)
    for band in (
        (0, 0, pixels[0], y0 - 1),
        (0, y1 + 1, *pixels),
        (0, 0, x0 - 1, pixels[1]),
        (x1 + 1, 0, *pixels),
    ):
        draw.rectangle(band, fill=paper)
    _paint(canvas, shapes, s, hatch)
    reduced = canvas.reduce(SUPERSAMPLE).quantize(
        PALETTE, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    buffer = io.BytesIO()
    reduced.save(buffer, "PNG")
    return buffer.getvalue()


def _hatch(image: Image.Image, ring: list[tuple[float, float]], s: float, colours: tuple[str, str]) -> None:
    """Diagonal lines (aligned on the whole canvas) over the ground colour, through a mask of the ring."""
    x0, y0 = max(0, int(min(x for x, _ in ring))), max(0, int(min(y for _, y in ring)))
    x1 = min(image.size[0], int(max(x for x, _ in ring)) + 2)
    y1 = min(image.size[1], int(max(y for _, y in ring)) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    mask, lines = Image.new("L", (x1 - x0, y1 - y0), 0), Image.new("RGB", (x1 - x0, y1 - y0), colours[0])
    ImageDraw.Draw(mask).polygon([(x - x0, y - y0) for x, y in ring], fill=255)
    step, draw = 3 * math.sqrt(2) * s, ImageDraw.Draw(lines)
    for i in range(int((x0 + y0) / step), int((x1 + y1) / step) + 2):  # the lines x + y = i * step
        c = i * step - x0 - y0
        draw.line([(c + 1, -1), (c - lines.size[1] - 1, lines.size[1] + 1)], colours[1], round(1.1 * s))
    image.paste(lines, (x0, y0), mask)


def _paint(image: Image.Image, shapes: list[Shape], s: float, hatch: tuple[str, str]) -> None:
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        if isinstance(shape, Text):
            halo = {"stroke_width": round(1.2 * s), "stroke_fill": shape.halo} if shape.halo else {}
            anchor = {"start": "ls", "middle": "ms", "end": "rs"}[shape.anchor]
            font = _font(shape.bold, round(shape.size * s))
            draw.text((shape.x * s, shape.y * s), shape.text, shape.fill, font, anchor, **halo)  # type: ignore[arg-type]
            continue
        if isinstance(shape, Line):
            points = [(x * s, y * s) for x, y in shape.points]
            draw.line(points, shape.stroke, max(1, round(shape.width * s)), "curve")
            continue
        if isinstance(shape, Area):
            rings = [[(x * s / 10, y * s / 10) for x, y in ring] for ring in shape.rings]
        else:  # a circle as a polygon of 48 sides, painted like an area
            angles = [i * math.pi / 24 for i in range(48)]
            rings = [
                [
                    ((shape.x + shape.r * math.cos(a)) * s, (shape.y + shape.r * math.sin(a)) * s)
                    for a in angles
                ]
            ]
        for points in rings:  # the data holds no holes; a hole would be painted over by what fills it
            if shape.fill == HATCH:
                _hatch(image, points, s, hatch)
            elif shape.fill is not None:
                draw.polygon(points, fill=shape.fill)
            if shape.stroke:
                draw.line(
                    [*points, points[0], points[1]], shape.stroke, max(1, round(shape.width * s)), "curve"
                )
