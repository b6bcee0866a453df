"""Hostile text costs what ordinary text costs, and no output carries a path of the machine that built it.

One unbreakable word of the longest text a value may hold (`MAX_TEXT_CHARS`) in the summary, a member's
role, a source title and a timeline event builds, within a generous subprocess timeout that catches a stall
(WeasyPrint alone took minutes: it tried every hyphenation point of the whole word on every line), and
every character of it survives in the PDF's text and the memo. No timing is asserted here: the figures are
in `benchmarks/run.py --text-cost`. Then: the kept HTML, the PDFs, the memos, the index pages and the
manifest of a build name no folder of the machine (the build, the repository, the home folder, the Python
installation, the font cache) and hold no `file:` URL.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
import yaml

from atalaya.formats.pdf.fonts import _cache_folder
from atalaya.formats.pdf.text import BREAK, LONG_WORD, WORD_PIECE, breakable
from atalaya.model import MAX_TEXT_CHARS, load_corpus
from atalaya.render import TemplateSet
from atalaya.select import make_view
from conftest import GOOD, ROOT, TEMPLATES

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back: pip install pypdf")
docx = pytest.importorskip("docx", reason="python-docx reads the memos back")

STALL_SECONDS = 120
"""Far above what the build takes (seconds); far below what one such word took before (minutes)."""
FIELDS = ("summary", "role", "source title", "timeline event")
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def unbreakable_word(seed: int) -> str:
    """MAX_TEXT_CHARS letters with no line-break opportunity, many hyphenation points (the costly case),
    accents, and characters the HTML escapes (`&`, `'`), never repeating a stretch, so that a character lost
    or moved anywhere shows."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnoprstuvaeioaeiouáéíóúñçãõ"
    chars = [rng.choice(letters) for _ in range(MAX_TEXT_CHARS)]
    for at in range(250, MAX_TEXT_CHARS, 500):
        chars[at] = "&" if at % 1000 == 250 else "'"
    return "".join(chars)


WORDS = {field: unbreakable_word(number) for number, field in enumerate(FIELDS)}


def long_word_tree(tmp_path: Path) -> Path:
    """The good fixture tree with a long word in four fields of alpha-pact, the analyst's budget lifted."""
    tree = tmp_path / "content"
    shutil.copytree(GOOD, tree)
    audiences = tree / "audiences.yaml"
    text = audiences.read_text(encoding="utf-8")
    audiences.write_text(text.replace("page_budget: 6", "page_budget: 20"), encoding="utf-8")
    path = tree / "instruments" / "alpha-pact.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["summary"][0] = WORDS["summary"]
    data["members"][1]["role"] = WORDS["role"]
    data["sources"][0]["title"] = WORDS["source title"]
    data["timeline"][0]["text"] = WORDS["timeline event"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, width=10**6, sort_keys=False), encoding="utf-8")
    return tree


def build(*args: str | Path, timeout: float) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")}
    try:
        return subprocess.run(
            [sys.executable, str(ROOT / "build.py"), "build", *map(str, args)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the build stalled: not done after {timeout:.0f} s")


def pieces(word: str, text: str) -> int | None:
    """In how many pieces, in order, `word` is found in `text` (page breaks, repeated table headers and
    running banners may come between them); None when a character of it is missing or out of order."""
    count = position = done = 0
    while done < len(word):
        low, high = 0, len(word) - done  # the longest next stretch of the word found after `position`
        while low < high:
            middle = (low + high + 1) // 2
            if text.find(word[done : done + middle], position) >= 0:
                low = middle
            else:
                high = middle - 1
        if low == 0:
            return None
        position = text.find(word[done : done + low], position) + low
        done += low
        count += 1
    return count


@pytest.fixture(scope="module")
def long_word_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("text-cost")
    output = tmp_path / "output"
    done = build(
        "--content", long_word_tree(tmp_path), "--output", output, "--audience", "analyst",
        "--instrument", "alpha-pact", "--html", "-j", "1", timeout=STALL_SECONDS,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return output / "analyst"


@pytest.mark.slow
def test_a_long_word_in_every_field_builds_and_survives_in_the_pdf(long_word_build: Path) -> None:
    reader = pypdf.PdfReader(long_word_build / "alpha-pact.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    # drawn hyphens of hyphenated lines, line ends, and zero-width characters are not the word's
    squeezed = re.sub(r"[\s-]", "", text.translate(ZERO_WIDTH))
    found = {field: pieces(word, squeezed) for field, word in WORDS.items()}
    counts = [count for count in found.values() if count is not None]
    assert len(counts) == len(WORDS), found
    # each page break cuts at most one of the words: more pieces would mean a character was lost
    assert sum(counts) <= len(WORDS) + len(reader.pages) - 1, found


@pytest.mark.slow
def test_a_long_word_reaches_the_memo_whole_and_without_added_breaks(long_word_build: Path) -> None:
    data = (long_word_build / "alpha-pact.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert [n for n in archive.namelist() if BREAK.encode() in archive.read(n)] == []
    memo = docx.Document(io.BytesIO(data))
    text = "\n".join(
        [p.text for p in memo.paragraphs]
        + [cell.text for table in memo.tables for row in table.rows for cell in row.cells]
    )
    assert [field for field, word in WORDS.items() if word not in text] == []


@pytest.mark.slow
def test_the_kept_html_holds_the_word_with_break_opportunities_only(long_word_build: Path) -> None:
    html = (long_word_build / "alpha-pact.html").read_text(encoding="utf-8")
    assert BREAK in html
    plain = html.replace(BREAK, "").replace("&amp;", "&").replace("&#39;", "'")
    assert [field for field, word in WORDS.items() if word not in plain] == []


# --- the break opportunities themselves -----------------------------------------------------------


def longest_unbroken(text: str) -> int:
    return max((len(run) for run in re.split(rf"[\s{BREAK}]+", text)), default=0)


def test_breakable_leaves_ordinary_briefings_unchanged() -> None:
    corpus = load_corpus(GOOD)
    templates = TemplateSet(TEMPLATES)
    for instrument in corpus.instruments.values():
        for audience in corpus.audiences:
            try:
                view = make_view(corpus, instrument, audience)
            except ValueError:  # not cleared for it
                continue
            html = templates.briefing_html(view, fit=0, paper="A4")
            assert breakable(html, "en") == html, (instrument.id, audience)


def test_breakable_breaks_only_long_runs_of_body_text() -> None:
    word = "x" * 100
    html = (
        f'<html><head><title>{word}</title></head><body><p title="{word}">{word} short words</p>'
        f"<svg><text>{word}</text></svg><p>{word}</p></body></html>"
    )
    result = breakable(html)
    head, body = result.split("<body>")
    assert BREAK not in head and f'title="{word}"' in body and f"<text>{word}</text>" in body
    assert result.count(BREAK) == 2 * (-(-100 // WORD_PIECE) - 1)
    assert result.replace(BREAK, "") == html
    assert longest_unbroken(re.sub(r"<[^>]*>", " ", body.split("<svg>")[0])) <= WORD_PIECE


def test_breakable_keeps_entities_and_letters_whole() -> None:
    word = "&amp;&#39;e\u0301abc" * 20  # no break opportunity: entities, a letter with a combining accent
    html = f"<body><p>{word}</p><p>{'a👩‍👩‍👧' * 40}</p></body>"  # and emoji sequences (joined by U+200D)
    result = breakable(html)
    assert result.replace(BREAK, "") == html
    assert result.count(BREAK) >= len(word.replace("&amp;", "&").replace("&#39;", "'")) // WORD_PIECE - 1
    assert re.findall(rf"&[^;<]*{BREAK}|{BREAK}[\u0300-\u036f\u200d]|\u200d{BREAK}", result) == []


def test_breakable_leaves_runs_that_already_break_alone() -> None:
    url = "https://example.org/" + "/".join(["segment-of-a-path"] * 12)
    assert len(url) > LONG_WORD
    html = f"<body><p><a href='{url}'>{url}</a></p></body>"
    assert breakable(html) == html


# --- no path of the machine in any output ------------------------------------------------------------


def output_blobs(path: Path) -> list[tuple[str, bytes]]:
    """A file's bytes, and (zip) every member's or (PDF) every decompressed stream's."""
    data = path.read_bytes()
    blobs = [(path.name, data)]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            blobs += [(f"{path.name}:{name}", archive.read(name)) for name in archive.namelist()]
    if data.startswith(b"%PDF"):
        for number, stream in enumerate(re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S)):
            try:
                blobs.append((f"{path.name} stream {number}", zlib.decompress(stream.group(1))))
            except zlib.error:
                blobs.append((f"{path.name} stream {number}", stream.group(1)))
    return blobs


@pytest.mark.slow
def test_no_output_carries_a_path_of_the_build_machine(tmp_path: Path) -> None:
    output = tmp_path / "output"
    done = build("--content", GOOD, "--output", output, "--html", "-j", "1", timeout=600)
    assert done.returncode == 0, done.stderr
    files = sorted(p for p in output.rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".pdf", ".docx", ".html", ".json"}
    machine = {
        str(tmp_path),
        str(ROOT),
        str(Path.home()),
        sys.prefix,
        sys.base_prefix,
        str(_cache_folder()),
        str(_cache_folder().resolve()),
        str(Path(pypdf.__file__).resolve().parent.parent),  # site-packages
        "file:",
    }
    found = [
        (name, needle)
        for path in files
        for name, blob in output_blobs(path)
        for needle in machine
        if needle.encode() in blob
    ]
    assert found == []
    kept = (output / "analyst" / "alpha-pact.html").read_text(encoding="utf-8")
    assert 'local("Source Serif Pro")' in kept and '--face-serif: "Source Serif Pro", serif;' in kept
    assert "font-family: var(--face-serif);" in kept  # the faces named, as the theme defines them
