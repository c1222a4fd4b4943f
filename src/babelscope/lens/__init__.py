"""Decoding hidden states into the vocabulary."""

from __future__ import annotations

from babelscope.lens.logit_lens import LogitLens, iter_last_position_lens, top_tokens

__all__ = ["LogitLens", "iter_last_position_lens", "top_tokens"]
