"""Every representation metric of one language and layer with its shuffled-pair null and its
bootstrap replicates, from quantities computed once.

Per language × layer the states are touched once: a cosine matrix ``S = unit(X) unit(Y)ᵀ``
``[N, N]`` per pooling, the Gram matrix ``YYᵀ`` and the kept SVCCA basis. Then

- Ranker, baseline-adjusted cosine, MEXA and retrieval are means of **per-sentence** values
  read off ``S`` (parallel cosine; parallel cosine minus the sentence's mean cosine to the
  other sentences, averaged over its row and column; strict top-1 in row and column; …), so a
  bootstrap replicate is one ``[B, N] @ [N]`` product with the draw counts. Each sentence's
  distractors stay the full set, as when bootstrapping a retrieval accuracy over test items.
- Both CKAs need only weighted sums of the two Gram matrices (``[B, N] @ [N, N]`` products
  with the draw counts, :func:`~babelscope.analyses.geometry.gram.weighted_gram_terms`), never
  the resampled ``[B, N, N]`` matrices; the debiased one leaves out pairs of positions that
  hold the same sentence. Both sets of replicates are re-centred on the estimate
  (see :func:`_recentred`).
- SVCCA re-centres and re-orthonormalises the resampled rows of each side's kept basis and
  takes the canonical correlations; the kept directions themselves are those of the full
  sample (re-running an N×N eigendecomposition per replicate costs ~25× more), so its interval
  leaves out the variability of choosing directions and is somewhat too narrow (replicates
  re-centred as for biased CKA).

The null of each metric is its mean over a few shuffled pairings (the language's sentences
permuted against the pivot's, seeded, the same permutations for every language): the value a
metric gives translations that share nothing beyond what any two sentences share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from babelscope.analyses.geometry._arrays import unit_rows
from babelscope.analyses.geometry.gram import (
    biased_cka_from_grams,
    biased_hsic_terms,
    centre_gram,
    debiased_cka_from_grams,
    ratio,
    unbiased_hsic_terms,
    weighted_gram_terms,
)
from babelscope.analyses.geometry.resampling import bootstrap_ids, counts, shuffled_pairings

#: Metrics computed from one cosine matrix, as means of per-sentence values.
SENTENCE_METRICS = ("ranker", "adjusted_cosine", "mexa", "retrieval")


@dataclass(frozen=True)
class Resamples:
    """The sentence resamples shared by every language of a run (seeded by N alone, so a
    language's intervals do not depend on which other languages are in the run)."""

    ids: Tensor  # [B, N] bootstrap ids
    weights: Tensor  # [B, N] draw counts per sentence
    pairings: Tensor  # [P, N] shuffled pairings for the null

    @classmethod
    def draw(cls, n: int, replicates: int, pairings: int, seed: int) -> Resamples:
        ids = bootstrap_ids(n, replicates, seed) if replicates > 0 else torch.zeros(0, n).long()
        return cls(
            ids=ids,
            weights=counts(ids, n) if replicates > 0 else torch.zeros(0, n, dtype=torch.float64),
            pairings=shuffled_pairings(n, pairings, seed + 1),
        )

    @property
    def replicates(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class Draw:
    """One metric of one language and layer: the value, its null and its bootstrap replicates."""

    value: float
    null: float
    replicates: Tensor  # [B] float64


def per_sentence(sims: Tensor, metric: str) -> Tensor:
    """Per-sentence values ``[N]`` of a cosine matrix ``[N, N]`` (pivot rows, language columns)
    whose mean is the metric: ``ranker`` parallel cosine; ``adjusted_cosine`` parallel cosine
    minus the mean non-parallel cosine of its row and of its column (averaged; the overall
    mean equals parallel mean minus non-parallel mean); ``mexa`` strict top-1 in row *and*
    column; ``retrieval`` the mean of strict top-1 in row and in column."""
    diagonal = sims.diagonal()
    if metric == "ranker":
        return diagonal.clone()
    n = sims.shape[0]
    if metric == "adjusted_cosine":
        rows = (sims.sum(dim=1) - diagonal) / (n - 1)
        columns = (sims.sum(dim=0) - diagonal) / (n - 1)
        return diagonal - (rows + columns) / 2
    others = sims.clone()
    others.fill_diagonal_(float("-inf"))
    by_row = diagonal > others.max(dim=1).values
    by_column = diagonal > others.max(dim=0).values
    if metric == "mexa":
        return (by_row & by_column).double()
    if metric == "retrieval":
        return (by_row.double() + by_column.double()) / 2
    raise ValueError(f"unknown per-sentence metric {metric!r}")


@dataclass
class PivotLayer:
    """What every language of one layer reuses from the pivot: unit rows per pooling, the
    Gram matrix (plain and diagonal-free) with its resampled self-HSICs, the kept SVCCA
    basis and its resampled orthonormal bases."""

    units: dict[str, Tensor]  # pooling -> [N, D] unit rows
    gram: Tensor  # [N, N] of the CKA pooling
    boot_xx: Tensor  # [B] biased HSIC(K_b, K_b)
    boot_xx0: Tensor  # [B] unbiased HSIC of the diagonal-free resampled Gram
    basis: Tensor  # [N, k]
    boot_basis: Tensor  # [B, N, k] re-centred, re-orthonormalised resampled basis

    @classmethod
    def build(
        cls,
        states: dict[str, Tensor],
        gram_pooling: str,
        keep: int,
        resamples: Resamples,
        svcca_pooling: str | None = None,
    ) -> PivotLayer:
        svcca_pooling = svcca_pooling or gram_pooling
        x = states[gram_pooling]
        gram = x @ x.T
        weights, n = resamples.weights, x.shape[0]
        svcca_states = states[svcca_pooling]
        basis = kept_basis(
            gram if svcca_pooling == gram_pooling else svcca_states @ svcca_states.T, keep
        )
        zero = _no_diagonal(gram)
        return cls(
            units={p: unit_rows(s) for p, s in states.items()},
            gram=gram,
            boot_xx=biased_hsic_terms(weighted_gram_terms(gram, gram, weights), n),
            boot_xx0=unbiased_hsic_terms(weighted_gram_terms(zero, zero, weights), n),
            basis=basis,
            boot_basis=_orthonormal(basis[resamples.ids]),
        )


def kept_basis(gram: Tensor, keep: int) -> Tensor:
    """The SVCCA basis ``[N, k]`` (left singular vectors of the centred states, as
    :func:`~babelscope.analyses.geometry.cka.svcca` keeps them) from the states' Gram matrix
    ``[N, N]``: an N×N eigendecomposition instead of an N×D SVD (~20× cheaper at D = 576)."""
    values, vectors = torch.linalg.eigh(centre_gram(gram))
    values, vectors = values.flip(0), vectors.flip(1)
    singular = values.clamp(min=0).sqrt()
    # eigenvalues carry absolute noise ~ eps·λ_max, i.e. ~1e-8·s_max on singular values
    rank = int((singular > singular[0] * 1e-6).sum()) if singular.numel() else 0
    kept: Tensor = vectors[:, : min(keep, rank)]
    return kept


def _no_diagonal(k: Tensor) -> Tensor:
    return k - torch.diag_embed(k.diagonal())


def _orthonormal(basis: Tensor) -> Tensor:
    """Re-centred, re-orthonormalised columns of ``[..., N, k]`` (as after resampling rows)."""
    q: Tensor = torch.linalg.qr(basis - basis.mean(dim=-2, keepdim=True)).Q
    return q


def _recentred(replicates: Tensor, value: float) -> Tensor:
    """Replicates shifted so that their mean is the full-sample ``value``.

    A resample repeats sentences, and a repeated sentence is a perfectly matched pair in both
    Gram matrices: biased CKA and SVCCA (fewer distinct points for the same kept directions)
    come out higher on every replicate than on the sample (by ≈ 0.1 for CKA on synthetic data),
    and the debiased CKA, whose estimator assumes distinct sentences, lower even with the
    repeated pairs left out; uncorrected percentile intervals would miss the estimate.
    Removing the bootstrap estimate of that bias keeps the spread and puts it where the
    estimate is."""
    finite = replicates[torch.isfinite(replicates)]
    if finite.numel() == 0 or math.isnan(value):
        return replicates
    return replicates - (finite.mean() - value)


def _mean_svcca(qx: Tensor, by: Tensor) -> Tensor:
    """Mean canonical correlation of orthonormal ``qx`` ``[..., N, kx]`` and the basis
    ``by`` ``[..., N, ky]`` after re-centring and re-orthonormalising its rows."""
    overlap = qx.mT @ _orthonormal(by)
    # singular values of a small [.., kx, ky] matrix: square roots of the eigenvalues of
    # its Gram, several times faster than svdvals on a batch of 20×20 matrices
    squares = torch.linalg.eigvalsh(overlap.mT @ overlap)
    correlations = squares.clamp(0.0, 1.0).sqrt()
    width = min(overlap.shape[-2], overlap.shape[-1])
    mean: Tensor = correlations[..., -width:].mean(dim=-1)
    return mean


def language_layer(
    pivot: PivotLayer,
    states: dict[str, Tensor],
    poolings: dict[str, str],
    keep: int,
    resamples: Resamples,
) -> dict[str, Draw]:
    """Every metric of one language at one layer: ``states`` maps pooling → ``[N, D]``
    float64 (already normalised as the pivot's were), ``poolings`` metric → pooling."""
    out: dict[str, Draw] = {}
    weights, pairings = resamples.weights, resamples.pairings
    n = weights.shape[1]
    sims_by_pooling: dict[str, Tensor] = {}
    for metric in SENTENCE_METRICS:
        pooling = poolings[metric]
        if pooling not in sims_by_pooling:
            sims_by_pooling[pooling] = pivot.units[pooling] @ unit_rows(states[pooling]).T
        sims = sims_by_pooling[pooling]
        values = per_sentence(sims, metric)
        nulls = [float(per_sentence(sims[:, p], metric).mean()) for p in pairings]
        out[metric] = Draw(
            value=float(values.mean()),
            null=sum(nulls) / len(nulls),
            replicates=weights @ values / n,
        )
    y = states[poolings["cka"]]
    gram = y @ y.T
    shuffled = gram[pairings[:, :, None], pairings[:, None, :]]
    value = float(biased_cka_from_grams(pivot.gram, gram))
    boot = weighted_gram_terms(pivot.gram, gram, weights)
    yy = biased_hsic_terms(weighted_gram_terms(gram, gram, weights), n)
    out["cka"] = Draw(
        value=value,
        null=float(biased_cka_from_grams(pivot.gram, shuffled).mean()),
        replicates=_recentred(ratio(biased_hsic_terms(boot, n), pivot.boot_xx, yy), value),
    )
    # Diagonal-free terms from the same sums: only the w_i² K_ii L_ii part of the trace and
    # the w_i K_ii part of the row sums change when the diagonals are zeroed.
    zero = _no_diagonal(gram)
    boot0 = weighted_gram_terms(_no_diagonal(pivot.gram), zero, weights)
    yy0 = unbiased_hsic_terms(weighted_gram_terms(zero, zero, weights), n)
    value = float(debiased_cka_from_grams(pivot.gram, gram))
    out["cka_debiased"] = Draw(
        value=value,
        null=float(debiased_cka_from_grams(pivot.gram, shuffled).nanmean()),
        replicates=_recentred(ratio(unbiased_hsic_terms(boot0, n), pivot.boot_xx0, yy0), value),
    )
    y = states[poolings["svcca"]]
    basis = kept_basis(gram if poolings["svcca"] == poolings["cka"] else y @ y.T, keep)
    if basis.shape[1] == 0 or pivot.basis.shape[1] == 0:
        nan = float("nan")
        out["svcca"] = Draw(nan, nan, torch.full((resamples.replicates,), nan))
        return out
    full = torch.linalg.svdvals(pivot.basis.T @ basis).clamp(0.0, 1.0).mean()
    null = _mean_svcca(pivot.basis.expand(len(pairings), -1, -1), basis[pairings])
    out["svcca"] = Draw(
        value=float(full),
        null=float(null.mean()),
        replicates=_recentred(_mean_svcca(pivot.boot_basis, basis[resamples.ids]), float(full)),
    )
    return out
