"""Run folders: the unit users share.

A run folder holds tidy Parquet tables, JSON, plots, ``report.html`` and a ``manifest.json``
with provenance. Every file is written atomically (temp file + rename), and the manifest is
written last with ``"status": "complete"``, so a crashed run never looks finished: readers check
:func:`is_complete`.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelscope._version import __version__
from babelscope.atomic import atomic_write_bytes, atomic_write_text
from babelscope.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"


def environment() -> dict[str, Any]:
    """Versions that can change numbers, for manifests."""
    info: dict[str, Any] = {
        "babelscope": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for module in ("torch", "transformers", "numpy"):
        mod = sys.modules.get(module)
        if mod is not None:
            info[module] = getattr(mod, "__version__", "?")
    return info


class RunFolder:
    """Writer for one run folder. Creating it marks any previous manifest as incomplete."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"{self.path} exists and is not a folder", fix="pick another --out")
        self.path.mkdir(parents=True, exist_ok=True)
        self.started = time.time()
        manifest = self.path / MANIFEST
        if manifest.exists():  # an older result is about to be overwritten piece by piece
            try:
                old = json.loads(manifest.read_text())
            except ValueError:
                old = {}
            old["status"] = "incomplete"
            atomic_write_text(manifest, json.dumps(old, indent=2, ensure_ascii=False))

    def file(self, name: str) -> Path:
        target = (self.path / name).resolve()
        if self.path.resolve() not in target.parents:
            raise ValueError(f"{name!r} escapes the run folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        import io

        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        path = self.file(name if name.endswith(".parquet") else f"{name}.parquet")
        atomic_write_bytes(path, buffer.getvalue())
        return path

    def write_json(self, name: str, data: Any) -> Path:
        path = self.file(name)
        atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return path

    def write_bytes(self, name: str, data: bytes) -> Path:
        path = self.file(name)
        atomic_write_bytes(path, data)
        return path

    def finish(self, manifest: dict[str, Any]) -> Path:
        """Write the manifest last: the run is complete from this moment on."""
        body = {
            **manifest,
            "status": "complete",
            "environment": environment(),
            "seconds": round(time.time() - self.started, 1),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        return self.write_json(MANIFEST, body)


def is_complete(path: str | Path) -> bool:
    try:
        data = json.loads((Path(path) / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return bool(data.get("status") == "complete")
