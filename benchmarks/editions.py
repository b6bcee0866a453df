"""Measure what the Spanish and Portuguese editions cost and print the figures the README reports.

In one run, one machine (so the ratios compare like with like):

- each edition's briefs (every instrument, every audience, both formats) built alone at -j2 into a fresh
  output folder: seconds, documents, and the ratio to the source edition's; then all three together;
- planning: a no-op rebuild of all three editions' briefs (every input hashed, nothing rendered) against a
  no-op of the source edition's alone (there the other editions are planned from the source instruments'
  translations: a view is made only for a document that may show untranslated text);
- one edit to one public item's English source: the documents it rebuilds (the source edition's, and the
  other editions' of the analyst and staff audiences, which now show the English, marked) and the ones
  withheld (the executive and public editions, until the translation is confirmed again);
- `check` on the shipped content: seconds, and the coverage it prints.

    python benchmarks/editions.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env={"CI": "true", "PATH": "/usr/bin:/bin"},
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"build.py {' '.join(map(str, args))} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stderr


def built(stderr: str) -> int:
    match = re.search(r"built (\d+), up to date (\d+)", stderr)
    return int(match.group(1)) if match else 0


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="atalaya-editions-") as scratch:
        work = Path(scratch)
        times: dict[str, float] = {}
        for language in ("en", "es", "pt"):
            output = work / f"out-{language}"
            seconds, stderr = run(
                "build", "--product", "brief", "--language", language, "-j", "2", "--output", output
            )
            times[language] = seconds
            print(f"{language}: briefs in {seconds:.1f} s, {built(stderr)} documents")
        for language in ("es", "pt"):
            print(f"{language} / en: {times[language] / times['en']:.2f}")

        all_out = work / "all"
        seconds, stderr = run("build", "--product", "brief", "-j", "2", "--output", all_out)
        print(f"all three editions: {seconds:.1f} s, {built(stderr)} documents")
        noop_all, _ = run("build", "--product", "brief", "--output", all_out)
        noop_en, _ = run("build", "--product", "brief", "--language", "en", "--output", all_out)
        print(f"no-op, three editions: {noop_all:.2f} s; source edition only: {noop_en:.2f} s")

        content = work / "content"
        shutil.copytree(ROOT / "content", content)
        path = content / "instruments" / "rio-treaty.yaml"
        text = path.read_text(encoding="utf-8")
        edited = text.replace("Most recent state to join.", "Most recent new party.", 1)
        assert edited != text
        path.write_text(edited, encoding="utf-8")
        seconds, stderr = run(
            "build", "--product", "brief", "-j", "2", "--content", content, "--output", all_out
        )
        names = re.findall(r"\] (\S+) \(", stderr)
        withheld = re.search(r"withheld (\d+)", stderr)
        print(
            f"one English edit: {built(stderr)} rebuilt in {seconds:.1f} s "
            f"({', '.join(sorted(set(n.rsplit('.', 1)[0] for n in names)))}); "
            f"withheld {withheld.group(1) if withheld else 0}"
        )

        seconds, stderr = run("check")
        print(f"check: {seconds:.2f} s")
        for line in stderr.splitlines():
            if line.startswith("translations "):
                print(line)


if __name__ == "__main__":
    main()
