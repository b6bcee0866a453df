"""Turn finished document bytes into files under the output folder, atomically and at most once each; read
back what an earlier build left there (its manifest, its files' hashes); and remove, safely, the files an
earlier build wrote that are no longer produced.

One `OutputFolder` owns the output folder during a build, and is the only code that reads or writes in it
(`merge` reads each shard's folder through one too):
each file is written to a temporary file in its own folder, flushed to disk and renamed into place, so a
build killed at any moment leaves either the old file or the new one under the final name, never a
truncated one. Removal deletes only a regular file that lies exactly at `root/relative` (no symbolic link
on the way, nothing outside the folder), then the folders that removal emptied. The manifest is written
last, and only when its text changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .errors import BuildError, Diagnostic, shown_path
from .manifest import MANIFEST_NAME, Manifest, ManifestProblem

TEMP_PREFIX = ".partial-"


def read_manifest(path: Path, *, what: str = "manifest", source_language: str = "") -> Manifest:
    """The manifest at `path` (any file: a shard's, a previous run's), or a located error (`path:1:1: ...`)
    saying why it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError(Diagnostic(shown_path(path), 0, 0, f"{what} not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(Diagnostic(shown_path(path), 1, 1, f"cannot read the manifest: {exc}")) from None
    try:
        return Manifest.parse(text, source_language=source_language)
    except ManifestProblem as exc:
        raise BuildError(Diagnostic(shown_path(path), 1, 1, str(exc))) from None


def sha256_file(path: Path) -> str | None:
    """The sha256 of the file at `path`, None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class OutputFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[Path] = set()

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    def previous_manifest(self, source_language: str = "") -> Manifest:
        """What the last complete build recorded; an absent, unreadable or malformed manifest reads as empty
        (everything is rebuilt and nothing removed)."""
        try:
            return read_manifest(self.manifest_path, source_language=source_language)
        except BuildError:
            return Manifest()

    def sha256(self, relative: str) -> str | None:
        """The sha256 of the file at `relative`, None when there is none (or it cannot be read)."""
        return sha256_file(self.root / relative)

    def holds(self, relative: str) -> bool:
        """Whether a file (or a link to one) is at `relative`."""
        return (self.root / relative).is_file()

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()

    def inside(self, relative: str) -> bool:
        """Whether `relative`, with every symbolic link followed, lies inside this folder."""
        try:
            return (self.root / relative).resolve().is_relative_to(self.root.resolve())
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.11
            return False

    def is_empty(self) -> bool:
        """Whether the folder holds nothing (or is absent)."""
        return not self.root.is_dir() or not any(self.root.iterdir())

    def remove_folder(self) -> bool:
        """Remove the folder itself if it is empty (never through a symbolic link); say whether it went."""
        if self.root.is_symlink():
            return False
        try:
            self.root.rmdir()
        except OSError:  # it still holds files atalaya did not write
            return False
        return True

    def write_changed(self, relative: str, data: bytes) -> str:
        """Write `data` to `relative` unless the file already holds exactly it; return its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        if self.sha256(relative) != digest:
            self.write(relative, data)
        return digest

    def write_manifest(self, manifest: Manifest) -> bool:
        """Write the manifest (last, after every file it lists) when its text changed; say whether it did."""
        data = manifest.to_json().encode("utf-8")
        if self.sha256(MANIFEST_NAME) == hashlib.sha256(data).hexdigest():
            return False
        self.write(MANIFEST_NAME, data)
        return True

    def remove_leftovers(self) -> int:
        """Delete temporary files a killed build left behind; return how many there were."""
        if not self.root.is_dir():
            return 0
        count = 0
        for leftover in self.root.rglob(f"{TEMP_PREFIX}*"):  # rglob does not descend into linked folders
            if leftover.is_symlink() or not leftover.is_file():
                continue
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                count += 1
        return count

    def write(self, relative: str, data: bytes) -> str:
        """Write `data` to `root/relative` atomically; return its sha256. Refuse a second write of a path."""
        target = (self.root / relative).resolve()
        if target in self.written:
            raise BuildError(Diagnostic(str(self.root / relative), 0, 0, "written twice in one build"))
        self.written.add(target)
        temp = target.with_name(f"{TEMP_PREFIX}{target.name}.{os.getpid()}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with temp.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            temp.replace(target)
        except OSError as exc:  # a full disk, a read-only folder, a file where a folder should be
            raise BuildError(
                Diagnostic(str(self.root / relative), 0, 0, f"cannot write: {exc.strerror or exc}")
            ) from None
        finally:
            with contextlib.suppress(OSError):
                temp.unlink()
        return hashlib.sha256(data).hexdigest()

    def owned_file(self, relative: str) -> Path | None:
        """`root/relative` when it is a regular file lying exactly there, else None.

        None for a symbolic link (the tool never writes one), for anything reached through a linked folder
        (even one pointing back inside), and for a path that would resolve outside the root.
        """
        path = self.root / relative
        try:
            if path.is_symlink() or not path.is_file():
                return None
            resolved = path.resolve(strict=True)
            if resolved != self.root.resolve(strict=True).joinpath(*PurePosixPath(relative).parts):
                return None
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.11
            return None
        return path

    def remove(self, relatives: Iterable[str]) -> tuple[list[str], list[str]]:
        """Delete each file the tool owns at these output-relative paths, then the folders that emptied.

        Return (removed, kept): `kept` are paths present but not removable (a symbolic link, a folder, a
        path through a linked folder). Absent paths are in neither.
        """
        removed: list[str] = []
        kept: list[str] = []
        for relative in sorted(set(relatives)):
            path = self.owned_file(relative)
            if path is None:
                if os.path.lexists(self.root / relative):
                    kept.append(relative)
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise BuildError(
                    Diagnostic(str(self.root / relative), 0, 0, f"cannot remove: {exc.strerror or exc}")
                ) from None
            removed.append(relative)
        self.remove_emptied_folders(removed)
        return removed, kept

    def remove_emptied_folders(self, removed: Iterable[str]) -> None:
        """Remove each folder on the way to a removed file that is now empty, deepest first (not the root)."""
        folders = {
            parent for relative in removed for parent in PurePosixPath(relative).parents if parent.parts
        }
        for folder in sorted(folders, key=lambda f: (-len(f.parts), f)):
            path = self.root / folder
            if path.is_symlink() or not path.is_dir():
                continue
            with contextlib.suppress(OSError):  # not empty (os.rmdir never removes a non-empty folder)
                path.rmdir()
