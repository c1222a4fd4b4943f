"""Cosine-based alignment between two languages' sentence states.

``x`` and ``y`` are ``[N, D]`` states of the same model (one pooled vector per sentence) for N
parallel sentences: row *i* of ``x`` and row *i* of ``y`` are translations.

Raw cosines are inflated by anisotropy and a few massive activation dimensions (TRAPS.md), so
absolute values mean little across models. :func:`baseline_adjusted_cosine` subtracts the
non-parallel baseline; :func:`standardize` z-scores dimensions before any of them.
"""

from __future__ import annotations

import torch
from torch import Tensor

from babelscope.analyses.geometry._arrays import (
    Array,
    as_matrix,
    check_width,
    paired,
    require_rows,
    unit_rows,
)


def cosine_matrix(x: Array, y: Array) -> Tensor:
    """All cosines between rows of ``x`` ``[N, D]`` and rows of ``y`` ``[M, D]``.

    Returns ``[N, M]`` float64; entry ``[i, j]`` is ``cos(x_i, y_j)``."""
    a, b = as_matrix(x, "x"), as_matrix(y, "y")
    check_width(a, b)
    return unit_rows(a) @ unit_rows(b).T


def cosine_pairs(x: Array, y: Array) -> Tensor:
    """Row-wise cosine of parallel pairs: ``x``, ``y`` ``[N, D]`` → ``[N]`` float64."""
    a, b = paired(x, y, same_width=True)
    return (unit_rows(a) * unit_rows(b)).sum(dim=1)


def language_ranker_score(x: Array, y: Array) -> float:
    """Mean raw cosine over parallel pairs (Li et al. 2024, "Language Ranker").

    Faithful to the paper: raw cosine, no centring or standardisation; ``x`` is the reference
    language (English in the paper) and the states are last-token states, ``[N, D]`` each.
    Comparable across languages within one model and layer, not across models."""
    return float(cosine_pairs(x, y).mean())


def baseline_adjusted_cosine(x: Array, y: Array) -> float:
    """Mean cosine of parallel pairs minus mean cosine of non-parallel pairs (Wu et al. 2024,
    "semantic hub"). ``x``, ``y`` ``[N, D]``, N >= 2.

    The baseline removes what every pair of sentences shares in this model and layer (the
    anisotropic common direction), leaving what translations share beyond it: ~0 when the
    representation ignores meaning, up to ~1 when translations coincide."""
    a, b = paired(x, y, same_width=True)
    require_rows(a, 2, "baseline_adjusted_cosine")
    sims = unit_rows(a) @ unit_rows(b).T
    n = sims.shape[0]
    parallel = sims.diagonal().sum()
    others = (sims.sum() - parallel) / (n * (n - 1))
    return float(parallel / n - others)


def standardize(x: Array, reference: Array | None = None, *, eps: float = 1e-8) -> Tensor:
    """Z-score each dimension of ``x`` ``[N, D]`` with the mean and standard deviation of
    ``reference`` ``[M, D]`` (``x`` itself when None). Returns ``[N, D]`` float64.

    A handful of massive-activation dimensions otherwise dominate every cosine. Pass the
    states of all languages stacked as ``reference`` so that every language is scaled alike —
    standardising each language on its own would also erase its mean, i.e. part of what
    distinguishes languages. Dimensions with (near-)zero spread are centred, not scaled."""
    a = as_matrix(x, "x")
    ref = a if reference is None else as_matrix(reference, "reference")
    check_width(a, ref, ("x", "reference"))
    require_rows(ref, 2, "standardize (reference)")
    mean = ref.mean(dim=0, keepdim=True)
    std = ref.std(dim=0, keepdim=True)
    return (a - mean) / torch.where(std > eps, std, torch.ones_like(std))
