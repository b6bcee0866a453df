"""Turn what a build wrote into manifest.json text, and manifest text back into a `Manifest` checked field by
field.

The manifest records every file the tool wrote into an output folder: each target's document and side files
(kept HTML) and the index pages, with their sha256, and each target's input hash. Stale-file removal and
`clean` delete only what a manifest lists, so reading one checks every field: an entry with a missing key, a
wrong type, an unknown product or format, or a path that is absolute, climbs out with `..` or is not the
path its target derives makes the whole manifest untrusted. Reading and writing the file itself is
`output.OutputFolder`'s.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import PureWindowsPath

from . import __version__, formats, products
from .load import shown_value
from .plan import Target

MANIFEST_NAME = "manifest.json"
# 3 names each target's product, subject and edition (for `instrument`); 2 added side_files and the index
# pages. 1 and 2 are still read, as source-language briefs (their entries cannot be merged).
MANIFEST_FORMAT = 3
SUPPORTED_MANIFEST_FORMATS = (1, 2, 3)
# Every manifest's `generator` starts with this: `clean` refuses a folder whose manifest does not.
GENERATOR = "atalaya"


@dataclass
class ManifestEntry:
    target: str
    product: str
    subject: str
    audience: str
    edition: str
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
    """What the tool wrote into an output folder: every target's files, and the index pages."""

    tools: dict[str, str] = field(default_factory=dict)
    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    # Other files the tool wrote (the index pages): output-relative path -> sha256.
    files: dict[str, str] = field(default_factory=dict)
    version: int = MANIFEST_FORMAT
    """The format it was read in (an older one's entries are rebuilt, never merged)."""

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
    def parse(cls, text: str, *, source_language: str = "") -> Manifest:
        """The manifest in `text`; raise ManifestProblem saying what is wrong with it. Entries of a format
        before editions are taken as `source_language` editions of the instrument brief."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser goes
            raise ManifestProblem(f"not a JSON manifest: {shown_value(exc)}") from None
        return _parse_manifest(data, source_language)


def entry_for(target: Target, **recorded: object) -> ManifestEntry:
    """The manifest entry of `target`, with what the build recorded (sha256, bytes, pages, ...)."""
    return ManifestEntry(
        target=target.path,
        product=target.product.name,
        subject=target.subject,
        audience=target.audience,
        edition=target.edition,
        format=target.format.name,
        path=target.path,
        **recorded,  # type: ignore[arg-type]
    )


_HEX64 = re.compile(r"[0-9a-f]{64}")
_ENTRY_KEYS = {f.name for f in fields(ManifestEntry)}
_STRINGS = ("target", "product", "subject", "audience", "edition", "format", "path", "sha256", "input_hash")
# Before format 3 an entry named its instrument, and every target was the instrument brief's.
_LEGACY_KEYS = (_ENTRY_KEYS - {"product", "subject", "edition"}) | {"instrument"}


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


def _upgraded(raw: dict[str, object], source_language: str) -> dict[str, object]:
    """An entry of format 1 or 2 in the keys of format 3: the instrument brief on `instrument`."""
    upgraded = {key: value for key, value in raw.items() if key != "instrument"}
    upgraded.update(product="brief", subject=raw["instrument"], edition=source_language)
    upgraded.setdefault("side_files", {})
    return upgraded


def _parse_entry(raw: object, index: int, version: int, source_language: str) -> ManifestEntry:
    where = f"targets[{index}]"
    if not isinstance(raw, dict):
        raise ManifestProblem(f"{where} is not a mapping")
    keys = _ENTRY_KEYS if version >= 3 else _LEGACY_KEYS
    required = keys if version >= 2 else keys - {"side_files"}
    missing = sorted(required - set(raw))
    if missing:
        raise ManifestProblem(f"{where} lacks {', '.join(missing)}")
    unknown = sorted(str(key) for key in set(raw) - keys)
    if unknown:
        raise ManifestProblem(f"{where} has unknown keys: {shown_value(', '.join(unknown))}")
    if version < 3:
        if not isinstance(raw["instrument"], str):
            raise ManifestProblem(f"{where}.instrument must be a string")
        raw = _upgraded(raw, source_language)
    for key in _STRINGS:
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
    if not _HEX64.fullmatch(str(raw["sha256"])) or not _HEX64.fullmatch(str(raw["input_hash"])):
        raise ManifestProblem(f"{where}: sha256 and input_hash must be 64 hexadecimal digits")
    target = _target(raw, where)
    side_files = _checked_hashes(raw.get("side_files", {}), f"{where}.side_files")
    allowed = {target.side_path(suffix) for suffix in target.format.side_suffixes}
    for path in side_files:
        if path not in allowed:
            raise ManifestProblem(f"{where}.side_files: '{shown_value(path)}' is not this target's side file")
    return ManifestEntry(**{**raw, "side_files": side_files})


def _target(raw: dict[str, object], where: str) -> Target:
    """The target an entry describes, its path the one the entry records (source edition or not)."""
    product_name, format_name = str(raw["product"]), str(raw["format"])
    if format_name not in formats.names():
        raise ManifestProblem(f"{where}: unknown format '{shown_value(format_name)}'")
    if product_name not in {p.name for p in products.all_products()}:
        raise ManifestProblem(f"{where}: unknown product '{shown_value(product_name)}'")
    fields = (products.get(product_name), str(raw["subject"]), str(raw["audience"]), str(raw["edition"]))
    for source_edition in (True, False):
        target = Target(*fields, formats.get(format_name), source_edition)
        if raw["target"] == raw["path"] == target.path:
            return target
    raise ManifestProblem(
        f"{where}: target, path, audience, subject, edition and format disagree "
        f"('{shown_value(raw['target'])}', '{shown_value(raw['path'])}')"
    )


def _parse_manifest(data: object, source_language: str) -> Manifest:
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
    manifest = Manifest(tools=dict(sorted(tools.items())), version=version)
    for index, raw in enumerate(targets):
        entry = _parse_entry(raw, index, version, source_language)
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
