"""Run the logit lens at each prompt's last position and measure per layer how much
probability lands on each language's token set, plus the entropy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from babelscope.lens.logit_lens import LensBatch, reduce_last_position_lens

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


@dataclass
class Measurement:
    """Per-prompt, per-layer numbers for one batch of prompts.

    ``mass[n, l, m]``: lens probability on language ``languages[m]``'s token set;
    ``entropy_bits[n, l]``; ``correct[n]``: the final layer's top-1 token is in the target set.
    """

    layers: list[int]
    languages: list[str]
    mass: torch.Tensor  # [N, L, M]
    entropy_bits: torch.Tensor  # [N, L]
    correct: torch.Tensor  # [N] bool
    vocab_size: int


class _SetMass:
    """Reducer for :func:`reduce_last_position_lens`: packs ``[B, L, M + 2]`` = the M language
    masses, the entropy in bits, and the final-layer correctness (repeated over layers)."""

    def __init__(self, token_ids: Sequence[dict[str, list[int]]], languages: list[str]) -> None:
        self.languages = languages
        self.ids = [
            [torch.tensor(row.get(lang, []), dtype=torch.long) for lang in languages]
            for row in token_ids
        ]

    def __call__(self, batch: LensBatch) -> torch.Tensor:
        log_probs = batch.log_probs  # [B, L, V]
        probs = log_probs.exp()
        n_layers = log_probs.shape[1]
        out = torch.zeros(len(batch.indices), n_layers, len(self.languages) + 2)
        for row, index in enumerate(batch.indices):
            for m, ids in enumerate(self.ids[index]):
                if ids.numel():
                    out[row, :, m] = probs[row][:, ids].sum(-1)
            target_ids = self.ids[index][0]
            top = int(log_probs[row, -1].argmax())
            out[row, :, -1] = float(bool((target_ids == top).any()))
        entropy = -(probs * log_probs).nansum(-1) / math.log(2)  # [B, L]
        out[:, :, -2] = entropy.clamp(min=0)
        return out


def measure(
    handle: ModelHandle,
    texts: Sequence[str],
    token_ids: Sequence[dict[str, list[int]]],
    languages: list[str],
    *,
    layers: str | list[int] | None = None,
    batch_size: int = 8,
    progress: bool = False,
) -> Measurement:
    """Lens masses for every prompt. ``languages[0]`` must be the target (its set decides
    correctness). The last selected layer should be the model's last block for ``correct``
    to mean "the model's own answer"."""
    from babelscope.capture.sites import resolve_layers

    wanted = resolve_layers(layers, handle.n_layers)
    packed = reduce_last_position_lens(
        handle,
        texts,
        _SetMass(token_ids, languages),
        layers=wanted,
        batch_size=batch_size,
        progress=progress,
    )
    return Measurement(
        layers=wanted,
        languages=languages,
        mass=packed[:, :, : len(languages)],
        entropy_bits=packed[:, :, -2],
        correct=packed[:, 0, -1].bool(),
        vocab_size=handle.vocab_size,
    )
