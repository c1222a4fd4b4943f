"""Run the logit lens at each prompt's last position and measure per layer how much
probability lands on each language's token set, on the ``shared`` bucket and on the rest of
the vocabulary (``other``), plus the entropy.

The sets must be disjoint (``token_sets.prepare`` makes them so): then masses + shared + other
is the total probability, 1 up to float rounding, and no token is counted twice."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from babelscope.languages.attribution import SHARED
from babelscope.lens.logit_lens import LensBatch, reduce_last_position_lens

if TYPE_CHECKING:
    from babelscope.lens.base import Lens
    from babelscope.models.handle import ModelHandle


@dataclass
class Measurement:
    """Per-prompt, per-layer numbers for one batch of prompts.

    ``mass[n, l, m]``: lens probability on language ``languages[m]``'s own tokens;
    ``shared[n, l]``: on tokens two or more languages share; ``other[n, l]``: on every other
    token; ``entropy_bits[n, l]``; ``correct[n]``: the final layer's top-1 token is one of the
    prompt's answer ids (the first token of the target word or a listed synonym).
    """

    layers: list[int]
    languages: list[str]
    mass: torch.Tensor  # [N, L, M]
    shared: torch.Tensor  # [N, L]
    other: torch.Tensor  # [N, L]
    entropy_bits: torch.Tensor  # [N, L]
    correct: torch.Tensor  # [N] bool
    vocab_size: int


class _SetMass:
    """Reducer for :func:`reduce_last_position_lens`: packs ``[B, L, M + 4]`` = the M language
    masses, the shared mass, the other mass, the entropy in bits, and the final-layer
    correctness (repeated over layers)."""

    def __init__(
        self,
        token_ids: Sequence[dict[str, list[int]]],
        languages: list[str],
        answer_ids: Sequence[Iterable[int]],
    ) -> None:
        self.languages = languages
        self.ids = []
        for row in token_ids:
            sets = [row.get(lang, []) for lang in [*languages, SHARED]]
            if sum(len(set(ids)) for ids in sets) != len(set().union(*map(set, sets))):
                raise ValueError("measured token sets overlap: make them disjoint first")
            self.ids.append([torch.tensor(ids, dtype=torch.long) for ids in sets])
        self.answers = [torch.tensor(sorted(ids), dtype=torch.long) for ids in answer_ids]

    def __call__(self, batch: LensBatch) -> torch.Tensor:
        log_probs = batch.log_probs  # [B, L, V]
        probs = log_probs.exp()
        n_layers = log_probs.shape[1]
        width = len(self.languages)
        out = torch.zeros(len(batch.indices), n_layers, width + 4)
        total = probs.double().sum(-1)  # [B, L]
        for row, index in enumerate(batch.indices):
            for m, ids in enumerate(self.ids[index]):  # languages, then shared
                if ids.numel():
                    out[row, :, m] = probs[row][:, ids].double().sum(-1).float()
            covered = out[row, :, : width + 1].double().sum(-1)
            out[row, :, width + 1] = (total[row] - covered).clamp(min=0).float()
            top = int(log_probs[row, -1].argmax())
            out[row, :, -1] = float(bool((self.answers[index] == top).any()))
        entropy = -(probs * log_probs).nansum(-1) / math.log(2)  # [B, L]
        out[:, :, -2] = entropy.clamp(min=0)
        return out


def measure(
    handle: ModelHandle,
    texts: Sequence[str],
    token_ids: Sequence[dict[str, list[int]]],
    languages: list[str],
    *,
    answer_ids: Sequence[Iterable[int]],
    layers: str | list[int] | None = None,
    batch_size: int = 8,
    progress: bool = False,
    lens: Lens | None = None,
) -> Measurement:
    """Lens masses (the logit lens unless ``lens`` is given) for every prompt: ``token_ids[n]``
    maps each language (and ``"shared"``) to disjoint ids; ``answer_ids[n]`` are the ids that
    count as a correct final answer. The last selected layer should be the model's last block
    for ``correct`` to mean "the model's own answer"."""
    from babelscope.capture.sites import resolve_layers

    wanted = resolve_layers(layers, handle.n_layers)
    packed = reduce_last_position_lens(
        handle,
        texts,
        _SetMass(token_ids, languages, answer_ids),
        layers=wanted,
        batch_size=batch_size,
        progress=progress,
        lens=lens,
    )
    return Measurement(
        layers=wanted,
        languages=languages,
        mass=packed[:, :, : len(languages)],
        shared=packed[:, :, len(languages)],
        other=packed[:, :, len(languages) + 1],
        entropy_bits=packed[:, :, -2],
        correct=packed[:, 0, -1].bool(),
        vocab_size=handle.vocab_size,
    )
