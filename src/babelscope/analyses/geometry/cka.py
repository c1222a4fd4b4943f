"""Subspace similarity of two representations of the same N sentences: linear CKA and SVCCA.

Unlike cosines, these compare the *shape* of two point clouds, so ``x`` ``[N, Dx]`` and ``y``
``[N, Dy]`` may come from different layers or models (Dx ≠ Dy). Both are invariant to
orthogonal transforms and isotropic scaling of either side; SVCCA is also invariant to any
invertible linear map of the kept subspace. Row *i* of each must be the same sentence.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import Tensor

from babelscope.analyses.geometry._arrays import Array, centred, paired, require_rows
from babelscope.analyses.geometry.gram import debiased_cka_from_grams
from babelscope.errors import ConfigError


def linear_cka(x: Array, y: Array) -> float:
    """Linear CKA (Kornblith et al. 2019) of ``x`` ``[N, Dx]`` and ``y`` ``[N, Dy]``, in [0, 1].

    On column-centred data, ``‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F)``. When N is smaller than the
    widths the identical sample-space form ``⟨XXᵀ, YYᵀ⟩ / (‖XXᵀ‖ ‖YYᵀ‖)`` is used instead
    (same value, N×N instead of D×D matrices). NaN when either side is constant."""
    a, b = paired(x, y, same_width=False)
    require_rows(a, 2, "linear_cka")
    a, b = centred(a), centred(b)
    if a.shape[0] < max(a.shape[1], b.shape[1]):
        ka, kb = a @ a.T, b @ b.T
        cross, norm_a, norm_b = (ka * kb).sum(), ka.square().sum(), kb.square().sum()
    else:
        cross = (b.T @ a).square().sum()
        norm_a, norm_b = (a.T @ a).square().sum(), (b.T @ b).square().sum()
    denominator = torch.sqrt(norm_a) * torch.sqrt(norm_b)
    if denominator <= 0:
        return math.nan
    return float((cross / denominator).clamp(0.0, 1.0))


def debiased_linear_cka(x: Array, y: Array) -> float:
    """Debiased linear CKA of ``x`` ``[N, Dx]`` and ``y`` ``[N, Dy]`` (N ≥ 4): the unbiased
    HSIC estimator (Song et al. 2012) in place of the biased one, after Murphy et al. (2024).

    ≈ 0 for independent data whatever N and D (the biased :func:`linear_cka` of independent
    random 50×640 matrices is ≈ 0.93), 1 for identical data; may be slightly negative. NaN
    when either side is constant."""
    a, b = paired(x, y, same_width=False)
    require_rows(a, 4, "debiased_linear_cka")
    return float(debiased_cka_from_grams(a @ a.T, b @ b.T))


def _kept_directions(x: Tensor, keep: float | int) -> tuple[Tensor, Tensor]:
    """Left singular vectors ``[N, k]`` and singular values ``[k]`` of centred ``x``, keeping
    the smallest k that explains ``keep`` of the variance (float) or exactly ``keep`` (int);
    never more than the numerical rank."""
    u, s, _ = torch.linalg.svd(x, full_matrices=False)
    tolerance = s[0] * max(x.shape) * torch.finfo(torch.float64).eps if s.numel() else 0.0
    rank = int((s > tolerance).sum())
    if isinstance(keep, float):
        variance = s[:rank].square()
        explained = torch.cumsum(variance, 0) / variance.sum()
        target = torch.tensor(keep - 1e-12, dtype=torch.float64)
        k = int(torch.searchsorted(explained, target)) + 1
    else:
        k = keep
    k = min(k, rank)
    return u[:, :k], s[:k]


def svcca(x: Array, y: Array, keep: float | int = 0.99, *, ridge: float = 0.0) -> float:
    """SVCCA (Raghu et al. 2017) of ``x`` ``[N, Dx]`` and ``y`` ``[N, Dy]``: the mean canonical
    correlation between their top singular subspaces, in [0, 1].

    ``keep`` is a variance fraction in (0, 1] (default: 99 %) or a number of directions.
    Canonical correlations are the singular values of ``UxᵀUy`` (orthonormal bases of the kept
    subspaces): no covariance is inverted, so N < D is handled exactly. ``ridge`` > 0 shrinks
    each direction by ``s² / (s² + ridge·mean(s²))`` — regularised CCA, for noisy tails.

    Warns when the two kept subspaces together exceed the N−1 dimensions centred data can
    span: they must then share directions, and correlations are inflated whatever the data.
    NaN when either side is constant."""
    if isinstance(keep, bool) or not isinstance(keep, (int, float)):
        raise ConfigError(f"svcca keep={keep!r} is not a number", fix="pass 0.99 or an int")
    if isinstance(keep, float) and not 0.0 < keep <= 1.0:
        raise ConfigError(f"svcca keep={keep} is not a variance fraction", fix="use 0 < keep <= 1")
    if isinstance(keep, int) and keep < 1:
        raise ConfigError(f"svcca keep={keep} directions", fix="keep at least 1 direction")
    if ridge < 0:
        raise ConfigError(f"svcca ridge={ridge} is negative", fix="use ridge >= 0")
    a, b = paired(x, y, same_width=False)
    require_rows(a, 2, "svcca")
    ua, sa = _kept_directions(centred(a), keep)
    ub, sb = _kept_directions(centred(b), keep)
    if sa.numel() == 0 or sb.numel() == 0:
        return math.nan
    n = a.shape[0]
    if sa.numel() + sb.numel() > n - 1:
        warnings.warn(
            f"svcca keeps {sa.numel()} + {sb.numel()} directions for {n} sentences; "
            "correlations are inflated — use more sentences or a smaller int keep",
            stacklevel=2,
        )
    overlap = ua.T @ ub
    if ridge > 0:
        shrink_a = sa / torch.sqrt(sa.square() + ridge * sa.square().mean())
        shrink_b = sb / torch.sqrt(sb.square() + ridge * sb.square().mean())
        overlap = shrink_a[:, None] * overlap * shrink_b[None, :]
    correlations = torch.linalg.svdvals(overlap).clamp(0.0, 1.0)
    return float(correlations.mean())
