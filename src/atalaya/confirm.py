"""Turn a translator's confirmation into the content file: write, beside each translation confirmed, the
short hash of the source text it translates (`of`), so that a later edit to the source makes it stale.

Only the characters of the translations confirmed change: comments, quoting, order and wrapping of the
rest of the file stay as the author wrote them. A translation written as a plain string becomes a mapping
(`text`, `of`). The new text is validated like any content file before it replaces the old one, atomically;
a file that would not validate, or in which a translation would not come out current, is left untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .edition import AUDIENCE_WORDS, CURRENT, source_hash, state_of, translatables
from .errors import ContentError, Diagnostic, UsageError
from .load import PathKey, load_text, read_capped
from .model import Corpus, Translation


@dataclass(frozen=True)
class Confirmation:
    """One translation to confirm: where it is in its file and the source text it translates."""

    location: PathKey
    language: str
    source: str
    line: int = 0


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def pending(corpus: Corpus, shown: str, languages: Sequence[str]) -> list[Confirmation]:
    """The translations in a content file (as messages name it) into `languages` that are not current."""
    path = corpus.files[shown]
    found: list[Confirmation] = []
    for location, language, source, given in _translations_in(corpus, path):
        if language in languages and given is not None and state_of(given, source) != CURRENT:
            found.append(Confirmation(location, language, source))
    return found


def _translations_in(corpus: Corpus, path: Path) -> Iterator[tuple[PathKey, str, str, Translation | None]]:
    if path.parent.name == "instruments":
        instrument = corpus.instruments.get(path.stem)
        if instrument is None:
            return
        for text in translatables(instrument):
            for language, given in text.translations.items():
                yield text.location(language), language, text.source, given
    elif path.name == "office.yaml":
        for language, office_words in corpus.office.translations.items():
            for name in ("name", "publisher"):
                given = getattr(office_words, name)
                if given is not None:
                    yield ("translations", language, name), language, getattr(corpus.office, name), given
    elif path.name == "audiences.yaml":
        for audience_name, audience in corpus.audiences.items():
            for language, words in audience.translations.items():
                for name in AUDIENCE_WORDS:
                    given = getattr(words, name)
                    if given is not None:
                        where = (audience_name, "translations", language, name)
                        yield where, language, getattr(audience, name), given


def confirm_file(corpus: Corpus, shown: str, confirmations: Sequence[Confirmation]) -> list[Confirmation]:
    """Write the hashes of `confirmations` into the file; returns them with their lines."""
    path = corpus.files[shown]
    raw = read_capped(path, shown)
    text = raw.decode("utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits: list[Edit] = []
    placed: list[Confirmation] = []
    for confirmation in confirmations:
        key, node, parent = _find(root, confirmation.location)
        if node is None or key is None or parent is None:
            raise UsageError(
                f"{shown}: no {confirmation.language} translation at {_dotted(confirmation.location)}"
            )
        # Quoted: a hash of digits alone would be a number to other YAML readers (and editors' schemas).
        edits.append(_edit(text, key, node, parent, f"'{source_hash(confirmation.source)}'"))
        placed.append(Confirmation(**{**confirmation.__dict__, "line": key.start_mark.line + 1}))
    new_text = _apply(text, edits)
    _check_confirmed(new_text, shown, corpus, placed)
    _replace(path, new_text.encode("utf-8"))
    return placed


def _find(
    root: yaml.Node | None, location: PathKey
) -> tuple[yaml.Node | None, yaml.Node | None, yaml.Node | None]:
    """The key node, value node and enclosing mapping node at `location`."""
    node, key, parent = root, None, None
    for step in location:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            match = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step), None
            )
            if match is None:
                return None, None, None
            parent, (key, node) = node, match
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            parent, key, node = node, None, node.value[step]  # type: ignore[assignment]
        else:
            return None, None, None
    return key, node, parent


def _value_of(mapping: yaml.MappingNode, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key, value) nodes of `name` in a mapping node."""
    return next(
        ((k, v) for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == name), None
    )


def _edit(text: str, key: yaml.Node, node: yaml.Node, parent: yaml.Node, digest: str) -> Edit:
    """The change that records `digest` as the translation's `of`."""
    if isinstance(node, yaml.MappingNode):
        existing = next(
            (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "of"), None
        )
        if existing is not None:
            return Edit(existing.start_mark.index, existing.end_mark.index, digest)
        if node.flow_style:
            after = node.start_mark.index + 1  # just inside `{`
            return Edit(after, after, f"of: {digest}, ")
        first = node.value[0][0]
        start, column = first.start_mark.index, first.start_mark.column
        return Edit(start, start, f"of: {digest}\n{' ' * column}")
    # A plain string: it becomes a mapping of its text and `of`.
    start, end = node.start_mark.index, node.end_mark.index
    original = text[start:end]
    body = original.rstrip()
    tail = original[len(body) :]
    if getattr(parent, "flow_style", False):
        return Edit(start, end, f"{{text: {body}, of: {digest}}}{tail}")
    while start > 0 and text[start - 1] == " ":  # the space after `es:` would end the line
        start -= 1
    indent = " " * (key.start_mark.column + 2)
    shifted = body.replace("\n", "\n  ")
    return Edit(start, end, f"\n{indent}text: {shifted}\n{indent}of: {digest}{tail}")


def _apply(text: str, edits: list[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def _check_confirmed(new_text: str, shown: str, corpus: Corpus, placed: Sequence[Confirmation]) -> None:
    """The new text must validate as the same kind of file, with every confirmed translation current."""
    from .model.corpus import validate_text

    document = load_text(new_text.encode("utf-8"), shown)
    problems: list[Diagnostic] = []
    model = validate_text(document, corpus.files[shown], problems)
    if problems or model is None:
        raise ContentError(problems or [Diagnostic(shown, 0, 0, "the confirmed file would not validate")])
    states = {
        (location, language): state_of(given, source)
        for location, language, source, given in _translations_in(
            _with(corpus, shown, model), corpus.files[shown]
        )
    }
    for confirmation in placed:
        if states.get((confirmation.location, confirmation.language)) != CURRENT:
            raise ContentError(
                [
                    Diagnostic(
                        shown, confirmation.line, 1, "could not confirm this translation: file left unchanged"
                    )
                ]
            )


def _with(corpus: Corpus, shown: str, model: object) -> Corpus:
    """The corpus with one file's validated content replaced (to read the confirmed file back)."""
    from dataclasses import replace

    from .model import Audiences, Instrument, Office

    path = corpus.files[shown]
    if isinstance(model, Instrument):
        return replace(corpus, instruments={**corpus.instruments, path.stem: model}, editions={})
    if isinstance(model, Office):
        return replace(corpus, office=model, editions={})
    if isinstance(model, Audiences):
        return replace(corpus, audiences=dict(model.root), editions={})
    return corpus


def _replace(path: Path, data: bytes) -> None:
    """Replace the file's bytes atomically, keeping its permissions."""
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _dotted(location: PathKey) -> str:
    return ".".join(str(step) for step in location)
