"""Turn finished document bytes into files under the output folder, atomically and at most once each.

One `OutputWriter` owns the output folder during a build: each file is written to a temporary file in its
own folder, flushed to disk and renamed into place, so a build killed at any moment leaves either the old
file or the new one under the final name, never a truncated one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

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
        for leftover in self.root.rglob(f"{TEMP_PREFIX}*"):
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
