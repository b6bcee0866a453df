"""Say what each document is about: the products, behind one contract and a registry.

A product names its subjects (for the instrument brief, every instrument), the audiences that get a
document on each, how it builds an audience's view of a subject (always through `select`, the one place
releasability is enforced), which templates render it in each format, where its file lies under the
audience folder, and which content file a problem with it is blamed on.

A target is product x subject x audience x edition x format (`plan.Target`); its output path is derived
from the target in `plan.Target.path` and nowhere else. A new product is one module in this package that
calls `register`: every module here is imported when the registry is first read.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..formats import Format, Rendered, Writer
    from ..model import Corpus, Instrument


class Product(Protocol):
    @property
    def name(self) -> str:
        """The product's name (`brief`), recorded in the manifest."""
        ...

    @property
    def command(self) -> str:
        """The command that builds it (`build`, `changes`): each command answers for its own products."""
        ...

    @property
    def budgeted(self) -> bool:
        """Whether its documents must fit the audience's page budget (a change memo is as long as the
        changes are)."""
        ...

    def subjects(self, corpus: Corpus) -> Sequence[str]:
        """Every subject of this product in the corpus, in a stable order."""
        ...

    def audiences(self, corpus: Corpus, subject: str) -> Sequence[str]:
        """The audiences that get a document on `subject` (those cleared for it)."""
        ...

    def view(self, corpus: Corpus, subject: str, audience: str, edition: str) -> Any:
        """What `audience` may see of `subject` in `edition`, built through `select`. The view is all a
        document renders, so it is also what the document's input hash covers."""
        ...

    def instruments(self, corpus: Corpus, subject: str, audience: str) -> Sequence[Instrument]:
        """The instruments (of the source corpus, and of the last edition's) whose texts the audience's
        document on `subject` may show: a superset is safe. When none of them shows the audience an
        untranslated text, no edition of the document is withheld, and no view is needed to know it."""
        ...

    def stem(self, subject: str) -> str:
        """The document's path under the audience folder, without edition and suffix (`rio-treaty`)."""
        ...

    def template_names(self, fmt: Format, audience: str) -> Sequence[str]:
        """Templates to try, in order, under the templates folder."""
        ...

    def source_file(self, corpus: Corpus, subject: str) -> str:
        """The content file (as messages name it) a problem with this subject's document is blamed on."""
        ...

    def render(self, writer: Writer, view: Any, template_names: Sequence[str]) -> Rendered:
        """The document's bytes: most products hand the view to the format's writer as it is."""
        ...


_REGISTRY: dict[str, Product] = {}


def register(product: Product) -> Product:
    if product.name in _REGISTRY:
        raise ValueError(f"product '{product.name}' is registered twice")
    _REGISTRY[product.name] = product
    return product


def get(name: str) -> Product:
    _load_builtins()
    return _REGISTRY[name]


def all_products() -> tuple[Product, ...]:
    """Every product, in name order (whichever module happened to be imported first)."""
    _load_builtins()
    return tuple(sorted(_REGISTRY.values(), key=lambda product: product.name))


def of_command(command: str) -> tuple[str, ...]:
    """The names of the products a command builds."""
    return tuple(p.name for p in all_products() if p.command == command)


def _load_builtins() -> None:
    """Import every module of this package: each registers its product (in name order, so the registry's
    order does not depend on the file system)."""
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")
