"""Bits per character of single texts, scored by the unedited model.

The same forward and next-token sink the ranking fills its store with
(:func:`~babelscope.collect.forward.forward_texts` → :func:`~.next_token.next_token_bits`), so
steering's fluency (and next translation's) and the ranking's bits per byte / character are one
computation: a text scored here gets the bits the ranking's text table sums for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from babelscope.collect.forward import forward_texts
from babelscope.collect.spec import ForwardSpec

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


def bits_per_char(handle: ModelHandle, texts: Sequence[str], *, batch_size: int = 16) -> np.ndarray:
    """``[N]`` bits per character of each text under ``handle`` (no editors), the text scored
    alone after the tokenizer's special prefix; NaN for empty texts."""
    out = np.full(len(texts), np.nan)
    kept = [i for i, text in enumerate(texts) if text.strip()]
    if not kept:
        return out
    spec = ForwardSpec(layers=(), poolings=(), batch_size=batch_size)
    scored = forward_texts(handle, [texts[i] for i in kept], spec, text_metrics=True)
    chars = scored["scored_chars"].double().numpy()
    bits = scored["nll_bits"].numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out[kept] = np.where(chars > 0, bits / chars, np.nan)
    return out
