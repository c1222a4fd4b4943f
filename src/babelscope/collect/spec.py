"""What one shard of the activation store holds and how it is computed.

Kept free of torch and the model so settings classes (``RankSettings``, ``SibSettings``) can
build a :class:`ForwardSpec` without importing the forward machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babelscope.capture.pooling import Pooling

#: Tensors a shard holds when it was computed with text metrics (see
#: :func:`~babelscope.collect.forward.forward_texts`).
TEXT_TENSORS = ("nll_bits", "scored_tokens", "scored_bytes", "scored_chars")


def state_name(pooling: str, layer: int) -> str:
    """Tensor name of pooled states in a shard: ``"weighted_mean.7"``."""
    return f"{pooling}.{layer}"


@dataclass(frozen=True)
class ForwardSpec:
    """What one shard holds and how it is computed (all of it is part of the store identity:
    batch composition changes the last bits of the states, so it must be fixed)."""

    layers: tuple[int, ...]
    poolings: tuple[Pooling, ...] = ("last", "mean", "weighted_mean")
    batch_size: int = 16
    max_batch_tokens: int = 4096
    skip_bos: bool = True
    head_chunk: int = 128
    store_dtype: str = "float32"
    head_dtype: str = "float32"  # "bfloat16": ~3x faster head on CPUs with AVX512-BF16

    def state_names(self) -> list[str]:
        return [state_name(p, layer) for layer in self.layers for p in self.poolings]
