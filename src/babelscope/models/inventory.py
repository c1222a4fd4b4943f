"""What ``babelscope models`` reports: bundled aliases and cache entries."""

from __future__ import annotations

from pathlib import Path

from babelscope.errors import ModelNotFoundError
from babelscope.models import cache
from babelscope.models.bundled import BUNDLED
from babelscope.models.hashing import cached_sha256


def inventory() -> list[dict[str, object]]:
    """One row per bundled alias, then one per other cached conversion. A bundled alias whose
    package is missing carries the command that installs it in ``install``."""
    entries = {str(e["source_sha256"]): e for e in cache.list_entries()}
    rows: list[dict[str, object]] = []
    for alias, bundled in BUNDLED.items():
        sha: str | None
        install: str | None = None
        try:
            sha = bundled.known_sha256() or cached_sha256(bundled.materialise(Path()))
            installed = True
        except ModelNotFoundError as exc:
            sha, installed, install = None, False, exc.fix
        entry = entries.pop(sha, None) if sha else None
        rows.append(
            {
                "name": alias,
                "description": bundled.description,
                "installed": installed,
                "cached": entry is not None,
                "bytes": entry["bytes"] if entry else 0,
                "path": entry["path"] if entry else None,
                "install": install,
            }
        )
    for sha, entry in entries.items():
        rows.append(
            {
                "name": str(entry.get("source", sha[:12])),
                "description": f"converted GGUF ({entry.get('model_type')})",
                "installed": True,
                "cached": True,
                "bytes": entry["bytes"],
                "path": entry["path"],
                "install": None,
            }
        )
    return rows
