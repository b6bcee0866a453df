"""Turn targets into rendered documents in worker processes: each target's view through its product, its
bytes through its format's writer.

A worker makes one writer per format and edition it meets (`Format.make_writer`, lazily), so each process
prepares its fonts and stylesheets once and keeps them warm across documents. Workers are forked with the
corpus and the targets already in memory; a task is the target's index, a result its `Outcome` (bytes,
pages, the side files asked for, warnings, or the located errors or traceback of a failure). Nothing here
writes a file.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import AtalayaError, Diagnostic
from .formats import Rendered, Writer
from .model import Corpus
from .plan import Options, Target


@dataclass(frozen=True)
class Job:
    """What every worker needs, inherited when it is forked."""

    corpus: Corpus
    templates_root: Path
    options: Options
    targets: tuple[Target, ...]
    keep_side: frozenset[str] = frozenset()
    """The side-file suffixes to return (`.html` under `--html`); the others are dropped in the worker."""


@dataclass(frozen=True)
class Outcome:
    """One target's result: its rendered document, or what went wrong (`diagnostics`, or a `bug`)."""

    index: int
    rendered: Rendered | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    bug: str | None = None


class Worker:
    """Renders targets in one process, keeping one writer per format."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.writers: dict[tuple[str, str], Writer] = {}

    def writer(self, target: Target) -> Writer:
        """The format's writer for the target's edition (its labels, dates and hyphenation)."""
        from .render import TemplateSet

        fmt, key = target.format, (target.format.name, target.edition)
        if key not in self.writers:
            templates = TemplateSet(self.job.templates_root, language=target.edition)
            self.writers[key] = fmt.make_writer(templates, self.job.options)
        return self.writers[key]

    def render(self, index: int) -> Outcome:
        target = self.job.targets[index]
        product = target.product
        try:
            view = product.view(self.job.corpus, target.subject, target.audience, target.edition)
            names = product.template_names(target.format, target.audience)
            rendered = product.render(self.writer(target), view, names)
        except AtalayaError as exc:
            return Outcome(index, diagnostics=tuple(exc.diagnostics))
        except Exception:
            return Outcome(index, bug=traceback.format_exc())
        # The side files not asked for are not sent back to the main process.
        wanted = self.job.keep_side & set(target.format.side_suffixes)
        kept = {suffix: data for suffix, data in rendered.side_files.items() if suffix in wanted}
        return Outcome(index, rendered=replace(rendered, side_files=kept))


_WORKER: Worker | None = None


def _init_worker(job: Job) -> None:
    global _WORKER
    _WORKER = Worker(job)


def _render_in_worker(index: int) -> Outcome:
    assert _WORKER is not None
    return _WORKER.render(index)


def render_all(job: Job, jobs: int) -> Iterator[Outcome]:
    """Every target of the job rendered, the costly formats first, on `jobs` processes (0: one per core);
    outcomes come as they finish."""
    if not job.targets:
        return
    jobs = jobs or os.cpu_count() or 1
    targets = job.targets
    ordered = sorted(range(len(targets)), key=lambda i: (-targets[i].format.cost, targets[i].sort_key))
    if jobs == 1 or len(targets) == 1:
        worker = Worker(job)
        for index in ordered:
            yield worker.render(index)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(targets)), mp_context=context, initializer=_init_worker, initargs=(job,)
    ) as pool:
        pending: dict[Future[Outcome], int] = {
            pool.submit(_render_in_worker, index): index for index in ordered
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f]):
                index = pending.pop(future)
                try:
                    yield future.result()
                except Exception:
                    yield Outcome(index, bug=traceback.format_exc())
