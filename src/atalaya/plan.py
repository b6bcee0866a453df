"""Turn a validated corpus and the command line's filters into targets, their input hashes and the manifest.

A target is one instrument x audience x format. Its input hash covers everything its bytes depend on: the
instrument's file, the shared content files, the names of the instruments it lists as related, the
templates of its format, the options, the package version and the lock file. A target whose hash and
output file match the manifest is up to date and is not built again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path, PureWindowsPath

from . import __version__
from .errors import BuildError, Diagnostic, shown_path
from .load import shown_value
from .model import Corpus
from .select import audiences_for

FORMATS = ("pdf", "docx")
MANIFEST_NAME = "manifest.json"
# 2 added each target's side_files and the top-level files (index pages); 1 is still read (as having none).
MANIFEST_FORMAT = 2
SUPPORTED_MANIFEST_FORMATS = (1, 2)
# Every manifest's `generator` starts with this: `clean` refuses a folder whose manifest does not.
GENERATOR = "atalaya"
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

    @property
    def html_name(self) -> str:
        """Where `--html` keeps a briefing's intermediate HTML: beside its PDF, as `<audience>/<id>.html`."""
        return f"{self.audience}/{self.instrument}.html"


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
    # Files written beside the target (the briefing's kept HTML under --html): output-relative path -> sha256.
    side_files: dict[str, str] = field(default_factory=dict)

    def files(self) -> dict[str, str]:
        """Every file this entry records: its document and its side files, path -> sha256."""
        return {self.path: self.sha256, **self.side_files}


class ManifestProblem(ValueError):
    """Why a manifest cannot be trusted (its text, not the file system)."""


@dataclass
class Manifest:
    """What the tool wrote into an output folder: every target's file and side files, and the index pages.

    Stale-file removal and `clean` delete only what a manifest lists, so reading one checks every field:
    an entry with a missing key, a wrong type or a path that is absolute or climbs out with `..` makes the
    whole manifest untrusted (`read` gives an empty one: everything is rebuilt and nothing removed).
    """

    tools: dict[str, str] = field(default_factory=dict)
    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    # Other files the tool wrote (the index pages): output-relative path -> sha256.
    files: dict[str, str] = field(default_factory=dict)

    def tracked(self) -> dict[str, str]:
        """Every file this manifest records (not the manifest itself), path -> sha256."""
        tracked = dict(self.files)
        for entry in self.entries.values():
            tracked.update(entry.files())
        return tracked

    def to_json(self) -> str:
        data = {
            "files": self.files,
            "format": MANIFEST_FORMAT,
            "generator": f"{GENERATOR} {__version__}",
            "tools": self.tools,
            "targets": [asdict(self.entries[name]) for name in sorted(self.entries)],
        }
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    @classmethod
    def parse(cls, text: str) -> Manifest:
        """The manifest in `text`; raise ManifestProblem saying what is wrong with it."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser goes
            raise ManifestProblem(f"not a JSON manifest: {shown_value(exc)}") from None
        return _parse_manifest(data)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest at `path`; an absent, unreadable or malformed one is empty (everything is rebuilt)."""
        try:
            return cls.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ManifestProblem):
            return cls()

    @classmethod
    def read_strict(cls, path: Path) -> Manifest:
        """The manifest at `path`, or a located error (`path:1:1: ...`) saying why it cannot be used."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BuildError(Diagnostic(shown_path(path), 0, 0, "manifest not found")) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildError(Diagnostic(shown_path(path), 1, 1, f"cannot read the manifest: {exc}")) from None
        try:
            return cls.parse(text)
        except ManifestProblem as exc:
            raise BuildError(Diagnostic(shown_path(path), 1, 1, str(exc))) from None


_HEX64 = re.compile(r"[0-9a-f]{64}")
_ENTRY_KEYS = {f.name for f in fields(ManifestEntry)}


def relative_path_problem(path: object) -> str | None:
    """Why `path` is not a plain output-relative path (absolute, `..`, empty parts), or None when it is."""
    if not isinstance(path, str) or not path:
        return "is not a path"
    shown = shown_value(path)
    if path.startswith("/") or PureWindowsPath(path).is_absolute() or PureWindowsPath(path).drive:
        return f"'{shown}' is absolute"
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        return f"'{shown}' contains '..'"
    if any(part in ("", ".") for part in parts) or "\\" in path or "\0" in path:
        return f"'{shown}' is not a plain relative path"
    if path == MANIFEST_NAME:
        return f"'{shown}' is the manifest itself"
    return None


def _checked_hashes(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ManifestProblem(f"{where} must be a mapping of path to sha256")
    for path, digest in value.items():
        problem = relative_path_problem(path)
        if problem is not None:
            raise ManifestProblem(f"{where}: path {problem}")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise ManifestProblem(f"{where}: '{shown_value(path)}' has no sha256")
    return dict(value)


def _parse_entry(raw: object, index: int, version: int) -> ManifestEntry:
    where = f"targets[{index}]"
    if not isinstance(raw, dict):
        raise ManifestProblem(f"{where} is not a mapping")
    required = _ENTRY_KEYS if version >= 2 else _ENTRY_KEYS - {"side_files"}
    missing = sorted(required - set(raw))
    if missing:
        raise ManifestProblem(f"{where} lacks {', '.join(missing)}")
    unknown = sorted(str(key) for key in set(raw) - _ENTRY_KEYS)
    if unknown:
        raise ManifestProblem(f"{where} has unknown keys: {shown_value(', '.join(unknown))}")
    for key in ("target", "instrument", "audience", "format", "path", "sha256", "input_hash"):
        if not isinstance(raw[key], str):
            raise ManifestProblem(f"{where}.{key} must be a string")
    problem = relative_path_problem(raw["path"])
    if problem is not None:
        raise ManifestProblem(f"{where}.path {problem}")
    for key in ("bytes", "pages"):
        value = raw[key]
        if (value is not None or key == "bytes") and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise ManifestProblem(f"{where}.{key} must be a whole number")
    if not _HEX64.fullmatch(raw["sha256"]) or not _HEX64.fullmatch(raw["input_hash"]):
        raise ManifestProblem(f"{where}: sha256 and input_hash must be 64 hexadecimal digits")
    target = Target(raw["instrument"], raw["audience"], raw["format"])
    if raw["format"] not in FORMATS or raw["target"] != target.name or raw["path"] != target.name:
        raise ManifestProblem(
            f"{where}: target, path, audience, instrument and format disagree "
            f"('{shown_value(raw['target'])}', '{shown_value(raw['path'])}')"
        )
    side_files = _checked_hashes(raw.get("side_files", {}), f"{where}.side_files")
    for path in side_files:
        if raw["format"] != "pdf" or path != target.html_name:
            raise ManifestProblem(f"{where}.side_files: '{shown_value(path)}' is not this target's side file")
    return ManifestEntry(**{**raw, "side_files": side_files})


def _parse_manifest(data: object) -> Manifest:
    if not isinstance(data, dict):
        raise ManifestProblem("not an atalaya manifest: not a JSON object")
    generator = data.get("generator")
    if not isinstance(generator, str) or not generator.startswith(GENERATOR):
        raise ManifestProblem(
            f"not an atalaya manifest: its generator is {shown_value(json.dumps(generator))}, "
            f"not '{GENERATOR} ...'"
        )
    version = data.get("format")
    if version not in SUPPORTED_MANIFEST_FORMATS or isinstance(version, bool):
        raise ManifestProblem(
            f"manifest format {shown_value(json.dumps(version))} is not one this version reads"
        )
    assert isinstance(version, int)
    tools = data.get("tools", {})
    if not isinstance(tools, dict) or not all(isinstance(v, str) for v in tools.values()):
        raise ManifestProblem("tools must be a mapping of package to version")
    targets = data.get("targets")
    if not isinstance(targets, list):
        raise ManifestProblem("targets must be a list")
    manifest = Manifest(tools=dict(sorted(tools.items())))
    for index, raw in enumerate(targets):
        entry = _parse_entry(raw, index, version)
        if entry.target in manifest.entries:
            raise ManifestProblem(f"targets[{index}]: '{shown_value(entry.target)}' is listed twice")
        manifest.entries[entry.target] = entry
    if version >= 2 and "files" not in data:
        raise ManifestProblem("lacks files")
    manifest.files = _checked_hashes(data.get("files", {}), "files")
    documents = {path for entry in manifest.entries.values() for path in entry.files()}
    clash = sorted(documents & set(manifest.files))
    if clash:
        raise ManifestProblem(f"files: '{shown_value(clash[0])}' is also a target's file")
    return manifest


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
