"""Turn the font packages' files into the exact faces a briefing is drawn with: @font-face rules.

The briefing uses a few faces of Source Serif Pro and Source Sans Pro, located by path in their registry
packages (never looked up through fontconfig). Each is prepared once per machine (`prepare_face`): cut to
the Latin ranges and layout features the briefings use, unhinted, cached under a name made from its inputs,
so WeasyPrint can embed it whole instead of subsetting every face of every document. `font_face_css` writes
the rules WeasyPrint reads (by file URL) or the rules kept HTML carries (by font name, no path).

Importing this module loads no renderer: fontTools loads only when a face is prepared or named.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import font_source_sans_pro
import font_source_serif_pro

from ...errors import BuildError, Diagnostic

SERIF = "Source Serif Pro"
SANS = "Source Sans Pro"


@dataclass(frozen=True)
class FontFace:
    """One @font-face rule: a family, weight and style bound to one exact font file."""

    family: str
    weight: int
    style: str
    path: Path

    def css(self) -> str:
        return (
            "@font-face {"
            f' font-family: "{self.family}"; font-weight: {self.weight}; font-style: {self.style};'
            f' src: url("{self.path.as_uri()}") format("truetype"); }}'
        )

    def local_css(self) -> str:
        """The rule for a copy that leaves this machine (kept HTML): the face by the names an installed
        copy of it answers to (its full and PostScript names), no file path. Where no such font is
        installed the rule matches nothing and the reader falls back to the stylesheet's generic family."""
        from fontTools.ttLib import TTFont

        # Read from memory: a TTFont on a path leaves its file handle to the garbage collector.
        with TTFont(io.BytesIO(self.path.read_bytes())) as font:
            found = (font["name"].getDebugName(4), font["name"].getDebugName(6))  # full, PostScript
        local = dict.fromkeys(name for name in found if name and '"' not in name and "\\" not in name)
        sources = ", ".join(f'local("{name}")' for name in local) or f'local("{self.family}")'
        return (
            "@font-face {"
            f' font-family: "{self.family}"; font-weight: {self.weight}; font-style: {self.style};'
            f" src: {sources}; }}"
        )


# Only the faces the briefing stylesheet uses: every face declared costs a font-config entry, and every
# face used costs a subsetting pass per document.
_FACES: tuple[tuple[str, int, str, str], ...] = (
    (SERIF, 400, "normal", "SourceSerifPro-Regular.ttf"),
    (SERIF, 400, "italic", "SourceSerifPro-It.ttf"),
    (SERIF, 700, "normal", "SourceSerifPro-Bold.ttf"),
    (SANS, 400, "normal", "SourceSansPro-Regular.ttf"),
    (SANS, 600, "normal", "SourceSansPro-Semibold.ttf"),
)


# The characters the prepared faces keep: Latin with every accent of Spanish, Portuguese and French (and the
# rest of Latin Extended), punctuation, currency, arrows and the few symbols the templates draw. Text outside
# these ranges falls back to a fontconfig font, and the writer warns (an error under --strict).
_KEPT_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x02B0, 0x02FF),
    (0x0300, 0x036F),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x25A0, 0x25FF),
)
# Ligatures (the U+FB00 code points and the `liga`/`clig` features) are left out on purpose: with fonts
# embedded whole, WeasyPrint maps a ligature glyph back to the wrong text, so "Staff" would be copied,
# searched and read aloud as "Staƿ".
_KEPT_FEATURES = ("kern", "ccmp", "locl", "mark", "mkmk", "onum", "lnum", "tnum", "pnum", "case")
_PREPARATION = "prepared-v3"


def _cache_folder() -> Path:
    configured = os.environ.get("ATALAYA_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atalaya"


def prepare_face(face: FontFace, cache: Path | None = None) -> FontFace:
    """The face with its font file prepared once per machine: Latin glyphs only, no hinting.

    WeasyPrint then embeds the prepared file whole (`full_fonts`) instead of subsetting every face of every
    document with fontTools, which was most of the time spent writing a PDF. The prepared file is cached
    under a name made from the original's bytes, the preparation and the fontTools version, and written
    without a timestamp, so the same inputs always give the same file (and the same PDF bytes).
    """
    from fontTools import subset, version
    from fontTools.ttLib import TTFont

    original = face.path.read_bytes()
    key = hashlib.sha256(
        original + f"{_PREPARATION} {version} {_KEPT_RANGES} {_KEPT_FEATURES}".encode()
    ).hexdigest()
    folder = (cache or _cache_folder()) / "fonts"
    prepared = folder / f"{face.path.stem}-{key[:16]}.ttf"
    if not prepared.is_file():
        font = TTFont(io.BytesIO(original), recalcTimestamp=False, lazy=False)
        options = subset.Options()
        options.layout_features = list(_KEPT_FEATURES)
        options.hinting = False
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.recalc_timestamp = False
        wanted = [code for low, high in _KEPT_RANGES for code in range(low, high + 1)]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer, reorderTables=True)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{prepared.name}.{os.getpid()}"
        temporary.write_bytes(buffer.getvalue())
        temporary.replace(prepared)
    return FontFace(face.family, face.weight, face.style, prepared.resolve())


def font_faces() -> tuple[FontFace, ...]:
    """The briefing's font faces, located exactly in the installed font packages."""
    folders = {
        SERIF: Path(font_source_serif_pro.font_directory),
        SANS: Path(font_source_sans_pro.font_directory),
    }
    faces = []
    for family, weight, style, filename in _FACES:
        path = (folders[family] / filename).resolve()
        if not path.is_file():
            raise BuildError(
                Diagnostic(
                    str(path),
                    0,
                    0,
                    f"font file for {family} {weight} {style} not found; "
                    "reinstall the font-source-serif-pro and font-source-sans-pro packages",
                )
            )
        faces.append(FontFace(family, weight, style, path))
    return tuple(faces)


def font_face_css(faces: tuple[FontFace, ...], *, local: bool = False) -> str:
    """The @font-face rules: by file URL for WeasyPrint, or (`local`) by font name for a kept copy."""
    return "\n".join(face.local_css() if local else face.css() for face in faces) + "\n"
