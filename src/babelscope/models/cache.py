"""babelscope's own model cache: a GGUF converted once into safetensors + config + tokenizer.

transformers de-quantises a GGUF on every load (20–60 s here) and refuses ``save_pretrained``
on the result. We convert once and keep a plain HF folder keyed by the GGUF's sha256, so later
loads take a second or two. An entry becomes visible only by an atomic rename of a complete
folder whose marker file is written last: a killed conversion leaves a ``.tmp-*`` folder that is
never read and is cleaned up by the next conversion.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from babelscope._version import __version__
from babelscope.paths import cache_subdir

MARKER = "babelscope-entry.json"
# Bump when the conversion changes what it writes; older entries are then rebuilt.
CONVERSION_VERSION = 1
_SHA = re.compile(r"^[0-9a-f]{64}$")


def models_dir() -> Path:
    return cache_subdir("models")


def entry_dir(sha256: str) -> Path:
    # The folder name is derived from a validated hex digest only, so no model id or path can
    # steer a write outside the cache directory.
    if not _SHA.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return models_dir() / f"gguf-{sha256}"


def lookup(sha256: str) -> Path | None:
    """The complete cache entry for this GGUF hash, or None."""
    entry = entry_dir(sha256)
    try:
        marker = json.loads((entry / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if marker.get("source_sha256") != sha256 or marker.get("conversion") != CONVERSION_VERSION:
        return None
    return entry


def list_entries() -> list[dict[str, object]]:
    """Complete entries with their marker data and size on disk (for ``babelscope models``)."""
    root = models_dir()
    entries: list[dict[str, object]] = []
    if not root.is_dir():
        return entries
    for entry in sorted(root.glob("gguf-*")):
        try:
            marker = json.loads((entry / MARKER).read_text())
        except (OSError, ValueError):
            continue
        size = sum(p.stat().st_size for p in entry.rglob("*") if p.is_file())
        entries.append({**marker, "path": str(entry), "bytes": size})
    return entries


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale_temps(root: Path) -> None:
    for tmp in root.glob(".tmp-*"):
        parts = tmp.name.split("-")
        pid = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else -1
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(tmp, ignore_errors=True)


def convert_gguf(
    sha256: str,
    materialise: Callable[[Path], Path],
    *,
    label: str,
    on_stage: Callable[[str], None] | None = None,
) -> Path:
    """Convert a GGUF into a cache entry and return its folder.

    ``materialise(scratch)`` returns the GGUF path (it may write the file into ``scratch``).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    _clean_stale_temps(root)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{sha256[:12]}-{os.getpid()}-", dir=root))
    stage = on_stage or (lambda _msg: None)
    try:
        scratch = tmp / "source"
        scratch.mkdir()
        stage("locating the GGUF file")
        gguf = materialise(scratch)
        start = time.perf_counter()
        stage("building the tokenizer from the GGUF")
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        stage("de-quantising the weights")
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
        # The weights are plain float tensors by now; only the quantizer's bookkeeping blocks
        # save_pretrained, so drop it (and the config entry that would re-create it on load).
        model.hf_quantizer = None  # type: ignore[assignment]
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        stage("writing safetensors")
        out = tmp / "model"
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        marker = {
            "source": label,
            "source_sha256": sha256,
            "conversion": CONVERSION_VERSION,
            "babelscope_version": __version__,
            "model_type": model.config.model_type,
            "seconds": round(time.perf_counter() - start, 1),
        }
        (out / MARKER).write_text(json.dumps(marker, indent=2))
        final = entry_dir(sha256)
        if lookup(sha256) is None:
            if final.exists():  # an incomplete or outdated entry: replace it
                shutil.rmtree(final)
            with contextlib.suppress(FileExistsError, OSError):
                out.rename(final)  # atomic within one file system
        entry = lookup(sha256)
        if entry is None:
            raise RuntimeError(f"conversion of {label} did not produce a cache entry")
        return entry
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
