"""Linear CKA from Gram matrices, biased and debiased, batched over resamples.

Working on the N×N Gram matrices ``K = XXᵀ`` instead of the states lets a bootstrap or a
shuffled-pair null re-index sentences (``K[ids][:, ids]``) without touching the D-wide
states again: one ``[N, D]`` product per language and layer, then only N×N work per resample.

The biased estimator (Kornblith et al. 2019) is high for unrelated data when N ≪ D:
independent random 50×640 matrices score ≈ 0.93. The debiased one uses the unbiased HSIC
estimator of Song et al. (2012), as recommended by Murphy et al. (2024, "Correcting biased
centered kernel alignment measures in biological and artificial neural networks"): ≈ 0 for
independent data, 1 for identical data; it can dip slightly below 0.
"""

from __future__ import annotations

import torch
from torch import Tensor


def centre_gram(k: Tensor) -> Tensor:
    """``H K H`` for Gram matrices ``[..., N, N]`` (H the centring matrix)."""
    row = k.mean(dim=-1, keepdim=True)
    col = k.mean(dim=-2, keepdim=True)
    return k - row - col + k.mean(dim=(-2, -1), keepdim=True)


def biased_cka_from_grams(kx: Tensor, ky: Tensor) -> Tensor:
    """Biased linear CKA of Gram matrices ``[..., N, N]`` → ``[...]``; NaN for a constant side."""
    cx, cy = centre_gram(kx), centre_gram(ky)
    cross = (cx * cy).sum(dim=(-2, -1))
    norm = torch.sqrt(cx.square().sum(dim=(-2, -1)) * cy.square().sum(dim=(-2, -1)))
    out = cross / norm
    return torch.where(norm > 0, out.clamp(0.0, 1.0), torch.full_like(out, float("nan")))


def _zero_self_pairs(k: Tensor, same: Tensor | None) -> Tensor:
    """``k`` with its diagonal zeroed, and also every entry pairing a sentence with itself
    (``same[..., i, j]``: positions i and j hold the same sentence, as in a bootstrap
    resample): the unbiased estimator must only see distinct sentences."""
    eye = torch.eye(k.shape[-1], dtype=torch.bool, device=k.device)
    mask = eye if same is None else (same | eye)
    return k.masked_fill(mask, 0.0)


def unbiased_hsic(kx: Tensor, ky: Tensor) -> Tensor:
    """Song et al. (2012) unbiased HSIC of diagonal-free Gram matrices ``[..., N, N]``, N ≥ 4:
    ``(tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1/((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1) / (n(n−3))``."""
    n = kx.shape[-1]
    trace = (kx * ky).sum(dim=(-2, -1))
    sums = kx.sum(dim=(-2, -1)) * ky.sum(dim=(-2, -1)) / ((n - 1) * (n - 2))
    rows = (kx.sum(dim=-1) * ky.sum(dim=-1)).sum(dim=-1) * 2 / (n - 2)
    return (trace + sums - rows) / (n * (n - 3))


def debiased_cka_from_grams(kx: Tensor, ky: Tensor, same: Tensor | None = None) -> Tensor:
    """Debiased linear CKA of Gram matrices ``[..., N, N]`` → ``[...]`` (N ≥ 4).

    ``same`` ``[..., N, N]`` (bool) marks pairs of positions holding the same sentence (a
    bootstrap resample); they are left out like the diagonal. NaN where either side's
    unbiased HSIC is not positive."""
    a, b = _zero_self_pairs(kx, same), _zero_self_pairs(ky, same)
    xx, yy, xy = unbiased_hsic(a, a), unbiased_hsic(b, b), unbiased_hsic(a, b)
    norm = xx * yy
    safe = torch.where(norm > 0, norm, torch.ones_like(norm))
    return torch.where(norm > 0, xy / torch.sqrt(safe), torch.full_like(xy, float("nan")))


def weighted_gram_terms(kx: Tensor, ky: Tensor, weights: Tensor) -> tuple[Tensor, ...]:
    """The sums both HSIC estimators need, for every resample at once, without building the
    resampled ``[B, N, N]`` Gram matrices.

    A resample repeating sentence *i* ``w_i`` times has Gram matrix ``K[ids][:, ids]``; its
    sums are weighted sums of ``K``: ``tr(K_b L_b) = Σ w_i w_j K_ij L_ij``,
    ``1ᵀK_bL_b1 = Σ w_i (Kw)_i (Lw)_i``, ``1ᵀK_b1 = wᵀKw``. ``kx``, ``ky`` ``[N, N]``,
    ``weights`` ``[B, N]`` draw counts → ``(trace, rows, sum_x, sum_y)``, each ``[B]``.
    Zeroing pairs of positions that hold the same sentence (the debiased estimator) is
    zeroing the diagonals of ``kx`` and ``ky`` first."""
    qx, qy = weights @ kx, weights @ ky
    trace = ((weights @ (kx * ky)) * weights).sum(dim=1)
    rows = (weights * qx * qy).sum(dim=1)
    return trace, rows, (qx * weights).sum(dim=1), (qy * weights).sum(dim=1)


def biased_hsic_terms(terms: tuple[Tensor, ...], n: int) -> Tensor:
    """``tr(HKH HLH)`` from :func:`weighted_gram_terms` (``n`` positions per resample)."""
    trace, rows, sum_x, sum_y = terms
    return trace - 2 * rows / n + sum_x * sum_y / n**2


def unbiased_hsic_terms(terms: tuple[Tensor, ...], n: int) -> Tensor:
    """Song et al.'s unbiased HSIC from :func:`weighted_gram_terms` of diagonal-free Grams."""
    trace, rows, sum_x, sum_y = terms
    return (trace + sum_x * sum_y / ((n - 1) * (n - 2)) - 2 * rows / (n - 2)) / (n * (n - 3))


def ratio(cross: Tensor, xx: Tensor, yy: Tensor) -> Tensor:
    """``cross / sqrt(xx · yy)``, NaN where ``xx · yy`` is not positive."""
    norm = xx * yy
    safe = torch.where(norm > 0, norm, torch.ones_like(norm))
    return torch.where(norm > 0, cross / torch.sqrt(safe), torch.full_like(cross, float("nan")))
