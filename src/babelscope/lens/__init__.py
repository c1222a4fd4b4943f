"""Decoding hidden states into the vocabulary: one ``Lens`` interface, one ``Unembed``."""

from __future__ import annotations

from babelscope.lens.base import Lens
from babelscope.lens.logit_lens import (
    LensBatch,
    LogitLens,
    iter_last_position_lens,
    reduce_last_position_lens,
    top_tokens,
)
from babelscope.lens.unembed import Unembed

__all__ = [
    "Lens",
    "LensBatch",
    "LogitLens",
    "Unembed",
    "iter_last_position_lens",
    "reduce_last_position_lens",
    "top_tokens",
]
