"""Measure the build on the shipped corpus and print the figures and ratios the README reports.

One run, one machine, so the ratios compare like with like (these machines are shared and noisy). Every
build here is of the briefs on the instruments in the source edition (`--product brief --language en`);
`benchmarks/books.py` measures the briefing books and a build of every product, `benchmarks/editions.py`
the Spanish and Portuguese editions:

    python benchmarks/run.py            # everything, about five minutes on two cores
    python benchmarks/run.py --quick    # skip the 1,000-instrument corpus
    python benchmarks/run.py --text-cost  # only the long-word against ordinary-paragraph layout times
    python benchmarks/run.py --serve    # only the live preview's latency from a save (under a minute)

Figures: full build at -j1 and -j2; PDF-only build at -j2; no-op rebuild; one-edit rebuild; DOCX time per
memo; peak memory per worker; for reference the same briefings' HTML (kept with --html) rendered by the
`weasyprint` command one process per document and by WeasyPrint in one process serially; and check, list
and a no-op build over a generated corpus of 1,000 instruments; and the cost of hostile text: one generated
instrument laid out with a 4,000-character unbreakable word against the same with a 4,000-character
paragraph of ordinary words (`--text-cost` measures only that, in under a minute); and (`--serve`, only that)
the preview server's latency from a save of one instrument file to the refreshed HTML preview and PDF, against
that briefing's standalone render time measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = [sys.executable, str(ROOT / "build.py")]
BRIEFS = ("--product", "brief", "--language", "en")
"""Every build here builds the briefs on the instruments, in the source edition only: `benchmarks/books.py`
measures the briefing books and a full build of every product, `benchmarks/editions.py` the other
editions."""


def run(*args: str | Path, cwd: Path = ROOT) -> float:
    """Run the command line; return wall seconds. Fails loudly: a benchmark of a broken build is worthless."""
    started = time.perf_counter()
    done = subprocess.run([*BUILD, *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"command failed: {args}\n{done.stderr[-3000:]}")
    return elapsed


def descendants(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            child = int(entry.name)
            found.append(child)
            found.extend(descendants(child))
    return found


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_sampling_memory(*args: str | Path) -> tuple[float, dict[int, float]]:
    """Run a build and sample the peak resident memory of each worker process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*BUILD, *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peaks: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for child in descendants(process.pid):
                peaks[child] = max(peaks.get(child, 0.0), peak_rss_mb(child))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    stop.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"build failed:\n{stderr.decode()[-3000:]}")
    return time.perf_counter() - started, {pid: mb for pid, mb in peaks.items() if mb > 0}


def count_targets(content: Path, *filters: str) -> int:
    done = subprocess.run(
        [*BUILD, "list", "--content", str(content), *filters],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return len(done.stdout.split())


def link_font_files(htmls: list[Path]) -> None:
    """Point the kept HTML (which names its faces, carrying no path of the machine) at the prepared font
    files, as the build does, so the `weasyprint` runs below draw with the same faces as the build."""
    from atalaya.formats.pdf.fonts import font_face_css, font_faces, prepare_face

    faces = tuple(prepare_face(face) for face in font_faces())
    named, linked = font_face_css(faces, local=True), font_face_css(faces)
    for html in htmls:
        text = html.read_text(encoding="utf-8")
        if named not in text:
            sys.exit(f"{html}: the font rules the build writes into kept HTML are not there")
        html.write_text(text.replace(named, linked, 1), encoding="utf-8")


def weasyprint_cli_loop(htmls: list[Path], out: Path) -> float:
    executable = shutil.which("weasyprint") or str(Path(sys.executable).with_name("weasyprint"))
    started = time.perf_counter()
    for html in htmls:
        subprocess.run(
            [executable, str(html), str(out / (html.stem + html.parent.name + ".pdf"))],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def weasyprint_in_process(htmls: list[Path]) -> float:
    script = (
        "import sys, time\n"
        "from weasyprint import HTML\n"
        "paths = sys.argv[1:]\n"
        "started = time.perf_counter()\n"
        "for p in paths:\n"
        "    HTML(filename=p).write_pdf()\n"
        "print(time.perf_counter() - started)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, htmls)], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def generated_corpus(target: Path, count: int) -> Path:
    """A corpus of `count` instruments made from the shipped ones, each under a new id."""
    shutil.copytree(ROOT / "content", target)
    instruments = target / "instruments"
    originals = sorted(instruments.glob("*.yaml"))
    texts = [p.read_text(encoding="utf-8") for p in originals]
    for path in originals:
        path.unlink()
    for n in range(count):
        source = originals[n % len(originals)]
        new_id = f"{source.stem}-{n:04d}"
        text = texts[n % len(texts)].replace(f"\nid: {source.stem}\n", f"\nid: {new_id}\n", 1)
        # related ids must exist: point them at this copy's generation
        (instruments / f"{new_id}.yaml").write_text(
            _retarget_related(text, n // len(originals), count), encoding="utf-8"
        )
    return target


def _retarget_related(text: str, generation: int, count: int) -> str:
    """Related ids pointed at the copies of the same generation (the first one's where the corpus ends
    before that generation does)."""
    lines = text.splitlines(keepends=True)
    out, in_related = [], False
    for line in lines:
        if line.startswith("related:"):
            in_related = True
            out.append(line)
            continue
        if in_related and line.lstrip().startswith("- ") and line.startswith((" ", "-")):
            ident = line.strip()[2:].strip()
            number = generation * len(_SHIPPED) + _index(ident)
            out.append(line.replace(ident, f"{ident}-{number if number < count else _index(ident):04d}"))
            continue
        in_related = False
        out.append(line)
    return "".join(out)


_SHIPPED = sorted(p.stem for p in (ROOT / "content" / "instruments").glob("*.yaml"))


def _index(ident: str) -> int:
    return _SHIPPED.index(ident)


TEXT_CHARS = 4000
"""The model's MAX_TEXT_CHARS: the longest text value content may hold."""
# One word with a hyphenation point every few letters (the costly case: WeasyPrint tried every point of the
# whole word on every line), and ordinary prose of the same length.
LONG_WORD = ("Interoperabilidad" * (TEXT_CHARS // 17 + 1))[:TEXT_CHARS]
PARAGRAPH = (
    "The parties consult within forty-eight hours of a border incident and report to the council. "
    * (TEXT_CHARS // 90 + 1)
)[:TEXT_CHARS]
TEXT_FIELDS = ("summary", "role", "source title", "timeline event")


def text_cost_tree(target: Path, text: str, fields: tuple[str, ...]) -> Path:
    """A content tree with one instrument whose `fields` hold `text`, page budgets lifted (no refitting)."""
    target.mkdir(parents=True)
    for name in ("office.yaml", "countries.yaml"):
        shutil.copy(ROOT / "content" / name, target / name)
    audiences = (ROOT / "content" / "audiences.yaml").read_text(encoding="utf-8")
    (target / "audiences.yaml").write_text(
        re.sub(r"page_budget: *\d+", "page_budget: 50", audiences), encoding="utf-8"
    )
    quoted = json.dumps(text)  # a JSON string is a YAML double-quoted scalar

    def value(field: str, ordinary: str) -> str:
        return quoted if field in fields else json.dumps(ordinary)

    (target / "instruments").mkdir()
    (target / "instruments" / "text-cost.yaml").write_text(
        "id: text-cost\nname: Text Cost Pact\nkind: treaty\nrelease: public\nverification: corroborated\n"
        "status: {state: active}\n"
        f"summary:\n  - {value('summary', 'The pact binds its parties to consult.')}\n"
        f"members:\n  - {{country: AR, role: {value('role', 'Depositary.')}}}\n  - {{country: BR}}\n"
        "objectives:\n  - Consult within 48 hours.\n"
        f"timeline:\n  - {{date: 2001-03-04, text: {value('timeline event', 'Signed.')}, cite: [text]}}\n"
        f"sources:\n  - {{key: text, title: {value('source title', 'Pact text')}, publisher: Ministry}}\n"
        "as_of: 2026-11-01\n",
        encoding="utf-8",
    )
    return target


_TEXT_COST_SCRIPT = """
import json, statistics, sys, time
from pathlib import Path
from atalaya.model import load_corpus
from atalaya.render import TemplateSet
from atalaya.select import make_view
from atalaya.formats.pdf.writer import PdfWriter

templates, rounds, trees = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
NAMES = ["briefing/analyst.html.j2", "briefing/base.html.j2"]  # the analyst briefing's templates
writer = PdfWriter(TemplateSet(templates))
views = {}
for tree in trees:
    corpus = load_corpus(Path(tree))
    views[tree] = make_view(corpus, corpus.instruments["text-cost"], "analyst")
writer.render(views[trees[-1]], NAMES)  # warm up: fonts, stylesheets, hyphenation dictionaries
times = {tree: [] for tree in trees}
pages = {}
for _ in range(rounds):  # interleaved, so a burst of load on the machine hits every tree alike
    for tree, view in views.items():
        started = time.perf_counter()
        laid_out = writer.layout(view, NAMES)
        times[tree].append(time.perf_counter() - started)
        pages[tree] = len(laid_out.document.pages)
print(json.dumps({tree: [statistics.median(times[tree]), pages[tree]] for tree in trees}))
"""


def text_cost(work: Path, rounds: int = 3) -> dict[str, float]:
    """Lay out (in one process, analyst audience) the generated instrument with a 4,000-character word and
    with a 4,000-character paragraph, first in the summary only, then in four fields; and, for reference,
    4,000 characters of the longest words the writer leaves whole. Median of `rounds`, interleaved."""
    from atalaya.formats.pdf.text import LONG_WORD as LONGEST_WHOLE

    whole = ("Interoperabilidad" * (LONGEST_WHOLE // 17 + 1))[:LONGEST_WHOLE]
    texts = {
        "word": LONG_WORD,
        "paragraph": PARAGRAPH,
        "whole": ((whole + " ") * (TEXT_CHARS // LONGEST_WHOLE + 1))[:TEXT_CHARS],
    }
    cases = {
        "summary_word": (TEXT_FIELDS[:1], "word"),
        "summary_paragraph": (TEXT_FIELDS[:1], "paragraph"),
        "four_word": (TEXT_FIELDS, "word"),
        "four_paragraph": (TEXT_FIELDS, "paragraph"),
        "four_whole": (TEXT_FIELDS, "whole"),
    }
    trees = {
        case: text_cost_tree(work / "text-cost" / case, texts[kind], fields)
        for case, (fields, kind) in cases.items()
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _TEXT_COST_SCRIPT,
            str(ROOT / "templates"),
            str(rounds),
            *map(str, trees.values()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"text-cost measurement failed:\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = {case: measured[str(tree)][0] for case, tree in trees.items()}
    pages = {case: measured[str(tree)][1] for case, tree in trees.items()}
    print()
    for where, label in (("summary", "in the summary"), ("four", f"in each of {', '.join(TEXT_FIELDS)}")):
        word, paragraph = seconds[f"{where}_word"], seconds[f"{where}_paragraph"]
        print(f"{TEXT_CHARS:,} characters {label} (layout, median of {rounds}):")
        print(f"  {'one unbreakable word ':.<28} {word:6.2f} s   ({pages[f'{where}_word']} pages)")
        print(f"  {'ordinary paragraph ':.<28} {paragraph:6.2f} s   ({pages[f'{where}_paragraph']} pages)")
        if where == "four":
            print(
                f"  {f'{LONGEST_WHOLE}-character words ':.<28} {seconds['four_whole']:6.2f} s   "
                f"({pages['four_whole']} pages; the longest words left whole, for reference: "
                f"{seconds['four_whole'] / paragraph:.2f} x the paragraph)"
            )
        print(f"  word / paragraph = {word / paragraph:.2f}; target <= 2.0")
    return {f"text_{case}": value for case, value in seconds.items()}


SERVE_INSTRUMENT, SERVE_AUDIENCE, SERVE_EDITS = "rio-treaty", "public", 5


def _standalone_render(content: Path, work: Path) -> tuple[float, float]:
    """(the one briefing built alone by the command line, median of 3; its render in a warm writer in this
    process, layout and write, median of 3)."""
    out = work / "standalone"
    command: list[str | Path] = [
        "--content",
        content,
        "--output",
        out,
        "--instrument",
        SERVE_INSTRUMENT,
        "--audience",
        SERVE_AUDIENCE,
        "--format",
        "pdf",
        "--force",
        "-j",
        "1",
        "-q",
    ]
    command_times = sorted(run("build", *command) for _ in range(3))
    sys.path.insert(0, str(ROOT / "src"))
    from atalaya import formats
    from atalaya.model import load_corpus
    from atalaya.plan import Options
    from atalaya.products import get
    from atalaya.render import TemplateSet

    corpus = load_corpus(content)
    product = get("brief")
    fmt = formats.get("pdf")
    writer = fmt.make_writer(TemplateSet(ROOT / "templates"), Options(paper=corpus.office.paper))
    view = product.view(corpus, SERVE_INSTRUMENT, SERVE_AUDIENCE, corpus.office.editions[0])
    names = product.template_names(fmt, SERVE_AUDIENCE)
    writer.render(view, names)  # warm
    warm = []
    for _ in range(3):
        started = time.perf_counter()
        writer.render(view, names)
        warm.append(time.perf_counter() - started)
    return command_times[1], sorted(warm)[1]


def serve_latency(work: Path) -> dict[str, float]:
    """From a save of one instrument file to the refreshed HTML preview (the server's reload event, then
    the page) and to the refreshed PDF, in a running `serve` with that page open; medians of SERVE_EDITS."""
    import io
    import queue
    import urllib.request

    from pypdf import PdfReader

    content = work / "serve-content"
    shutil.copytree(ROOT / "content", content)
    command_time, warm_time = _standalone_render(content, work)
    process = subprocess.Popen(
        [*BUILD, "serve", "--content", str(content), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = ""
        for line in process.stderr:
            found = re.search(r"serving the preview at (http://\S+/)", line)
            if found:
                url = found.group(1)
                break
        if not url:
            sys.exit("serve did not start")
        page = f"{SERVE_AUDIENCE}/{SERVE_INSTRUMENT}"

        def get(path: str) -> bytes:
            with urllib.request.urlopen(url + path, timeout=120) as response:
                return bytes(response.read())

        states: queue.Queue[tuple[float, dict[str, object]]] = queue.Queue()

        def listen() -> None:
            with urllib.request.urlopen(url + f"events?page={page}.html", timeout=600) as events:
                for raw in events:
                    if raw.startswith(b"data: "):
                        states.put((time.perf_counter(), json.loads(raw[6:])))

        threading.Thread(target=listen, daemon=True).start()
        first = states.get(timeout=60)[1]
        get(f"{page}.html")
        get(f"{page}.pdf")
        version = first["version"]
        source = content / "instruments" / f"{SERVE_INSTRUMENT}.yaml"
        original = source.read_text(encoding="utf-8")
        to_html, to_pdf = [], []
        for edit in range(SERVE_EDITS):
            marker = f"Benchmarkedit{edit}word"
            text = original.replace("Cold War collective-defence pact", f"Cold War {marker} pact", 1)
            time.sleep(0.5)
            started = time.perf_counter()
            source.write_text(text, encoding="utf-8")
            while True:
                _, state = states.get(timeout=60)
                if state["errors"]:
                    sys.exit(f"serve reported errors: {state['errors']}")
                if state["version"] != version:
                    version = state["version"]
                    break
            html = get(f"{page}.html").decode("utf-8")
            to_html.append(time.perf_counter() - started)
            pdf = get(f"{page}.pdf")
            to_pdf.append(time.perf_counter() - started)
            if marker not in html:
                sys.exit("the preview did not show the edit")
            pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
            if marker not in pdf_text.replace("-\n", "").replace("\n", ""):
                sys.exit("the PDF did not show the edit")
        source.write_text(original, encoding="utf-8")
    finally:
        process.terminate()
        process.wait(30)
    html_s, pdf_s = sorted(to_html)[len(to_html) // 2], sorted(to_pdf)[len(to_pdf) // 2]
    print(
        f"serve: {SERVE_AUDIENCE}/{SERVE_INSTRUMENT}, median of {SERVE_EDITS} edits (save -> refreshed file received)"
    )
    print(f"  save -> HTML preview: {html_s:.3f} s (target <= 0.5 s) {'ok' if html_s <= 0.5 else 'OVER'}")
    print(
        f"  save -> PDF: {pdf_s:.3f} s; the briefing alone: {command_time:.3f} s by `build --instrument` "
        f"(PDF / that = {pdf_s / command_time:.2f}, target <= 1.3 {'ok' if pdf_s <= 1.3 * command_time else 'OVER'}), "
        f"{warm_time:.3f} s in a warm writer (PDF / that = {pdf_s / warm_time:.2f})"
    )
    return {
        "serve_save_to_html_s": html_s,
        "serve_save_to_pdf_s": pdf_s,
        "serve_standalone_build_s": command_time,
        "serve_warm_render_s": warm_time,
    }


def at_scale(work: Path) -> dict[str, float]:
    """`check` and `list` on a generated corpus of 1,000 instruments, and a no-op of its public memos."""
    figures: dict[str, float] = {}
    big = generated_corpus(work / "big", 1000)
    for name in ("check", "list"):
        seconds = run(name, "--content", big)
        figures[f"{name}_1000"] = seconds
        print(f"{name} at 1,000 instruments: {seconds:6.2f} s ({seconds:.2f} ms per instrument; target <= 3)")
    # The same files with the office naming its source language only: what planning the other editions
    # adds, and what reading files that carry their translations costs by itself.
    source_only = work / "big-source-only"
    shutil.copytree(big, source_only)
    office = source_only / "office.yaml"
    office.write_text(
        re.sub(r"(?m)^languages: .*$", "languages: [en]", office.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    megabytes = sum(path.stat().st_size for path in (big / "instruments").glob("*.yaml")) / 1e6
    for name in ("check", "list"):
        seconds = run(name, "--content", source_only)
        figures[f"{name}_1000_source_only"] = seconds
        print(
            f"{name} at 1,000 instruments, source edition only: {seconds:6.2f} s "
            f"(three editions / source only = {figures[f'{name}_1000'] / seconds:.2f}; "
            f"{seconds / megabytes:.2f} s per MB of instrument files, {megabytes:.1f} MB)"
        )
    public_memos = (
        "build",
        *BRIEFS,
        "--content",
        big,
        "--output",
        work / "big-out",
        "--audience",
        "public",
    )
    built = run(*public_memos, "--format", "docx", "--quiet")
    seconds = run(*public_memos, "--format", "docx", "--quiet")
    figures["noop_1000"] = seconds
    print(
        f"no-op at 1,000 instruments (public memos, 1,000 targets): {seconds:.2f} s (first build {built:.1f} s)"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the 1,000-instrument corpus")
    parser.add_argument(
        "--scale", action="store_true", help="measure only the 1,000-instrument corpus (check, list, no-op)"
    )
    parser.add_argument(
        "--text-cost",
        action="store_true",
        help="measure only the long-word against ordinary-paragraph layout",
    )
    parser.add_argument(
        "--serve", action="store_true", help="measure only the live preview's latency from a save"
    )
    args = parser.parse_args()
    figures: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="atalaya-bench-"))
    if args.serve:
        figures.update(serve_latency(work))
        print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
        shutil.rmtree(work, ignore_errors=True)
        return
    if args.scale:
        figures.update(at_scale(work))
        print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
        shutil.rmtree(work, ignore_errors=True)
        return
    if args.text_cost:
        figures.update(text_cost(work))
        print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
        shutil.rmtree(work, ignore_errors=True)
        return
    content = ROOT / "content"
    total = count_targets(content, *BRIEFS)
    pdfs = count_targets(content, "--format", "pdf", *BRIEFS)
    docxs = total - pdfs
    print(
        f"corpus: {len(_SHIPPED)} instruments, {total} targets ({pdfs} PDF, {docxs} DOCX), {os.cpu_count()} cores"
    )

    figures["full_j1"] = run("build", *BRIEFS, "--output", work / "j1", "-j", "1", "--quiet")
    figures["full_j2"] = run("build", *BRIEFS, "--output", work / "j2", "-j", "2", "--quiet")
    # measured apart: the sampler's own work would slow the timed build
    _, peaks = run_sampling_memory("build", *BRIEFS, "--output", work / "memory", "-j", "2", "--quiet")
    figures["pdf_j2"] = run(
        "build", *BRIEFS, "--output", work / "pdf", "-j", "2", "--format", "pdf", "--html", "--quiet"
    )
    figures["docx_j1"] = run(
        "build", *BRIEFS, "--output", work / "docx", "-j", "1", "--format", "docx", "--quiet"
    )
    figures["noop"] = run("build", *BRIEFS, "--output", work / "j2", "--quiet")

    edited = work / "content-edited"
    shutil.copytree(content, edited)
    victim = edited / "instruments" / "cepredenac.yaml"
    text = victim.read_text(encoding="utf-8")
    edited_text = re.sub(r"^as_of: .*$", "as_of: 2026-11-21", text, count=1, flags=re.MULTILINE)
    assert edited_text != text
    victim.write_text(edited_text, encoding="utf-8")
    shutil.copytree(work / "j2", work / "edit")
    started = time.perf_counter()
    done = subprocess.run(
        [*BUILD, "build", *BRIEFS, "--content", str(edited), "--output", str(work / "edit"), "-j", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"one-edit build failed:\n{done.stderr[-3000:]}")
    figures["one_edit"] = time.perf_counter() - started
    rebuilt = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("[")]

    htmls = [p for p in sorted((work / "pdf").rglob("*.html")) if p.name != "index.html"]
    link_font_files(htmls)
    cli_out = work / "cli"
    cli_out.mkdir()
    figures["weasyprint_cli_loop"] = weasyprint_cli_loop(htmls, cli_out)
    figures["weasyprint_in_process"] = weasyprint_in_process(htmls)

    print()
    print(f"full build -j1 ........ {figures['full_j1']:7.2f} s")
    print(
        f"full build -j2 ........ {figures['full_j2']:7.2f} s   (-j1 / -j2 = {figures['full_j1'] / figures['full_j2']:.2f}; target >= 1.8)"
    )
    print(
        f"PDF-only build -j2 .... {figures['pdf_j2']:7.2f} s   ({pdfs} briefings, {figures['pdf_j2'] / pdfs * 1000:.0f} ms each)"
    )
    print(
        f"weasyprint CLI loop ... {figures['weasyprint_cli_loop']:7.2f} s   (PDF -j2 / loop = {figures['pdf_j2'] / figures['weasyprint_cli_loop']:.2f}; target <= 0.30)"
    )
    print(
        f"WeasyPrint in-process . {figures['weasyprint_in_process']:7.2f} s   (PDF -j2 / serial = {figures['pdf_j2'] / figures['weasyprint_in_process']:.2f}; target <= 0.55)"
    )
    print(
        f"DOCX-only build -j1 ... {figures['docx_j1']:7.2f} s   ({figures['docx_j1'] / docxs * 1000:.0f} ms per memo, process start included)"
    )
    print(
        f"no-op rebuild ......... {figures['noop']:7.2f} s   ({figures['noop'] / figures['full_j2'] * 100:.1f}% of the -j2 full build; target <= 3%)"
    )
    print(
        f"one-edit rebuild ...... {figures['one_edit']:7.2f} s   (rebuilt {len(rebuilt)} targets: {sorted(set(t.split('/')[1] for t in rebuilt))})"
    )
    worker_peaks = sorted(peaks.values(), reverse=True)
    print(
        f"peak memory ........... {', '.join(f'{mb:.0f} MB' for mb in worker_peaks[:4])} (per process; target <= 400 MB)"
    )

    if not args.quick:
        figures.update(at_scale(work))
    figures.update(text_cost(work))
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
