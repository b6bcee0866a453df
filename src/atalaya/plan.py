"""Turn a validated corpus and the command line's filters into targets, their input hashes and the manifest.

A target is one instrument x audience x format. Its input hash covers everything its bytes depend on: the
instrument's file, the shared content files, the names of the instruments it lists as related, the
templates of its format, the options, the package version and the lock file. A target whose hash and
output file match the manifest is up to date and is not built again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from . import __version__
from .errors import BuildError, Diagnostic
from .model import Corpus
from .select import audiences_for

FORMATS = ("pdf", "docx")
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
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
# Cost of a target relative to a DOCX memo: schedule the slow ones first so workers finish together.
COST = {"pdf": 4, "docx": 1}


@dataclass(frozen=True, order=True)
class Target:
    instrument: str
    audience: str
    format: str

    @property
    def name(self) -> str:
        """The target's path under the output folder, which is also its name in messages and the manifest."""
        return f"{self.audience}/{self.instrument}.{self.format}"


@dataclass(frozen=True)
class Options:
    """Build options that change output bytes (so they are part of every input hash)."""

    paper: str = "A4"
    pdf_variant: str | None = None
    reference_docx: Path | None = None


@dataclass
class ManifestEntry:
    target: str
    instrument: str
    audience: str
    format: str
    path: str
    sha256: str
    bytes: int
    pages: int | None
    input_hash: str


@dataclass
class Manifest:
    tools: dict[str, str] = field(default_factory=dict)
    entries: dict[str, ManifestEntry] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {
            "format": MANIFEST_FORMAT,
            "generator": f"atalaya {__version__}",
            "tools": dict(sorted(self.tools.items())),
            "targets": [asdict(self.entries[name]) for name in sorted(self.entries)],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest at `path`; an absent or unreadable one is empty (everything will be rebuilt)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = {e["target"]: ManifestEntry(**e) for e in data.get("targets", [])}
            return cls(tools=dict(data.get("tools", {})), entries=entries)
        except (OSError, ValueError, TypeError, KeyError):
            return cls()

    @classmethod
    def read_strict(cls, path: Path) -> Manifest:
        """The manifest at `path`, or a located error saying why it cannot be read."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BuildError(Diagnostic(str(path), 0, 0, "manifest not found")) from None
        except ValueError as exc:
            raise BuildError(Diagnostic(str(path), 1, 1, f"not a JSON manifest: {exc}")) from None
        try:
            entries = {e["target"]: ManifestEntry(**e) for e in data["targets"]}
        except (KeyError, TypeError) as exc:
            raise BuildError(Diagnostic(str(path), 1, 1, f"not an atalaya manifest: {exc}")) from None
        return cls(tools=dict(data.get("tools", {})), entries=entries)


def tool_versions() -> dict[str, str]:
    versions = {"atalaya": __version__}
    for package in TOOL_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


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


def plan_targets(
    corpus: Corpus,
    *,
    audiences: Iterable[str] = (),
    instruments: Iterable[str] = (),
    formats: Iterable[str] = (),
    shard: tuple[int, int] | None = None,
) -> list[Target]:
    """Every target the filters select, in a stable order; with `shard` (K, N), every N-th from the K-th."""
    wanted_audiences = set(audiences) or set(corpus.audiences)
    wanted_instruments = set(instruments) or set(corpus.instruments)
    wanted_formats = set(formats) or set(FORMATS)
    targets = sorted(
        Target(instrument_id, audience, fmt)
        for instrument_id, instrument in corpus.instruments.items()
        if instrument_id in wanted_instruments
        for audience in audiences_for(corpus, instrument)
        if audience in wanted_audiences
        for fmt in FORMATS
        if fmt in wanted_formats
    )
    if shard is not None:
        k, n = shard
        targets = [t for index, t in enumerate(targets) if index % n == k - 1]
    return targets


def _digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


def _lock_file() -> Path | None:
    """The lock file of the checkout the package runs from (none when installed elsewhere)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "requirements.lock"
        if candidate.is_file():
            return candidate
    return None


class InputHasher:
    """Computes target input hashes, reading each shared input once."""

    def __init__(self, corpus: Corpus, templates_root: Path, options: Options) -> None:
        self.corpus = corpus
        lock = _lock_file()
        shared_files = [corpus.root / name for name in ("office.yaml", "audiences.yaml", "countries.yaml")]
        self.base = _digest(
            json.dumps(tool_versions(), sort_keys=True),
            lock.read_bytes() if lock else b"no lock",
            json.dumps({"paper": options.paper, "pdf_variant": options.pdf_variant}, sort_keys=True),
            *(p.read_bytes() if p.exists() else b"" for p in shared_files),
        )
        template_files = sorted(p for p in templates_root.rglob("*") if p.is_file())
        by_format: dict[str, list[bytes | str]] = {fmt: [] for fmt in FORMATS}
        for path in template_files:
            relative = path.relative_to(templates_root).as_posix()
            top = relative.split("/", 1)[0]
            if top == "index.html.j2":  # the index page is not part of any document
                continue
            formats = (
                ["docx"] if top == "memo" else ["pdf"] if top in ("briefing", "assets") else list(FORMATS)
            )
            for fmt in formats:
                by_format[fmt].extend([relative, path.read_bytes()])
        if options.reference_docx is not None:
            by_format["docx"].extend(["reference.docx", options.reference_docx.read_bytes()])
        self.templates = {fmt: _digest(*parts) for fmt, parts in by_format.items()}
        self.instruments: dict[str, str] = {}
        instrument_files = {p.stem: p for p in corpus.files.values() if p.parent.name == "instruments"}
        for instrument_id, instrument in corpus.instruments.items():
            path = instrument_files[instrument_id]
            related = [
                json.dumps(
                    [
                        rid,
                        corpus.instruments[rid].name,
                        corpus.instruments[rid].acronym,
                        corpus.instruments[rid].release,
                    ]
                )
                for rid in instrument.related
                if rid in corpus.instruments
            ]
            self.instruments[instrument_id] = _digest(path.read_bytes(), *related)

    def hash(self, target: Target) -> str:
        return _digest(
            self.base, self.templates[target.format], self.instruments[target.instrument], target.name
        )
