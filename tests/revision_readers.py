"""Read a Word document's text paragraph by paragraph, with every tracked change accepted or rejected.

Three readers, each giving a list of paragraph texts (body paragraphs, and table cells' paragraphs row by
row, in document order), whitespace collapsed and empty paragraphs left out:

- `plain_paragraphs(document)`: a document without tracked changes, as python-docx holds it;
- `xml_paragraphs(document, mode)`: this module's own reading of the revision markup (fast, no tools);
- `pandoc_paragraphs(path, mode)`: pandoc's docx reader with `--track-changes=accept|reject`;
- `libreoffice_paragraphs(jobs, workdir)`: LibreOffice headless, a Basic macro run from a throwaway user
  profile that opens each document hidden, dispatches AcceptAllTrackedChanges or RejectAllTrackedChanges
  and writes its paragraphs as UTF-8 text, read through the text API (the Text export would prefix list
  labels); it also reports how many tracked changes LibreOffice saw before and after.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx.document import Document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SPACE = re.compile(r"\s+")
SOFFICE_TIMEOUT = 300
PANDOC_TIMEOUT = 120


def normalise(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def _keep(texts: Iterator[str]) -> list[str]:
    return [text for text in map(normalise, texts) if text]


# --- python-docx, no revisions ------------------------------------------------------------------------


def plain_paragraphs(document: Document) -> list[str]:
    """The paragraphs of a document without tracked changes (it must hold none)."""
    body = document.element.body
    assert next(body.iter(f"{W}ins", f"{W}del"), None) is None, "the document holds tracked changes"
    return xml_paragraphs(document, "accept")


# --- the markup, read here -----------------------------------------------------------------------------


def xml_paragraphs(document: Document, mode: str) -> list[str]:
    """Accept ("accept") or reject ("reject") every change in the markup and read the paragraphs.

    A paragraph whose mark is removed (w:pPr/w:rPr/w:del when accepting, w:ins when rejecting) is joined
    to the next paragraph; a row whose w:trPr says it was deleted (accepting) or inserted (rejecting)
    goes; run content inside w:del (accepting) or w:ins (rejecting) goes."""
    assert mode in ("accept", "reject")
    gone = f"{W}del" if mode == "accept" else f"{W}ins"
    return _keep(_container(document.element.body, gone))


def _container(container: Any, gone: str) -> Iterator[str]:
    carried = ""
    for block in container:
        if block.tag == f"{W}p":
            text = carried + _visible(block, gone)
            mark = block.find(f"{W}pPr/{W}rPr/{gone}")
            if mark is not None:
                carried = text
                continue
            carried = ""
            yield text
        elif block.tag == f"{W}tbl":
            if carried:  # a removed mark before a table cannot join anything: it stays a paragraph
                yield carried
                carried = ""
            for row in block.findall(f"{W}tr"):
                if row.find(f"{W}trPr/{gone}") is not None:
                    continue
                for cell in row.findall(f"{W}tc"):
                    yield from _container(cell, gone)
    if carried:
        yield carried


def _visible(paragraph: Any, gone: str) -> str:
    out: list[str] = []

    def walk(element: Any) -> None:
        for child in element:
            tag = child.tag
            if tag == gone or tag == f"{W}pPr":
                continue
            if tag in (f"{W}t", f"{W}delText"):
                out.append(child.text or "")
            elif tag == f"{W}tab":
                out.append("\t")
            elif tag in (f"{W}br", f"{W}cr"):
                out.append("\n")
            else:
                walk(child)

    walk(paragraph)
    return "".join(out)


# --- pandoc --------------------------------------------------------------------------------------------


def have_pandoc() -> bool:
    return shutil.which("pandoc") is not None


def pandoc_paragraphs(path: Path, mode: str) -> list[str]:
    """pandoc's reading of the document with `--track-changes=mode`, from its JSON AST: Para, Plain and
    Header blocks in order (table captions and cells included), after the Title and Subtitle that the
    docx reader moves into the metadata.

    The JSON AST is read instead of `-t plain` output, whose tables are laid out as ASCII-art grids
    that cannot be split back into paragraphs."""
    done = subprocess.run(
        ["pandoc", f"--track-changes={mode}", "-f", "docx", "-t", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=PANDOC_TIMEOUT,
        check=True,
    )
    tree = json.loads(done.stdout)
    texts: list[str] = []
    for key in ("title", "subtitle"):  # several Title paragraphs make MetaBlocks, one MetaInlines
        value = tree["meta"].get(key)
        if value is not None:
            texts.extend(_blocks(value["c"]) if value["t"] == "MetaBlocks" else [_inlines(value["c"])])
    texts.extend(_blocks(tree["blocks"]))
    return _keep(iter(texts))


def _blocks(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _blocks(item)
    elif isinstance(node, dict) and "t" in node:
        kind, content = node["t"], node.get("c")
        if kind in ("Para", "Plain"):
            yield _inlines(content)
        elif kind == "Header":
            yield _inlines(content[2])
        elif content is not None:
            yield from _blocks(content)


def _inlines(inlines: list[Any]) -> str:
    out: list[str] = []
    for inline in inlines:
        kind, content = inline["t"], inline.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            out.append(_inlines(content))
        elif kind in ("Span", "Link", "Cite"):
            out.append(_inlines(content[1]))
        # an Image's inlines are its alternative text, not text of the document: left out
        elif kind == "Quoted":
            quote = "“”" if content[0]["t"] == "DoubleQuote" else "‘’"
            out.append(quote[0] + _inlines(content[1]) + quote[1])
        elif kind in ("Code", "Math"):
            out.append(content[1])
    return "".join(out)


# --- LibreOffice ---------------------------------------------------------------------------------------


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@dataclass
class OfficeReading:
    paragraphs: list[str]
    changes_before: int  # tracked changes LibreOffice found on opening the document
    changes_after: int  # and after accepting or rejecting them all


_MACRO = """\
REM Accept or reject every tracked change of each document in a job file, then write its paragraphs.
REM A job line is: mode TAB input.docx TAB output.txt. The output holds one paragraph a line (body
REM paragraphs, and table cells row by row, line breaks as spaces, no list labels), in UTF-8, and
REM output.txt.count the number of tracked changes before and after; a failure goes to output.txt.error.

Sub RunJobs(jobFile As String)
  Dim n As Integer, job As String, fields As Variant
  n = FreeFile()
  Open jobFile For Input As #n
  Do While Not EOF(n)
    Line Input #n, job
    If Len(job) > 0 Then
      fields = Split(job, Chr(9))
      RunJob(fields(0), fields(1), fields(2))
    End If
  Loop
  Close #n
  StarDesktop.terminate()
End Sub

Function CountChanges(doc As Object) As Long
  Dim found As Long, items As Object
  found = 0
  items = doc.getRedlines().createEnumeration()
  Do While items.hasMoreElements()
    items.nextElement()
    found = found + 1
  Loop
  CountChanges = found
End Function

Function Paragraphs(text As Object) As String
  Dim result As String, items As Object, item As Object, names As Variant, k As Long, line As String
  result = ""
  items = text.createEnumeration()
  Do While items.hasMoreElements()
    item = items.nextElement()
    If item.supportsService("com.sun.star.text.TextTable") Then
      names = item.getCellNames()
      For k = LBound(names) To UBound(names)
        result = result & Paragraphs(item.getCellByName(names(k)))
      Next k
    Else
      line = Replace(Replace(item.getString(), Chr(13), " "), Chr(10), " ")
      result = result & line & Chr(10)
    End If
  Loop
  Paragraphs = result
End Function

Sub WriteText(path As String, text As String)
  Dim files As Object, stream As Object
  files = createUnoService("com.sun.star.ucb.SimpleFileAccess")
  If files.exists(ConvertToURL(path)) Then files.kill(ConvertToURL(path))
  stream = createUnoService("com.sun.star.io.TextOutputStream")
  stream.setOutputStream(files.openFileWrite(ConvertToURL(path)))
  stream.setEncoding("UTF-8")
  stream.writeString(text)
  stream.closeOutput()
End Sub

Sub RunJob(mode As String, source As String, target As String)
  On Error GoTo Failed
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = "Hidden"
  load(0).Value = True
  Dim doc As Object
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(source), "_blank", 0, load())
  Dim before As Long
  before = CountChanges(doc)
  Dim helper As Object, none(0) As New com.sun.star.beans.PropertyValue
  helper = createUnoService("com.sun.star.frame.DispatchHelper")
  If mode = "accept" Then
    helper.executeDispatch(doc.getCurrentController().getFrame(), ".uno:AcceptAllTrackedChanges", "", 0, none())
  Else
    helper.executeDispatch(doc.getCurrentController().getFrame(), ".uno:RejectAllTrackedChanges", "", 0, none())
  End If
  WriteText(target, Paragraphs(doc.getText()))
  WriteText(target & ".count", before & " " & CountChanges(doc))
  doc.close(True)
  Exit Sub
Failed:
  WriteText(target & ".error", "error " & Err & " at line " & Erl & ": " & Error$)
End Sub
"""

_DOCTYPE = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE {root} PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "{dtd}">\n'
_LIBRARY = 'xmlns:library="http://openoffice.org/2000/library"'


def write_profile(profile: Path) -> None:
    """A LibreOffice user profile whose Standard Basic library holds the macro (Module1)."""
    basic = profile / "user" / "basic"
    standard = basic / "Standard"
    standard.mkdir(parents=True, exist_ok=True)
    (standard / "Module1.xba").write_text(
        _DOCTYPE.format(root="script:module", dtd="module.dtd")
        + '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
        f'script:language="StarBasic">{escape(_MACRO)}</script:module>\n',
        encoding="utf-8",
    )
    library = 'library:name="Standard" library:readonly="false" library:passwordprotected="false"'
    (standard / "script.xlb").write_text(
        _DOCTYPE.format(root="library:library", dtd="library.dtd")
        + f'<library:library {_LIBRARY} {library}>\n <library:element library:name="Module1"/>\n'
        "</library:library>\n",
        encoding="utf-8",
    )
    (standard / "dialog.xlb").write_text(
        _DOCTYPE.format(root="library:library", dtd="library.dtd")
        + f"<library:library {_LIBRARY} {library}/>\n",
        encoding="utf-8",
    )
    for kind in ("script", "dialog"):
        (basic / f"{kind}.xlc").write_text(
            _DOCTYPE.format(root="library:libraries", dtd="libraries.dtd")
            + f'<library:libraries {_LIBRARY} xmlns:xlink="http://www.w3.org/1999/xlink">\n'
            f' <library:library library:name="Standard" xlink:href="$(USER)/basic/Standard/{kind}.xlb/" '
            'xlink:type="simple" library:link="false"/>\n</library:libraries>\n',
            encoding="utf-8",
        )


def _office_run(command: list[str]) -> tuple[int, str]:
    """Run soffice in a process group of its own; on timeout the whole group (the launcher and the
    office process it starts) is killed and RuntimeError raised."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=SOFFICE_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RuntimeError(f"LibreOffice did not finish within {SOFFICE_TIMEOUT} s: {command[-1]}") from None
    return process.returncode, output


def libreoffice_paragraphs(
    jobs: Sequence[tuple[Path, str]], workdir: Path
) -> dict[tuple[Path, str], OfficeReading]:
    """Read each (document, mode) job with LibreOffice in one headless run; raises RuntimeError, with
    what LibreOffice printed, when a job gave no text."""
    program = soffice()
    if program is None:
        raise FileNotFoundError("soffice")
    profile = workdir / "profile"
    options = ["--headless", "--invisible", "--nologo", "--norestore", "--nolockcheck"]
    options.append(f"-env:UserInstallation={profile.resolve().as_uri()}")
    # A fresh profile's first start writes the preset Basic library over whatever is there: let it, then
    # put the macro in.
    _office_run([program, *options, "--terminate_after_init"])
    write_profile(profile)
    lines = []
    targets: dict[tuple[Path, str], Path] = {}
    for index, (path, mode) in enumerate(jobs):
        target = workdir / f"job{index}-{mode}.txt"
        targets[path, mode] = target
        lines.append(f"{mode}\t{path.resolve()}\t{target.resolve()}")
    job_file = workdir / "jobs.txt"
    job_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    macro = f'macro:///Standard.Module1.RunJobs("{job_file.resolve()}")'
    code, output = _office_run([program, *options, macro])
    readings: dict[tuple[Path, str], OfficeReading] = {}
    for key, target in targets.items():
        error = target.with_name(target.name + ".error")
        counts = target.with_name(target.name + ".count")
        if not target.exists() or not counts.exists():
            detail = error.read_text(encoding="utf-8") if error.exists() else "no output"
            raise RuntimeError(
                f"LibreOffice did not read {key[0].name} ({key[1]}): {detail.strip()}; exit {code}; "
                f"output: {output.strip()!r}"
            )
        before, after = (int(n) for n in counts.read_text(encoding="utf-8").split())
        text = target.read_text(encoding="utf-8-sig")
        readings[key] = OfficeReading(_keep(iter(text.split("\n"))), before, after)
    return readings
