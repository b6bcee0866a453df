"""Turn the text a memo template renders into a checked element tree, and its inline content into spans.

The memo templates (`templates/memo/`) render a small XML vocabulary that reads and diffs as text; this
module parses it (no entities, no network, no huge trees) and checks it, reporting every problem, located,
in one `TemplateError`:

    <memo>                               root; holds only block elements
      <field label="FROM">...</field>    a MEMORANDUM FOR / FROM / DATE / SUBJECT line ("Memo Field")
      <title>, <subtitle>                document title and the line under it ("Title", "Subtitle")
      <h1>, <h2>, <h3>                   headings ("Heading 1-3", with outline levels)
      <p>                                body paragraph ("Body Text")
      <quote>, <caption>                 "Quote"; "Caption" (kept with the table that follows)
      <ul><li>, <ol><li>                 real Word lists ("List Bullet", "List Number"); a <li> may hold a
                                         nested <ul>/<ol>; every <ol> restarts at 1
      <table kind="grid|facts" widths="25,75">
        <tr><th>...</th><td>...</td></tr>
                                         "Memo Table" (light rules) or "Key Facts Table" (shaded box);
                                         a row of <th> only is a header row repeated on every page
      <picture alt="..." width="120">    a PNG (base64) in a centred paragraph, `width` in mm (at most
                                         the text width, which is also the default), `alt` its
                                         alternative text
    inline, inside any of the above:     text, <b>, <i>, <a href="https://...">, <br/>

Whitespace in the XML collapses as in HTML (`inline_spans`). Characters XML cannot hold are stripped before
parsing (`strip_bad_chars`), and `plain` makes short clean text for document properties. Nothing here
knows Word: the builder maps the tree onto a document.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

from lxml import etree

from ...errors import Diagnostic, TemplateError
from ...select import View

MAX_MEMO_XML_CHARS: Final = 10 * 1024 * 1024
CORE_TEXT_LIMIT: Final = 255

_INLINE: Final = frozenset({"b", "i", "a", "br"})
_TEXT_BLOCKS: Final = frozenset({"field", "title", "subtitle", "h1", "h2", "h3", "p", "quote", "caption"})
_BLOCKS: Final = _TEXT_BLOCKS | {"ul", "ol", "table", "picture"}
_CHILDREN: Final[dict[str, frozenset[str]]] = {
    "memo": _BLOCKS,
    **{name: _INLINE for name in _TEXT_BLOCKS},
    "ul": frozenset({"li"}),
    "ol": frozenset({"li"}),
    "li": _INLINE | {"ul", "ol"},
    "table": frozenset({"tr"}),
    "tr": frozenset({"th", "td"}),
    "th": _INLINE,
    "td": _INLINE,
    "b": _INLINE,
    "i": _INLINE,
    "a": frozenset({"b", "i", "br"}),
    "br": frozenset(),
    "picture": frozenset(),
}
_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "field": frozenset({"label"}),
    "table": frozenset({"kind", "widths"}),
    "a": frozenset({"href"}),
    "picture": frozenset({"alt", "width"}),
}
_REQUIRED: Final[dict[str, tuple[str, ...]]] = {"field": ("label",), "a": ("href",), "picture": ("alt",)}
_HOLDS_TEXT: Final = _TEXT_BLOCKS | {"li", "th", "td", "b", "i", "a"}
_TABLE_KINDS: Final = ("grid", "facts")
_LINK_SCHEMES: Final = ("http://", "https://", "mailto:")
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
MAX_PICTURE_WIDTH_MM: Final = 1000.0

# Characters XML 1.0 cannot hold, plus C1 controls and non-characters: stripped before parsing.
_BAD_CHARS: Final = re.compile(
    "[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd\U00010000-\U0010ffff]"
)
SPACE: Final = re.compile(r"[ \t\r\n]+")


def strip_bad_chars(text: str) -> tuple[str, int]:
    """The text without the characters XML cannot hold, and how many there were."""
    cleaned, count = _BAD_CHARS.subn("", text)
    return cleaned, count


def plain(text: str, limit: int = CORE_TEXT_LIMIT) -> str:
    """Text for a core property: no characters XML cannot hold, single spaces, at most `limit` characters."""
    cleaned = SPACE.sub(" ", _BAD_CHARS.sub("", text)).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def xml_text(text: str) -> str:
    """Text escaped for an XML element's content."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- parsing and checking -----------------------------------------------------------------------------


def parse_memo(xml: str, where: str, view: View) -> etree._Element:
    """Parse and check the memo XML; every problem is reported, located, in one TemplateError."""
    context = f"memo XML for {view.id} ({view.audience_name})"
    if len(xml) > MAX_MEMO_XML_CHARS:
        message = f"{context} is larger than {MAX_MEMO_XML_CHARS:,} characters"
        raise TemplateError(Diagnostic(where, 0, 0, message))
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(xml.strip().encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise TemplateError(
            Diagnostic(where, 0, 0, f"{context}, line {line} column {column}: not well-formed XML: {exc.msg}")
        ) from None
    problems: list[str] = []
    if root.getroottree().docinfo.doctype:
        problems.append("line 1: a DOCTYPE is not allowed in memo XML")
    if root.tag != "memo":
        problems.append(f"line {root.sourceline}: the root element must be <memo>, not <{root.tag}>")
    else:
        _check(root, problems)
    if problems:
        raise TemplateError([Diagnostic(where, 0, 0, f"{context}, {problem}") for problem in problems])
    return root


def _check(element: etree._Element, problems: list[str]) -> None:
    name = element.tag
    line = element.sourceline
    allowed = _ATTRIBUTES.get(name, frozenset())
    for attribute in element.attrib:
        if attribute not in allowed:
            expected = f"; <{name}> takes: {', '.join(sorted(allowed))}" if allowed else ""
            problems.append(f"line {line}: unknown attribute '{attribute}' on <{name}>{expected}")
    for attribute in _REQUIRED.get(name, ()):
        if not (element.get(attribute) or "").strip():
            problems.append(f"line {line}: <{name}> needs a non-empty '{attribute}' attribute")
    if name == "a":
        href = (element.get("href") or "").strip()
        if href and not href.lower().startswith(_LINK_SCHEMES):
            problems.append(f"line {line}: <a href='{href}'>: only http, https and mailto links are allowed")
    if name == "table":
        kind = element.get("kind", "grid")
        if kind not in _TABLE_KINDS:
            problems.append(f"line {line}: <table kind='{kind}'>: expected one of {', '.join(_TABLE_KINDS)}")
        widths = element.get("widths")
        if widths is not None:
            columns = max((len(row) for row in element), default=0)
            try:
                values = [float(w) for w in widths.split(",")]
            except ValueError:
                values = []
            if not values or any(v <= 0 for v in values) or len(values) != columns:
                problems.append(
                    f"line {line}: <table widths='{widths}'>: expected {columns} positive numbers, "
                    "separated by commas"
                )
    if name == "picture":
        width = element.get("width")
        try:
            valid_width = width is None or 0 < float(width) <= MAX_PICTURE_WIDTH_MM
        except ValueError:
            valid_width = False
        if not valid_width:
            expected = f"expected a width in mm, above 0 and at most {MAX_PICTURE_WIDTH_MM:g}"
            problems.append(f"line {line}: <picture width='{width}'>: {expected}")
        if picture_bytes(element) is None:
            problems.append(f"line {line}: <picture> must hold a PNG image, base64-encoded")
    elif name not in _HOLDS_TEXT and (element.text or "").strip():
        problems.append(f"line {line}: text directly inside <{name}> must be inside a paragraph element")
    children = _CHILDREN[name]
    for child in element:
        if not isinstance(child.tag, str):
            problems.append(f"line {child.sourceline}: entity references are not allowed in memo XML")
            continue
        if child.tag not in children:
            known = child.tag in _CHILDREN
            what = (
                f"<{child.tag}> is not allowed inside <{name}>" if known else f"unknown element <{child.tag}>"
            )
            problems.append(f"line {child.sourceline}: {what}; expected one of: {_names(children)}")
            continue
        tail_holder = name in _HOLDS_TEXT and child.tag not in ("ul", "ol")
        if not tail_holder and (child.tail or "").strip():
            problems.append(
                f"line {child.sourceline}: text after <{child.tag}> directly inside <{name}> must be inside "
                "a paragraph element"
            )
        _check(child, problems)


def picture_bytes(element: etree._Element) -> bytes | None:
    """The PNG a <picture> holds (base64, whitespace allowed), or None if it holds no PNG."""
    try:
        data = base64.b64decode(SPACE.sub("", element.text or ""), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if data.startswith(_PNG_SIGNATURE) else None


def _names(names: frozenset[str]) -> str:
    return ", ".join(f"<{n}>" for n in sorted(names)) or "nothing"


# --- inline content -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A run of text with one look: bold, italic, a link's target, or a line break."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None
    is_break: bool = False


def inline_spans(
    element: etree._Element, *, bold: bool = False, italic: bool = False, href: str | None = None
) -> list[Span]:
    """The inline content of an element as styled spans, whitespace collapsed as HTML does."""
    raw: list[Span] = []

    def walk(el: etree._Element, bold: bool, italic: bool, href: str | None) -> None:
        if el.text:
            raw.append(Span(el.text, bold, italic, href))
        for child in el:
            if child.tag in ("ul", "ol"):
                continue
            if child.tag == "br":
                raw.append(Span("", bold, italic, href, is_break=True))
            else:
                walk(
                    child,
                    bold or child.tag == "b",
                    italic or child.tag == "i",
                    child.get("href", "").strip() if child.tag == "a" else href,
                )
            if child.tail and child.tag not in ("ul", "ol"):
                raw.append(Span(child.tail, bold, italic, href))

    walk(element, bold, italic, href)
    out: list[Span] = []
    at_line_start = True
    for span in raw:
        if span.is_break:
            _trim_end(out)
            out.append(span)
            at_line_start = True
            continue
        text = SPACE.sub(" ", span.text)
        if at_line_start or (out and not out[-1].is_break and out[-1].text.endswith(" ")):
            text = text.lstrip(" ")
        if text:
            out.append(Span(text, span.bold, span.italic, span.href))
            at_line_start = False
    _trim_end(out)
    return [s for s in out if s.text or s.is_break]


def _trim_end(spans: list[Span]) -> None:
    while spans and not spans[-1].is_break:
        last = spans[-1]
        trimmed = last.text.rstrip(" ")
        if trimmed:
            spans[-1] = Span(trimmed, last.bold, last.italic, last.href)
            return
        spans.pop()


def leading_header_rows(rows: list[etree._Element]) -> int:
    """How many of a table's first rows hold only <th> cells (header rows, repeated on every page)."""
    count = 0
    for row in rows:
        if not (len(row) and all(cell.tag == "th" for cell in row)):
            break
        count += 1
    return count
