"""Next-token statistics of a text from the last block's raw output: summed bits and the text
they cover — the one computation behind bits per byte / character / sentence (the ranking's
text table, steering's fluency, and next translation).

The LM head runs through :class:`~babelscope.lens.unembed.Unembed` (final norm, head,
softcap) on ``chunk`` positions at a time, keeping only each position's ``logsumexp`` and the
logit of the true next token: a 262k-token head's full ``[B, T, V]`` output would be gigabytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from babelscope.lens.unembed import Unembed

LN2 = 0.6931471805599453


def next_token_bits(
    unembed: Unembed, hidden: torch.Tensor, input_ids: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed −log₂ p(next token) per row, from the last block's raw output.

    ``hidden`` ``[B, T, D]`` (before the final norm), ``input_ids`` and ``mask`` ``[B, T]``
    (right padding). Position t predicts token t+1 wherever both are real. ``unembed`` (final
    norm, head, softcap) runs on ``unembed.chunk`` positions at a time, so at most
    ``[chunk, V]`` logits exist. Returns ``(bits [B] float64, scored [B] long)``.
    """
    real = mask.bool()
    pairs = real[:, :-1] & real[:, 1:]  # [B, T-1]
    rows, cols = pairs.nonzero(as_tuple=True)
    targets = input_ids[:, 1:][rows, cols]
    states = hidden[:, :-1][rows, cols]  # [M, D]
    nats = torch.zeros(hidden.shape[0], dtype=torch.float64, device=hidden.device)
    chunk = unembed.chunk
    with torch.no_grad():
        for start in range(0, states.shape[0], chunk):
            part = slice(start, start + chunk)
            lse, picked = unembed.logsumexp_and_target(states[part], targets[part])
            # per chunk, as before the engine existed: the float64 sums keep their order
            nats.index_add_(0, rows[part], (lse - picked).double())
    return nats / LN2, pairs.sum(-1)


def scored_text(
    tok: object, texts: Sequence[str], ids: list[list[int]], content: list[list[int]]
) -> list[tuple[int, int]]:
    """UTF-8 bytes and characters covered by the scored tokens of each text.

    ``ids`` are the token ids fed (special tokens included), ``content`` those of the text
    alone. With a special prefix (BOS) every text token is predicted from context: the whole
    text counts. Without one, the first text token is never predicted, so the text it covers
    (read from the tokenizer's offsets) is left out of the denominators."""
    covered: list[tuple[int, int]] = []
    need_offsets = [
        i for i, (a, b) in enumerate(zip(ids, content, strict=True)) if len(a) <= len(b)
    ]
    offsets: dict[int, int] = {}
    if need_offsets:
        try:
            encoded = tok(  # type: ignore[operator]
                [texts[i] for i in need_offsets],
                add_special_tokens=False,
                return_offsets_mapping=True,
            )["offset_mapping"]
            for i, spans in zip(need_offsets, encoded, strict=True):
                offsets[i] = int(spans[0][1]) if spans else 0
        except (NotImplementedError, TypeError, ValueError, KeyError):
            offsets = {}
    for i, text in enumerate(texts):
        start = offsets.get(i, 0)
        rest = text[start:]
        covered.append((len(rest.encode("utf-8")), len(rest)))
    return covered
