"""Compare this checkout's build of the briefs with an earlier revision's, in one run on one machine.

    python benchmarks/compare.py REV            # e.g. the commit before a restructure
    python benchmarks/compare.py REV NEWER      # two earlier revisions (NEWER in place of this checkout)

The earlier revision is checked out with `git worktree` into a temporary folder (removed afterwards) and run
with this checkout's Python and packages, on this checkout's content, so only the code differs. The two
are measured in alternation (old, new, old, new, ...) so that the machine's load falls on both alike:
full build at -j1 and -j2, the no-op rebuild (median of three) and the rebuild after one edit. Printed: each
figure for both, and the ratios the README's performance table reports (-j1 / -j2, no-op / full -j2), old
against new. Only the briefs on the instruments are built (`--product brief` where the revision has it).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITED = "cepredenac.yaml"


def build(checkout: Path, *args: str | Path) -> float:
    command = [sys.executable, str(checkout / "build.py"), "build", *map(str, args), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{checkout}: build {args} failed:\n{done.stderr[-3000:]}")
    return elapsed


def narrowing(checkout: Path) -> tuple[str, ...]:
    """`--product brief` where the revision knows products, else nothing (it builds only briefs)."""
    shown = subprocess.run(
        [sys.executable, str(checkout / "build.py"), "build", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return ("--product", "brief") if "--product" in shown else ()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revision", help="The earlier revision (any git revision of this repository).")
    parser.add_argument("newer", nargs="?", help="A later revision to compare instead of this checkout.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atalaya-compare-") as temporary:
        work = Path(temporary)
        old = work / "old"
        new = work / "new" if args.newer else ROOT
        worktrees = [(old, args.revision), *([(new, args.newer)] if args.newer else [])]
        try:
            for folder, revision in worktrees:
                subprocess.run(
                    ["git", "worktree", "add", "--detach", str(folder), revision], cwd=ROOT, check=True
                )
            figures = measure({"old": old, "new": new}, work)
        finally:
            for folder, _ in worktrees:
                subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False)
    for name in ("old", "new"):
        f = figures[name]
        print(
            f"{name}: -j1 {f['j1']:.1f} s, -j2 {f['j2']:.1f} s (-j1/-j2 {f['j1'] / f['j2']:.2f}), "
            f"no-op {f['noop']:.2f} s ({f['noop'] / f['j2']:.1%} of -j2), one edit {f['edit']:.1f} s"
        )
    old_f, new_f = figures["old"], figures["new"]
    print(
        f"new / old: -j2 {new_f['j2'] / old_f['j2']:.2f}, no-op {new_f['noop'] / old_f['noop']:.2f}, "
        f"one edit {new_f['edit'] / old_f['edit']:.2f}"
    )


def measure(checkouts: dict[str, Path], work: Path) -> dict[str, dict[str, float]]:
    content = work / "content"
    shutil.copytree(ROOT / "content", content)
    edited = work / "content-edited"
    shutil.copytree(content, edited)
    victim = edited / "instruments" / EDITED
    text = victim.read_text(encoding="utf-8")
    victim.write_text(
        re.sub(r"^as_of: .*$", "as_of: 2026-11-21", text, count=1, flags=re.MULTILINE), encoding="utf-8"
    )
    figures: dict[str, dict[str, float]] = {name: {} for name in checkouts}
    flags = {name: narrowing(checkout) for name, checkout in checkouts.items()}

    for jobs in ("1", "2"):
        for name, checkout in checkouts.items():
            output = work / f"{name}-j{jobs}"
            figures[name][f"j{jobs}"] = build(
                checkout, *flags[name], "--content", content, "--output", output, "-j", jobs
            )
    noops: dict[str, list[float]] = {name: [] for name in checkouts}
    for _ in range(3):
        for name, checkout in checkouts.items():
            output = work / f"{name}-j2"
            noops[name].append(build(checkout, *flags[name], "--content", content, "--output", output))
    for name, checkout in checkouts.items():
        figures[name]["noop"] = statistics.median(noops[name])
        output = work / f"{name}-j2"
        figures[name]["edit"] = build(
            checkout, *flags[name], "--content", edited, "--output", output, "-j", "2"
        )
    return figures


if __name__ == "__main__":
    main()
