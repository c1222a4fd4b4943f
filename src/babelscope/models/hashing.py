"""Content hashes for provenance and cache keys, with a stat-keyed memo so large files are
hashed once (a cached load must stay fast)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from babelscope.paths import cache_root

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


def sha256_file(path: Path, *, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _index_path() -> Path:
    return cache_root() / "file-hashes.json"


def cached_sha256(path: Path) -> str:
    """sha256 of ``path``, memoised on (real path, size, mtime) in the cache root."""
    path = path.resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    index_file = _index_path()
    try:
        index: dict[str, str] = json.loads(index_file.read_text())
    except (OSError, ValueError):
        index = {}
    if key in index:
        return index[key]
    digest = sha256_file(path)
    index[key] = digest
    index_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = index_file.with_name(f".{index_file.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index, indent=0, sort_keys=True))
    tmp.replace(index_file)
    return digest


def sha256_files(paths: list[Path]) -> str:
    """One hash over several files (names and contents), for HF directories."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(cached_sha256(path).encode())
    return digest.hexdigest()


def model_digest(handle: ModelHandle) -> str:
    """The model's content hash; for in-memory models without one, a hash of the weights
    (names and raw bytes of every tensor of the state dict, in name order)."""
    if handle.model_hash and handle.model_hash != "unknown":
        return handle.model_hash
    import torch

    digest = hashlib.sha256()
    for name, tensor in sorted(handle.model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(dtype=torch.uint8).numpy())
    return "weights:" + digest.hexdigest()
