"""Where babelscope keeps its caches (converted models, tokenizer attributions)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The cache directory: ``$BABELSCOPE_CACHE``, else ``$XDG_CACHE_HOME/babelscope``,
    else ``~/.cache/babelscope``. Not created here; writers create what they need."""
    explicit = os.environ.get("BABELSCOPE_CACHE")
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "babelscope").resolve()


def cache_subdir(name: str) -> Path:
    """A named area inside the cache root (``models``, ``tokenizers``, …).

    ``name`` is always a constant from our own code, never user input, so it cannot escape."""
    if "/" in name or name.startswith("."):
        raise ValueError(f"invalid cache area {name!r}")
    return cache_root() / name
