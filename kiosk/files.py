"""The one crash-safe file writer: a power cut leaves the old file or the new one, never half.

Temp file in the same folder, fsync, `os.replace`, then fsync of the folder where the system
has one, so the rename itself survives a power cut. Used for settings, model pins, model
copies and USB bundles.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(target: Path, data: bytes) -> None:
    """Write `data` to `target` crash-safe."""
    atomic_copy(target, lambda tmp: tmp.write_bytes(data))


def atomic_copy(target: Path, fill: Callable[[Path], object] | Path,
                check: Callable[[Path], None] | None = None) -> None:
    """Make `target` from `fill(tmp)` (or a copy of the file `fill`), crash-safe; `check(tmp)`
    may refuse the result by raising before it replaces anything."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    tmp = Path(name)
    try:
        if isinstance(fill, Path):
            shutil.copyfile(fill, tmp)
        else:
            fill(tmp)
        # read-write: Windows' FlushFileBuffers refuses a read-only handle (PermissionError,
        # found running the kiosk under Wine); POSIX fsync takes either
        with open(tmp, "r+b") as fh:
            os.fsync(fh.fileno())
        if check is not None:
            check(tmp)
        os.replace(tmp, target)
        sync_folder(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; a no-op where folders cannot be opened)."""
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
