"""Turn briefing HTML into HTML whose every long run of text can break: linear layout cost for hostile text.

WeasyPrint 70 lays out one unbreakable word in time that grows with the square of its length (and more):
for every line it tries each hyphenation point of the whole remaining word, longest first, each try a new
Pango layout of that prefix, so a 3,800-character word took ~39 s. `breakable` adds invisible break
opportunities (ZERO WIDTH SPACE) inside such runs before layout; between them WeasyPrint only tries the
points of one short piece.
"""

from __future__ import annotations

import re
from html import unescape

LONG_WORD = 64
"""Characters a run of text may hold between two line-break opportunities before the writer adds some."""
WORD_PIECE = 10
"""About how many characters the writer leaves between the break opportunities it adds to such a run."""
BREAK = "\u200b"
"""ZERO WIDTH SPACE: a line-break opportunity that draws nothing and is dropped from extracted text."""

# In the body, text between tags (no comments, raw-text or SVG elements in it) and the candidate runs in it:
# more than LONG_WORD characters without HTML white space (an entity such as `&amp;` counts as five here).
_TOKENS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_SKIPPED = re.compile(r"<(/?)(svg|style|script|textarea|title)\b", re.I)
_RUN = re.compile(rf"[^ \t\n\r\f{BREAK}]{{{LONG_WORD + 1},}}")
_UNIT = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.S)


def breakable(html: str, lang: str | None = None) -> str:
    """The briefing HTML with a ZERO WIDTH SPACE added inside every run of text longer than LONG_WORD
    characters in which Pango finds no line-break opportunity, cutting it into pieces of about WORD_PIECE
    characters (a piece ends only where a letter with its accents or an emoji sequence does).

    Runs that already break (prose, URLs with slashes and hyphens, everything the shipped content holds)
    are returned unchanged, so their layout, hyphenation and PDF bytes are too. Breaks go only at grapheme
    boundaries (never inside an accented letter or an emoji sequence) and only into text of the body,
    outside SVG, so attributes (link targets), the title and the figures keep their text exactly.
    """
    start = html.find("<body")
    if start < 0:
        return html
    parts = _TOKENS.split(html[start:])
    skipped = 0
    for index, part in enumerate(parts):
        if index % 2:  # a tag or a comment
            tag = _SKIPPED.match(part)
            if tag and not part.endswith("/>"):
                skipped = max(0, skipped + (-1 if tag.group(1) else 1))
        elif not skipped and len(part) > LONG_WORD:
            parts[index] = _RUN.sub(lambda run: _break_run(run.group(), lang), part)
    return html[:start] + "".join(parts)


def _break_run(raw: str, lang: str | None) -> str:
    """One run of escaped text with break opportunities added where Pango has none for too long."""
    from weasyprint.text.line_break import get_log_attrs

    units = _UNIT.findall(raw)
    text_units = [unescape(unit) for unit in units]
    text = "".join(text_units)
    # where each unit starts in `text`; a break goes only before a whole unit (never inside an entity)
    starts: dict[int, int] = {}
    offset = 0
    for number, unit in enumerate(text_units):
        starts[offset] = number
        offset += len(unit)
    attrs = get_log_attrs(text, lang)  # attrs[i]: the position before text[i]

    def can_break(i: int) -> bool:
        return i == len(text) or bool(attrs[i].is_line_break) or text[i - 1] == BREAK

    breaks_before: set[int] = set()
    begin = 0
    for end in range(1, len(text) + 1):
        if not can_break(end):
            continue
        if end - begin > LONG_WORD:
            pieces = -(-(end - begin) // WORD_PIECE)
            last = begin
            for piece in range(1, pieces):
                target = max(begin + (end - begin) * piece // pieces, last + 1)
                at = next(
                    (i for i in range(target, end) if attrs[i].is_cursor_position and i in starts), None
                )
                if at is None:
                    break
                breaks_before.add(starts[at])
                last = at
        begin = end
    if not breaks_before:
        return raw
    return "".join(BREAK + unit if number in breaks_before else unit for number, unit in enumerate(units))
