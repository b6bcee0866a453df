"""Turn the content commands' arguments into findings and exit codes: `check` validates the content and
reports each edition's translation coverage, `translations` lists what each edition lacks, `confirm`
records that translations match their source (`atalaya.translations`, `atalaya.confirm`). Registered on
the main command group by `atalaya.cli`.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click

from .cli import (
    EXIT_ERRORS,
    EXIT_OK,
    _run,
    content_option,
    main,
    print_diagnostics,
    quiet_option,
    strict_option,
)
from .errors import ContentError, UsageError
from .load import Document, load_file
from .model import Corpus
from .translations import Worklist, worklist


def _check_names(corpus: Corpus, languages: tuple[str, ...], audiences: tuple[str, ...]) -> None:
    others = corpus.office.editions[1:]
    for language in languages:
        if language not in others:
            shown = ", ".join(others) or "none: office.yaml names no other language"
            raise UsageError(f"unknown edition '{language}'; the translated editions are: {shown}")
    for audience in audiences:
        if audience not in corpus.audiences:
            choices = ", ".join(sorted(corpus.audiences))
            raise UsageError(f"unknown audience '{audience}'; choose from: {choices}")


def coverage_lines(work: Worklist) -> list[str]:
    """One line per language: each audience's share of translated texts."""
    lines: list[str] = []
    for language in dict.fromkeys(language for language, _ in work.coverage):
        parts = []
        for (other, audience), cover in work.coverage.items():
            if other != language:
                continue
            part = f"{audience} {cover.percent}% ({cover.current:,} of {cover.total:,}"
            part += f", {cover.stale:,} stale)" if cover.stale else ")"
            parts.append(part)
        lines.append(f"translations {language}: " + "; ".join(parts))
    return lines


@main.command()
@content_option
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also compile every template in this folder (build always does).",
)
@strict_option
@quiet_option
def check(content: Path, templates: Path | None, strict: bool, quiet: bool) -> None:
    """Validate the content; write nothing."""
    from .model import load_corpus

    def action() -> int:
        from .edition import STALE, UNCONFIRMED
        from .translations import strict_failures, worklist

        corpus = load_corpus(content)
        work = worklist(corpus)
        # A public edition that would be withheld for untranslated text fails --strict; elsewhere a stale
        # or unconfirmed translation is a warning at its line, and missing ones are counted below.
        untranslated = strict_failures(work.items, corpus) if strict else []
        if strict and (corpus.warnings or untranslated):
            failures = [w.strict() for w in corpus.warnings]
            raise ContentError(failures + [item.diagnostic(error=True) for item in untranslated])
        if templates is not None:
            from .engine import check_templates
            from .render import TemplateSet

            check_templates(TemplateSet(templates))
        print_diagnostics(corpus.warnings)
        print_diagnostics([i.diagnostic() for i in work.items if i.state in (STALE, UNCONFIRMED)])
        if not quiet:
            for line in coverage_lines(work):
                click.echo(line, err=True)
            click.echo(
                f"ok: {len(corpus.instruments)} instruments, {len(corpus.audiences)} audiences, "
                f"{len(corpus.countries)} countries",
                err=True,
            )
        return EXIT_OK

    _run(action)


@main.command()
@content_option
@click.option("--language", "languages", multiple=True, metavar="TAG", help="Only this edition (repeatable).")
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    metavar="NAME",
    help="Only what this audience is shown (repeatable): the list holds nothing above its clearance.",
)
@click.option("--instrument", "instruments", multiple=True, metavar="ID", help="Only this instrument.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON (with each source text).")
@quiet_option
def translations(
    content: Path,
    languages: tuple[str, ...],
    audiences: tuple[str, ...],
    instruments: tuple[str, ...],
    as_json: bool,
    quiet: bool,
) -> None:
    """List the texts an edition shows untranslated (missing, stale or unconfirmed), at file:line:col."""
    from .model import load_corpus

    def action() -> int:
        corpus = load_corpus(content)
        _check_names(corpus, languages, audiences)
        for instrument in instruments:
            if instrument not in corpus.instruments:
                raise UsageError(f"unknown instrument '{instrument}'")
        work = worklist(corpus, languages=languages, audiences=audiences, subjects=instruments)
        if as_json:
            rows = [
                {
                    "file": item.file,
                    "line": item.line,
                    "col": item.col,
                    "language": item.language,
                    "state": item.state,
                    "audiences": list(item.audiences),
                    "source": item.source,
                }
                for item in work.items
            ]
            click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        else:
            for item in work.items:
                shown = " ".join(item.source.split())
                shown = shown if len(shown) <= 100 else shown[:99] + "…"
                click.echo(f"{item.file}:{item.line}:{item.col}: {item.language} {item.state}: {shown}")
        if not quiet:
            for line in coverage_lines(work):
                click.echo(line, err=True)
        return EXIT_OK

    _run(action)


@main.command()
@content_option
@click.option(
    "--language", "languages", multiple=True, required=True, metavar="TAG", help="The edition (repeatable)."
)
@click.argument("places", nargs=-1, required=True, metavar="FILE[:LINE]...")
@quiet_option
def confirm(content: Path, languages: tuple[str, ...], places: tuple[str, ...], quiet: bool) -> None:
    """Confirm translations: record in each FILE (a content file; with :LINE, only the translations at that
    line) the hash of the source text each translation into --language translates."""
    from .confirm import confirm_file, pending
    from .errors import shown_path
    from .model import load_corpus

    def action() -> int:
        corpus = load_corpus(content)
        _check_names(corpus, languages, ())
        known = {path.resolve(): shown for shown, path in corpus.files.items()}
        chosen: dict[str, set[int] | None] = {}
        for place in places:
            name, _, line = place.rpartition(":") if place.rpartition(":")[2].isdigit() else (place, "", "")
            shown = known.get(Path(name).resolve())
            if shown is None:
                raise UsageError(f"{name}: not a file of the content folder {shown_path(content)}")
            lines = chosen.setdefault(shown, set())
            if line and lines is not None:
                lines.add(int(line))
            elif not line:
                chosen[shown] = None
        confirmed = 0
        for shown, lines in chosen.items():
            todo = pending(corpus, shown, languages)
            if lines:
                todo = [c for c in todo if _lines_of(corpus, shown, c.location) & lines]
                missed = lines - {line for c in todo for line in _lines_of(corpus, shown, c.location)}
                if missed:
                    first = min(missed)
                    raise UsageError(
                        f"{shown}:{first}: no unconfirmed or stale translation starts on this line"
                    )
            if not todo:
                continue
            for done in confirm_file(corpus, shown, todo):
                confirmed += 1
                if not quiet:
                    click.echo(f"{shown}:{done.line}: {done.language} confirmed", err=True)
        if not quiet:
            click.echo(f"confirmed {confirmed} translation{'s' if confirmed != 1 else ''}", err=True)
        return EXIT_OK if confirmed or not any(chosen.values()) else EXIT_ERRORS

    _run(action)


def _lines_of(corpus: Corpus, shown: str, location: tuple[str | int, ...]) -> set[int]:
    """The lines that name a translation: its key's (`es:`) and its value's (`text:` of a mapping on the
    next line), which is the line `translations` and `check` print."""
    document = _document(corpus.files[shown], shown)
    return {document.locate(location, key=True)[0], document.locate(location)[0]}


@functools.lru_cache(maxsize=8)
def _document(path: Path, shown: str) -> Document:
    return load_file(path, shown)
