"""Turn a content tree and a templates folder into the output folder: plan, render in parallel, write, record.

Everything is validated before anything is written: the content (all files, all errors together) and the
templates (every one compiled). Then the targets that are out of date are rendered by worker processes that
each keep their writers (fonts, stylesheets) across documents; this process alone writes files, atomically,
as results arrive; the manifest is written last. A failing target is reported with its name and does not
lose the others' work.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import AtalayaError, BuildError, ContentError, Diagnostic, Severity, TemplateError, shown_path
from .model import Corpus, load_corpus
from .output import OutputWriter
from .plan import (
    COST,
    MANIFEST_NAME,
    InputHasher,
    Manifest,
    ManifestEntry,
    Options,
    Target,
    plan_targets,
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
    """Compile every template so a syntax error fails the build before anything is written."""
    import jinja2

    errors: list[Diagnostic] = []
    for path in templates.files():
        if path.suffix != ".j2":
            continue
        name = path.relative_to(templates.root).as_posix()
        try:
            templates.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            errors.append(
                Diagnostic(shown_path(path), exc.lineno or 1, 1, exc.message or "template syntax error")
            )
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


def validate_filters(corpus: Corpus, request: Request) -> None:
    from .errors import UsageError

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
    from .publish import index_html
    from .render import TemplateSet

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
    previous = Manifest.read(manifest_path)
    hashes = {t: hasher.hash(t) for t in targets}
    stale = [t for t in targets if request.force or not _up_to_date(t, hashes[t], previous, request)]
    result.up_to_date = len(targets) - len(stale)
    reporter.start(len(stale), result.up_to_date)

    writer = OutputWriter(request.output)
    writer.remove_leftovers()
    manifest = Manifest(tools=tool_versions())
    for target in targets:
        if target not in stale:
            manifest.entries[target.name] = previous.entries[target.name]
    # Entries of targets outside this run's filters stay listed while their files exist.
    planned_names = {t.name for t in targets}
    all_names = {t.name for t in plan_targets(corpus)}
    for name, entry in previous.entries.items():
        if name not in planned_names and name in all_names and (request.output / entry.path).is_file():
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
            _keep_previous(manifest, previous, target, request)
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
            _keep_previous(manifest, previous, target, request)
            continue
        digest = writer.write(target.name, outcome.data)
        if outcome.html is not None:
            writer.write(f"{target.audience}/{target.instrument}.html", outcome.html.encode("utf-8"))
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
        )
        result.built.append(target.name)
        detail = (
            f"{outcome.pages} page{'s' if outcome.pages != 1 else ''}"
            if outcome.pages
            else f"{len(outcome.data):,} bytes"
        )
        reporter.done(target, detail)
    reporter.finish()

    index = index_html(corpus, manifest, templates) if request.shard is None else None
    index_path = request.output / "index.html"
    if index is not None and (not index_path.is_file() or index_path.read_text(encoding="utf-8") != index):
        writer.write("index.html", index.encode("utf-8"))
    text = manifest.to_json()
    if not manifest_path.is_file() or manifest_path.read_text(encoding="utf-8") != text:
        writer.write(MANIFEST_NAME, text.encode("utf-8"))
        result.manifest_written = True
    return result


def _keep_previous(manifest: Manifest, previous: Manifest, target: Target, request: Request) -> None:
    entry = previous.entries.get(target.name)
    if entry is not None and (request.output / entry.path).is_file():
        manifest.entries[target.name] = entry


def _up_to_date(target: Target, input_hash: str, previous: Manifest, request: Request) -> bool:
    entry = previous.entries.get(target.name)
    if entry is None or entry.input_hash != input_hash:
        return False
    path = request.output / entry.path
    if request.keep_html and target.format == "pdf" and not path.with_suffix(".html").is_file():
        return False
    return _sha256_file(path) == entry.sha256


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


def clean(output: Path) -> int:
    """Remove a generated output folder; refuse a folder that does not look generated."""
    if not output.exists():
        return 0
    if not output.is_dir():
        raise BuildError(Diagnostic(shown_path(output), 0, 0, "not a folder"))
    entries = list(output.iterdir())
    if entries and not (output / MANIFEST_NAME).exists():
        raise BuildError(
            Diagnostic(
                shown_path(output),
                0,
                0,
                f"has no {MANIFEST_NAME}; refusing to delete a folder this tool did not make",
            )
        )
    count = sum(1 for p in output.rglob("*") if p.is_file())
    shutil.rmtree(output)
    return count


def merge_manifests(manifests: Iterable[Path], output: Path) -> Manifest:
    """Join shard manifests (and copy their files) into one output folder and one manifest."""
    merged = Manifest()
    writer = OutputWriter(output)
    errors: list[Diagnostic] = []
    for manifest_path in manifests:
        shard = Manifest.read_strict(manifest_path)
        if merged.tools and shard.tools and shard.tools != merged.tools:
            errors.append(
                Diagnostic(
                    shown_path(manifest_path),
                    1,
                    1,
                    "built with different tool versions than the other shards",
                )
            )
        merged.tools = merged.tools or shard.tools
        for name, entry in shard.entries.items():
            source = manifest_path.parent / entry.path
            if _sha256_file(source) != entry.sha256:
                errors.append(
                    Diagnostic(shown_path(source), 0, 0, "missing or does not match its manifest entry")
                )
                continue
            existing = merged.entries.get(name)
            if existing is not None and existing.sha256 != entry.sha256:
                errors.append(
                    Diagnostic(shown_path(manifest_path), 1, 1, f"{name} differs from another shard's")
                )
                continue
            merged.entries[name] = entry
            destination = output / entry.path
            if source.resolve() != destination.resolve() and _sha256_file(destination) != entry.sha256:
                writer.write(entry.path, source.read_bytes())
            html = source.with_suffix(".html")
            if html.is_file() and html.resolve() != destination.with_suffix(".html").resolve():
                writer.write(str(Path(entry.path).with_suffix(".html")), html.read_bytes())
    if errors:
        raise BuildError(errors)
    writer.write(MANIFEST_NAME, merged.to_json().encode("utf-8"))
    return merged
