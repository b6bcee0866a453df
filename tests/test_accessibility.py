"""Accessibility of every document built: each PDF passes `pdfua check` (the machine-checkable rules of
PDF/UA-1) and each DOCX passes `openxml-audit` (the OOXML schema and Word's rules), with no findings.

The `good` and `canary` fixture trees are built in full once for the module (every product, audience and
edition `build` writes: briefs, briefing books, country briefs, ...), with the shipped content (its source
edition's briefs for every audience, the public country briefs and the executive audience's book: the
other books take minutes each to lay out; the Spanish analyst briefs and the Portuguese public ones), the
good tree as PDF/A-3b (`--pdfa`: PDF/A and PDF/UA at once) and change memos of an edited good tree. Every PDF
and DOCX under those outputs is checked, so a new product's files are covered without naming them here. Both
tools come from requirements-dev.lock; a missing one fails the test rather than skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pikepdf  # installed with pdfua (requirements-dev.lock)
import pytest

from conftest import FIXTURES, GOOD, run_cli

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PDFUA = BIN / "pdfua"
OPENXML_AUDIT = BIN / "openxml-audit"
WORKERS = max(1, min(4, os.cpu_count() or 1))
PDFUA_BROKEN_RULES = {"UA-14-001"}
"""Rules pdfua 0.1.3 cannot run on these files: its empty-heading rule raises on a heading whose /K is an
array (WeasyPrint writes every /K as one), so `test_every_heading_has_text` checks it instead."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Output folders by name: the shipped content, the fixture trees, PDF/A, change memos."""
    root = tmp_path_factory.mktemp("accessibility")
    edited = root / "edited"
    shutil.copytree(GOOD, edited)
    alpha = edited / "instruments" / "alpha-pact.yaml"
    text = alpha.read_text(encoding="utf-8")
    for old, new in (
        ("status: {state: active, since: 1991}", "status: {state: dormant, since: 2020}"),
        ("{country: CL, joined: 1990-05-01, left: 2001-02}", "{country: CL, joined: 1990-05-01}"),
    ):
        assert old in text
        text = text.replace(old, new)
    alpha.write_text(text, encoding="utf-8")
    runs = {
        "shipped": ("build", "--product=brief", "--language=en"),
        # Country briefs share one template whatever the audience (the fixture trees build it for every
        # audience): the shipped ones are checked for the audience they are released to.
        "shipped-countries": ("build", "--product=countries", "--audience=public", "--language=en"),
        # The other editions share the templates; their briefs carry other labels, `lang` spans around
        # the analyst's untranslated items (Spanish) and the tightest setting (the Rio Treaty's, in
        # public: Portuguese runs longest).
        "shipped-analyst-es": ("build", "--product=brief", "--language=es", "--audience=analyst"),
        "shipped-public-pt": ("build", "--product=brief", "--language=pt", "--audience=public"),
        "shipped-book": ("build", "--product", "book", "--audience", "executive", "--language", "en"),
        "good": ("build", "--content", GOOD),
        "canary": ("build", "--content", FIXTURES / "canary"),
        "pdfa": ("build", "--content", GOOD, "--format", "pdf", "--pdfa"),
        "changes": ("changes", "--previous-content", GOOD, "--content", edited),
    }
    outputs = {}
    for name, args in runs.items():
        outputs[name] = root / name
        done = run_cli(*args, "--output", outputs[name], "-j", "2", "--quiet")
        assert done.code == 0, f"{name}: {done.stderr}"
    return outputs


def files(built: dict[str, Path], suffix: str) -> list[Path]:
    found = sorted(path for output in built.values() for path in output.rglob(f"*{suffix}"))
    for name, output in built.items():
        if suffix == ".pdf" or name != "pdfa":
            assert any(output.rglob(f"*{suffix}")), f"no {suffix} file in {name}"
    return found


def json_documents(text: str) -> Iterator[Any]:
    """The JSON documents of a stream that holds several, one after another (`pdfua check -f json`)."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return
        document, position = decoder.raw_decode(text, position)
        yield document


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)


def test_every_pdf_passes_pdfua(built: dict[str, Path]) -> None:
    assert PDFUA.is_file(), f"{PDFUA} is missing: pip install -r requirements-dev.lock"
    pdfs = files(built, ".pdf")
    chunks = [pdfs[i::WORKERS] for i in range(WORKERS) if pdfs[i::WORKERS]]
    with ThreadPoolExecutor(len(chunks)) as pool:
        done = list(
            pool.map(lambda chunk: run([str(PDFUA), "check", "-f", "json", *map(str, chunk)]), chunks)
        )
    reports = {}
    for result in done:
        assert result.stderr == ""
        for report in json_documents(result.stdout):
            reports[Path(report["file"])] = report
    assert sorted(reports) == pdfs  # every file was read as a PDF and checked
    findings = {
        str(path): [f"{f['rule_id']} {f['location']}: {f['message']}" for f in report["findings"]]
        for path, report in reports.items()
        if report["findings"]
    }
    assert findings == {}
    skipped = {s["rule_id"] for report in reports.values() for s in report["skipped"]}
    assert skipped <= PDFUA_BROKEN_RULES, skipped
    assert [result.returncode for result in done] == [0] * len(chunks)


def _marks_content(element: pikepdf.Dictionary) -> bool:
    """Whether a structure element reaches page content (a marked-content id) through its /K."""
    kids = element.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, int) and not isinstance(kid, bool):
            return True
        if isinstance(kid, pikepdf.Dictionary) and (kid.get("/Type") == "/MCR" or _marks_content(kid)):
            return True
    return False


def structure_elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    todo = list(pdf.Root.StructTreeRoot.K)
    while todo:
        element = todo.pop()
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            yield element
            kids = element.get("/K")
            todo.extend(kids if isinstance(kids, pikepdf.Array) else [kids])


def test_every_heading_has_text_and_every_header_cell_a_scope(built: dict[str, Path]) -> None:
    """What pdfua cannot check or checks per table only: no empty heading (PDF/UA-1 7.4, the rule pdfua
    skips), a /Scope on every TH (row headers of the change memos' fact tables as /Row), and the title,
    language and shown title PDF/UA asks of every file."""
    scopes: dict[str, int] = {}
    for path in files(built, ".pdf"):
        with pikepdf.open(path) as pdf:
            assert pdf.Root.Lang and pdf.docinfo.Title, path
            assert pdf.Root.ViewerPreferences.DisplayDocTitle is True, path
            with pdf.open_metadata() as xmp:
                assert xmp.get("pdfuaid:part") == "1", path
            for element in structure_elements(pdf):
                role = str(element.S)
                if role in {"/H1", "/H2", "/H3", "/H4", "/H5", "/H6"}:
                    assert _marks_content(element), f"{path}: empty {role}"
                elif role == "/TH":
                    scope = str(element.get("/A", {}).get("/Scope"))
                    scopes[scope] = scopes.get(scope, 0) + 1
                elif role == "/Figure":
                    assert str(element.get("/Alt", "")).strip(), f"{path}: figure without /Alt"
    assert set(scopes) == {"/Column", "/Row"}, scopes


def test_pdf_a_is_pdf_ua_too(built: dict[str, Path]) -> None:
    """`--pdfa` keeps PDF/A-3b's identification and adds PDF/UA-1's, with the extension schema PDF/A needs
    to allow the pdfuaid property; the packet stays one well-formed XMP packet."""
    pdfs = sorted(built["pdfa"].rglob("*.pdf"))
    assert pdfs
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            packet = pdf.Root.Metadata.read_bytes().decode("utf-8")
            with pdf.open_metadata() as xmp:
                assert (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) == ("3", "B")
                assert xmp.get("pdfuaid:part") == "1"
            assert packet.count("<rdf:RDF") == 1 and packet.count("<x:xmpmeta") == 1
            assert "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in packet
            assert (
                "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>"
                in packet
            )
            assert "/OutputIntents" in pdf.Root


def test_every_docx_passes_openxml_audit(built: dict[str, Path], tmp_path: Path) -> None:
    assert OPENXML_AUDIT.is_file(), f"{OPENXML_AUDIT} is missing: pip install -r requirements-dev.lock"
    documents = files(built, ".docx")
    # The tool takes one path, a file or a folder it walks (--recursive), and starting it costs about a
    # second: each worker gets a folder of numbered links to its share of the documents.
    shares = [documents[i::WORKERS] for i in range(WORKERS) if documents[i::WORKERS]]
    folders = []
    for number, share in enumerate(shares):
        folder = tmp_path / f"share-{number}"
        folder.mkdir()
        for index, path in enumerate(share):
            (folder / f"{index:05d}.docx").symlink_to(path)
        folders.append(folder)
    command = [str(OPENXML_AUDIT), "--output", "json", "--max-errors", "0", "--recursive"]
    with ThreadPoolExecutor(len(folders)) as pool:
        done = list(pool.map(lambda folder: run([*command, str(folder)]), folders))
    reports = {}
    for share, result in zip(shares, done, strict=True):
        for report in json.loads(result.stdout):
            reports[share[int(Path(report["file"]).stem)]] = report
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert sorted(reports) == documents  # every document audited
    problems = {
        str(path): report["errors"]
        for path, report in reports.items()
        if not report["valid"] or report["error_count"] or report["warning_count"]
    }
    assert problems == {}
