"""Turn finished document bytes into files under the output folder, atomically and at most once each; and
remove, safely, the files an earlier build wrote that are no longer produced.

One `OutputWriter` owns the output folder during a build: each file is written to a temporary file in its
own folder, flushed to disk and renamed into place, so a build killed at any moment leaves either the old
file or the new one under the final name, never a truncated one. Removal deletes only a regular file that
lies exactly at `root/relative` (no symbolic link on the way, nothing outside the folder), then the folders
that removal emptied.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .errors import BuildError, Diagnostic

TEMP_PREFIX = ".partial-"


class OutputWriter:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[Path] = set()

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
