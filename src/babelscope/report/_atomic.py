"""Atomic file writes for report artefacts.

A run folder is shared as-is, so a report or plot interrupted half-way must never look complete:
we write to a hidden temporary file in the destination directory (same file system, so the
rename is atomic) and rename it over the target (``os.replace``) only once every byte is on
disk.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

# Reports are meant to be shared; mkstemp's private 0600 would surprise users.
_FILE_MODE = 0o644


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, creating parent folders; return the resolved path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(_FILE_MODE)
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return target.resolve()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """UTF-8 variant of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))
