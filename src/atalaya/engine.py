"""Turn a content tree and a templates folder into the output folder: prepare, plan, render, record.

1. **Prepare**: everything is validated before anything is written: the content (all files, all errors
   together), the command line's filters and the templates (every one compiled).
2. **Plan**: every target is planned once and hashed from the view it renders (`plan`); what the output
   folder's manifest records as built from the same inputs is up to date (`record.schedule`).
3. **Render**: the targets that are out of date are rendered by worker processes (`workers`).
4. **Record**: this process alone writes files, atomically, as results arrive, and the manifest last
   (`record.Recorder`, through `output.OutputFolder`). A failing target is reported with its name and does
   not stop the others from being written, but a failed build leaves manifest.json (and every file it lists
   but no longer produces) as it was.

`clean` and `merge` are in `maintenance`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .baseline import Baseline, baseline_corpus
from .errors import BuildError, ContentError, Diagnostic, TemplateError, UsageError, shown_path
from .model import Corpus, load_corpus
from .output import OutputFolder
from .plan import INDEX_TEMPLATE, Filters, InputHasher, Options, Target, Views, all_targets
from .products import of_command

if TYPE_CHECKING:  # the renderers (and Jinja) load only when something is to be built
    from .record import Schedule
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
    subjects: tuple[str, ...] = ()
    """`--instrument`: only the documents on these subjects."""
    languages: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    """`--product`: only these of the command's products."""
    jobs: int = 0
    force: bool = False
    keep_html: bool = False
    strict: bool = False
    shard: tuple[int, int] | None = None
    options: Options = field(default_factory=Options)
    today: date | None = None
    command: str = "build"
    """`build` (the briefs) or `changes` (the change memos, against `baseline`)."""
    baseline: Baseline | None = None
    """Where the last edition's content is (`changes --since REF` or `--previous-content DIR`)."""

    @property
    def filters(self) -> Filters:
        products = of_command(self.command)
        return Filters(
            self.audiences, self.subjects, self.languages, self.formats, self.shard, products, self.products
        )

    @property
    def keep_side(self) -> frozenset[str]:
        """The side files to keep beside their documents: `--html` keeps the briefings' HTML."""
        return frozenset({".html"}) if self.keep_html else frozenset()


@dataclass
class BuildResult:
    up_to_date: int = 0
    built: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    bugs: list[str] = field(default_factory=list)
    # Files an earlier build wrote that this one removed, or left alone (not regular files): output-relative.
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    # Documents of the selected editions not built until their text is translated: `audience/stem.edition`.
    withheld: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.bugs


# --- prepare ----------------------------------------------------------------------------------------------


def load_checked(request: Request) -> Corpus:
    """The validated corpus, with warnings turned into errors under --strict."""
    corpus = load_corpus(request.content, today=request.today)
    if request.strict and corpus.warnings:
        raise ContentError([w.strict() for w in corpus.warnings])
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
        ("instrument", request.subjects, sorted(corpus.instruments)),
        ("language", request.languages, list(corpus.office.editions)),
        ("product", request.products, list(of_command(request.command))),
    ):
        for value in given:
            if value not in valid:
                problems.append(f"unknown {kind} '{value}'; choose from: {', '.join(valid)}")
    if problems:
        raise UsageError(problems[0] if len(problems) == 1 else "; ".join(problems))


def check_templates(templates: TemplateSet, only: Iterable[str] | None = None) -> None:
    """Compile every template (or `only` those names) so a syntax error fails the build before anything is
    written; each error names the file as Jinja read it (`templates.template_path`), relative to the working
    directory."""
    import jinja2

    wanted = None if only is None else set(only)
    errors: list[Diagnostic] = []
    for path in templates.files():
        name = path.relative_to(templates.root).as_posix()
        if path.suffix != ".j2" or (wanted is not None and name not in wanted):
            continue
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


@dataclass(frozen=True)
class Setup:
    """A prepared build: the request (paper resolved), the validated corpus and the compiled templates."""

    request: Request
    corpus: Corpus
    templates: TemplateSet


def prepare(request: Request) -> Setup:
    """Validate everything a build reads, before anything is written; raise what is wrong. The templates are
    compiled by `build` once it knows what is stale: every template hash is in every input hash, so when
    nothing is stale no template changed since the last good build and only the index template is needed."""
    from .render import TemplateSet

    previous = (
        {}
        if request.baseline is None or request.baseline.folder is None
        else {"previous content": request.baseline.folder}
    )
    check_output_folder(request.output, content=request.content, templates=request.templates, **previous)
    corpus = load_checked(request)
    if request.baseline is not None:
        baseline = baseline_corpus(request.baseline, request.content, corpus, request.today)
        corpus = replace(corpus, baseline=baseline)
    validate_filters(corpus, request)
    options = replace(request.options, paper=request.options.paper or corpus.office.paper)
    request = replace(request, options=options)
    templates = TemplateSet(request.templates)
    if not request.templates.is_dir():
        raise TemplateError(Diagnostic(shown_path(request.templates), 0, 0, "templates folder not found"))
    if options.reference_docx is not None and not options.reference_docx.is_file():
        raise BuildError(Diagnostic(shown_path(options.reference_docx), 0, 0, "reference document not found"))
    return Setup(request, corpus, templates)


# --- build ------------------------------------------------------------------------------------------------


def plan_build(setup: Setup, folder: OutputFolder, views: Views) -> Schedule:
    """Plan every target once; hash the ones the filters select; find which the output folder lacks."""
    from .record import schedule

    request, corpus = setup.request, setup.corpus
    everything = all_targets(corpus, views)
    targets = request.filters.select(everything)
    hasher = InputHasher(corpus, request.templates, request.options, views)
    return schedule(
        targets,
        {t: hasher.hash(t) for t in targets},
        folder.previous_manifest(source_language=corpus.office.editions[0]),
        folder,
        filters=request.filters,
        planned_anywhere={t.path for t in everything},
        force=request.force,
        keep_side=request.keep_side,
    )


def withheld_documents(views: Views, filters: Filters) -> list[str]:
    """The documents the filters select that wait for translations (`Views.withheld`), by name."""
    from .products import get as get_product

    names = []
    for (product, subject, audience, edition), reasons in views.reasons.items():
        chosen = filters.covers(
            product=product,
            subject=subject,
            audience=audience,
            edition=edition,
            format=filters.formats[0] if filters.formats else "",
        )
        if reasons and chosen:
            names.append(f"{audience}/{get_product(product).stem(subject)}.{edition}")
    return sorted(names)


def build(request: Request, reporter: Reporter | None = None) -> BuildResult:
    """Build what is out of date: prepare, plan, render the stale targets in workers, record each result as
    it arrives, and after a complete build the index pages, the removals and the manifest."""
    from .publish import index_pages
    from .record import Recorder
    from .workers import Job, render_all

    reporter = reporter or SilentReporter()
    setup = prepare(request)
    request, corpus = setup.request, setup.corpus
    folder = OutputFolder(request.output)
    views = Views(corpus)  # each view built once: for the hashes, then for the index pages
    plan = plan_build(setup, folder, views)
    check_templates(setup.templates, None if plan.stale else [INDEX_TEMPLATE])
    result = BuildResult(up_to_date=len(plan.targets) - len(plan.stale), warnings=list(corpus.warnings))
    result.withheld = withheld_documents(views, request.filters)
    reporter.start(len(plan.stale), result.up_to_date)
    folder.remove_leftovers()
    recorder = Recorder(plan, folder, corpus, result, reporter, strict=request.strict)
    job = Job(corpus, request.templates, request.options, tuple(plan.stale), request.keep_side)
    for outcome in render_all(job, request.jobs):
        recorder.add(plan.stale[outcome.index], outcome)
    reporter.finish()
    if not result.ok:
        # The documents that did build are written, but the manifest (the record of a complete build) and
        # the stale files it lists stay as they were: the next build starts from the last good state.
        return result
    if request.filters.everything and request.command == "build":
        recorder.finish(lambda manifest: index_pages(corpus, manifest, setup.templates, views))
    else:  # only a full build rewrites the index pages; until then they stay listed as they are
        recorder.finish(None)
    return result


def list_targets(request: Request) -> tuple[Corpus, list[Target]]:
    corpus = load_checked(request)
    validate_filters(corpus, request)
    return corpus, request.filters.select(all_targets(corpus))
