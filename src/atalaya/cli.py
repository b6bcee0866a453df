"""Turn command-line arguments into engine requests, and results into lines on the terminal and exit codes.

Exit status: 0 success, 1 content/template/build errors, 2 wrong usage. Errors print on stderr as
`path:line:col: message`, all of them, one a line, with no traceback; with GITHUB_ACTIONS=true each also
prints as a workflow annotation. Nothing here decides what to build: that is the engine's job.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from . import formats as output_formats
from .errors import AtalayaError, Diagnostic, Severity, UsageError
from .plan import Options, Target, parse_shard

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _plain_output() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or not sys.stderr.isatty()


def _annotate() -> bool:
    return os.environ.get("GITHUB_ACTIONS", "").lower() == "true"


def print_diagnostics(diagnostics: list[Diagnostic], category: str | None = None) -> None:
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(), err=True)
    if _annotate():
        for diagnostic in diagnostics:
            click.echo(diagnostic.github_annotation(), err=True)
    if category and errors:
        summary = f"{category}: {errors} error{'s' if errors != 1 else ''}"
        if warnings:
            summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
        click.echo(summary, err=True)


class PlainReporter:
    """One line per target: for logs, CI and pipes."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.total = 0
        self.count = 0

    def start(self, total: int, up_to_date: int) -> None:
        self.total = total
        if not self.quiet:
            click.echo(f"{total} to build, {up_to_date} up to date", err=True)

    def done(self, target: Target, detail: str) -> None:
        self.count += 1
        if not self.quiet:
            click.echo(f"[{self.count}/{self.total}] {target.name} ({detail})", err=True)

    def failed(self, target: Target, diagnostics: list[Diagnostic]) -> None:
        self.count += 1
        click.echo(f"[{self.count}/{self.total}] {target.name} FAILED", err=True)

    def finish(self) -> None:
        pass


class BarReporter:
    """A progress bar on a terminal (rich; NO_COLOR is honoured by rich itself)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.task: Any = None

    def start(self, total: int, up_to_date: int) -> None:
        if total:
            self.progress.start()
            self.task = self.progress.add_task(f"building ({up_to_date} up to date)", total=total)
        else:
            self.console.print(f"nothing to build: {up_to_date} up to date")

    def done(self, target: Target, detail: str) -> None:
        self.progress.update(self.task, advance=1, description=f"{target.name}")

    def failed(self, target: Target, diagnostics: list[Diagnostic]) -> None:
        self.progress.update(self.task, advance=1)
        self.progress.console.print(f"[red]failed[/red] {target.name}")

    def finish(self) -> None:
        if self.task is not None:
            self.progress.update(self.task, description="built")
            self.progress.stop()


def _print_removed(output: Path, removed: list[str], kept: list[str], quiet: bool) -> None:
    """One `removed PATH` line per file an earlier run wrote and this one deleted; a warning per one left."""
    if not quiet:
        for relative in removed:
            click.echo(f"removed {output / relative}", err=True)
    for relative in kept:
        click.echo(
            f"warning: kept {output / relative}: listed in the manifest but not a regular file inside "
            f"{output} (a link or a folder); atalaya removes only files it wrote",
            err=True,
        )


def _run(action: Any) -> None:
    """Run an action, turning user errors into printed diagnostics and exit codes."""
    try:
        code = action()
    except UsageError as exc:
        click.echo(f"Error: {exc.diagnostics[0].message}", err=True)
        sys.exit(EXIT_USAGE)
    except AtalayaError as exc:
        print_diagnostics(exc.diagnostics, exc.category)
        sys.exit(EXIT_ERRORS)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code or EXIT_OK)


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


content_option = click.option(
    "--content",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("content"),
    show_default=True,
    help="Content folder (audiences.yaml, countries.yaml, instruments/).",
)
templates_option = click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("templates"),
    show_default=True,
    help="Templates folder (briefing/, memo/, partials/, assets/).",
)
output_option = click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
    show_default=True,
    help="Output folder.",
)
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")


def _filters(function: Any) -> Any:
    function = click.option(
        "--shard", callback=_shard, metavar="K/N", help="Only the K-th of N parts of the targets."
    )(function)
    function = click.option(
        "--format",
        "formats",
        multiple=True,
        type=click.Choice(output_formats.names()),
        help="Only this format (repeatable).",
    )(function)
    function = click.option(
        "--language",
        "languages",
        multiple=True,
        metavar="TAG",
        help="Only this edition, one of office.yaml's languages (repeatable).",
    )(function)
    function = click.option(
        "--product",
        "products",
        multiple=True,
        metavar="NAME",
        help="Only this product: brief, book or countries for build (repeatable).",
    )(function)
    function = click.option(
        "--instrument", "instruments", multiple=True, metavar="ID", help="Only this instrument (repeatable)."
    )(function)
    function = click.option(
        "--audience", "audiences", multiple=True, metavar="NAME", help="Only this audience (repeatable)."
    )(function)
    return function


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="atalaya")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Build PDF briefings and Word memos from validated YAML content, for every audience."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(build)


def _build_options(function: Any) -> Any:
    """The options `build` and `changes` share: folders, filters, workers and what changes output bytes."""
    options: list[Callable[[Any], Any]] = [
        content_option,
        templates_option,
        output_option,
        _filters,
        click.option(
            "-j",
            "--jobs",
            type=click.IntRange(min=0),
            default=0,
            help="Worker processes (default: one per core).",
        ),
        click.option("--force", is_flag=True, help="Rebuild even what is up to date."),
        click.option(
            "--html", "keep_html", is_flag=True, help="Also keep each briefing's HTML as <id>.html."
        ),
        click.option(
            "--paper",
            type=click.Choice(["A4", "Letter"], case_sensitive=False),
            help="Paper size (default: office.yaml's, else A4).",
        ),
        click.option("--pdfa", is_flag=True, help="Write PDF/A-3b briefings for archiving."),
        click.option(
            "--reference-docx",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Word document whose styles the memos take.",
        ),
        strict_option,
        quiet_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _request(command: str, baseline: Any = None, **given: Any) -> Any:
    """The engine request for `build` or `changes` from the shared options."""
    from .engine import Request

    paper = given["paper"]
    return Request(
        content=given["content"],
        templates=given["templates"],
        output=given["output"],
        audiences=given["audiences"],
        subjects=given["instruments"],
        languages=given["languages"],
        formats=given["formats"],
        products=given["products"],
        jobs=given["jobs"],
        force=given["force"],
        keep_html=given["keep_html"],
        strict=given["strict"],
        shard=given["shard"],
        options=Options(
            paper={"a4": "A4", "letter": "Letter"}[paper.lower()] if paper else "",
            pdf_variant="pdf/a-3b" if given["pdfa"] else None,
            reference_docx=given["reference_docx"],
        ),
        command=command,
        baseline=baseline,
    )


def _run_build(request: Any, quiet: bool) -> None:
    from .engine import build as run_build

    def action() -> int:
        started = time.perf_counter()
        reporter = PlainReporter(quiet) if quiet or _plain_output() else BarReporter()
        result = run_build(request, reporter)
        print_diagnostics(sorted(result.warnings))
        for bug in result.bugs:
            click.echo(bug, err=True)
        if not result.ok:
            print_diagnostics(sorted(set(result.errors)), request.command)
            return EXIT_ERRORS
        _print_removed(request.output, result.removed, result.kept, quiet)
        if result.withheld:
            shown = ", ".join(result.withheld[:5]) + (", …" if len(result.withheld) > 5 else "")
            click.echo(
                f"withheld {len(result.withheld)} until translated (`build.py translations` lists what they "
                f"lack): {shown}",
                err=True,
            )
        if not quiet:
            click.echo(
                f"built {len(result.built)}, up to date {result.up_to_date}, "
                f"in {time.perf_counter() - started:.1f} s",
                err=True,
            )
        return EXIT_OK

    _run(action)


@main.command()
@_build_options
def build(**given: Any) -> None:
    """Validate the content and build the out-of-date documents (the default command)."""
    _run_build(_request("build", **given), given["quiet"])


@main.command()
@click.option("--since", metavar="REF", help="The last edition: a git revision of the content's repository.")
@click.option(
    "--previous-content",
    type=click.Path(path_type=Path, file_okay=False),
    help="The last edition: a content folder kept outside git.",
)
@_build_options
def changes(since: str | None, previous_content: Path | None, **given: Any) -> None:
    """Build change memos: for each instrument and audience whose view differs from the last edition's,
    the Word memo with tracked changes and a PDF change page, in <audience>/changes/."""
    from .baseline import Baseline

    if (since is None) == (previous_content is None):
        click.echo(
            "Error: give the last edition with exactly one of --since REF or --previous-content DIR", err=True
        )
        sys.exit(EXIT_USAGE)
    baseline = Baseline(since=since, folder=previous_content)
    _run_build(_request("changes", baseline, **given), given["quiet"])


@main.command(name="list")
@content_option
@_filters
@click.option("--json", "as_json", is_flag=True, help="Print the targets as JSON.")
def list_command(
    content: Path,
    audiences: tuple[str, ...],
    instruments: tuple[str, ...],
    languages: tuple[str, ...],
    formats: tuple[str, ...],
    products: tuple[str, ...],
    shard: tuple[int, int] | None,
    as_json: bool,
) -> None:
    """Print the targets (their paths: audience/id.suffix) the filters select."""
    from .engine import Request, list_targets

    def action() -> int:
        request = Request(
            content=content,
            templates=Path("templates"),
            output=Path("output"),
            audiences=audiences,
            subjects=instruments,
            languages=languages,
            formats=formats,
            products=products,
            shard=shard,
        )
        _, targets = list_targets(request)
        if as_json:
            rows = [
                {
                    "target": t.path,
                    "product": t.product.name,
                    "subject": t.subject,
                    "audience": t.audience,
                    "edition": t.edition,
                    "format": t.format.name,
                }
                for t in targets
            ]
            click.echo(json.dumps(rows, indent=2))
        else:
            for target in targets:
                click.echo(target.name)
        return EXIT_OK

    _run(action)


@main.command()
@output_option
def clean(output: Path) -> None:
    """Delete the files the output folder's manifest lists, then the folders left empty."""
    from .maintenance import clean as run_clean

    def action() -> int:
        result = run_clean(output)
        _print_removed(output, [], result.kept, quiet=True)
        count = len(result.removed)
        click.echo(f"removed {count} file{'s' if count != 1 else ''} from {output}", err=True)
        if output.exists() and not result.folder_removed:
            click.echo(f"kept {output}: it holds files atalaya did not write", err=True)
        return EXIT_OK

    _run(action)


@main.command()
@click.argument("manifests", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@output_option
def merge(manifests: tuple[Path, ...], output: Path) -> None:
    """Join shard manifests (and their files) into one output folder."""
    from .maintenance import merge_manifests

    def action() -> int:
        result = merge_manifests(manifests, output)
        _print_removed(output, result.removed, result.kept, quiet=False)
        click.echo(f"merged {len(result.manifest.entries)} targets into {output}", err=True)
        return EXIT_OK

    _run(action)


@main.command()
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("schema"), show_default=True
)
@click.option("--check", "check_only", is_flag=True, help="Fail if the files on disk differ from the schema.")
def schema(out: Path, check_only: bool) -> None:
    """Write the content's JSON Schemas (for editors' yaml-language-server `$schema`)."""
    from .model import json_schemas

    def action() -> int:
        stale = []
        for name, document in json_schemas().items():
            path = out / f"{name}.schema.json"
            text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
            if check_only:
                if not path.is_file() or path.read_text(encoding="utf-8") != text:
                    stale.append(Diagnostic(str(path), 0, 0, "stale: run `python build.py schema`"))
                continue
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if stale:
            print_diagnostics(stale, "schema")
            return EXIT_ERRORS
        return EXIT_OK

    _run(action)


@main.command()
@content_option
@output_option
@click.option(
    "--previous", type=click.Path(path_type=Path, dir_okay=False), help="The previous run's manifest.json."
)
@click.option(
    "--audience",
    metavar="NAME",
    help="The audience whose documents to summarise (default: the one with the lowest clearance).",
)
@click.option("--since", metavar="REF", help="Also say what changed since this git revision of the content.")
@click.option(
    "--previous-content",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also say what changed since this content folder.",
)
def summary(
    content: Path,
    output: Path,
    previous: Path | None,
    audience: str | None,
    since: str | None,
    previous_content: Path | None,
) -> None:
    """Print a Markdown summary of one audience's output (for $GITHUB_STEP_SUMMARY)."""
    from .engine import Request, load_checked
    from .errors import BuildError, shown_path
    from .manifest import MANIFEST_NAME, Manifest
    from .model import STALE
    from .output import read_manifest
    from .publish import default_audience, job_summary

    def action() -> int:
        corpus = load_checked(Request(content=content, templates=Path("templates"), output=output))
        if audience is not None and audience not in corpus.audiences:
            raise UsageError(
                f"unknown audience '{audience}'; choose from: {', '.join(sorted(corpus.audiences))}"
            )
        source = corpus.office.editions[0]
        manifest = read_manifest(output / MANIFEST_NAME, source_language=source)
        before = Manifest()
        if previous is not None:
            if not previous.is_file():
                raise BuildError(
                    Diagnostic(shown_path(previous), 0, 0, "previous manifest not found (--previous)")
                )
            before = read_manifest(previous, source_language=source)
        stale = [w for w in corpus.warnings if w.category == STALE]
        label = None
        if since is not None or previous_content is not None:
            from dataclasses import replace

            from .baseline import Baseline, baseline_corpus

            last = Baseline(since=since, folder=previous_content)
            corpus = replace(corpus, baseline=baseline_corpus(last, content, corpus, None))
            label = last.label
        text = job_summary(corpus, manifest, before, stale, audience or default_audience(corpus), label)
        click.echo(text, nl=False)
        return EXIT_OK

    _run(action)


@main.command()
@content_option
@templates_option
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free)."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but the loopback exposes every audience's documents.",
)
def serve(content: Path, templates: Path, port: int, host: str) -> None:
    """Serve a live preview of every document, rebuilt as content and templates are saved."""
    from tempfile import TemporaryDirectory

    from .engine import Request
    from .serve import serve as run_serve

    def action() -> int:
        # The server renders into memory; the folder is its own, never the content's or the templates'.
        with TemporaryDirectory(prefix="atalaya-serve-") as private:
            request = Request(content=content, templates=templates, output=Path(private))
            return run_serve(request, host, port, lambda line: click.echo(line, err=True))

    _run(action)


# The content's commands (`check`, `translations`, `confirm`) register themselves on `main`.
from . import cli_content as _cli_content  # noqa: E402, F401
