"""Turn world-atlas's countries-50m.json (Natural Earth 1:50m admin-0, TopoJSON) into the compact file the
map of the Americas is drawn from: src/atalaya/data/americas-50m.json.

Run it only to change the vendored data (see src/atalaya/data/NOTICE.md); the build never downloads:

    npm pack world-atlas@2.0.2          # or fetch the tarball URL `npm view world-atlas@2.0.2 dist.tarball`
    .venv/bin/python tools/americas_map_data.py world-atlas-2.0.2.tgz

What it keeps: the states of the Americas (ISO 3166-1 alpha-2 keys, mapped from world-atlas's ISO numeric
ids with the table below) and the dependent territories inside the frame (drawn as land, never as a
state), each a list of polygons, each polygon a list of rings (outer ring first) of longitude, latitude
pairs in hundredths of a degree. Shared borders are simplified once, on the topology's arcs (Douglas-
Peucker, `TOLERANCE` degrees), so neighbours still meet exactly; rings are cut to `BOX` (wider than any
frame the map draws, so the cut edges never show), rounded to 0.01 degree, and rings that vanish are
dropped. The output is written with sorted keys and no spaces: the same package gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

PACKAGE = "world-atlas"
VERSION = "2.0.2"
MEMBER = "package/countries-50m.json"
OUTPUT = Path(__file__).resolve().parents[1] / "src" / "atalaya" / "data" / "americas-50m.json"

BOX = (-135.0, -60.0, -24.0, 60.0)
"""west, south, east, north (degrees): what is kept. The map's frame lies well inside it."""
TOLERANCE = 0.03
"""Douglas-Peucker tolerance on the arcs, in degrees (about 2 km; 1:50m data holds detail to ~0.01)."""

# ISO 3166-1 numeric -> alpha-2, from the standard, for every feature with land in BOX.
STATES = {
    "028": "AG", "032": "AR", "044": "BS", "052": "BB", "084": "BZ", "068": "BO", "076": "BR",
    "124": "CA", "152": "CL", "170": "CO", "188": "CR", "192": "CU", "212": "DM", "214": "DO",
    "218": "EC", "222": "SV", "308": "GD", "320": "GT", "328": "GY", "332": "HT", "340": "HN",
    "388": "JM", "484": "MX", "558": "NI", "591": "PA", "600": "PY", "604": "PE", "659": "KN",
    "662": "LC", "670": "VC", "740": "SR", "780": "TT", "840": "US", "858": "UY", "862": "VE",
}  # fmt: skip
"""The 35 independent states of the Americas."""
TERRITORIES = {
    "060": "BM", "092": "VG", "136": "KY", "238": "FK", "239": "GS", "304": "GL", "500": "MS",
    "531": "CW", "533": "AW", "534": "SX", "630": "PR", "652": "BL", "660": "AI", "663": "MF",
    "612": "PN", "666": "PM", "796": "TC", "850": "VI",
}  # fmt: skip
"""Dependent territories with their own feature (drawn as land, not as a state)."""
SPLIT = {
    # France's and the Netherlands' features hold their American parts: each polygon goes to the
    # territory whose box holds its first point (west, south, east, north).
    "250": {
        "GF": (-55.0, 1.0, -51.0, 6.0),
        "GP": (-62.0, 15.8, -60.9, 16.6),
        "MQ": (-61.3, 14.3, -60.7, 15.0),
    },
    "528": {"BQ": (-69.0, 11.9, -62.8, 17.7)},
}
"""Features of extra-regional states: only the polygons in the boxes are kept, under the territory's code."""
OUTSIDE = {"010", "132", "242", "620"}
"""Features with land in BOX that are not of the Americas and lie outside the frame: Antarctica, Cabo
Verde, Fiji (across the antimeridian), Portugal (the Azores)."""


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The topology's arcs as absolute longitude, latitude points (TopoJSON delta-encoded, quantized)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative; the end points are kept (so arcs still meet)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = (dx * dx + dy * dy) ** 0.5
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                distance = ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            else:
                distance = abs(dy * px - dx * py + bx * ay - by * ax) / length
            if distance > worst:
                worst, index = distance, i
        if worst > tolerance:
            keep[index] = True
            stack.extend([(first, index), (index, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def clip(
    points: list[tuple[float, float]], box: tuple[float, float, float, float]
) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the ring cut to the box (its cut edges run along the box)."""
    west, south, east, north = box
    for axis, bound, sign in ((0, west, 1), (0, east, -1), (1, south, 1), (1, north, -1)):
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


def compact(points: list[tuple[float, float]]) -> list[int]:
    """A ring in hundredths of a degree, flat [lon, lat, lon, lat, ...], open (first point not repeated),
    without repeated points; empty when fewer than three points or no area remain."""
    out: list[tuple[int, int]] = []
    for lon, lat in points:
        point = (round(lon * 100), round(lat * 100))
        if not out or out[-1] != point:
            out.append(point)
    while len(out) > 1 and out[0] == out[-1]:
        out.pop()
    if len(out) < 3:
        return []
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(out, out[1:] + out[:1], strict=True))
    return [value for point in out for value in point] if area else []


def polygons_of(geometry: dict[str, Any]) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def build(topology: dict[str, Any]) -> dict[str, object]:
    arcs = [simplify(arc, TOLERANCE) for arc in decode_arcs(topology)]
    shapes: dict[str, list[list[list[int]]]] = {}
    unmapped: list[str] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        number = geometry.get("id")
        name = geometry.get("properties", {}).get("name", "?")
        for polygon in polygons_of(geometry):
            rings = [ring(arcs, indexes) for indexes in polygon]
            code = STATES.get(number or "") or TERRITORIES.get(number or "")
            if number in SPLIT:
                lon, lat = rings[0][0]
                code = next(
                    (c for c, (w, s, e, n) in SPLIT[number].items() if w <= lon <= e and s <= lat <= n), None
                )
            kept = [compact(clip(points, BOX)) for points in rings]
            if not kept[0]:
                continue  # nothing of this polygon's outer ring lies in the box
            if code is None:
                if number not in SPLIT and number not in OUTSIDE:
                    unmapped.append(f"{number} {name}")
                continue
            shapes.setdefault(code, []).append([r for r in kept if r])
    if unmapped:
        sys.exit("features with land in the box but no code: " + ", ".join(sorted(set(unmapped))))
    return {
        "states": {code: shapes[code] for code in sorted(shapes) if code in STATES.values()},
        "territories": {code: shapes[code] for code in sorted(shapes) if code not in STATES.values()},
    }


def read_topology(path: Path) -> tuple[dict[str, Any], str]:
    """The TopoJSON from the package tarball (or the JSON file itself) and the JSON's SHA-256."""
    if path.suffix in (".tgz", ".gz"):
        with tarfile.open(path) as tar:
            handle = tar.extractfile(MEMBER)
            if handle is None:
                sys.exit(f"{path}: no {MEMBER}")
            data = handle.read()
        with tarfile.open(path) as tar:
            manifest = json.load(io.BytesIO(tar.extractfile("package/package.json").read()))  # type: ignore[union-attr]
        if (manifest["name"], manifest["version"]) != (PACKAGE, VERSION):
            sys.exit(f"{path}: expected {PACKAGE}@{VERSION}, got {manifest['name']}@{manifest['version']}")
    else:
        data = path.read_bytes()
    return json.loads(data), hashlib.sha256(data).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source", type=Path, help=f"{PACKAGE}-{VERSION}.tgz (npm pack) or its countries-50m.json"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    topology, digest = read_topology(args.source)
    data = {
        "source": {
            "package": f"{PACKAGE}@{VERSION}",
            "file": "countries-50m.json",
            "sha256": digest,
            "data": "Natural Earth 1:50m Admin 0 - Countries, version 4.1.0 (public domain)",
        },
        "units": "longitude, latitude pairs in hundredths of a degree; polygons of rings, outer ring first",
        **build(topology),
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    states = data["states"]
    assert isinstance(states, dict)
    points = sum(len(r) // 2 for shapes in states.values() for polygon in shapes for r in polygon)
    print(f"{args.output}: {len(text):,} bytes, {len(states)} states, {points:,} points in states")


if __name__ == "__main__":
    main()
