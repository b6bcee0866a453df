"""Property-based: whatever text the content holds, the pipeline either builds documents that open or
fails with a located `AtalayaError`, never with any other exception.

Hypothesis writes an instrument file whose text fields hold generated Unicode (control characters, lone
surrogates, very long words and texts, right-to-left scripts, combining marks, emoji, separators) either
through a YAML emitter or raw between double quotes, then loads the tree and renders the analyst memo
(every section) and, for part of the examples, the analyst briefing, in this process. Each property
counts the examples that got past loading and fails when too few did, so it cannot pass by refusing
everything.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import shutil
import tempfile
import warnings
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from atalaya.errors import AtalayaError
from atalaya.model import MAX_TEXT_CHARS, load_corpus
from atalaya.render import TemplateSet
from atalaya.select import make_view
from conftest import GOOD, TEMPLATES

with warnings.catch_warnings(), contextlib.suppress(ImportError):
    # Hypothesis imports libcst to suggest a patch when a property fails; libcst warns (DeprecationWarning)
    # on import, which filterwarnings=error would turn into an INTERNALERROR hiding the failing example.
    warnings.simplefilter("ignore", DeprecationWarning)
    importlib.import_module("libcst")

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back: pip install pypdf")
docx = pytest.importorskip("docx", reason="python-docx reads the memos back")

TODAY = date(2026, 11, 20)
FIELDS = ("name", "summary", "objective", "role", "timeline", "source_title")

SPECIMENS = [
    "مجلس الدفاع الأمريكي الجنوبي",  # Arabic, right to left
    "ברית הגנה אזורית",  # Hebrew
    "Tratado \u202eesrever\u202c de defensa",  # a bidi override inside Latin text
    "a\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308" * 40,  # a pile of combining marks
    "👩\u200d👩\u200d👧\u200d👦 🇦🇷🇧🇷 🏳️\u200d🌈 ✊🏿",  # emoji sequences, flags, skin tones
    "zero\u200bwidth\u2060joiner\ufeffbom",
    "line\u2028separator\u2029paragraph\x85next",
    "tab\tand\r\nnewline\vvertical\x0cfeed",
    "\x00\x01\x1b[2J\x7f\x9f",
    "\ud800 lone \udfff surrogates",
    "\ufdd0\ufffe\uffff non-characters",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 \U0001f600\U000e0001",
    "   ",
    "",
    "Ω≈ç√∫˜µ≤≥÷ 田中さんにあげて下さい 사회과학원 어학연구소",
    "ÅÍÎÏ˝ÓÔ\uf8ff ﷽ ‮",
]

# Characters the model refuses (XML cannot hold them); every other code point is fair content.
_REFUSED = "".join(
    chr(c)
    for c in [
        *range(0x00, 0x09),
        *range(0x0B, 0x20),
        *range(0x7F, 0xA0),
        *range(0xFDD0, 0xFDF0),
        0xFFFE,
        0xFFFF,
    ]
)
_word = st.text(st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Mn")), min_size=200, max_size=1200)
_fair = st.characters(exclude_categories=("Cs",), exclude_characters=_REFUSED)
accepted_text = st.one_of(
    st.text(_fair, min_size=1, max_size=200),
    st.sampled_from(
        [s for s in SPECIMENS if s.strip() and not any(c in _REFUSED or "\ud800" <= c <= "\udfff" for c in s)]
    ),
    _word,  # one very long word: nowhere to break a line
    st.lists(
        st.one_of(st.sampled_from(SPECIMENS[:8]), _word, st.text(_fair, max_size=20)), min_size=2, max_size=4
    ).map(" ".join),
).filter(lambda s: s.strip() and not any(c in _REFUSED for c in s))
any_text = st.one_of(
    accepted_text,
    st.text(max_size=60),  # anything at all, control characters and lone surrogates included
    st.sampled_from(SPECIMENS),
    st.integers(MAX_TEXT_CHARS - 2, MAX_TEXT_CHARS + 2).map(lambda n: ("word " * n)[:n]),  # at the cap
)
# Most fields hold text the model accepts; one field (or none) holds anything at all, so that examples
# get past loading often enough to reach the renderers.
field_values = st.tuples(
    st.fixed_dictionaries({field: accepted_text for field in FIELDS}),
    st.sampled_from([*FIELDS, None]),
    any_text,
).map(lambda drawn: {**drawn[0], **({drawn[1]: drawn[2]} if drawn[1] else {})})


@pytest.fixture(scope="module")
def writers() -> tuple[Any, Any]:
    """One PDF and one DOCX writer for the whole module, as a worker process keeps them."""
    from atalaya.formats.docx.writer import DocxWriter
    from atalaya.formats.pdf.writer import PdfWriter

    templates = TemplateSet(TEMPLATES)
    return PdfWriter(templates), DocxWriter(templates)


def _instrument(values: dict[str, str]) -> dict[str, Any]:
    return {
        "id": "prop-pact",
        "name": values["name"],
        "kind": "treaty",
        "release": "public",
        "verification": "corroborated",
        "status": {"state": "active"},
        "summary": [values["summary"]],
        "members": [{"country": "AR", "role": values["role"]}],
        "objectives": [values["objective"], {"text": "Restricted aim.", "release": "restricted"}],
        "timeline": [{"date": "2001-03-04", "text": values["timeline"]}],
        "sources": [{"key": "src", "title": values["source_title"], "publisher": "Fixture Ministry"}],
        "as_of": "2026-11-01",
    }


def _raw(values: dict[str, str]) -> str:
    """The values between double quotes as they are: only backslash and quote escaped."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return (
        "id: prop-pact\n"
        f"name: {quoted(values['name'])}\n"
        "kind: treaty\nrelease: public\nverification: corroborated\nstatus: {state: active}\n"
        f"summary:\n  - {quoted(values['summary'])}\n"
        f"members:\n  - {{country: AR, role: {quoted(values['role'])}}}\n"
        f"objectives:\n  - {quoted(values['objective'])}\n"
        "  - {text: Restricted aim., release: restricted}\n"
        f"timeline:\n  - {{date: 2001-03-04, text: {quoted(values['timeline'])}}}\n"
        f"sources:\n  - {{key: src, publisher: Fixture Ministry, title: {quoted(values['source_title'])}}}\n"
        "as_of: 2026-11-01\n"
    )


def _write(root: Path, values: dict[str, str], how: str) -> None:
    shutil.copytree(GOOD, root)
    for path in (root / "instruments").glob("*.yaml"):
        path.unlink()
    target = root / "instruments" / "prop-pact.yaml"
    if how == "emitted":
        text = yaml.safe_dump(_instrument(values), allow_unicode=True, sort_keys=False, width=1 << 30)
        target.write_bytes(text.encode("utf-8", "surrogatepass"))
    else:
        target.write_bytes(_raw(values).encode("utf-8", "surrogatepass"))


def _assert_located(error: AtalayaError) -> None:
    assert error.diagnostics
    for diagnostic in error.diagnostics:
        assert diagnostic.path and diagnostic.line >= 1 and diagnostic.col >= 1, diagnostic
        assert "\n" not in diagnostic.format(), diagnostic.format()


# Each property must see documents actually built, not only files refused at load (which would make it
# pass without rendering anything): at least a fifth of its examples. Measured here, about three quarters
# of the examples load (12 to 24 of 25, mean 18.8, over 38 runs of these strategies), so a fifth fails
# only when the strategies stop reaching the renderers.
MIN_BUILT_SHARE = 5


def _one_example(pdf_writer: Any, docx_writer: Any, values: dict[str, str], how: str, with_pdf: bool) -> str:
    """Load, select and render one generated file; return what happened (built, or refused where)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "content"
        _write(root, values, how)
        try:
            corpus = load_corpus(root, today=TODAY)
        except AtalayaError as error:
            _assert_located(error)
            return "refused at load"
        instrument = corpus.instruments["prop-pact"]
        view = make_view(corpus, instrument, "analyst")
        try:
            memo = docx_writer.render(view, ["memo/analyst.xml.j2", "memo/base.xml.j2"])
            briefing = ["briefing/analyst.html.j2", "briefing/base.html.j2"]
            pdf = pdf_writer.render(view, briefing) if with_pdf else None
        except AtalayaError as error:
            _assert_located(error)
            return "refused at render"
    document = docx.Document(io.BytesIO(memo.data))
    body = "\n".join(
        [p.text for p in document.paragraphs]
        + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    )
    # what was accepted is shown: each text the view holds is in the memo, and the restricted aim too
    # (analyst clearance), as the model normalised it
    for text in (instrument.summary[0].text, instrument.objectives[0].text, instrument.timeline[0].text):
        assert text in body
    assert "Restricted aim." in body
    if pdf is not None:
        reader = pypdf.PdfReader(io.BytesIO(pdf.data))
        assert len(reader.pages) == pdf.pages >= 1
        assert "".join(reader.pages[0].extract_text().split())  # something legible was drawn
    return "built"


@pytest.mark.slow
def test_any_text_builds_valid_documents_or_fails_located(writers: tuple[Any, Any]) -> None:
    pdf_writer, docx_writer = writers
    outcomes: Counter[str] = Counter()
    examples = 25

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(values=field_values, how=st.sampled_from(["emitted", "raw"]), with_pdf=st.booleans())
    def check(values: dict[str, str], how: str, with_pdf: bool) -> None:
        outcome = _one_example(pdf_writer, docx_writer, values, how, with_pdf)
        event(f"{outcome} ({how}{', with pdf' if with_pdf and outcome == 'built' else ''})")
        outcomes[outcome] += 1

    check()
    assert outcomes["built"] >= examples // MIN_BUILT_SHARE, dict(outcomes)


def test_public_view_never_holds_the_restricted_item() -> None:
    """Releasability does not depend on the text: whatever else the file holds, the restricted
    objective never reaches the public view."""
    outcomes: Counter[str] = Counter()
    examples = 40

    @settings(max_examples=examples, deadline=None, database=None)
    @given(values=field_values)
    def check(values: dict[str, str]) -> None:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "content"
            _write(root, values, "emitted")
            try:
                corpus = load_corpus(root, today=TODAY)
            except AtalayaError as error:
                _assert_located(error)
                outcomes["refused at load"] += 1
                return
        view = make_view(corpus, corpus.instruments["prop-pact"], "public")
        assert "Restricted aim." not in view.all_text()
        assert view.banner == "public"
        outcomes["built"] += 1

    check()
    assert outcomes["built"] >= examples // MIN_BUILT_SHARE, dict(outcomes)
