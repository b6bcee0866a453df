"""Turn a validated corpus and the command line's filters into targets and their input hashes.

A target is product x subject x audience x edition x format (`Target`); its output path is derived in
`Target.path` and nowhere else. Every target is planned once (`all_targets`); the filters and shards then
select from that one list (`Filters.select`), so what a filtered build answers for is known exactly.

A target's input hash covers everything its bytes depend on: the audience view it renders (so an edit an
audience cannot see changes none of its hashes), the templates of its format and the shared ones, the
options its format reads, the package and tool versions, the lock file and the target's path. A target
whose hash and files match the manifest is up to date and is not built again. Nothing here reads the output
folder or imports a renderer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from . import __version__
from .formats import Format, all_formats
from .model import Corpus
from .products import Product, all_products

if TYPE_CHECKING:
    from .edition import Translatable

# Templates that no document renders (the index pages): left out of every document's input hash.
INDEX_TEMPLATE = "index.html.j2"
# The preview server's page shell (`serve`): no document renders it either.
PREVIEW_FOLDER = "preview"
TOOL_PACKAGES = (
    "weasyprint",
    "pydyf",
    "fonttools",
    "python-docx",
    "lxml",
    "jinja2",
    "pydantic",
    "pyyaml",
    "font-source-serif-pro",
    "font-source-sans-pro",
)


@dataclass(frozen=True)
class Options:
    """Build options that change output bytes (so they are part of the input hashes of the formats that
    read them: `Format.option_names`)."""

    paper: str = "A4"
    pdf_variant: str | None = None
    reference_docx: Path | None = None


@dataclass(frozen=True)
class Target:
    """One document: a product's document on one subject, for one audience, in one edition and format."""

    product: Product
    subject: str
    audience: str
    edition: str
    """The language of the edition (`en`)."""
    format: Format
    source_edition: bool
    """Whether `edition` is the source language: its path carries no language (`analyst/rio-treaty.pdf`)."""

    @property
    def path(self) -> str:
        """The document's path under the output folder, which is also its name in messages and the manifest:
        `<audience>/<stem><.edition, except the source's><suffix>` (`analyst/rio-treaty.es.pdf`)."""
        return self.side_path(self.format.suffix)

    @property
    def name(self) -> str:
        return self.path

    def side_path(self, suffix: str) -> str:
        """Where a side file with `suffix` lies: beside the document (`--html`: `analyst/rio-treaty.html`)."""
        language = "" if self.source_edition else f".{self.edition}"
        return f"{self.audience}/{self.product.stem(self.subject)}{language}{suffix}"

    @property
    def sort_key(self) -> tuple[str, str, str, bool, str, str]:
        return (
            self.product.name,
            self.subject,
            self.audience,
            not self.source_edition,
            self.edition,
            self.format.name,
        )


def built_editions(corpus: Corpus) -> tuple[str, ...]:
    """The editions documents are built in: every language of the office, the source first."""
    return corpus.office.editions


def all_targets(corpus: Corpus, views: Views | None = None) -> list[Target]:
    """Every target of every product, in a stable order (product, subject, audience, edition, format),
    except those withheld until their text is translated (`withheld`)."""
    source = corpus.office.editions[0]
    views = views or Views(corpus)
    targets = [
        Target(product, subject, audience, edition, fmt, edition == source)
        for product in all_products()
        for subject in product.subjects(corpus)
        for audience in product.audiences(corpus, subject)
        for edition in built_editions(corpus)
        for fmt in all_formats()
    ]
    kept = [t for t in targets if not views.withheld(t.product, t.subject, t.audience, t.edition)]
    return sorted(kept, key=lambda t: t.sort_key)


@dataclass(frozen=True)
class Filters:
    """What the command line narrowed the build to; empty means everything."""

    audiences: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    shard: tuple[int, int] | None = None
    products: tuple[str, ...] = ()
    """The products of the command (`build`: the briefs; `changes`: the change memos); empty: all. Not a
    narrowing: a command answers for its own products' files and never for another command's."""
    only_products: tuple[str, ...] = ()
    """`--product`: only these of the command's products (`build --product book`); empty: all of them."""

    @property
    def everything(self) -> bool:
        """Whether nothing narrows the command's products (an unfiltered `build` or `changes`)."""
        return not (
            self.audiences
            or self.subjects
            or self.languages
            or self.formats
            or self.shard
            or self.only_products
        )

    def covers(self, *, product: str, subject: str, audience: str, edition: str, format: str) -> bool:
        """Whether the product, audience, subject, language and format filters (not the shard) take this
        document."""
        return (
            (not self.products or product in self.products)
            and (not self.only_products or product in self.only_products)
            and (not self.audiences or audience in self.audiences)
            and (not self.subjects or subject in self.subjects)
            and (not self.languages or edition in self.languages)
            and (not self.formats or format in self.formats)
        )

    def select(self, targets: Sequence[Target]) -> list[Target]:
        """The targets the filters take, in order; with a shard (K, N), every N-th of them from the K-th."""
        chosen = [
            t
            for t in targets
            if self.covers(
                product=t.product.name,
                subject=t.subject,
                audience=t.audience,
                edition=t.edition,
                format=t.format.name,
            )
        ]
        if self.shard is not None:
            k, n = self.shard
            chosen = [t for index, t in enumerate(chosen) if index % n == k - 1]
        return chosen


def plan_targets(corpus: Corpus, filters: Filters | None = None) -> list[Target]:
    """Every target the filters select, in a stable order."""
    return (filters or Filters()).select(all_targets(corpus))


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` as (K, N) with 1 <= K <= N."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ValueError(f"'{text}' is not K/N (for example 1/4)") from None
    if not 1 <= k <= n:
        raise ValueError(f"'{text}': K must be between 1 and N")
    return k, n


def tool_versions() -> dict[str, str]:
    versions = {"atalaya": __version__}
    for package in TOOL_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


# --- input hashes -----------------------------------------------------------------------------------------


def digest(*parts: bytes | str) -> str:
    """The sha256 of `parts`, each length-prefixed so that no two different sequences collide."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


def _plain(value: Any) -> Any:
    """One level of a view as JSON-able data (the encoder recurses): a dataclass as the mapping of its
    fields, a pydantic model as its JSON dump, a date in ISO form."""
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None and not isinstance(value, type):
        return {name: getattr(value, name) for name in fields}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, date):
        return value.isoformat()
    # Anything else might print differently in each process (an address): refuse rather than rebuild always.
    raise TypeError(f"a view holds a {type(value).__name__}, which has no stable serialisation")


def view_json(view: Any) -> str:
    """The deterministic text of a view: what a document's input hash covers of the content."""
    return json.dumps(view, default=_plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _lock_file() -> Path | None:
    """The lock file of the checkout the package runs from (none when installed elsewhere)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "requirements.lock"
        if candidate.is_file():
            return candidate
    return None


def _option_parts(options: Options, names: Iterable[str]) -> list[bytes | str]:
    parts: list[bytes | str] = []
    for name in sorted(names):
        value = getattr(options, name)
        parts.append(name)
        if isinstance(value, Path):  # a file the output is made from: its bytes, not its name
            parts.append(value.read_bytes())
        else:
            parts.append(json.dumps(value))
    return parts


class Views:
    """Audience views, each built once in a build: for the input hashes, then for the index pages."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.cache: dict[tuple[str, str, str, str], Any] = {}
        self.reasons: dict[tuple[str, str, str, str], tuple[str, ...]] = {}
        # By (id of a source instrument, edition); the corpus keeps the instruments alive.
        self.untranslated: dict[tuple[int, str], list[Translatable]] = {}
        self.shows_untranslated: dict[tuple[int, str, str], bool] = {}

    def get(self, product: Product, subject: str, audience: str, edition: str) -> Any:
        key = (product.name, subject, audience, edition)
        if key not in self.cache:
            self.cache[key] = product.view(self.corpus, subject, audience, edition)
        return self.cache[key]

    def withheld(self, product: Product, subject: str, audience: str, edition: str) -> tuple[str, ...]:
        """Why the document is not built yet: in an edition other than the source's, for an audience that
        withholds untranslated text (`untranslated: withhold`), the texts it would show untranslated
        (`"3 texts"`, the office's or audience's words by name); empty when it is built."""
        from .edition import fallbacks_in, settings_fallbacks

        corpus = self.corpus
        if edition == corpus.office.editions[0] or corpus.audiences[audience].untranslated != "withhold":
            return ()
        key = (product.name, subject, audience, edition)
        if key not in self.reasons:
            reasons = settings_fallbacks(corpus, audience, edition)
            # Most documents show only translated text, which the source instruments tell without a view;
            # only the others need their view (in the edition's corpus) to count what it would show.
            if self.may_show_untranslated(product, subject, audience, edition):
                count = len(fallbacks_in(self.get(product, subject, audience, edition)))
                if count:
                    reasons.append(f"{count} text{'s' if count != 1 else ''} of the content")
            self.reasons[key] = tuple(reasons)
        return self.reasons[key]

    def may_show_untranslated(self, product: Product, subject: str, audience: str, edition: str) -> bool:
        """Whether any instrument the document draws on shows the audience a text without a current
        translation into `edition` (when not, its view has nothing to count: `edition.untranslated_texts`)."""
        from .edition import shows, untranslated_texts

        cleared = self.corpus.audiences[audience]
        for instrument in product.instruments(self.corpus, subject, audience):
            key = (id(instrument), edition)
            if key not in self.untranslated:
                self.untranslated[key] = untranslated_texts(instrument, edition)
            shown_key = (*key, audience)
            if shown_key not in self.shows_untranslated:
                texts = self.untranslated[key]
                self.shows_untranslated[shown_key] = any(shows(cleared, text) for text in texts)
            if self.shows_untranslated[shown_key]:
                return True
        return False


class InputHasher:
    """Computes target input hashes, reading each shared input once and hashing each view once."""

    def __init__(
        self, corpus: Corpus, templates_root: Path, options: Options, views: Views | None = None
    ) -> None:
        self.corpus = corpus
        self.view_source = views or Views(corpus)
        lock = _lock_file()
        self.base = digest(
            json.dumps(tool_versions(), sort_keys=True), lock.read_bytes() if lock else b"no lock"
        )
        formats = all_formats()
        folders = {fmt.template_folder for fmt in formats}
        by_format: dict[str, list[bytes | str]] = {fmt.name: [] for fmt in formats}
        for path in sorted(p for p in templates_root.rglob("*") if p.is_file()):
            relative = path.relative_to(templates_root).as_posix()
            top = relative.split("/", 1)[0]
            if relative == INDEX_TEMPLATE or top == PREVIEW_FOLDER:
                continue
            # A format's own folder counts for it alone; any other file (partials, assets, theme) for all.
            for fmt in formats:
                if top == fmt.template_folder or top not in folders:
                    by_format[fmt.name].extend([relative, path.read_bytes()])
        all_options = [f.name for f in dataclasses.fields(Options)]
        self.formats = {
            fmt.name: digest(
                *by_format[fmt.name],
                *_option_parts(options, all_options if fmt.option_names is None else fmt.option_names),
            )
            for fmt in formats
        }
        self.views: dict[tuple[str, str, str, str], str] = {}
        self.catalogues: dict[str, str] = {}

    def view_hash(self, target: Target) -> str:
        """The hash of the view the target renders (one per product, subject, audience and edition)."""
        key = (target.product.name, target.subject, target.audience, target.edition)
        if key not in self.views:
            view = self.view_source.get(target.product, target.subject, target.audience, target.edition)
            self.views[key] = digest(view_json(view))
        return self.views[key]

    def catalogue_hash(self, edition: str) -> str:
        """The hash of the edition's message catalogue (its labels); the source language has none."""
        if edition not in self.catalogues:
            from .i18n import po_path

            path = po_path(edition)
            self.catalogues[edition] = digest(path.read_bytes()) if path.is_file() else ""
        return self.catalogues[edition]

    def hash(self, target: Target) -> str:
        return digest(
            self.base,
            self.formats[target.format.name],
            target.product.name,
            target.edition,
            self.catalogue_hash(target.edition),
            self.view_hash(target),
            target.path,
        )
