"""Turn a content tree and a templates folder into the output folder: plan, render in parallel, write, record.

Everything is validated before anything is written: the content (all files, all errors together) and the
templates (every one compiled). Then the targets that are out of date are rendered by worker processes that
each keep their writers (fonts, stylesheets) across documents; this process alone writes files, atomically,
as results arrive; the manifest is written last. A failing target is reported with its name and does not
stop the others from being written, but a failed build leaves manifest.json (and every file it lists but
no longer produces) as it was.

The manifest records every file the tool wrote: each target's document and side files (kept HTML) and the
index pages, with their sha256. A successful build removes the files an earlier build recorded that it no
longer produces, within its filters (see `_in_scope`), and only those: never a file the manifest does not
list, never through a symbolic link, never outside the output folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import (
    AtalayaError,
    BuildError,
    ContentError,
    Diagnostic,
    Severity,
    TemplateError,
    UsageError,
    shown_path,
)
from .model import Corpus, load_corpus
from .output import OutputWriter
from .plan import (
    COST,
    MANIFEST_NAME,
    InputHasher,
    Manifest,
    ManifestEntry,
    ManifestProblem,
    Options,
    Target,
    plan_targets,
    relative_path_problem,
    tool_versions,
)
from .select import make_view

if TYPE_CHECKING:  # the renderers (and Jinja) load only when something is to be built
    from .render import TemplateSet


class Reporter(Protocol):
    def start(self, total: int, up_to_date: int) -> None: ...
    def done(self, target: Target, detail: str) -> None: ...
    def failed(self, target: Target, diagnostics: list[Diagnostic]) -> None: ...
    def finish(self) -> None: ...


class SilentReporter:
    def start(self, total: int, up_to_date: int) -> None:
        pass

    def done(self, target: Target, detail: str) -> None:
        pass

    def failed(self, target: Target, diagnostics: list[Diagnostic]) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class Request:
    """What the command line asked for."""

    content: Path
    templates: Path
    output: Path
    audiences: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    jobs: int = 0
    force: bool = False
    keep_html: bool = False
    strict: bool = False
    shard: tuple[int, int] | None = None
    options: Options = field(default_factory=Options)
    today: date | None = None


@dataclass
class BuildResult:
    planned: int = 0
    up_to_date: int = 0
    built: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    bugs: list[str] = field(default_factory=list)
    manifest_written: bool = False
    # Files an earlier build wrote that this one removed, or left alone (not regular files): output-relative.
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.bugs


@dataclass(frozen=True)
class _TargetResult:
    target: Target
    data: bytes | None = None
    pages: int | None = None
    html: str | None = None
    warnings: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    bug: str | None = None


@dataclass(frozen=True)
class _Job:
    corpus: Corpus
    templates_root: Path
    options: Options
    keep_html: bool


class _Worker:
    """Renders targets; one per process, keeping its writers (and so fonts and stylesheets) warm."""

    def __init__(self, job: _Job) -> None:
        from .render import TemplateSet

        self.job = job
        self.templates = TemplateSet(job.templates_root)
        self._pdf: Any = None
        self._docx: Any = None

    def render(self, target: Target) -> _TargetResult:
        corpus = self.job.corpus
        try:
            view = make_view(corpus, corpus.instruments[target.instrument], target.audience)
            if target.format == "pdf":
                if self._pdf is None:
                    from .write_pdf import PdfWriter

                    self._pdf = PdfWriter(
                        self.templates, paper=self.job.options.paper, pdf_variant=self.job.options.pdf_variant
                    )
                pdf = self._pdf.render(view)
                return _TargetResult(
                    target, pdf.data, pdf.pages, pdf.html if self.job.keep_html else None, tuple(pdf.warnings)
                )
            if self._docx is None:
                from .write_docx import DocxWriter

                self._docx = DocxWriter(
                    self.templates,
                    reference_docx=self.job.options.reference_docx,
                    paper=self.job.options.paper,
                )
            memo = self._docx.render(view)
            return _TargetResult(target, memo.data, None, None, tuple(memo.warnings))
        except AtalayaError as exc:
            return _TargetResult(target, diagnostics=tuple(exc.diagnostics))
        except Exception:
            return _TargetResult(target, bug=traceback.format_exc())


_WORKER: _Worker | None = None


def _init_worker(job: _Job) -> None:
    global _WORKER
    _WORKER = _Worker(job)


def _render_in_worker(target: Target) -> _TargetResult:
    assert _WORKER is not None
    return _WORKER.render(target)


def check_templates(templates: TemplateSet) -> None:
    """Compile every template so a syntax error fails the build before anything is written; each error
    names the file as Jinja read it (`templates.template_path`), relative to the working directory."""
    import jinja2

    errors: list[Diagnostic] = []
    for path in templates.files():
        if path.suffix != ".j2":
            continue
        name = path.relative_to(templates.root).as_posix()
        try:
            templates.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            diagnostic = templates.diagnostic(exc, [name])
            errors.append(diagnostic or Diagnostic(shown_path(path), exc.lineno or 1, 1, str(exc)))
        except UnicodeDecodeError as exc:
            errors.append(Diagnostic(shown_path(path), 0, 0, f"template is not valid UTF-8 ({exc.reason})"))
        except OSError as exc:
            errors.append(Diagnostic(shown_path(path), 0, 0, f"template cannot be read: {exc.strerror}"))
    if errors:
        raise TemplateError(errors)


def _sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def load_checked(request: Request) -> Corpus:
    """The validated corpus, with warnings turned into errors under --strict."""
    corpus = load_corpus(request.content, today=request.today)
    if request.strict and corpus.warnings:
        raise ContentError(
            [Diagnostic(w.path, w.line, w.col, f"{w.message} (--strict)") for w in corpus.warnings]
        )
    return corpus


def check_output_folder(output: Path, **folders: Path) -> None:
    """Refuse (usage error) an output folder that is, contains or lies inside one of the input folders.

    Paths are compared resolved (`--output .` from the folder holding content/, `--output content/../x`);
    an input folder that does not exist overlaps nothing.
    """
    out = output.resolve()
    for label, folder in folders.items():
        if not folder.exists():
            continue
        source = folder.resolve()
        if out == source:
            relation = "is"
        elif source in out.parents:
            relation = "lies inside"
        elif out in source.parents:
            relation = "contains"
        else:
            continue
        raise UsageError(
            f"the output folder '{output}' {relation} the {label} folder '{folder}'; "
            "choose an output folder of its own (builds and clean remove files there)"
        )


def validate_filters(corpus: Corpus, request: Request) -> None:
    problems = []
    for kind, given, valid in (
        ("audience", request.audiences, sorted(corpus.audiences)),
        ("instrument", request.instruments, sorted(corpus.instruments)),
    ):
        for value in given:
            if value not in valid:
                problems.append(f"unknown {kind} '{value}'; choose from: {', '.join(valid)}")
    if problems:
        raise UsageError(problems[0] if len(problems) == 1 else "; ".join(problems))


def build(request: Request, reporter: Reporter | None = None) -> BuildResult:
    from .publish import index_pages
    from .render import TemplateSet

    check_output_folder(request.output, content=request.content, templates=request.templates)
    reporter = reporter or SilentReporter()
    result = BuildResult()
    corpus = load_checked(request)
    result.warnings.extend(corpus.warnings)
    validate_filters(corpus, request)
    request = replace(
        request, options=replace(request.options, paper=request.options.paper or corpus.office.paper)
    )
    templates = TemplateSet(request.templates)
    if not request.templates.is_dir():
        raise TemplateError(Diagnostic(shown_path(request.templates), 0, 0, "templates folder not found"))
    check_templates(templates)
    if request.options.reference_docx is not None and not request.options.reference_docx.is_file():
        raise BuildError(
            Diagnostic(shown_path(request.options.reference_docx), 0, 0, "reference document not found")
        )

    targets = _targets(corpus, request)
    result.planned = len(targets)
    hasher = InputHasher(corpus, request.templates, request.options)
    manifest_path = request.output / MANIFEST_NAME
    previous = Manifest.read(manifest_path)  # a malformed one reads as empty: all rebuilt, nothing removed
    hashes = {t: hasher.hash(t) for t in targets}
    stale = [t for t in targets if request.force or not _up_to_date(t, hashes[t], previous, request)]
    result.up_to_date = len(targets) - len(stale)
    reporter.start(len(stale), result.up_to_date)

    writer = OutputWriter(request.output)
    writer.remove_leftovers()
    manifest = Manifest(tools=tool_versions())
    for target in targets:
        if target not in stale:
            entry = previous.entries[target.name]
            # without --html a briefing's kept HTML is no longer produced (and so is removed below)
            manifest.entries[target.name] = entry if request.keep_html else replace(entry, side_files={})
    # What earlier builds wrote that this build answers for: its planned targets' files and those of
    # targets it no longer plans within its filters. Entries outside the filters stay listed (files present).
    planned_names = {t.name for t in targets}
    planned_anywhere = {t.name for t in plan_targets(corpus)}
    answered: dict[str, str] = {}
    for name, entry in previous.entries.items():
        if name in planned_names or _in_scope(entry, request, planned_anywhere):
            answered.update(entry.files())
        elif (request.output / entry.path).is_file():
            manifest.entries[name] = entry

    instrument_files = {
        path.stem: shown for shown, path in corpus.files.items() if path.parent.name == "instruments"
    }
    for outcome in _render_all(stale, corpus, request, templates):
        target = outcome.target
        instrument_file = instrument_files.get(target.instrument, target.instrument)
        if outcome.bug is not None:
            result.bugs.append(f"while building {target.name}:\n{outcome.bug}")
            reporter.failed(
                target, [Diagnostic(instrument_file, 0, 0, f"internal error building {target.name}")]
            )
            continue
        diagnostics = [
            Diagnostic(d.path or instrument_file, d.line, d.col, f"{d.message} (building {target.name})")
            for d in outcome.diagnostics
        ]
        warnings = [
            Diagnostic(instrument_file, 1, 1, f"{message} (building {target.name})", Severity.WARNING)
            for message in outcome.warnings
        ]
        if request.strict and warnings:
            diagnostics += [Diagnostic(w.path, w.line, w.col, f"{w.message} (--strict)") for w in warnings]
        else:
            result.warnings.extend(warnings)
        budget = corpus.audiences[target.audience].page_budget
        if outcome.pages is not None and outcome.pages > budget:
            diagnostics.append(
                Diagnostic(
                    instrument_file,
                    1,
                    1,
                    f"the {target.audience} briefing runs to {outcome.pages} pages; "
                    f"its page budget is {budget} (building {target.name})",
                )
            )
        if diagnostics or outcome.data is None:
            result.errors.extend(diagnostics)
            reporter.failed(target, diagnostics)
            continue
        digest = writer.write(target.name, outcome.data)
        side_files = {}
        if outcome.html is not None:
            side_files[target.html_name] = writer.write(target.html_name, outcome.html.encode("utf-8"))
        manifest.entries[target.name] = ManifestEntry(
            target=target.name,
            instrument=target.instrument,
            audience=target.audience,
            format=target.format,
            path=target.name,
            sha256=digest,
            bytes=len(outcome.data),
            pages=outcome.pages,
            input_hash=hashes[target],
            side_files=side_files,
        )
        result.built.append(target.name)
        detail = (
            f"{outcome.pages} page{'s' if outcome.pages != 1 else ''}"
            if outcome.pages
            else f"{len(outcome.data):,} bytes"
        )
        reporter.done(target, detail)
    reporter.finish()
    if not result.ok:
        # The documents that did build are written, but the manifest (the record of a complete build) and
        # the stale files it lists stay as they were: the next build starts from the last good state.
        return result

    unfiltered = not (request.audiences or request.instruments or request.formats or request.shard)
    documents = manifest.tracked()
    if unfiltered:
        answered.update(previous.files)
        for relative, page in sorted(index_pages(corpus, manifest, templates).items()):
            problem = relative_path_problem(relative)
            if problem is not None or relative in documents:
                raise BuildError(
                    Diagnostic(
                        shown_path(request.output / relative),
                        0,
                        0,
                        f"an index page cannot be written here: {problem or 'a document has this path'}",
                    )
                )
            data = page.encode("utf-8")
            digest = hashlib.sha256(data).hexdigest()
            if _sha256_file(request.output / relative) != digest:
                writer.write(relative, data)
            manifest.files[relative] = digest
    else:  # only a full build rewrites the index pages; until then they stay listed as they are
        manifest.files = {
            p: h for p, h in previous.files.items() if p not in documents and (request.output / p).is_file()
        }

    retired = set(answered) - set(manifest.tracked())
    result.removed, result.kept = writer.remove(retired)
    text = manifest.to_json()
    if not manifest_path.is_file() or manifest_path.read_text(encoding="utf-8") != text:
        writer.write(MANIFEST_NAME, text.encode("utf-8"))
        result.manifest_written = True
    return result


def _in_scope(entry: ManifestEntry, request: Request, planned_anywhere: set[str]) -> bool:
    """Whether this build's filters cover an earlier target it does not plan, so that its files are stale.

    An unfiltered build covers everything. `--audience`, `--instrument` and `--format` cover the targets
    they name. A shard covers the targets that no shard plans any more (a removed instrument, an audience
    that may no longer see it), never a target another shard builds.
    """
    if request.audiences and entry.audience not in request.audiences:
        return False
    if request.instruments and entry.instrument not in request.instruments:
        return False
    if request.formats and entry.format not in request.formats:
        return False
    return request.shard is None or entry.target not in planned_anywhere


def _up_to_date(target: Target, input_hash: str, previous: Manifest, request: Request) -> bool:
    entry = previous.entries.get(target.name)
    if entry is None or entry.input_hash != input_hash:
        return False
    if request.keep_html and target.format == "pdf":
        recorded = entry.side_files.get(target.html_name)
        if recorded is None or _sha256_file(request.output / target.html_name) != recorded:
            return False
    return _sha256_file(request.output / entry.path) == entry.sha256


def _render_all(
    targets: list[Target], corpus: Corpus, request: Request, templates: TemplateSet
) -> Iterator[_TargetResult]:
    if not targets:
        return
    job = _Job(corpus, request.templates, request.options, request.keep_html)
    jobs = request.jobs or os.cpu_count() or 1
    ordered = sorted(targets, key=lambda t: (-COST[t.format], t))
    if jobs == 1 or len(targets) == 1:
        worker = _Worker(job)
        for target in ordered:
            yield worker.render(target)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(targets)), mp_context=context, initializer=_init_worker, initargs=(job,)
    ) as pool:
        pending: dict[Future[_TargetResult], Target] = {
            pool.submit(_render_in_worker, target): target for target in ordered
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f]):
                target = pending.pop(future)
                try:
                    yield future.result()
                except Exception:
                    yield _TargetResult(target, bug=traceback.format_exc())


def _targets(corpus: Corpus, request: Request) -> list[Target]:
    return plan_targets(
        corpus,
        audiences=request.audiences,
        instruments=request.instruments,
        formats=request.formats,
        shard=request.shard,
    )


def list_targets(request: Request) -> tuple[Corpus, list[Target]]:
    corpus = load_checked(request)
    validate_filters(corpus, request)
    return corpus, _targets(corpus, request)


@dataclass
class CleanResult:
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # listed, but a link or folder now: left alone
    folder_removed: bool = False


def clean(output: Path) -> CleanResult:
    """Delete the files the output folder's manifest lists (and the manifest), then the folders that emptied.

    A folder without a manifest, or whose manifest.json is not an atalaya manifest, is refused. Files the
    tool did not write (not in the manifest) stay, and so does their folder.
    """
    result = CleanResult()
    if not output.exists():
        return result
    if not output.is_dir():
        raise BuildError(Diagnostic(shown_path(output), 0, 0, "not a folder"))
    manifest_path = output / MANIFEST_NAME
    if not os.path.lexists(manifest_path):
        if any(output.iterdir()):
            raise BuildError(
                Diagnostic(
                    shown_path(output),
                    0,
                    0,
                    f"has no {MANIFEST_NAME}; refusing to delete a folder this tool did not make",
                )
            )
    else:
        writer = OutputWriter(output)
        if writer.owned_file(MANIFEST_NAME) is None:
            raise BuildError(
                Diagnostic(
                    shown_path(manifest_path), 0, 0, "not a regular file; refusing to clean this folder"
                )
            )
        try:
            manifest = Manifest.parse(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ManifestProblem) as exc:
            raise BuildError(
                Diagnostic(
                    shown_path(manifest_path),
                    1,
                    1,
                    f"{exc}; refusing to clean a folder whose manifest atalaya cannot read",
                )
            ) from None
        writer.remove_leftovers()  # temporary files of a killed build are the tool's too
        # the manifest goes last: a clean that is interrupted can be run again
        result.removed, result.kept = writer.remove(manifest.tracked())
        removed, kept = writer.remove([MANIFEST_NAME])
        result.removed += removed
        result.kept += kept
    if not output.is_symlink():
        with contextlib.suppress(OSError):  # it still holds files atalaya did not write
            output.rmdir()
            result.folder_removed = True
    return result


@dataclass
class MergeResult:
    manifest: Manifest
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symbolic link followed, lies inside the resolved folder `root`."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def merge_manifests(
    manifests: Iterable[Path],
    output: Path,
    *,
    content: Path = Path("content"),
    templates: Path = Path("templates"),
) -> MergeResult:
    """Join shard manifests (and copy their files, side files included) into one output folder and manifest.

    Every shard is checked before anything is written: its manifest (paths plain and relative), each file
    inside the shard's folder and its destination inside the output folder, each file matching its sha256,
    the shards agreeing. Then the files are copied, files an earlier manifest of the output folder listed
    that the merged one does not are removed (its index pages too: the next full build writes them), and
    the merged manifest is written.
    """
    check_output_folder(output, content=content, templates=templates)
    output_root = output.resolve()
    merged = Manifest()
    errors: list[Diagnostic] = []
    sources: dict[str, tuple[Path, str]] = {}  # output-relative path -> (file in a shard, sha256)
    for manifest_path in manifests:
        shard = Manifest.read_strict(manifest_path)
        where = shown_path(manifest_path)
        shard_root = manifest_path.parent.resolve()
        if merged.tools and shard.tools and shard.tools != merged.tools:
            errors.append(Diagnostic(where, 1, 1, "built with different tool versions than the other shards"))
        merged.tools = merged.tools or shard.tools
        for name, entry in sorted(shard.entries.items()):
            problems = []
            for relative, digest in sorted(entry.files().items()):
                source = manifest_path.parent / relative
                if not _inside(source, shard_root):
                    problems.append(
                        Diagnostic(where, 1, 1, f"{name}: '{relative}' resolves outside the shard's folder")
                    )
                elif not _inside(output / relative, output_root):
                    problems.append(
                        Diagnostic(where, 1, 1, f"{name}: '{relative}' resolves outside the output folder")
                    )
                elif not source.is_file() or _sha256_file(source) != digest:
                    problems.append(
                        Diagnostic(shown_path(source), 0, 0, "missing or does not match its manifest entry")
                    )
            existing = merged.entries.get(name)
            if not problems and existing is not None and existing.files() != entry.files():
                problems.append(Diagnostic(where, 1, 1, f"{name} differs from another shard's"))
            if problems:
                errors.extend(problems)
                continue
            merged.entries[name] = entry
            for relative, digest in entry.files().items():
                sources.setdefault(relative, (manifest_path.parent / relative, digest))
    if errors:
        raise BuildError(errors)

    previous = Manifest.read(output / MANIFEST_NAME)
    writer = OutputWriter(output)
    writer.remove_leftovers()
    for relative, (source, digest) in sorted(sources.items()):
        destination = output / relative
        if source.resolve() == destination.resolve() or _sha256_file(destination) == digest:
            continue
        data = source.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:  # changed since it was checked
            raise BuildError(
                Diagnostic(shown_path(source), 0, 0, "missing or does not match its manifest entry")
            )
        writer.write(relative, data)
    removed, kept = writer.remove(set(previous.tracked()) - set(merged.tracked()))
    text = merged.to_json()
    manifest_path = output / MANIFEST_NAME
    if not manifest_path.is_file() or manifest_path.read_text(encoding="utf-8") != text:
        writer.write(MANIFEST_NAME, text.encode("utf-8"))
    return MergeResult(merged, removed, kept)
