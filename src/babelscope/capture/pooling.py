"""Pool token states into one vector per text, on the fly, respecting the attention mask."""

from __future__ import annotations

from typing import Literal, get_args

import torch

from babelscope.errors import ConfigError

Pooling = Literal["none", "last", "mean", "weighted_mean"]
POOLINGS: tuple[str, ...] = get_args(Pooling)


def check_pooling(pooling: str) -> Pooling:
    if pooling not in POOLINGS:
        raise ConfigError(f"unknown pooling {pooling!r}", fix=f"use one of {', '.join(POOLINGS)}")
    return pooling  # type: ignore[return-value]


def pool(
    hidden: torch.Tensor, mask: torch.Tensor, pooling: Pooling, *, skip_first: torch.Tensor | None
) -> torch.Tensor:
    """Pool ``hidden[B, T, D]`` over real tokens (``mask[B, T]`` = 1) → ``[B, D]``.

    ``last``: the last real token. ``mean``: the plain mean. ``weighted_mean``: MEXA's
    position-weighted mean, weight ∝ 1, 2, …, n over the real tokens, so later tokens (which
    have seen more of the sentence) count more. ``skip_first[B]`` (bool) drops each row's first
    real token (a BOS, whose huge "attention sink" activations would swamp a mean); rows made
    of a single token keep it. Pads are selected out, never multiplied by zero, so NaNs in pad
    rows cannot leak.
    """
    real = mask.bool()
    if pooling == "last":
        last = _last_index(real)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    keep = real.clone()
    if skip_first is not None:
        first = _first_index(real)
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        drop = skip_first & (real.sum(-1) > 1)
        keep[rows[drop], first[drop]] = False
    if pooling == "mean":
        weights = keep.to(hidden.dtype)
    elif pooling == "weighted_mean":
        weights = keep.cumsum(-1).to(hidden.dtype) * keep
    else:
        raise ConfigError(f"pooling {pooling!r} does not reduce", fix="use last/mean/weighted_mean")
    weights = weights / weights.sum(-1, keepdim=True)
    safe = torch.where(keep.unsqueeze(-1), hidden, torch.zeros((), dtype=hidden.dtype))
    return torch.einsum("btd,bt->bd", safe, weights)


def _last_index(real: torch.Tensor) -> torch.Tensor:
    positions = torch.arange(real.shape[1], device=real.device).expand_as(real)
    return torch.where(real, positions, -1).amax(-1)


def _first_index(real: torch.Tensor) -> torch.Tensor:
    positions = torch.arange(real.shape[1], device=real.device).expand_as(real)
    return torch.where(real, positions, real.shape[1]).amin(-1)
