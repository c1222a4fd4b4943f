"""Seeded resamples of parallel sentences: bootstrap ids, shuffled pairings, percentile intervals.

FLORES is parallel, so one bootstrap replicate draws one multiset of sentence ids and every
language uses those same ids: the interval of a language's score, and of its rank among the
others, then reflects which sentences happened to be chosen, not independent noise per
language. A shuffled pairing permutes which pivot sentence pairs with which translation; the
metric of shuffled pairs is the value the metric gives when translations carry no shared
meaning beyond what any two sentences of these languages share (its null).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import Tensor

from babelscope.errors import ConfigError


def bootstrap_ids(n: int, replicates: int, seed: int) -> Tensor:
    """``[replicates, n]`` int64 sentence ids drawn with replacement (one row per replicate)."""
    if n < 1 or replicates < 1:
        raise ConfigError(f"bootstrap of {replicates} replicates over {n} sentences")
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, n, (replicates, n), generator=generator)


def shuffled_pairings(n: int, count: int, seed: int) -> Tensor:
    """``[count, n]`` int64 random permutations of ``range(n)`` (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randperm(n, generator=generator) for _ in range(count)])


def counts(ids: Tensor, n: int) -> Tensor:
    """How often each of ``n`` sentences is drawn per replicate: ``[B, N]`` ids → ``[B, n]``
    float64 counts (a mean-like metric of a replicate is ``counts @ per_sentence / n``)."""
    out = torch.zeros(ids.shape[0], n, dtype=torch.float64)
    out.scatter_add_(1, ids, torch.ones_like(ids, dtype=torch.float64))
    return out


def percentile_interval(samples: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile bounds along the last axis of ``samples`` (NaNs ignored)."""
    if not 0.0 < level < 1.0:
        raise ConfigError(f"interval level {level}", fix="use a level such as 0.95")
    tail = (1.0 - level) / 2 * 100
    with warnings.catch_warnings():  # an all-NaN row (a metric undefined there) stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanpercentile(samples, tail, axis=-1)
        hi = np.nanpercentile(samples, 100 - tail, axis=-1)
    return lo, hi
