"""Turn the plan and the output folder's last manifest into what to build, and rendered outcomes into files,
diagnostics and the new manifest.

`schedule` compares each planned target's input hash and files with what the last complete build recorded:
the ones that differ are stale. It also works out what this build answers for: the files of its targets and
of the targets it no longer plans within its filters (see `_in_scope`); a successful build removes those it
no longer produces, and only those: never a file the manifest does not list, never through a symbolic link,
never outside the output folder.

`Recorder` takes each outcome as it arrives: a failure becomes located diagnostics naming the document
(`(building analyst/rio-treaty.pdf)`), a document is written with the side files asked for and entered in
the manifest. When every target built, `finish` writes the index pages (after a full build), removes what is
retired and writes the manifest last.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .errors import BuildError, Diagnostic, Severity, shown_path
from .manifest import Manifest, ManifestEntry, entry_for, relative_path_problem
from .output import OutputFolder
from .plan import Filters, Target, tool_versions

if TYPE_CHECKING:
    from .engine import BuildResult, Reporter
    from .formats import Rendered
    from .model import Corpus
    from .workers import Outcome


@dataclass
class Schedule:
    targets: list[Target]
    hashes: dict[Target, str]
    stale: list[Target]
    previous: Manifest
    manifest: Manifest
    """The new manifest so far: the up-to-date targets' entries and those outside the filters."""
    answered: dict[str, str]
    """The files earlier builds wrote that this build answers for (removed if it no longer produces them)."""
    filters: Filters


def _kept_side_files(entry: ManifestEntry, target: Target, keep_side: frozenset[str]) -> dict[str, str]:
    paths = {target.side_path(suffix) for suffix in keep_side}
    return {path: digest for path, digest in entry.side_files.items() if path in paths}


def _up_to_date(
    target: Target, input_hash: str, previous: Manifest, folder: OutputFolder, keep_side: frozenset[str]
) -> bool:
    entry = previous.entries.get(target.path)
    if entry is None or entry.input_hash != input_hash:
        return False
    for suffix in keep_side & set(target.format.side_suffixes):
        side = target.side_path(suffix)
        recorded = entry.side_files.get(side)
        if recorded is None or folder.sha256(side) != recorded:
            return False
    return folder.sha256(entry.path) == entry.sha256


def _in_scope(entry: ManifestEntry, filters: Filters, planned_anywhere: set[str]) -> bool:
    """Whether this build's filters cover an earlier target it does not plan, so that its files are stale.

    An unfiltered build covers every document of its command's products (`build` never removes a change
    memo, `changes` never a brief). `--audience`, `--instrument`, `--language` and `--format` cover
    the targets they name. A shard covers the targets that no shard plans any more (a removed instrument, an
    audience that may no longer see it), never a target another shard builds.
    """
    covered = filters.covers(
        product=entry.product,
        subject=entry.subject,
        audience=entry.audience,
        edition=entry.edition,
        format=entry.format,
    )
    return covered and (filters.shard is None or entry.target not in planned_anywhere)


def schedule(
    targets: list[Target],
    hashes: dict[Target, str],
    previous: Manifest,
    folder: OutputFolder,
    *,
    filters: Filters,
    planned_anywhere: set[str],
    force: bool,
    keep_side: frozenset[str],
) -> Schedule:
    """What to build of `targets`, and what the new manifest starts from."""
    stale = [t for t in targets if force or not _up_to_date(t, hashes[t], previous, folder, keep_side)]
    manifest = Manifest(tools=tool_versions())
    stale_set = set(stale)
    for target in targets:
        if target not in stale_set:
            entry = previous.entries[target.path]
            # a side file no longer asked for (HTML without --html) is no longer produced, so is removed
            manifest.entries[target.path] = replace(
                entry, side_files=_kept_side_files(entry, target, keep_side)
            )
    planned = {t.path for t in targets}
    answered: dict[str, str] = {}
    for name, entry in previous.entries.items():
        if name in planned or _in_scope(entry, filters, planned_anywhere):
            answered.update(entry.files())
        elif folder.holds(entry.path):  # outside the filters: stays listed while its file is there
            manifest.entries[name] = entry
    return Schedule(targets, hashes, stale, previous, manifest, answered, filters)


def _pages(count: int) -> str:
    return f"{count} page{'s' if count != 1 else ''}"


class Recorder:
    """Writes each rendered document as it arrives, and the manifest once every target has built."""

    def __init__(
        self,
        plan: Schedule,
        folder: OutputFolder,
        corpus: Corpus,
        result: BuildResult,
        reporter: Reporter,
        *,
        strict: bool,
    ) -> None:
        self.plan = plan
        self.folder = folder
        self.corpus = corpus
        self.result = result
        self.reporter = reporter
        self.strict = strict

    def add(self, target: Target, outcome: Outcome) -> None:
        """Record one outcome: report a failure, or write the document and enter it in the manifest."""
        if outcome.bug is not None:
            self.result.bugs.append(f"while building {target.path}:\n{outcome.bug}")
            message = f"internal error building {target.path}"
            self.reporter.failed(target, [Diagnostic(self._source(target), 0, 0, message)])
            return
        errors = self._problems(target, outcome)
        rendered = outcome.rendered
        if errors or rendered is None:
            self.result.errors.extend(errors)
            self.reporter.failed(target, errors)
            return
        self._write(target, rendered)

    def _source(self, target: Target) -> str:
        """The content file a problem with the target's document is blamed on."""
        return target.product.source_file(self.corpus, target.subject)

    def _problems(self, target: Target, outcome: Outcome) -> list[Diagnostic]:
        """The errors of an outcome, each naming the document; its warnings go to the result (or, under
        --strict, become errors). A warning without a category is its format's (`render.pdf`)."""
        building = f"(building {target.path})"
        errors = [
            replace(d, path=d.path or self._source(target), message=f"{d.message} {building}")
            for d in outcome.diagnostics
        ]
        rendered = outcome.rendered
        if rendered is None:
            return errors
        warnings = [
            Diagnostic(
                w.path or self._source(target),
                w.line if w.path else 1,
                w.col if w.path else 1,
                f"{w.message} {building}",
                Severity.WARNING,
                w.category or f"render.{target.format.name}",
            )
            for w in rendered.warnings
        ]
        if self.strict:
            errors += [w.strict() for w in warnings]
        else:
            self.result.warnings.extend(warnings)
        budget = self.corpus.audiences[target.audience].page_budget
        if target.product.budgeted and rendered.pages is not None and rendered.pages > budget:
            what = f"the {target.audience} {target.format.template_folder}"
            message = f"{what} runs to {rendered.pages} pages; its page budget is {budget} {building}"
            errors.append(Diagnostic(self._source(target), 1, 1, message, category="build.budget"))
        return errors

    def _write(self, target: Target, rendered: Rendered) -> None:
        digest = self.folder.write(target.path, rendered.data)
        side_files = {
            target.side_path(suffix): self.folder.write(target.side_path(suffix), data)
            for suffix, data in sorted(rendered.side_files.items())
        }
        self.plan.manifest.entries[target.path] = entry_for(
            target,
            sha256=digest,
            bytes=len(rendered.data),
            pages=rendered.pages,
            input_hash=self.plan.hashes[target],
            side_files=side_files,
        )
        self.result.built.append(target.path)
        self.reporter.done(
            target, _pages(rendered.pages) if rendered.pages else f"{len(rendered.data):,} bytes"
        )

    def finish(self, index_pages: Callable[[Manifest], Mapping[str, str]] | None) -> None:
        """Write the index pages (given after a full build), remove what is retired, write the manifest."""
        manifest, previous, folder = self.plan.manifest, self.plan.previous, self.folder
        answered = dict(self.plan.answered)
        documents = manifest.tracked()
        if index_pages is not None:
            answered.update(previous.files)
            for relative, page in sorted(index_pages(manifest).items()):
                problem = relative_path_problem(relative)
                if problem is not None or relative in documents:
                    raise BuildError(
                        Diagnostic(
                            shown_path(folder.root / relative),
                            0,
                            0,
                            f"an index page cannot be written here: {problem or 'a document has this path'}",
                        )
                    )
                manifest.files[relative] = folder.write_changed(relative, page.encode("utf-8"))
        else:
            manifest.files = {
                path: digest
                for path, digest in previous.files.items()
                if path not in documents and folder.holds(path)
            }
        retired = set(answered) - set(manifest.tracked())
        self.result.removed, self.result.kept = folder.remove(retired)
        folder.write_manifest(manifest)
