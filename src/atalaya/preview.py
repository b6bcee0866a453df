"""Turn a content tree and a templates folder into preview pages held in memory, kept current as files change.

The `serve` command's model (the HTTP side is `serve`). One `Previewer` lives in the server's one process:

- **Load**: the content is validated as a build validates it (`engine.load_checked`, `validate_filters`,
  the templates compiled by `engine.check_templates`), then planned (`plan.all_targets`) and hashed from the
  audience views (`plan.Views`, `plan.InputHasher`), exactly as a build plans. A load that fails keeps the
  last good state and records its errors (`path:line:col: message`), which the pages overlay.
- **Render**: on request, and at once after a save for the pages someone is looking at, through the warm
  writers of the registry's formats (`Format.make_writer`, made once per templates state). The HTML preview
  is the briefing's own HTML and stylesheets, as laid out for its PDF (`PdfWriter.layout`), and the PDF is
  written from that same layout (`PdfWriter.write`), so a page's HTML and PDF cost one layout. Results are
  cached by target path and input hash: after a save only the targets whose hash changed render again.
- **Pages**: `<audience>/<id>.html` (the briefing, a toolbar to switch audience and edition, the reload
  script), `<audience>/<id>.pdf|.docx` and the index pages of `publish.index_pages` (what the top index and
  each audience's index may show is decided there, from views).

Releasability is `select`'s, as in a build: a page exists only for a planned target (the audiences cleared
for an instrument), and shows that target's view. Nothing here writes a file.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import AtalayaError, Diagnostic, TemplateError, shown_path
from .formats import Rendered, Writer
from .i18n import endonym
from .manifest import Manifest, ManifestEntry
from .model import Corpus
from .plan import PREVIEW_FOLDER, InputHasher, Target, Views, all_targets, digest

HTML_SUFFIX = ".html"
INDEX = "index.html"
ASSET_PREFIX = "_preview/"
# The page shell's files in templates/preview/: the toolbar (Jinja), the screen stylesheet, the script.
TOOLBAR, SCREEN_CSS, LIVE_JS = "toolbar.html.j2", "preview.css", "live.js"


def shipped_preview_folder() -> Path | None:
    """templates/preview/ of the checkout the package runs from (for a templates folder without one)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "templates" / PREVIEW_FOLDER
        if candidate.is_dir():
            return candidate
    return None


@dataclass
class State:
    """One good load: the corpus, the templates, the planned targets and their input hashes."""

    corpus: Corpus
    templates: Any  # render.TemplateSet (imported lazily with Jinja)
    views: Views
    hasher: InputHasher
    targets: dict[str, Target]
    """Every planned target by its path (`public/rio-treaty.pdf`)."""
    pages: dict[str, Target]
    """The HTML preview of each briefing (`public/rio-treaty.html`) -> its PDF target."""
    hashes: dict[str, str] = field(default_factory=dict)
    """Input hashes by target path, computed when first asked (a save re-hashes only what is looked at)."""

    def hash(self, path: str) -> str:
        if path not in self.hashes:
            self.hashes[path] = self.hasher.hash(self.targets[path])
        return self.hashes[path]


@dataclass
class PageState:
    version: str
    errors: list[str] = field(default_factory=list)

    def json(self) -> str:
        return json.dumps({"version": self.version, "errors": self.errors})


class Previewer:
    """The preview's state and renders, safe to call from the server's threads: `lock` guards the state
    and the cache (held briefly), `render_lock` the writers (held while WeasyPrint or python-docx work)."""

    def __init__(self, request: Any) -> None:
        self.request = request  # engine.Request
        self.lock = threading.RLock()
        self.render_lock = threading.Lock()
        self.changed = threading.Condition()
        self.generation = 0
        self.state: State | None = None
        self.errors: list[Diagnostic] = []
        self.render_errors: dict[str, list[Diagnostic]] = {}
        self.writers: dict[str, Writer] = {}
        self.cache: dict[tuple[str, str, str, str], Any] = {}
        """(kind, target path, input hash, shell version) -> a render, dropped when the path's hash moves."""
        self.fits: dict[str, int] = {}
        """The setting (`fit`) each briefing's last layout took, for its HTML preview before the next one."""
        self.last_good: dict[str, str] = {}
        self.watched: dict[str, int] = {}
        self.preview_folder = request.templates / PREVIEW_FOLDER
        if not self.preview_folder.is_dir():
            self.preview_folder = shipped_preview_folder() or self.preview_folder
        self.shell_version = ""
        self.assets: dict[str, tuple[bytes, str]] = {}

    # --- load -------------------------------------------------------------------------------------------

    def load(self, templates_changed: bool = True) -> set[str]:
        """Validate and plan again; return the watched pages (HTML paths) whose input hash changed. A
        failed load keeps the last good state and records its errors."""
        from .engine import check_templates, load_checked, validate_filters
        from .render import TemplateSet

        with self.lock:
            try:
                corpus = load_checked(self.request)
                validate_filters(corpus, self.request)
                templates = self.state.templates if self.state and not templates_changed else None
                if templates is None:
                    if not self.request.templates.is_dir():
                        where = shown_path(self.request.templates)
                        raise TemplateError(Diagnostic(where, 0, 0, "templates folder not found"))
                    templates = TemplateSet(self.request.templates)
                    check_templates(templates)
            except AtalayaError as exc:
                self.errors = list(exc.diagnostics)
                self._notify()
                return set()
            if templates_changed or self.state is None:
                with self.render_lock:
                    self.writers.clear()
                self._load_shell()
            options = replace(self.request.options, paper=self.request.options.paper or corpus.office.paper)
            self.request = replace(self.request, options=options)
            views = Views(corpus)
            targets = {t.path: t for t in all_targets(corpus, views)}
            pages = {
                t.side_path(HTML_SUFFIX): t for t in targets.values() if HTML_SUFFIX in t.format.side_suffixes
            }
            hasher = InputHasher(corpus, self.request.templates, options, views)
            before = self.state
            self.cache = {key: value for key, value in self.cache.items() if key[0] != "index"}
            self.state = state = State(corpus, templates, views, hasher, targets, pages)
            changed = set()
            for page in self.watched:
                target = pages.get(page)
                if target is None or before is None:
                    continue
                if before.hashes.get(target.path) != state.hash(target.path):
                    changed.add(page)
            had_errors = bool(self.errors)
            self.errors = []
            self.render_errors = {p: e for p, e in self.render_errors.items() if p not in changed}
            if had_errors and not changed:
                self._notify()  # the overlay clears
            return changed

    def _load_shell(self) -> None:
        files = {}
        for name in (SCREEN_CSS, LIVE_JS, TOOLBAR):
            path = self.preview_folder / name
            files[name] = path.read_bytes() if path.is_file() else b""
        self.shell_version = digest(*files.values())[:16]
        self.assets = {
            SCREEN_CSS: (files[SCREEN_CSS], "text/css; charset=utf-8"),
            LIVE_JS: (files[LIVE_JS], "text/javascript; charset=utf-8"),
        }

    def _notify(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def refresh(self, templates_changed: bool) -> set[str]:
        """After a save: load again; for the changed pages someone is looking at, make their HTML, tell
        them to reload, then render their PDF; return those pages."""
        changed = self.load(templates_changed)
        if not changed:
            return changed
        for page in sorted(changed):
            self.page_html(page)
        self._notify()
        for page in sorted(changed):
            target = self.state.pages.get(page) if self.state else None
            if target is not None:
                self.document(target.path)
        return changed

    def warm(self) -> None:
        """Make the briefing writer now (fonts, stylesheets), so the first page is quick."""
        with self.lock:
            state = self.state
        if state is not None and state.pages:
            target = next(iter(state.pages.values()))
            with self.render_lock:
                self._writer(state, target)

    # --- renders ----------------------------------------------------------------------------------------

    def _writer(self, state: State, target: Target) -> Any:
        """The format's warm writer for the target's edition (call with `render_lock` held)."""
        from .render import TemplateSet

        name = f"{target.format.name}.{target.edition}"
        if name not in self.writers:
            templates = state.templates
            if target.edition != templates.language:
                templates = TemplateSet(self.request.templates, language=target.edition)
            self.writers[name] = target.format.make_writer(templates, self.request.options)
        return self.writers[name]

    def _key(self, state: State, kind: str, path: str, extra: str = "") -> tuple[str, str, str, str]:
        """The cache key of a render of `path` at its current hash; older renders of the path are dropped."""
        current = state.hash(path)
        stale = [k for k in self.cache if k[1] == path and k[2] != current]
        for k in stale:
            del self.cache[k]
        return (kind, path, current, extra)

    def document(self, path: str) -> Rendered | None:
        """The PDF or DOCX at `path` (a planned target), rendered once per input hash; None if unknown."""
        with self.lock:
            state = self.state
            if state is None or path not in state.targets:
                return None
            target = state.targets[path]
            key = self._key(state, "document", path)
            if key in self.cache:
                return self.cache[key]  # type: ignore[no-any-return]
        with self.render_lock:
            with self.lock:
                if key in self.cache:
                    return self.cache[key]  # type: ignore[no-any-return]
            product = target.product
            view = state.views.get(product, target.subject, target.audience, target.edition)
            names = product.template_names(target.format, target.audience)
            writer = self._writer(state, target)
            if hasattr(writer, "layout") and hasattr(writer, "write"):
                laid_out = writer.layout(view, names)
                rendered = writer.write(view, laid_out)
                with self.lock:
                    self.fits[path] = laid_out.fit
            else:
                rendered = writer.render(view, names)
            with self.lock:
                self.cache[key] = rendered
            return rendered  # type: ignore[no-any-return]

    def page_html(self, page: str) -> str | None:
        """The preview page `<audience>/<id>.html`, or None when no such page is planned: the briefing's
        HTML at the setting its last layout took (the PDF's). A page whose render fails shows its last good
        render (with the errors overlaid)."""
        with self.lock:
            state = self.state
            if state is None or page not in state.pages:
                return None
            target = state.pages[page]
            key = self._key(state, "page", target.path, self.shell_version)
            if key in self.cache:
                return self.cache[key]  # type: ignore[no-any-return]
        with self.render_lock:
            writer = self._writer(state, target)
        with self.lock:
            try:
                product = target.product
                view = state.views.get(product, target.subject, target.audience, target.edition)
                names = product.template_names(target.format, target.audience)
                document = writer.html(view, names, self.fits.get(target.path, 0))
            except AtalayaError as exc:
                self.render_errors[page] = list(exc.diagnostics)
                return self.last_good.get(page) or self._blank(page)
            self.render_errors.pop(page, None)
            self.cache[key] = self.last_good[page] = self._page(page, target, document, writer)
            return self.cache[key]  # type: ignore[no-any-return]

    def _page(self, page: str, target: Target, document: str, writer: Any) -> str:
        assert self.state is not None
        corpus = self.state.corpus
        product = target.product
        fonts = "\n".join(
            "@font-face {"
            f' font-family: "{face.family}"; font-weight: {face.weight}; font-style: {face.style};'
            f' src: url("/{ASSET_PREFIX}fonts/{index}{face.path.suffix}"); }}'
            for index, face in enumerate(writer.faces)
        )
        self.assets.update(
            {
                f"fonts/{index}{face.path.suffix}": (face.path.read_bytes(), "font/ttf")
                for index, face in enumerate(writer.faces)
            }
        )
        # The editions this document has: an edition withheld until translated has no page to switch to.
        same = (target.product.name, target.subject, target.audience, target.format.name)
        planned = {
            t.edition
            for t in self.state.targets.values()
            if (t.product.name, t.subject, t.audience, t.format.name) == same
        }
        toolbar = self._toolbar(
            page=page,
            audience=target.audience,
            subject=target.subject,
            audiences=[
                (name, f"/{name}/{product.stem(target.subject)}{HTML_SUFFIX}")
                for name in product.audiences(corpus, target.subject)
            ],
            edition=target.edition,
            editions=[
                (language, endonym(language), language in planned) for language in corpus.office.editions
            ],
            pdf=f"/{target.path}",
            docx=[f"/{t.path}" for t in self.state.targets.values() if _sibling(t, target)],
        )
        head = (
            f'<meta name="atalaya-preview" content="{html.escape(self.version(page))}"'
            f' data-page="{html.escape(page)}" />\n'
            f"<style>\n{writer.sheets.inline}</style>\n<style>\n{fonts}\n</style>\n"
            f'<link rel="stylesheet" href="/{ASSET_PREFIX}{SCREEN_CSS}" />\n'
            f'<script src="/{ASSET_PREFIX}{LIVE_JS}" defer></script>\n'
        )
        return _inject(document, head, toolbar)

    def _toolbar(self, **context: Any) -> str:
        import jinja2

        path = self.preview_folder / TOOLBAR
        if not path.is_file():
            return ""
        env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
        return env.from_string(path.read_text(encoding="utf-8")).render(**context)

    def _blank(self, page: str) -> str:
        """A page with nothing but the reload script (before any good load): shows the errors."""
        head = (
            f'<meta name="atalaya-preview" content="{html.escape(self.version(page))}"'
            f' data-page="{html.escape(page)}" />\n'
            f'<link rel="stylesheet" href="/{ASSET_PREFIX}{SCREEN_CSS}" />\n'
            f'<script src="/{ASSET_PREFIX}{LIVE_JS}" defer></script>\n'
        )
        return (
            f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n<title>Preview</title>\n'
            f"{head}</head>\n<body>\n<main><p>Nothing to show yet.</p></main>\n</body>\n</html>\n"
        )

    def index_page(self, path: str) -> str | None:
        """`index.html` or `<audience>/index.html` from `publish.index_pages`, with a link to each
        document's HTML preview; None for any other path."""
        from .publish import index_pages

        with self.lock:
            if self.state is None:
                return self._blank(path) if path == INDEX else None
            state = self.state
            manifest = Manifest()
            for target_path, target in state.targets.items():
                manifest.entries[target_path] = ManifestEntry(
                    target=target_path,
                    product=target.product.name,
                    subject=target.subject,
                    audience=target.audience,
                    edition=target.edition,
                    format=target.format.name,
                    path=target_path,
                    sha256="",
                    bytes=0,
                    pages=None,
                    input_hash="",
                )
            key = ("index", INDEX, str(id(state)), self.shell_version)
            if key not in self.cache:
                self.cache[key] = index_pages(state.corpus, manifest, state.templates, state.views)
            text = self.cache[key].get(path)
            if text is None:
                return None
            version = digest(text, self.shell_version)[:16]
            head = (
                f'<meta name="atalaya-preview" content="{version}" data-page="{html.escape(path)}" />\n'
                f'<link rel="stylesheet" href="/{ASSET_PREFIX}{SCREEN_CSS}" />\n'
                f'<script src="/{ASSET_PREFIX}{LIVE_JS}" defer></script>\n'
            )
            text = re.sub(
                r'<a href="([^"<>]+)\.pdf">PDF</a>',
                r'<a href="\1.html">HTML</a> <a href="\1.pdf">PDF</a>',
                text,
            )
            return _inject(text, head, "")

    # --- what a page's script asks ----------------------------------------------------------------------

    def version(self, page: str) -> str:
        """What a page's content depends on: it reloads when this changes."""
        with self.lock:
            if self.state is None:
                return "none"
            target = self.state.pages.get(page)
            if target is not None:
                return digest(self.state.hash(target.path), self.shell_version)[:16]
            if page == INDEX or page.endswith("/" + INDEX):
                index = self.index_page(page)
                if index is not None:
                    found = re.search(r'name="atalaya-preview" content="([0-9a-f]+)"', index)
                    return found.group(1) if found else "none"
            return "none"

    def page_state(self, page: str) -> PageState:
        """The page's version and the errors to overlay on it (the load's, then the page's own)."""
        with self.lock:
            errors = [*self.errors, *self.render_errors.get(page, [])]
            return PageState(self.version(page), [d.format() for d in errors])

    def watch(self, page: str, delta: int) -> None:
        with self.lock:
            self.watched[page] = self.watched.get(page, 0) + delta
            if self.watched[page] <= 0:
                del self.watched[page]

    def asset(self, name: str) -> tuple[bytes, str] | None:
        with self.lock:
            return self.assets.get(name)

    def audiences(self) -> Iterable[str]:
        with self.lock:
            return list(self.state.corpus.audiences) if self.state else []


def _sibling(other: Target, target: Target) -> bool:
    """Another format's document on the same subject, audience and edition (the memo beside a briefing)."""
    return other.format.name != target.format.name and (
        other.product.name,
        other.subject,
        other.audience,
        other.edition,
    ) == (target.product.name, target.subject, target.audience, target.edition)


def _inject(document: str, head: str, body: str) -> str:
    """Put `head` before `</head>` and `body` right after the opening `<body>` tag."""
    document = document.replace("</head>", head + "</head>", 1)
    match = re.search(r"<body[^>]*>", document)
    if match and body:
        document = document[: match.end()] + "\n" + body + document[match.end() :]
    return document
