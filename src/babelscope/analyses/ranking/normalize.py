"""How sentence states are normalised before the representation metrics, per layer and pooling.

A few massive activation dimensions dominate raw cosines (TRAPS.md): on held-out FLORES
sentences z-scoring moved smollm2-135m's best-layer MEXA for French from 0.15 to 0.70. Every
mode except ``all`` uses statistics of the **pivot** alone (or none), so a language's scores
never depend on which other languages are in the run:

- ``raw``: no normalisation (the Language Ranker paper's setting).
- ``pivot``: z-score every dimension with the mean and standard deviation of the pivot's
  states at that layer and pooling.
- ``massive``: zero the massive dimensions — those whose absolute pivot mean exceeds
  ``MASSIVE_FACTOR`` × the median absolute pivot mean — and leave the rest raw.
- ``all``: z-score with the statistics of every language in the run (the old ``--standardize``;
  adding a language changes every other language's scores).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import torch

Transform = Callable[[torch.Tensor], torch.Tensor]

NORMALIZATIONS = ("raw", "pivot", "massive", "all")

#: A dimension is massive when its |pivot mean| exceeds this multiple of the median |mean|.
MASSIVE_FACTOR = 20.0


class Reader(Protocol):
    def get(self, group: str, name: str) -> torch.Tensor: ...


def _identity(states: torch.Tensor) -> torch.Tensor:
    return states.double()


def _zscore(mean: torch.Tensor, std: torch.Tensor) -> Transform:
    scale = torch.where(std > 1e-8, std, torch.ones_like(std))

    def transform(states: torch.Tensor) -> torch.Tensor:
        return (states.double() - mean) / scale

    return transform


def _streamed_stats(
    reader: Reader, groups: Sequence[str], name: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (unbiased) standard deviation of ``name`` over ``groups``, streamed in float64."""
    count, total, squares = 0, None, None
    for group in groups:
        states = reader.get(group, name).double()
        count += states.shape[0]
        total = states.sum(0) if total is None else total + states.sum(0)
        sq = states.square().sum(0)
        squares = sq if squares is None else squares + sq
    assert total is not None and squares is not None
    mean = total / count
    std = ((squares / count - mean.square()).clamp(min=0) * count / max(count - 1, 1)).sqrt()
    return mean, std


def massive_dimensions(states: torch.Tensor, factor: float = MASSIVE_FACTOR) -> torch.Tensor:
    """Bool ``[D]``: dimensions of ``states`` ``[N, D]`` whose |mean| > ``factor`` × median."""
    magnitude = states.double().mean(dim=0).abs()
    return magnitude > factor * magnitude.median()


def layer_transform(
    reader: Reader, mode: str, pivot: str, everyone: Sequence[str], name: str
) -> Transform:
    """The transform of one stored state (``name``, e.g. ``weighted_mean.7``) under ``mode``."""
    if mode == "raw":
        return _identity
    if mode == "all":
        return _zscore(*_streamed_stats(reader, everyone, name))
    pivot_states = reader.get(pivot, name).double()
    if mode == "pivot":
        return _zscore(pivot_states.mean(dim=0), pivot_states.std(dim=0))
    if mode == "massive":
        keep = (~massive_dimensions(pivot_states)).double()

        def drop(states: torch.Tensor) -> torch.Tensor:
            return states.double() * keep

        return drop
    raise ValueError(f"unknown normalisation {mode!r}; use one of {', '.join(NORMALIZATIONS)}")
