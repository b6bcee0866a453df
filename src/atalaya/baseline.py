"""Turn `--since REF` or `--previous-content DIR` into the last edition's corpus, for `changes` to compare.

REF is a git revision of the repository that holds the content folder. The content folder as it was at REF
is read with `git archive` into a private temporary folder (the work tree, the index and HEAD are left
alone), then loaded and validated like today's content; its problems are named the way git names a file at
a revision (`HEAD~1:content/instruments/rio-treaty.yaml:12:3: ...`). DIR is a content folder kept outside
git, loaded as it is.

The last edition is read under today's office and audiences (`Corpus.baseline`): a change memo is issued
under today's releasability rules, whatever they were then.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from io import BytesIO
from pathlib import Path

from .errors import ContentError, UsageError, shown_path
from .model import Corpus, load_corpus

GIT_TIMEOUT = 120  # seconds: a content folder's history is small; a hung git must not hang the build


@dataclass(frozen=True)
class Baseline:
    """Where the last edition's content is: a git revision (`since`) or a folder (`folder`)."""

    since: str | None = None
    folder: Path | None = None

    @property
    def label(self) -> str:
        """How messages and the job summary name the last edition (`HEAD~1`, `../last-week/content`)."""
        return self.since if self.since is not None else shown_path(self.folder or Path())


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise UsageError("--since needs git, which is not installed; use --previous-content DIR") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git did not answer within {GIT_TIMEOUT} s (git {args[0]})") from None


def _archive(revision: str, content: Path, into: Path) -> tuple[Path, str]:
    """Extract the content folder as it was at `revision` into `into`; return where it now is and its path
    in the repository."""
    if revision.startswith("-") or not revision.strip():
        raise UsageError(f"--since '{revision}' is not a git revision")
    if not content.is_dir():
        raise UsageError(f"the content folder '{content}' does not exist")
    top = _git(["rev-parse", "--show-toplevel"], content)
    prefix = _git(["rev-parse", "--show-prefix"], content)
    if top.returncode != 0 or prefix.returncode != 0:
        raise UsageError(
            f"the content folder '{content}' is not in a git repository; "
            "use --previous-content DIR for content kept outside git"
        )
    root = Path(top.stdout.decode().strip())
    inside = prefix.stdout.decode().strip().rstrip("/")
    commit = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root)
    if commit.returncode != 0:
        raise UsageError(f"--since '{revision}': no such revision in the repository at '{root}'")
    sha = commit.stdout.decode().strip()
    listed = _git(["ls-tree", "-d", "--name-only", sha, "--", inside or "."], root)
    if inside and not listed.stdout.strip():
        raise UsageError(f"--since '{revision}': the content folder '{inside}' did not exist then")
    archive = _git(["archive", "--format=tar", sha, "--", inside or "."], root)
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"--since '{revision}': git archive failed: {message[-1] if message else ''}")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        # The data filter refuses absolute names, escapes and device files: the tree is data, nothing more.
        tar.extractall(into, filter="data")
    return (into / inside if inside else into), inside


def _renamed(error: ContentError, folder: Path, revision: str, inside: str) -> ContentError:
    """The same problems, each naming its file as git does at the revision (`REF:content/x.yaml`)."""
    renamed = []
    for diagnostic in error.diagnostics:
        path = Path(diagnostic.path)
        try:
            relative = path.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            renamed.append(diagnostic)
            continue
        shown = f"{inside}/{relative}" if inside else relative
        renamed.append(replace(diagnostic, path=f"{revision}:{shown}"))
    return ContentError(renamed)


def baseline_corpus(baseline: Baseline, content: Path, current: Corpus, today: date | None) -> Corpus:
    """The last edition's corpus, under `current`'s office and audiences; raises what is wrong with it.
    Everything is read into memory, so the temporary folder a revision is extracted to is gone on return."""
    if baseline.folder is not None:
        if not baseline.folder.is_dir():
            raise UsageError(f"the previous content folder '{baseline.folder}' does not exist")
        old = load_corpus(baseline.folder, today=today)
    else:
        assert baseline.since is not None
        with tempfile.TemporaryDirectory(prefix="atalaya-baseline-") as private:
            folder, inside = _archive(baseline.since, content, Path(private))
            try:
                old = load_corpus(folder, today=today)
            except ContentError as exc:
                raise _renamed(exc, folder, baseline.since, inside) from None
    return replace(old, office=current.office, audiences=current.audiences, warnings=[])
