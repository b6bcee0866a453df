"""Turn an office's reference .docx into a clean base for a memo: its look and its logos, nothing it said.

A reference document styles the memo as pandoc's --reference-doc does. It is read once per writer and
checked before any memo is written (`read_reference`: size, zip, a package python-docx can open). Whatever
the base document (the reference, or python-docx's default template), the memo keeps only what describes
how a memo looks: `keep_only_pictures` empties each header and footer of everything but its pictures, and
`drop_stale_parts` removes every part, relationship and setting that could carry another document's words
(comments, notes, custom properties, glossary, document variables, a thumbnail, ...).
"""

from __future__ import annotations

import zipfile
from copy import deepcopy
from io import BytesIO
from pathlib import Path
from typing import Any, Final

import docx
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from lxml import etree

from ...errors import BuildError, Diagnostic, shown_path

MAX_REFERENCE_BYTES: Final = 50 * 1024 * 1024

# Package relationships a memo keeps (its document and its two property parts, both rewritten); the
# thumbnail, custom properties, sensitivity labels and signatures of the base document go.
_PACKAGE_KEEPS: Final = frozenset({RT.OFFICE_DOCUMENT, RT.CORE_PROPERTIES, RT.EXTENDED_PROPERTIES})
# Parts the document relates without naming them in its XML and that a memo uses; any other such part
# (comments, people, glossary, custom XML, Word 2010's style copy, ...) goes, as does a named part the
# memo's XML no longer names (a header of a deleted section, a picture of the deleted body).
_DOCUMENT_KEEPS: Final = frozenset(
    {
        RT.STYLES,
        RT.NUMBERING,
        RT.SETTINGS,
        RT.WEB_SETTINGS,
        RT.FONT_TABLE,
        RT.THEME,
        RT.FOOTNOTES,
        RT.ENDNOTES,
    }
)
_R_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_VML_RELID: Final = "{urn:schemas-microsoft-com:office:office}relid"
_MC_ALTERNATE: Final = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
# What may hold a picture in a run: DrawingML, VML and Word 2010's choice between the two.
_GRAPHICS: Final = frozenset({qn("w:drawing"), qn("w:pict"), _MC_ALTERNATE})
# DrawingML content a kept graphic may be: a picture, or shapes, groups and canvases without text.
_PICTURE_URIS: Final = frozenset(
    {
        "http://schemas.openxmlformats.org/drawingml/2006/picture",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas",
    }
)
_GRAPHIC_DATA: Final = "{http://schemas.openxmlformats.org/drawingml/2006/main}graphicData"
# Anything inside a graphic that shows text or runs code: text boxes (DrawingML and VML), WordArt
# (watermarks), DrawingML and math text, fields, symbols, OLE objects and controls.
_TEXT_HOLDERS: Final = frozenset(
    {
        *(qn(f"w:{name}") for name in ("t", "delText", "instrText", "delInstrText", "sym", "txbxContent")),
        *(qn(f"w:{name}") for name in ("fldSimple", "fldChar", "object", "control", "pgNum")),
        "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}txbx",
        "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}linkedTxbx",
        "{urn:schemas-microsoft-com:vml}textbox",
        "{urn:schemas-microsoft-com:vml}textpath",
        "{http://schemas.openxmlformats.org/drawingml/2006/main}t",
        "{http://schemas.openxmlformats.org/officeDocument/2006/math}t",
        "{urn:schemas-microsoft-com:office:office}OLEObject",
    }
)
_DELETED: Final = frozenset({qn("w:del"), qn("w:moveFrom")})  # tracked deletions
_LOGO_PPR: Final = ("w:spacing", "w:ind", "w:jc")  # the layout a kept picture's paragraph keeps, in order
_NOTE_SEPARATORS: Final = frozenset({"separator", "continuationSeparator", "continuationNotice"})


# --- reading ------------------------------------------------------------------------------------------


def read_reference(path: Path) -> bytes:
    """The bytes of a reference document that python-docx can open; anything else is a `BuildError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildError(
            Diagnostic(shown_path(path), 0, 0, f"cannot read reference document: {exc.strerror or exc}")
        ) from None
    if len(data) > MAX_REFERENCE_BYTES:
        raise BuildError(
            Diagnostic(
                shown_path(path), 0, 0, f"reference document is larger than {MAX_REFERENCE_BYTES:,} bytes"
            )
        )
    if not zipfile.is_zipfile(BytesIO(data)):
        raise BuildError(
            Diagnostic(
                shown_path(path), 0, 0, "reference document is not a Word .docx file (not a zip archive)"
            )
        )
    try:
        document = docx.Document(BytesIO(data))
        document.styles  # noqa: B018 - parses styles.xml: a broken one fails here, not mid-build
        document.sections[-1].page_width  # noqa: B018
    except Exception as exc:  # python-docx raises many kinds of error on a malformed package
        raise _reference_error(path, exc) from None
    return data


def open_base(reference: bytes | None, path: Path | None) -> DocxDocument:
    """A fresh document to fill: python-docx's default template, or the (already checked) reference."""
    if reference is None:
        return docx.Document()
    try:
        return docx.Document(BytesIO(reference))
    except Exception as exc:  # checked by read_reference; a failure here is the same bad file
        raise _reference_error(path, exc) from None


def _reference_error(path: Path | None, exc: BaseException) -> BuildError:
    reason = str(exc).strip() or type(exc).__name__
    shown = shown_path(path) if path is not None else "reference document"
    message = f"reference document is not a usable Word .docx file: {reason}"
    return BuildError(Diagnostic(shown, 0, 0, message))


# --- cleaning -----------------------------------------------------------------------------------------


def drop_stale_parts(document: DocxDocument) -> None:
    """Keep of the base document only what describes how a memo looks, never what another document said.

    The base is python-docx's template or an office's reference, often made from an earlier memo, so it
    may carry another audience's banner and marking anywhere text can live. Kept: the parts a memo
    uses (styles, numbering, settings, web settings, font table, theme, footnote separators) and
    whatever the memo's own XML refers to (its headers and footers, links, the logo). Dropped: the
    thumbnail, custom properties and sensitivity labels (docProps/custom.xml, docMetadata/), comments
    and their people, building blocks (glossary), custom XML data, Word 2010's style copy, macros and
    anything else the package relates without the memo using it; document variables, the attached
    template and mail merge from the settings; every real footnote and endnote; printer settings.
    """
    part = document.part
    body = document.element.body
    package = part.package
    for rId, rel in list(package.rels.items()):
        if rel.reltype not in _PACKAGE_KEEPS:
            _drop_rel(package, rId)
    sect_pr = body.sectPr
    if sect_pr is not None:
        for name in ("w:printerSettings", "w:sectPrChange"):
            for child in sect_pr.findall(qn(name)):
                sect_pr.remove(child)
    drop_unreferenced_rels(part, document.element, keep=_DOCUMENT_KEEPS)
    for rel in list(part.rels.values()):
        if rel.is_external:
            continue
        if rel.reltype == RT.SETTINGS:
            settings = rel.target_part.element
            for name in ("w:docVars", "w:attachedTemplate", "w:mailMerge", "w:saveThroughXslt"):
                for child in settings.findall(qn(name)):
                    settings.remove(child)
            drop_unreferenced_rels(rel.target_part, settings)
        elif rel.reltype in (RT.FOOTNOTES, RT.ENDNOTES):
            _keep_note_separators(rel.target_part)


def _is_picture(graphic: Any) -> bool:
    """A graphic that shows no text: a picture, or shapes without text boxes, WordArt or fields."""
    if any(isinstance(node.tag, str) and node.tag in _TEXT_HOLDERS for node in graphic.iter()):
        return False
    uris = [data.get("uri", "") for data in graphic.iter(_GRAPHIC_DATA)]
    return all(uri in _PICTURE_URIS for uri in uris)


def keep_only_pictures(story: Any, style_id: str) -> None:
    """Empty a header or footer (`w:hdr`/`w:ftr`) of everything but its pictures.

    Text, fields, text boxes, watermarks, content controls, tables, tracked changes and bookmarks all
    go; each picture stays, in a paragraph of its own paragraph's style (else `style_id`), spacing,
    indentation and alignment, so a logo keeps its place. A picture inside a text box or a table cell
    comes out of it; one inside a content control stays.
    """
    found: list[tuple[Any, list[Any]]] = []

    def walk(node: Any, paragraph: Any) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            if child.tag in _GRAPHICS:
                if child.getparent().tag == qn("w:r") and _is_picture(child):
                    if not found or found[-1][0] is not paragraph:
                        found.append((paragraph, []))
                    found[-1][1].append(child)
                continue
            if child.tag in _TEXT_HOLDERS or child.tag in _DELETED:  # a text box's paragraphs are not
                continue  # the header's, and a deleted picture stays deleted
            walk(child, child if child.tag == qn("w:p") else paragraph)

    walk(story, None)
    kept = []
    for paragraph, graphics in found:
        old_ppr = paragraph.find(qn("w:pPr")) if paragraph is not None else None
        old_style = old_ppr.find(qn("w:pStyle")) if old_ppr is not None else None
        style = old_style.get(qn("w:val")) if old_style is not None else style_id
        p = OxmlElement("w:p")
        ppr = OxmlElement("w:pPr")
        ppr.append(OxmlElement("w:pStyle", {qn("w:val"): style}))
        p.append(ppr)
        for name in _LOGO_PPR:
            layout = old_ppr.find(qn(name)) if old_ppr is not None else None
            if layout is not None:
                ppr.append(deepcopy(layout))
        for graphic in graphics:
            run = OxmlElement("w:r")
            run.append(deepcopy(graphic))
            p.append(run)
        kept.append(p)
    for child in list(story):
        story.remove(child)
    for p in kept:
        story.append(p)


def _keep_note_separators(part: Any) -> None:
    """Keep of a footnotes or endnotes part only the separator notes Word needs, without any text."""
    root = parse_xml(part.blob)
    for note in list(root):
        if note.get(qn("w:type")) not in _NOTE_SEPARATORS:
            root.remove(note)
            continue
        for node in list(note.iter(*_TEXT_HOLDERS)):
            node.getparent().remove(node)
    if hasattr(part, "_element"):
        part._element = root
    else:
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    drop_unreferenced_rels(part, root)


def _referenced_rel_ids(element: Any) -> set[str]:
    ids: set[str] = set()
    for node in element.iter():
        if isinstance(node.tag, str):
            ids.update(v for k, v in node.attrib.items() if k.startswith(f"{{{_R_NS}}}") or k == _VML_RELID)
    return ids


def drop_unreferenced_rels(part: Any, element: Any, keep: frozenset[str] = frozenset()) -> None:
    """Drop the relationships of `part` that its XML no longer names, except those of a type in `keep`."""
    used = _referenced_rel_ids(element)
    for rId, rel in list(part.rels.items()):
        if rId not in used and rel.reltype not in keep:
            _drop_rel(part, rId)


def _drop_rel(owner: Any, rId: str) -> None:
    """Forget a relationship of a part or of the package (the part it led to is then not saved)."""
    owner.rels.pop(rId, None)
    owner.rels.related_parts.pop(rId, None)
