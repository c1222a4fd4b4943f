"""The identity of an activation store: everything that changes the bytes of a shard.

The store folder is named by a hash of this dict, so a change here moves every store: keys
added later are omitted at their default (see ``head_dtype``) so older stores keep their folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from babelscope.capture.store import STORE_VERSION
from babelscope.models.hashing import model_digest

if TYPE_CHECKING:
    from babelscope.collect.spec import ForwardSpec
    from babelscope.models.handle import ModelHandle


def store_identity(handle: ModelHandle, spec: ForwardSpec) -> dict[str, Any]:
    """Everything that changes the bytes of a shard (the store folder is named by its hash)."""
    import torch
    import transformers

    forward: dict[str, Any] = {
        "layers": list(spec.layers),
        "poolings": list(spec.poolings),
        "batch_size": spec.batch_size,
        "max_batch_tokens": spec.max_batch_tokens,
        "skip_bos": spec.skip_bos,
        "head_chunk": spec.head_chunk,
        "store_dtype": spec.store_dtype,
        "padding": "right",
        "add_special_tokens": True,
    }
    if spec.head_dtype != "float32":  # added later: omitted at its default, so older stores
        forward["head_dtype"] = spec.head_dtype  # keep their folder
    return {
        "store_version": STORE_VERSION,
        "model_sha256": model_digest(handle),
        "tokenizer_sha256": handle.tokenizer_hash,
        "dtype": str(handle.dtype).removeprefix("torch."),
        "device": handle.device.type,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "forward": forward,
    }
