"""Measure the briefing books against their chapters and print the figures the README reports.

For each audience (in one run, one machine, so the ratios compare like with like):

- the book's PDF render time in one fresh process, its pages and that process's peak memory (what one
  worker needs to lay the book out);
- the sum of its chapters' standalone render times: each of the audience's instrument briefs rendered as
  PDF one after the other in one fresh process (the first render, which warms the fonts, is counted too:
  so is the book's);
- the ratio book / sum of chapters (target at most 1.3) and the peak memory (target at most 600 MB);
- on a generated corpus of 100 instruments (the shipped ones copied under new ids), the analyst book's
  time per page against the shipped analyst book's (target at most 1.2);
- a build of every product (briefs, books, country briefs) at -j2, its no-op rebuild, and the rebuild after
  one edit (one public item of one instrument) with the documents it rebuilt.

    python benchmarks/books.py                 # everything: about 30 minutes on two cores
    python benchmarks/books.py --audience analyst --no-large --no-full
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LARGE_CORPUS = 100


def _child(what: str, content: Path, audience: str) -> None:
    """In a fresh process: render the audience's book, or each of its chapters, as PDF; print JSON."""
    sys.path.insert(0, str(ROOT / "src"))
    from atalaya import formats
    from atalaya.model import load_corpus
    from atalaya.plan import Options
    from atalaya.products import get
    from atalaya.render import TemplateSet

    corpus = load_corpus(content)
    edition = corpus.office.editions[0]
    fmt = formats.get("pdf")
    writer = fmt.make_writer(TemplateSet(ROOT / "templates"), Options(paper=corpus.office.paper))
    book = get("book")
    if what == "book":
        subjects = [(book, subject) for subject in book.subjects(corpus)]
    else:
        brief = get("brief")
        view = book.view(corpus, "book", audience, edition)
        subjects = [(brief, chapter.id) for chapter in view.chapters]
    seconds = 0.0
    pages = 0
    for product, subject in subjects:
        view = product.view(corpus, subject, audience, edition)
        names = product.template_names(fmt, audience)
        started = time.perf_counter()
        rendered = product.render(writer, view, names)
        seconds += time.perf_counter() - started
        pages += rendered.pages or 0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "pages": pages, "documents": len(subjects), "peak_mb": peak_mb}))


def measure(what: str, content: Path, audience: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", what, "--content", str(content), "--audience", audience],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{what} of {audience} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


EDITED = ("rio-treaty.yaml", "no standing command, forces or budget", "no standing command, force or budget")
"""The one edit: the file, a public summary text in it, and what it becomes."""


def timed_build(*args: str | Path) -> tuple[float, list[str]]:
    """Seconds and the documents built (from the plain progress lines) of one `build`."""
    command = [sys.executable, str(ROOT / "build.py"), "build", *map(str, args), "-j", "2"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"build failed: {args}\n{done.stderr[-3000:]}")
    built = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("[")]
    return elapsed, built


def full_build(shipped: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        content, output = Path(work) / "content", Path(work) / "output"
        shutil.copytree(shipped, content)
        seconds, built = timed_build("--content", content, "--output", output)
        noop, _ = timed_build("--content", content, "--output", output)
        name, old, new = EDITED
        path = content / "instruments" / name
        text = path.read_text(encoding="utf-8")
        if old not in text:
            sys.exit(f"{name} no longer holds {old!r}: choose another edit")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        edit, rebuilt = timed_build("--content", content, "--output", output)
    products = Counter(_product_of(target) for target in rebuilt)
    print(
        f"every product at -j2: {len(built)} documents in {seconds:.0f} s; no-op {noop:.2f} s "
        f"({noop / seconds:.1%}); one edit ({name}): {edit:.0f} s, rebuilt {len(rebuilt)} "
        f"({', '.join(f'{count} {kind}' for kind, count in sorted(products.items()))})"
    )


def _product_of(target: str) -> str:
    """`analyst/countries/BR.pdf` -> countries, `analyst/book.pdf` -> book, any other -> briefs."""
    stem = target.split("/", 1)[1]
    if stem.startswith("countries/"):
        return "countries"
    return "book" if stem.split(".")[0] == "book" else "briefs"


def audiences_with_books(content: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from atalaya.book import book_audiences
    from atalaya.model import load_corpus

    return list(book_audiences(load_corpus(content)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--audience", action="append", help="Only this audience (repeatable).")
    parser.add_argument("--no-large", action="store_true", help="Skip the 100-instrument corpus.")
    parser.add_argument("--no-full", action="store_true", help="Skip the build of every product.")
    parser.add_argument("--child", choices=["book", "chapters"], help=argparse.SUPPRESS)
    parser.add_argument("--content", type=Path, default=ROOT / "content", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.content, args.audience[0])
        return

    shipped = ROOT / "content"
    print(f"{'audience':<10} {'pages':>5} {'book s':>7} {'chapters s':>10} {'ratio':>6} {'peak MB':>8}")
    for audience in args.audience or audiences_with_books(shipped):
        book = measure("book", shipped, audience)
        chapters = measure("chapters", shipped, audience)
        print(
            f"{audience:<10} {book['pages']:>5.0f} {book['seconds']:>7.1f} {chapters['seconds']:>10.1f} "
            f"{book['seconds'] / chapters['seconds']:>6.2f} {book['peak_mb']:>8.0f}"
        )
    if not args.no_full:
        full_build(shipped)
    if args.no_large:
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import generated_corpus

    with tempfile.TemporaryDirectory() as work:
        large = generated_corpus(Path(work) / "content", LARGE_CORPUS)
        small = measure("book", shipped, "analyst")
        big = measure("book", large, "analyst")
    per_page_small = small["seconds"] / small["pages"]
    per_page_big = big["seconds"] / big["pages"]
    print(
        f"analyst book, shipped: {small['pages']:.0f} pages, {per_page_small * 1000:.0f} ms a page, "
        f"{small['peak_mb']:.0f} MB; {LARGE_CORPUS} instruments: {big['pages']:.0f} pages, "
        f"{per_page_big * 1000:.0f} ms a page, {big['peak_mb']:.0f} MB; "
        f"ratio {per_page_big / per_page_small:.2f}"
    )


if __name__ == "__main__":
    main()
