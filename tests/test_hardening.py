"""Hardening: broken, hostile and oversized input through the real command line and the renderers.

- Bad input: every class of broken content fails the real `build` with a located first line, exit 1
  (wrong command-line values: exit 2), no traceback, and the last good output left byte for byte as it
  was; all errors of a run come out together.
- Hostile content: markup, URLs, Markdown, template syntax and XML in content are shown as text, never
  evaluated, fetched or read (a loopback listener counts connections; an audit hook, and strace where
  present, list the files opened).
- Releasability: a canary word at each level in each kind of prose field appears in exactly the
  documents whose audience is cleared for it and shows its section (PDF text and metadata, every DOCX
  part, the kept HTML); each banner names the highest level present.
- Limits: huge files, deep nesting, long texts and long lists fail fast with their own message.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from atalaya.errors import ContentError
from atalaya.load import MAX_DEPTH, MAX_FILE_BYTES, load_file
from atalaya.model import MAX_LIST_ITEMS, MAX_TEXT_CHARS, load_corpus
from conftest import FIXTURES, GOOD, ROOT, TEMPLATES, run_cli

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back: pip install pypdf")
docx = pytest.importorskip("docx", reason="python-docx reads the memos back")

LOCATED = re.compile(r"^\S+:\d+:\d+: ")
SUMMARY_LINE = re.compile(r"^content: \d+ errors?(, \d+ warnings?)?$")
LEVELS = ("public", "internal", "restricted")
TODAY = date(2026, 11, 20)
ALPHA = "instruments/alpha-pact.yaml"
BETA = "instruments/beta-forum.yaml"
CANARY = FIXTURES / "canary"
HOSTILE_TREE = FIXTURES / "hostile"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int] | None]:
    """Every file's bytes, modification time and inode (a rewrite with equal bytes still shows), and
    every folder."""
    shot: dict[str, tuple[bytes, int, int] | None] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file():
            stat = path.stat()
            shot[name] = (path.read_bytes(), stat.st_mtime_ns, stat.st_ino)
        else:
            shot[name + "/"] = None
    return shot


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    """Text with line-end hyphenation undone and all whitespace removed: how a word is searched in a PDF
    whose lines may break (or hyphenate) anywhere."""
    return "".join(re.sub(r"[-\u00ad\u2010]\s*\n", "", text).split())


def docx_parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {
            name: package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith((".xml", ".rels"))
        }


def xml_text(xml: str) -> str:
    return re.sub(r"<[^>]*>", "", xml)


# === bad input through the real command line ===========================================================


# Every file of the last good build: the public documents of the good tree (its brief on the one public
# instrument, its briefing book and its country briefs, each as PDF and DOCX) and the manifest.
LAST_GOOD = {
    "manifest.json",
    *(
        f"public/{stem}.{fmt}"
        for stem in ("alpha-pact", "book", "countries/AR", "countries/BR", "countries/CL")
        for fmt in ("pdf", "docx")
    ),
}


def files_of(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def last_good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A previous good build (every public document of the good tree, books and country briefs included),
    copied into each test's output."""
    output = tmp_path_factory.mktemp("last-good") / "output"
    result = run_cli("build", "--content", GOOD, "--output", output, "--audience", "public", "-j", "1")
    assert result.code == 0, result.stderr
    assert files_of(output) == LAST_GOOD
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(entry["path"] for entry in manifest["targets"]) == sorted(LAST_GOOD - {"manifest.json"})
    return output


@pytest.fixture
def output(last_good: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "output"
    shutil.copytree(last_good, copy)
    return copy


def edit(name: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(tree: Path) -> None:
        path = tree / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def put(name: str, data: bytes) -> Callable[[Path], None]:
    def apply(tree: Path) -> None:
        (tree / name).write_bytes(data)

    return apply


def reencode(name: str, old: str, new: str, encoding: str) -> Callable[[Path], None]:
    def apply(tree: Path) -> None:
        path = tree / name
        path.write_bytes(path.read_text(encoding="utf-8").replace(old, new, 1).encode(encoding))

    return apply


def sparse(name: str, size: int) -> Callable[[Path], None]:
    def apply(tree: Path) -> None:
        with (tree / name).open("wb") as handle:
            handle.truncate(size)

    return apply


ALIAS_BOMB = b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + b"".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n".encode() for i in range(8)
)
HUGE_TAIL = "Forum is a ministers' dialogue that has not met since 2018."
DEEP_BLOCK = (
    "".join("  " * depth + f"k{depth}:\n" for depth in range(MAX_DEPTH + 1)) + "  " * (MAX_DEPTH + 1) + "v\n"
)


@dataclass(frozen=True)
class Bad:
    """One class of bad input: how to break the good tree, and the first line `build` must print
    (`<tree>/` + this), up to and including the start of the message."""

    id: str
    mutate: Callable[[Path], None]
    first: str


BAD_INPUT = [
    Bad(
        "yaml-syntax",
        edit(ALPHA, "kind: treaty", "kind: [treaty"),
        f"{ALPHA}:6:8: while parsing a flow sequence (opened at line 5, column 7): "
        "did not find expected ',' or ']'",
    ),
    Bad(
        "yaml-bad-indent",
        edit(BETA, "release: internal", "  release: internal"),
        f"{BETA}:4:10: mapping values are not allowed in this context",
    ),
    Bad(
        "duplicate-key",
        edit(BETA, "kind: forum\n", "kind: forum\nrelease: public\n"),
        f"{BETA}:5:1: duplicate key 'release' (first defined at line 4, column 1)",
    ),
    Bad(
        "misspelt-key",
        edit(ALPHA, "acronym: AP", "acronym: AP\nsumary: x"),
        f"{ALPHA}:5:1: unknown key 'sumary'; did you mean 'summary'?",
    ),
    Bad(
        "unknown-key",
        edit(BETA, "kind: forum", "kind: forum\nowner: Directorate B"),
        f"{BETA}:4:1: unknown key 'owner'; expected one of: id, name,",
    ),
    Bad(
        "unknown-nested-key",
        edit(ALPHA, "{country: AR, joined: 1990-05-01}", "{country: AR, joined: 1990-05-01, weight: 3}"),
        f"{ALPHA}:15:39: unknown key 'weight' in members[0]; expected one of: country, joined,",
    ),
    Bad(
        "wrong-type-list",
        edit(BETA, "objectives: [Dialogue among defence ministers.]", "objectives: Dialogue."),
        f"{BETA}:8:13: objectives: Input should be a valid list",
    ),
    Bad(
        "wrong-type-integer",
        edit(ALPHA, "year: 1990", "year: nineteen-ninety"),
        f"{ALPHA}:40:83: sources[0].year: Input should be a valid integer",
    ),
    Bad(
        "wrong-type-mapping",
        edit(BETA, "status: {state: dormant, since: 2018-03}", "status: dormant"),
        f"{BETA}:6:9: status: Input should be a valid dictionary",
    ),
    Bad(
        "invalid-date",
        edit(ALPHA, "as_of: 2026-11-01", "as_of: 2026-02-30"),
        f"{ALPHA}:41:8: as_of: '2026-02-30' is not a real calendar date",
    ),
    Bad(
        "inconsistent-dates",
        edit(ALPHA, "left: 2001-02", "left: 1989"),
        f"{ALPHA}:17:45: members[2]: left 1989 is before joined 1990-05-01",
    ),
    Bad(
        "date-after-as-of",
        edit(BETA, "since: 2018-03", "since: 2027-03"),
        f"{BETA}:6:33: status.since 2027-03 is after as_of 2026-10-01",
    ),
    Bad(
        "unknown-country",
        edit(ALPHA, "{country: CL,", "{country: ZZ,"),
        f"{ALPHA}:17:15: members[2].country: unknown country 'ZZ' (not in countries.yaml)",
    ),
    Bad(
        "unknown-related",
        edit(BETA, "related: [alpha-pact]", "related: [alpha-packt]"),
        f"{BETA}:9:11: related[0]: unknown instrument 'alpha-packt'; did you mean 'alpha-pact'?",
    ),
    Bad(
        "id-not-file-name",
        edit(BETA, "id: beta-forum", "id: beta-council"),
        f"{BETA}:1:5: id 'beta-council' differs from the file name 'beta-forum.yaml'",
    ),
    Bad("empty-file", put(BETA, b""), f"{BETA}:1:1: file is empty"),
    Bad("blank-file", put(BETA, b"  \n\n# nothing here\n"), f"{BETA}:1:1: file is empty"),
    Bad(
        "not-utf8-latin1",
        reencode(ALPHA, "Buenos Aires", "Bogotá", "latin-1"),
        f"{ALPHA}:35:45: file is not valid UTF-8 (byte 0xe1)",
    ),
    Bad(
        "not-utf8-utf16", reencode(BETA, "", "", "utf-16"), f"{BETA}:1:1: file is not valid UTF-8 (byte 0xff)"
    ),
    Bad(
        "anchor",
        edit(ALPHA, "name: Alpha Pact", "name: &n Alpha Pact"),
        f"{ALPHA}:2:7: anchors (&name) are not allowed; write the value out",
    ),
    Bad(
        "alias",
        edit(ALPHA, "acronym: AP", "acronym: *n"),
        f"{ALPHA}:4:10: aliases (*name) are not allowed; write the value out",
    ),
    Bad(
        "alias-bomb",
        put("instruments/lol.yaml", ALIAS_BOMB),
        "instruments/lol.yaml:1:4: anchors (&name) are not allowed; write the value out",
    ),
    Bad(
        "merge-key",
        edit(BETA, "kind: forum", "kind: forum\n<<: {acronym: BF}"),
        f"{BETA}:4:1: merge keys (<<) are not allowed",
    ),
    Bad(
        "python-tag",
        edit(BETA, "kind: forum", "kind: !!python/object/apply:os.system ['touch pwned']"),
        f"{BETA}:3:7: tag tag:yaml.org,2002:python/object/apply:os.system is not allowed",
    ),
    Bad(
        "oversize",
        edit(ALPHA, "id: alpha-pact\n", "id: alpha-pact\n" + "#" * MAX_FILE_BYTES + "\n"),
        f"{ALPHA}:1:1: file is {MAX_FILE_BYTES + 1 + len((GOOD / ALPHA).read_bytes()):,} bytes; "
        f"the limit is {MAX_FILE_BYTES:,}",
    ),
    Bad(
        "oversize-sparse-2gib",
        sparse("instruments/huge.yaml", 2 << 30),
        f"instruments/huge.yaml:1:1: file is {2 << 30:,} bytes; the limit is {MAX_FILE_BYTES:,}",
    ),
    Bad(
        "control-character-raw",
        edit(ALPHA, "name: Alpha Pact", "name: Alpha\x07Pact"),
        f"{ALPHA}:2:12: control character U+0007 is not allowed",
    ),
    Bad(
        "control-character-escaped",
        edit(ALPHA, "name: Alpha Pact", 'name: "Alpha\\e[2JPact"'),
        f"{ALPHA}:2:7: name: control character U+001B at character 6 is not allowed",
    ),
    Bad(
        "control-character-in-choice",
        edit(ALPHA, "kind: treaty", 'kind: "treaty\\n/etc/x.yaml:1:1: forged\\e[2J"'),
        f"{ALPHA}:5:7: kind: 'treaty\\n/etc/x.yaml:1:1: forged\\u001b[2J' is not one of 'treaty',",
    ),
    Bad(
        "control-character-in-key",
        edit(ALPHA, "acronym: AP", 'acronym: AP\n"acro\\u2028nym\\r": AP'),
        f"{ALPHA}:5:1: unknown key 'acro\\u2028nym\\r'; did you mean 'acronym'?",
    ),
    Bad(
        "deep-nesting",
        edit(
            ALPHA,
            "acronym: AP\n",
            "acronym: AP\nextra:\n" + "".join("  " + ln + "\n" for ln in DEEP_BLOCK.splitlines()),
        ),
        f"{ALPHA}:17:25: nesting deeper than {MAX_DEPTH} levels",
    ),
    Bad(
        "huge-text",
        edit(BETA, "summary: Beta Forum", "summary: " + "Beta " * 1000 + "Forum"),
        f"{BETA}:7:10: summary[0].text: text is {len('Beta ' * 1000 + HUGE_TAIL):,} characters; "
        f"the limit is {MAX_TEXT_CHARS:,}",
    ),
    Bad(
        "long-list",
        edit(
            BETA,
            "objectives: [Dialogue among defence ministers.]",
            "objectives: [" + ", ".join(["Talk."] * (MAX_LIST_ITEMS + 1)) + "]",
        ),
        f"{BETA}:8:13: objectives: List should have at most {MAX_LIST_ITEMS} items after validation, "
        f"not {MAX_LIST_ITEMS + 1}",
    ),
    Bad(
        "shared-file-audiences",
        edit("audiences.yaml", "clearance: internal", "clearance: secret"),
        "audiences.yaml:22:14: staff.clearance: 'secret' is not one of 'public', 'internal' or 'restricted'",
    ),
    Bad(
        "shared-file-office",
        edit("office.yaml", "language: en", "language: english"),
        "office.yaml:3:11: language: 'english' is not a BCP 47 language tag",
    ),
    Bad(
        "wrong-extension",
        put("instruments/gamma.yml", b"id: gamma\n"),
        "instruments/gamma.yml:1:1: instrument files must end in .yaml",
    ),
]


@pytest.mark.parametrize("case", BAD_INPUT, ids=[case.id for case in BAD_INPUT])
def test_bad_input_is_refused_at_load_with_the_located_first_error(case: Bad, good_tree: Path) -> None:
    """What `build` prints first, found without the command line (the default run's fast check; the
    slow test below runs the real `build` over a previous good build)."""
    case.mutate(good_tree)
    with pytest.raises(ContentError) as caught:
        load_corpus(good_tree, today=TODAY)
    lines = [diagnostic.format() for diagnostic in caught.value.diagnostics]
    assert lines[0].startswith(f"{good_tree}/{case.first}"), lines[0][:400]
    assert all(LOCATED.match(line) and "\n" not in line for line in lines), lines


@pytest.mark.slow
@pytest.mark.parametrize("case", BAD_INPUT, ids=[case.id for case in BAD_INPUT])
def test_bad_input_fails_located_and_leaves_the_last_good_build(
    case: Bad, good_tree: Path, output: Path
) -> None:
    case.mutate(good_tree)
    before = snapshot(output)
    started = time.perf_counter()
    result = run_cli("build", "--content", good_tree, "--output", output, "--force")
    elapsed = time.perf_counter() - started
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert lines, "no diagnostics"
    assert LOCATED.match(lines[0]), lines[0]
    assert lines[0].startswith(f"{good_tree}/{case.first}"), lines[0][:400]
    # every line is one whole diagnostic (nothing from the file can break a line) or the closing count
    assert all(LOCATED.match(line) for line in lines[:-1]), lines
    assert SUMMARY_LINE.match(lines[-1]), lines[-1]
    assert max(len(line) for line in lines) < 1000, "a value from the file was echoed at full length"
    assert snapshot(output) == before
    assert elapsed < 20, f"took {elapsed:.1f} s"


@pytest.mark.slow
def test_all_errors_of_all_files_are_reported_in_one_run(good_tree: Path, output: Path) -> None:
    edit(ALPHA, "{country: AR,", "{country: ZZ,")(good_tree)
    edit(ALPHA, "left: 2001-02", "left: 1989")(good_tree)
    theta = (good_tree / BETA).read_text(encoding="utf-8").replace("beta-forum", "theta")
    put(
        "instruments/theta.yaml",
        theta.replace("kind: forum", "kind: forun").replace("2026-10-01", "2026-11-31").encode(),
    )(good_tree)
    edit(BETA, "kind: forum\n", "kind: forum\nkind: board\n")(good_tree)
    edit("audiences.yaml", "page_budget: 4", "page_budget: four")(good_tree)
    edit("office.yaml", "stale_after_days: 3650", "stale_after_days: 3650\ncolour: blue")(good_tree)
    put("instruments/gamma.yaml", b"id: gamma\nname: [unclosed\n")(good_tree)
    put("instruments/delta.yaml", "id: delta\nname: Delta é\n".encode("latin-1"))(good_tree)
    put("instruments/epsilon.yaml", b"")(good_tree)
    put("instruments/zeta.yaml", b"a: &x 1\nb: *x\n")(good_tree)
    put("instruments/eta.yml", b"id: eta\n")(good_tree)
    before = snapshot(output)
    result = run_cli("build", "--content", good_tree, "--output", output)
    assert result.code == 1
    assert "Traceback" not in result.stderr
    expected = [
        "audiences.yaml:25:16: staff.page_budget: Input should be a valid integer",
        f"{ALPHA}:15:15: members[0].country: unknown country 'ZZ'",
        f"{ALPHA}:17:45: members[2]: left 1989 is before joined 1990-05-01",
        f"{BETA}:4:1: duplicate key 'kind' (first defined at line 3, column 1)",
        "instruments/delta.yaml:2:13: file is not valid UTF-8 (byte 0xe9)",
        "instruments/epsilon.yaml:1:1: file is empty",
        "instruments/eta.yml:1:1: instrument files must end in .yaml",
        "instruments/gamma.yaml:3:1: while parsing a flow sequence",
        "instruments/theta.yaml:3:7: kind: 'forun' is not one of",
        "instruments/theta.yaml:12:8: as_of: '2026-11-31' is not a real calendar date",
        "instruments/zeta.yaml:1:4: anchors (&name) are not allowed",
        "office.yaml:5:1: unknown key 'colour'",
    ]
    lines = result.stderr.splitlines()
    for start in expected:
        assert sum(line.startswith(f"{good_tree}/{start}") for line in lines) == 1, (start, lines)
    assert lines[-1] == f"content: {len(expected)} errors"
    assert len(lines) == len(expected) + 1, lines
    assert snapshot(output) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--audience", "press"), "unknown audience 'press'; choose from: analyst, executive, public, staff"),
        (
            ("--instrument", "gamma-pact"),
            "unknown instrument 'gamma-pact'; choose from: alpha-pact, beta-forum",
        ),
        (("--format", "odt"), "'odt' is not one of 'pdf', 'docx'"),
        (("--product", "booklet"), "unknown product 'booklet'; choose from: book, brief, countries"),
        (("--audience", "public", "--audience", "Public"), "unknown audience 'Public'"),
        (("--jobs", "-1"), "-1 is not in the range x>=0"),
        (("--shard", "0/2"), "K must be between 1 and N"),
    ],
    ids=["audience", "instrument", "format", "product", "audience-case", "jobs", "shard"],
)
def test_wrong_command_line_values_exit_2_and_write_nothing(
    args: tuple[str, ...], message: str, output: Path
) -> None:
    before = snapshot(output)
    result = run_cli("build", "--content", GOOD, "--output", output, "--force", *args)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(output) == before


# === hostile content =====================================================================================

HOSTILE = (
    '<img src="http://127.0.0.1:__PORT__/x.png">',
    '<link rel=stylesheet href="http://127.0.0.1:__PORT__/a.css">',
    "<style>@import url(http://127.0.0.1:__PORT__/b.css)</style>",
    "url(file:///etc/passwd)",
    '<a href="file:///etc/shadow">x</a>',
    "data:text/html;base64,PGltZyBzcmM9eD4=",
    "**bold**",
    "[link](http://127.0.0.1:__PORT__/md)",
    "{{ 7*7 }}",
    "{% raw %}",
    "]]>",
    "<w:p>",
)
# The fields holding all of HOSTILE at once: summary, member role, objective, timeline event, source title.
HOSTILE_PLACES = 5
XML_BREAKOUT = "</w:t></w:r></w:p><w:p><w:r><w:t>injected"


class Listener:
    """A loopback TCP listener that accepts (and counts) connections in a thread until closed."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.05)
        self.port: int = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def settle(self) -> int:
        """The count once anything still waiting in the backlog has been accepted."""
        time.sleep(0.3)
        return self.accepted

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    # the listener must be able to see a connection, or "no connection" proves nothing
    socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
    assert server.settle() == 1
    server.accepted = 0
    yield server
    server.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, listener: Listener) -> Path:
    tree = tmp_path_factory.mktemp("hostile") / "content"
    shutil.copytree(HOSTILE_TREE, tree)
    path = tree / "instruments" / "hostile-pact.yaml"
    text = path.read_text(encoding="utf-8").replace("__PORT__", str(listener.port))
    path.write_text(text, encoding="utf-8")
    return tree


def with_port(text: str, port: int) -> str:
    return text.replace("__PORT__", str(port))


def hostile_full(port: int) -> str:
    return with_port(" ".join(HOSTILE), port)


def source_urls(port: int) -> set[str]:
    return {f"http://127.0.0.1:{port}/source.css?q={{{{7*7}}}}", f"http://127.0.0.1:{port}/img.png"}


def test_hostile_fixture_holds_every_hostile_string_in_each_place(hostile: Path, listener: Listener) -> None:
    data = yaml.safe_load((hostile / "instruments" / "hostile-pact.yaml").read_text(encoding="utf-8"))
    full = hostile_full(listener.port)
    assert data["summary"] == [full]
    assert data["members"][0]["role"] == full
    assert data["objectives"] == [full]
    assert data["timeline"][0]["text"] == full
    assert data["sources"][0]["title"] == full
    assert {s["url"] for s in data["sources"]} == source_urls(listener.port)
    assert data["assessment"][0]["text"].endswith(XML_BREAKOUT)


# Run in a child process: an audit hook cannot be removed, and with WeasyPrint's font objects alive,
# CPython 3.11 crashes (SIGSEGV) at interpreter exit while audit hooks are installed; the child leaves
# through os._exit once its report is written.
AUDITED_RENDER = r"""
import json, os, sys
from pathlib import Path
from atalaya.model import load_corpus
from atalaya.render import TemplateSet
from atalaya.select import make_view
from atalaya.formats.docx.writer import DocxWriter
from atalaya.formats.pdf.writer import PdfWriter

content, templates, out = map(Path, sys.argv[1:4])
audiences = sys.argv[4:]
corpus = load_corpus(content)
events = []
recording = True
WATCH = ("open", "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request",
         "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "http.client.connect")

def hook(event, args):
    if recording and event in WATCH:
        first = args[0] if args else None
        events.append([event, first if isinstance(first, (str, int)) else repr(first)])

sys.addaudithook(hook)  # after the imports: library discovery at import time is not the render's doing
template_set = TemplateSet(templates)
pdf_writer, docx_writer = PdfWriter(template_set), DocxWriter(template_set)
results = {}
for audience in audiences:
    view = make_view(corpus, corpus.instruments["hostile-pact"], audience)
    pdf = pdf_writer.render(view, [f"briefing/{audience}.html.j2", "briefing/base.html.j2"])
    memo = docx_writer.render(view, [f"memo/{audience}.xml.j2", "memo/base.xml.j2"])
    results[audience] = (pdf, memo)
recording = False
for audience, (pdf, memo) in results.items():
    (out / f"{audience}.pdf").write_bytes(pdf.data)
    (out / f"{audience}.html").write_bytes(pdf.side_files[".html"])
    (out / f"{audience}.docx").write_bytes(memo.data)
(out / "report.json").write_text(json.dumps({
    "events": [[e, str(a)] for e, a in events],
    "warnings": {a: [[w.format() for w in p.warnings], [w.format() for w in m.warnings]] for a, (p, m) in results.items()},
}), encoding="utf-8")
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
"""


@dataclass
class Audited:
    events: list[tuple[str, str]]
    warnings: dict[str, Any]
    folder: Path


@pytest.fixture(scope="module")
def audited(hostile: Path, tmp_path_factory: pytest.TempPathFactory, listener: Listener) -> Audited:
    folder = tmp_path_factory.mktemp("audited")
    script = folder / "render.py"
    script.write_text(AUDITED_RENDER, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(hostile), str(TEMPLATES), str(folder), "analyst", "public"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return Audited([tuple(e) for e in report["events"]], report["warnings"], folder)


def allowed_to_open(path: Path) -> bool:
    """Template files (and assets), the exact font files (and their prepared copies), WeasyPrint's temporary copies of them, the
    data files of WeasyPrint (its user-agent stylesheets), the hyphenation and Word packages, Babel's CLDR
    data (dates and country names) and the project's gettext catalogues (labels), the system's MIME type
    table (read by `mimetypes` on first use) and Python modules imported on first use."""
    import mimetypes

    import babel
    import font_source_sans_pro
    import font_source_serif_pro
    import pyphen

    from atalaya.formats.pdf.fonts import font_faces, prepare_face

    if path.is_relative_to(TEMPLATES.resolve()):
        return True
    if path in {face.path for face in font_faces()} | {prepare_face(face).path for face in font_faces()}:
        return True
    if (
        path.parent.name.startswith("weasyprint-")
        and path.parent.parent == Path(tempfile.gettempdir()).resolve()
    ):
        return True
    if str(path) in mimetypes.knownfiles:
        return True
    package_data = (
        Path(str(importlib.util.find_spec("weasyprint").origin)).resolve().parent / "css",
        Path(pyphen.__file__).resolve().parent / "dictionaries",
        Path(docx.__file__).resolve().parent / "templates",
        Path(babel.__file__).resolve().parent,  # global.dat and locale-data/<language>.dat
        (ROOT / "locale").resolve(),
        Path(font_source_serif_pro.font_directory).resolve(),
        Path(font_source_sans_pro.font_directory).resolve(),
        (ROOT / "src" / "atalaya" / "data").resolve(),  # the map's boundaries (atalaya.maps)
    )
    if any(path.is_relative_to(folder) for folder in package_data):
        return True
    code_roots = (Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), (ROOT / "src").resolve())
    return path.suffix in (".py", ".pyc", ".so") and any(path.is_relative_to(r) for r in code_roots)


@pytest.mark.slow
def test_hostile_render_opens_only_templates_fonts_and_code_and_connects_nowhere(
    audited: Audited, listener: Listener
) -> None:
    opened = [
        Path(ROOT, arg).resolve() for event, arg in audited.events if event == "open" and not arg.isdigit()
    ]
    # the hook saw the renderers at work: it is not blind
    assert any(p.name.startswith("SourceSerifPro-Regular") for p in opened)
    assert any(p.name == "base.html.j2" for p in opened)
    assert any(p.name == "base.xml.j2" for p in opened)
    assert [str(p) for p in opened if not allowed_to_open(p)] == []
    assert not [p for p in opened if p.is_relative_to(Path("/etc"))]
    others = [(event, arg) for event, arg in audited.events if event != "open"]
    assert others == []
    assert listener.settle() == 0
    # nothing was refused either: the content never asked for anything
    assert audited.warnings == {"analyst": [[], []], "public": [[], []]}


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["analyst", "public"])
def test_hostile_strings_show_literally_in_the_pdf(
    audited: Audited, listener: Listener, audience: str
) -> None:
    port = listener.port
    data = (audited.folder / f"{audience}.pdf").read_bytes()
    text = pdf_text(data)
    assert squeeze(text).count(squeeze(hostile_full(port))) == HOSTILE_PLACES
    for string in HOSTILE:
        assert squeeze(with_port(string, port)) in squeeze(text)
    assert "{{ 7*7 }}" in text and "{% raw %}" in text
    assert "49" not in text.replace(str(port), "")  # no template evaluated the content
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata.title.startswith("Hostile <b>Pact</b> {{ 7*7 }} (<i>HP</i>)")
    uris = {
        unquote(str(annotation.get_object()["/A"]["/URI"]))
        for page in reader.pages
        for annotation in page.get("/Annots") or []
        if "/URI" in annotation.get_object().get("/A", {})
    }
    assert uris == source_urls(port)  # the sources' own links, nothing made from the text


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["analyst", "public"])
def test_hostile_strings_show_literally_in_the_html(
    audited: Audited, listener: Listener, audience: str
) -> None:
    from lxml import html as lxml_html

    page = (audited.folder / f"{audience}.html").read_text(encoding="utf-8")
    tree = lxml_html.document_fromstring(page)
    # the one stylesheet is the writer's own, written into <head> so kept HTML renders alone
    styles = list(tree.iter("style"))
    assert len(styles) == 1 and styles[0].getparent().tag == "head"
    assert "127.0.0.1" not in styles[0].text_content()
    styles[0].drop_tree()
    forbidden = {"img", "link", "style", "script", "iframe", "object", "embed", "image", "base"}
    assert [
        el.tag for el in tree.iter() if isinstance(el.tag, str) and el.tag.split("}")[-1] in forbidden
    ] == []
    assert [el.tag for el in tree.iter() if el.get("src") is not None] == []
    hrefs = {el.get("href") for el in tree.iter() if el.get("href") is not None}
    assert {h for h in hrefs if not h.startswith("#")} == source_urls(listener.port)
    shown = " ".join(tree.text_content().split())
    assert shown.count(hostile_full(listener.port)) == HOSTILE_PLACES
    assert "49" not in shown.replace(str(listener.port), "")


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["analyst", "public"])
def test_hostile_strings_show_literally_in_the_docx(
    audited: Audited, listener: Listener, audience: str
) -> None:
    port = listener.port
    data = (audited.folder / f"{audience}.docx").read_bytes()
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    full = hostile_full(port)
    assert sum(text.count(full) for text in texts) == HOSTILE_PLACES, texts
    # markup stays text: no run of the hostile paragraphs is bold, italic or a link made from the text
    for paragraph in document.paragraphs:
        if full in paragraph.text:
            assert not any(run.bold for run in paragraph.runs if "**bold**" in run.text)
    external = {rel.target_ref for rel in document.part.rels.values() if rel.is_external}
    assert external == source_urls(port)
    parts = docx_parts(data)
    body = xml_text(parts["word/document.xml"])
    assert "{{ 7*7 }}" in body and "{% raw %}" in body
    for name, xml in parts.items():
        assert "49" not in xml_text(xml).replace(str(port), ""), name
    if audience == "analyst":
        # an XML break-out in the text stays inside its one paragraph
        holding = [p.text for p in document.paragraphs if "injected" in p.text]
        assert len(holding) == 1 and XML_BREAKOUT in holding[0]
        assert document.core_properties.title.startswith("Hostile <b>Pact</b> {{ 7*7 }}")


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(
        ["strace", "-f", "-qq", "-o", "/dev/null", "true"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.slow
def test_cli_build_of_hostile_content_reads_no_forbidden_file_and_connects_nowhere(
    hostile: Path, listener: Listener, tmp_path: Path
) -> None:
    output = tmp_path / "output"
    args = [
        "build",
        "--content",
        str(hostile),
        "--output",
        str(output),
        "--html",
        "-j",
        "1",
        "--audience",
        "analyst",
        "--audience",
        "public",
    ]
    log = tmp_path / "strace.log"
    traced = _strace_works()
    if traced:
        done = subprocess.run(
            [
                "strace",
                "-f",
                "-qq",
                "-e",
                "trace=?open,openat,?openat2,connect",
                "-o",
                str(log),
                sys.executable,
                str(ROOT / "build.py"),
                *args,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        code, stderr = done.returncode, done.stderr
    else:
        result = run_cli(*args)
        code, stderr = result.code, result.stderr
    assert code == 0, stderr
    assert "Traceback" not in stderr and "warning" not in stderr
    assert listener.settle() == 0
    for name in ("analyst/hostile-pact.pdf", "public/hostile-pact.docx", "analyst/hostile-pact.html"):
        assert (output / name).is_file()
    if not traced:
        pytest.skip("strace is not available here (apt-get install strace): file opens not traced")
    calls = log.read_text(encoding="utf-8", errors="replace").splitlines()
    opened = [m.group(1) for line in calls if (m := re.search(r'open(?:at2?)?\(.*?"([^"]*)"', line))]
    assert any(path.endswith("SourceSerifPro-Regular.ttf") for path in opened)  # the trace is not blind
    assert [p for p in opened if p in ("/etc/passwd", "/etc/shadow") or "127.0.0.1" in p] == []
    inet = [line for line in calls if "connect(" in line and "AF_INET" in line]
    assert inet == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "data:text/html;base64,PGI+eDwvYj4=",
        "javascript:alert(1)",
        "ftp://127.0.0.1/x",
        "//127.0.0.1/x",
        "http://127.0.0.1/<img>",
        "https://x\n.example",
    ],
)
def test_source_urls_other_than_http_are_refused(good_tree: Path, url: str) -> None:
    path = good_tree / ALPHA
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('url: "https://example.org/alpha"', f"url: {json.dumps(url)}"), encoding="utf-8"
    )
    with pytest.raises(ContentError) as caught:
        load_corpus(good_tree, today=TODAY)
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.line, diagnostic.col) == (40, 94)
    assert diagnostic.message.endswith("is not an http(s) URL")
    assert "\n" not in diagnostic.format()


# === releasability: canaries ============================================================================

SECTION_OF = {
    "SUM": "summary",
    "OBJ": "objectives",
    "ACT": "activities",
    "CHA": "challenges",
    "ASS": "assessment",
    "REC": "recommendations",
    "TIM": "timeline",
    "ROL": "members",
    "PAR": "partners",
    "NOT": "key_facts",
    "REL": "related",
}
LEVEL_OF = {"PUB": "public", "INT": "internal", "RES": "restricted"}
CANARY_WORD = re.compile(r"ZZ([A-Z]{3})([A-Z]{3})ZZ")
CANARY_DOCUMENTS = ("canary-mixed", "canary-note-internal", "canary-public")
AUDIENCES = yaml.safe_load((CANARY / "audiences.yaml").read_text(encoding="utf-8"))
# (audience, format, field) combinations a document leaves out by design although the view holds them:
# none at present (every document shows what its view holds, so its banner matches what it carries).
NOT_SHOWN: set[tuple[str, str, str]] = set()


def rank(level: str) -> int:
    return LEVELS.index(level)


def _instrument(name: str) -> dict[str, Any]:
    return yaml.safe_load((CANARY / "instruments" / f"{name}.yaml").read_text(encoding="utf-8"))


def canaries_of(name: str) -> dict[str, str]:
    """Each canary word the instrument's documents could carry, with the level of the item holding it
    (read from the file itself, so a mislabelled canary fails here)."""
    data = _instrument(name)
    default = data["release"]
    found: dict[str, str] = {}

    def take(text: str, level: str) -> None:
        for match in CANARY_WORD.finditer(text):
            assert match.group(0) not in found, f"{match.group(0)} is used twice in {name}"
            found[match.group(0)] = level

    for key in (
        "summary",
        "objectives",
        "activities",
        "challenges",
        "assessment",
        "recommendations",
        "timeline",
    ):
        items = data.get(key, [])
        for item in [items] if isinstance(items, str) else items:
            if isinstance(item, str):
                take(item, default)
            else:
                take(item["text"], item.get("release", default))
    for key in ("members", "partners"):
        for row in data.get(key, []):
            take(row.get("role", ""), row.get("release", default))
    note = data["status"].get("note")
    if isinstance(note, str):
        take(note, default)
    elif note is not None:
        take(note["text"], note.get("release", default))
    for related in data.get("related", []):
        other = _instrument(related)
        take(other["name"], other["release"])
    for word, level in found.items():
        assert LEVEL_OF[CANARY_WORD.fullmatch(word).group(2)] == level, f"{word} sits at {level} in {name}"
    return found


def expected_canaries(name: str, audience: str, fmt: str) -> tuple[set[str], set[str]]:
    """(must appear, must not appear) for one document, from audiences.yaml's clearance and sections."""
    settings = AUDIENCES[audience]
    shown, hidden = set(), set()
    for word, level in canaries_of(name).items():
        kind = CANARY_WORD.fullmatch(word).group(1)
        visible = (
            rank(level) <= rank(settings["clearance"])
            and SECTION_OF[kind] in settings["sections"]
            and (audience, fmt, kind) not in NOT_SHOWN
        )
        (shown if visible else hidden).add(word)
    return shown, hidden


def expected_banner(name: str, audience: str, fmt: str) -> str:
    shown, _ = expected_canaries(name, audience, fmt)
    levels = [_instrument(name)["release"], *(LEVEL_OF[CANARY_WORD.fullmatch(w).group(2)] for w in shown)]
    return max(levels, key=rank)


def test_canary_fixture_covers_every_level_in_every_field_kind() -> None:
    mixed = canaries_of("canary-mixed")
    kinds = {CANARY_WORD.fullmatch(w).group(1) for w in mixed}
    assert kinds == set(SECTION_OF) - {"REL"}
    for kind in kinds - {"NOT"}:
        assert {mixed[f"ZZ{kind}{code}ZZ"] for code in LEVEL_OF} == set(LEVELS), kind
    notes = {
        w: lv for name in CANARY_DOCUMENTS for w, lv in canaries_of(name).items() if w.startswith("ZZNOT")
    }
    assert set(notes.values()) == set(LEVELS)
    assert canaries_of("canary-public")["ZZRELINTZZ"] == "internal"
    # every audience is shown some canary and some audience is denied some: the expectations are not vacuous
    denied = set()
    for audience in AUDIENCES:
        shown, hidden = expected_canaries("canary-mixed", audience, "pdf")
        assert shown, audience
        denied |= hidden
    assert {LEVEL_OF[CANARY_WORD.fullmatch(w).group(2)] for w in denied} == set(LEVELS)


@pytest.fixture(scope="module")
def canary_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("canary") / "output"
    instruments = [arg for name in CANARY_DOCUMENTS for arg in ("--instrument", name)]
    result = run_cli("build", "--content", CANARY, "--output", output, "--html", "-j", "2", *instruments)
    assert result.code == 0, result.stderr
    assert "warning" not in result.stderr
    return output


CANARY_TARGETS = [
    (name, audience, fmt) for name in CANARY_DOCUMENTS for audience in AUDIENCES for fmt in ("pdf", "docx")
]


def _places(output: Path, name: str, audience: str, fmt: str) -> tuple[str, list[str]]:
    """(where shown canaries must appear, every text a hidden canary must not appear in)."""
    path = output / audience / f"{name}.{fmt}"
    data = path.read_bytes()
    if fmt == "pdf":
        reader = pypdf.PdfReader(io.BytesIO(data))
        text = squeeze(pdf_text(data))
        metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
        outline = json.dumps(reader.outline, default=str)
        html = path.with_suffix(".html").read_text(encoding="utf-8")
        return text, [text, metadata, outline, html, data.decode("latin-1")]
    parts = docx_parts(data)
    everything = [*parts.values(), *(xml_text(xml) for xml in parts.values())]
    return xml_text(parts["word/document.xml"]), everything


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "audience", "fmt"), CANARY_TARGETS, ids=["/".join(t) for t in CANARY_TARGETS]
)
def test_canaries_appear_exactly_where_clearance_and_sections_allow(
    canary_build: Path, name: str, audience: str, fmt: str
) -> None:
    shown, hidden = expected_canaries(name, audience, fmt)
    where_shown, everywhere = _places(canary_build, name, audience, fmt)
    assert sorted(w for w in shown if w not in where_shown) == []
    if fmt == "pdf":  # the kept HTML carries them too
        html = (canary_build / audience / f"{name}.html").read_text(encoding="utf-8")
        assert sorted(w for w in shown if w not in html) == []
    leaked = sorted({w for w in hidden for text in everywhere if w in text})
    assert leaked == []


BANNER_CASES = [pytest.param(*target, id="/".join(target)) for target in CANARY_TARGETS]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "audience", "fmt"), BANNER_CASES)
def test_banner_names_the_highest_level_present(
    canary_build: Path, name: str, audience: str, fmt: str
) -> None:
    banner = expected_banner(name, audience, fmt).upper()
    path = canary_build / audience / f"{name}.{fmt}"
    if fmt == "pdf":
        reader = pypdf.PdfReader(path)
        for page in reader.pages:
            marks = [
                line.strip()
                for line in page.extract_text().splitlines()
                if line.strip() in {"PUBLIC", "INTERNAL", "RESTRICTED"}
            ]
            assert set(marks) == {banner} and len(marks) >= 2, marks  # top and bottom of every page
    else:
        document = docx.Document(path)
        section = document.sections[0]
        assert section.header.paragraphs[0].text == banner
        assert section.footer.paragraphs[-1].text == banner
        assert document.core_properties.content_status == banner


# === crashes and limits ===================================================================================


def _fails_fast(root: Path, seconds: float = 2.0) -> list[str]:
    started = time.perf_counter()
    with pytest.raises(ContentError) as caught:
        load_corpus(root, today=TODAY)
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    return [d.format().replace(f"{root}/", "") for d in caught.value.diagnostics]


def test_file_size_cap_refuses_a_huge_file_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(8 << 30)  # sparse: 8 GiB that would exhaust memory if read
    started = time.perf_counter()
    with pytest.raises(ContentError) as caught:
        load_file(huge, "huge.yaml")
    assert time.perf_counter() - started < 0.5
    assert [d.format() for d in caught.value.diagnostics] == [
        f"huge.yaml:1:1: file is {8 << 30:,} bytes; the limit is {MAX_FILE_BYTES:,}"
    ]
    just_under = tmp_path / "under.yaml"
    just_under.write_bytes(b"a: b\n" + b"#" * (MAX_FILE_BYTES - 6) + b"\n")
    assert load_file(just_under, "under.yaml").data == {"a": "b"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("extra: " + "[" * 100_000 + "]" * 100_000 + "\n", f"{ALPHA}:5:{7 + MAX_DEPTH}: "),
        ("extra: " + "{a: " * 40_000 + "1" + "}" * 40_000 + "\n", f"{ALPHA}:5:{8 + 4 * (MAX_DEPTH - 1)}: "),
        ("extra:\n" + "".join("  " + line + "\n" for line in DEEP_BLOCK.splitlines()), f"{ALPHA}:17:"),
    ],
    ids=["flow-sequences-100k", "flow-mappings-40k", "block-mapping"],
)
def test_nesting_cap_fails_fast_without_recursion(good_tree: Path, text: str, expected: str) -> None:
    path = good_tree / ALPHA
    path.write_text(
        path.read_text(encoding="utf-8").replace("acronym: AP\n", "acronym: AP\n" + text), encoding="utf-8"
    )
    assert path.stat().st_size <= MAX_FILE_BYTES
    [message] = _fails_fast(good_tree)
    assert message.startswith(expected)
    assert message.endswith(f"nesting deeper than {MAX_DEPTH} levels")


@pytest.mark.parametrize("length", [MAX_TEXT_CHARS + 1, 250_000])
def test_text_cap_fails_fast_with_a_short_message(good_tree: Path, length: int) -> None:
    path = good_tree / BETA
    word = "x" * (length - len("Beta"))
    path.write_text(
        path.read_text(encoding="utf-8").replace("name: Beta Forum", f"name: Beta{word}"), encoding="utf-8"
    )
    assert _fails_fast(good_tree) == [
        f"{BETA}:2:7: name: text is {length:,} characters; the limit is {MAX_TEXT_CHARS:,}"
    ]
    path.write_text(
        path.read_text(encoding="utf-8").replace(f"name: Beta{word}", "name: " + "x" * MAX_TEXT_CHARS),
        encoding="utf-8",
    )
    load_corpus(good_tree, today=TODAY)  # exactly at the limit is fine


@pytest.mark.parametrize("count", [MAX_LIST_ITEMS + 1, 40_000])
def test_list_cap_fails_fast(good_tree: Path, count: int) -> None:
    path = good_tree / BETA
    items = "[" + ",".join(["x"] * count) + "]"
    text = path.read_text(encoding="utf-8").replace(
        "objectives: [Dialogue among defence ministers.]", "objectives: " + items
    )
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size <= MAX_FILE_BYTES
    assert _fails_fast(good_tree) == [
        f"{BETA}:8:13: objectives: List should have at most {MAX_LIST_ITEMS} items after validation, "
        f"not {count}"
    ]


def test_echoed_values_are_cut_short_and_kept_on_one_line(good_tree: Path) -> None:
    path = good_tree / ALPHA
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'url: "https://example.org/alpha"', 'url: "https://example.org/' + "a" * 100_000 + '"'
    )
    text = text.replace("kind: treaty", 'kind: "' + "treaty\\n" * 5_000 + '"')
    path.write_text(text, encoding="utf-8")
    messages = _fails_fast(good_tree)
    assert len(messages) == 2
    for message in messages:
        assert "\n" not in message
        assert len(message) < 500, message[:200]
    assert messages[0].startswith(f"{ALPHA}:5:7: kind: 'treaty\\ntreaty\\n")
    assert "… (35,000 characters)" in messages[0]
    assert messages[1].startswith(
        f"{ALPHA}:40:94: sources[0].url: String should have at most 500 characters (got 'https://"
    )
    assert messages[1].endswith("… (100,020 characters)')")
