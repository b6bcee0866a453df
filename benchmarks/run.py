"""Measure the build on the shipped corpus and print the figures and ratios the README reports.

One run, one machine, so the ratios compare like with like (these machines are shared and noisy):

    python benchmarks/run.py            # everything, about five minutes on two cores
    python benchmarks/run.py --quick    # skip the 1,000-instrument corpus

Figures: full build at -j1 and -j2; PDF-only build at -j2; no-op rebuild; one-edit rebuild; DOCX time per
memo; peak memory per worker; for reference the same briefings' HTML (kept with --html) rendered by the
`weasyprint` command one process per document and by WeasyPrint in one process serially; and check, list
and a no-op build over a generated corpus of 1,000 instruments.
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
            _retarget_related(text, n // len(originals)), encoding="utf-8"
        )
    return target


def _retarget_related(text: str, generation: int) -> str:
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
            out.append(line.replace(ident, f"{ident}-{number if number < 1000 else _index(ident):04d}"))
            continue
        in_related = False
        out.append(line)
    return "".join(out)


_SHIPPED = sorted(p.stem for p in (ROOT / "content" / "instruments").glob("*.yaml"))


def _index(ident: str) -> int:
    return _SHIPPED.index(ident)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the 1,000-instrument corpus")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="atalaya-bench-"))
    content = ROOT / "content"
    total = count_targets(content)
    pdfs = count_targets(content, "--format", "pdf")
    docxs = total - pdfs
    print(
        f"corpus: {len(_SHIPPED)} instruments, {total} targets ({pdfs} PDF, {docxs} DOCX), {os.cpu_count()} cores"
    )

    figures["full_j1"] = run("build", "--output", work / "j1", "-j", "1", "--quiet")
    figures["full_j2"] = run("build", "--output", work / "j2", "-j", "2", "--quiet")
    # measured apart: the sampler's own work would slow the timed build
    _, peaks = run_sampling_memory("build", "--output", work / "memory", "-j", "2", "--quiet")
    figures["pdf_j2"] = run(
        "build", "--output", work / "pdf", "-j", "2", "--format", "pdf", "--html", "--quiet"
    )
    figures["docx_j1"] = run("build", "--output", work / "docx", "-j", "1", "--format", "docx", "--quiet")
    figures["noop"] = run("build", "--output", work / "j2", "--quiet")

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
        [*BUILD, "build", "--content", str(edited), "--output", str(work / "edit"), "-j", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"one-edit build failed:\n{done.stderr[-3000:]}")
    figures["one_edit"] = time.perf_counter() - started
    rebuilt = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("[")]

    htmls = sorted((work / "pdf").rglob("*.html"))
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
        big = generated_corpus(work / "big", 1000)
        for name, command in (("check", ["check", "--content", big]), ("list", ["list", "--content", big])):
            seconds = run(*command)
            print(
                f"{name} at 1,000 instruments: {seconds:6.2f} s ({seconds:.2f} ms per instrument; target <= 3)"
            )
        public_memos = ("build", "--content", big, "--output", work / "big-out", "--audience", "public")
        built = run(*public_memos, "--format", "docx", "--quiet")
        seconds = run(*public_memos, "--format", "docx", "--quiet")
        print(
            f"no-op at 1,000 instruments (public memos, 1,000 targets): {seconds:.2f} s (first build {built:.1f} s)"
        )
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
