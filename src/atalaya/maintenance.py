"""Turn output folders into other output folders: `clean` (delete what a manifest lists) and `merge` (join
shard folders and their manifests into one).

Both act only on what an atalaya manifest records, through `output.OutputFolder`: never a file the tool
did not write, never through a symbolic link, never outside the folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .engine import check_output_folder
from .errors import BuildError, Diagnostic, shown_path
from .manifest import MANIFEST_FORMAT, MANIFEST_NAME, Manifest
from .output import OutputFolder, read_manifest


@dataclass
class CleanResult:
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # listed, but a link or folder now: left alone
    folder_removed: bool = False


def clean(output: Path) -> CleanResult:
    """Delete the files the output folder's manifest lists (and the manifest), then the folders that emptied.

    A folder without a manifest, or whose manifest.json is not an atalaya manifest, is refused. Files the
    tool did not write (not in the manifest) stay, and so does their folder.
    """
    result = CleanResult()
    if not output.exists():
        return result
    if not output.is_dir():
        raise BuildError(Diagnostic(shown_path(output), 0, 0, "not a folder"))
    folder = OutputFolder(output)
    if not os.path.lexists(folder.manifest_path):
        if not folder.is_empty():
            raise BuildError(
                Diagnostic(
                    shown_path(output),
                    0,
                    0,
                    f"has no {MANIFEST_NAME}; refusing to delete a folder this tool did not make",
                )
            )
    else:
        if folder.owned_file(MANIFEST_NAME) is None:
            raise BuildError(
                Diagnostic(
                    shown_path(folder.manifest_path),
                    0,
                    0,
                    "not a regular file; refusing to clean this folder",
                )
            )
        try:
            manifest = read_manifest(folder.manifest_path)
        except BuildError as exc:
            refusal = "refusing to clean a folder whose manifest atalaya cannot read"
            raise BuildError(
                [replace(d, message=f"{d.message}; {refusal}") for d in exc.diagnostics]
            ) from None
        folder.remove_leftovers()  # temporary files of a killed build are the tool's too
        # the manifest goes last: a clean that is interrupted can be run again
        result.removed, result.kept = folder.remove(manifest.tracked())
        removed, kept = folder.remove([MANIFEST_NAME])
        result.removed += removed
        result.kept += kept
    result.folder_removed = folder.remove_folder()
    return result


def _mismatch(shard: OutputFolder, relative: str) -> Diagnostic:
    return Diagnostic(shown_path(shard.root / relative), 0, 0, "missing or does not match its manifest entry")


@dataclass
class MergeResult:
    manifest: Manifest
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def merge_manifests(
    manifests: Iterable[Path],
    output: Path,
    *,
    content: Path = Path("content"),
    templates: Path = Path("templates"),
) -> MergeResult:
    """Join shard manifests (and copy their files, side files included) into one output folder and manifest.

    Every shard is checked before anything is written: its manifest (paths plain and relative, written by
    this version), each file inside the shard's folder and its destination inside the output folder, each
    file matching its sha256, the shards agreeing. Then the files are copied, files an earlier manifest of
    the output folder listed that the merged one does not are removed (its index pages too: the next full
    build writes them), and the merged manifest is written.
    """
    check_output_folder(output, content=content, templates=templates)
    folder = OutputFolder(output)
    merged = Manifest()
    errors: list[Diagnostic] = []
    sources: dict[str, tuple[OutputFolder, str]] = {}  # output-relative path -> (its shard, sha256)
    for manifest_path in manifests:
        shard = read_manifest(manifest_path)
        where = shown_path(manifest_path)
        if shard.version != MANIFEST_FORMAT:
            errors.append(
                Diagnostic(
                    where, 1, 1, f"manifest format {shard.version}: rebuild the shard with this version"
                )
            )
            continue
        shard_folder = OutputFolder(manifest_path.parent)
        if merged.tools and shard.tools and shard.tools != merged.tools:
            errors.append(Diagnostic(where, 1, 1, "built with different tool versions than the other shards"))
        merged.tools = merged.tools or shard.tools
        for name, entry in sorted(shard.entries.items()):
            problems = []
            for relative, digest in sorted(entry.files().items()):
                if not shard_folder.inside(relative):
                    problems.append(
                        Diagnostic(where, 1, 1, f"{name}: '{relative}' resolves outside the shard's folder")
                    )
                elif not folder.inside(relative):
                    problems.append(
                        Diagnostic(where, 1, 1, f"{name}: '{relative}' resolves outside the output folder")
                    )
                elif not shard_folder.holds(relative) or shard_folder.sha256(relative) != digest:
                    problems.append(_mismatch(shard_folder, relative))
            existing = merged.entries.get(name)
            if not problems and existing is not None and existing.files() != entry.files():
                problems.append(Diagnostic(where, 1, 1, f"{name} differs from another shard's"))
            if problems:
                errors.extend(problems)
                continue
            merged.entries[name] = entry
            for relative, digest in entry.files().items():
                sources.setdefault(relative, (shard_folder, digest))
    if errors:
        raise BuildError(errors)

    previous = folder.previous_manifest()
    folder.remove_leftovers()
    for relative, (shard_folder, digest) in sorted(sources.items()):
        if folder.sha256(relative) == digest:  # already there (the shard may be the output folder itself)
            continue
        try:
            data = shard_folder.read(relative)
        except OSError:
            data = b""
        if hashlib.sha256(data).hexdigest() != digest:  # changed since it was checked
            raise BuildError(_mismatch(shard_folder, relative))
        folder.write(relative, data)
    removed, kept = folder.remove(set(previous.tracked()) - set(merged.tracked()))
    folder.write_manifest(merged)
    return MergeResult(merged, removed, kept)
