"""G-ACT (Sharma & Raman, arXiv 2506.18887): clustered per-prompt differences, probe-chosen layer.

What we do, per layer ℓ of the fit:

1. **Per-prompt differences**: for every sentence id i, ``d_i = h_ℓ(target_i) − h_ℓ(pivot_i)``
   (mean-pooled states of the parallel sentences; pivot = English by default).
2. **Clusters**: k-means (``clusters`` = 3, scikit-learn, fixed seed) on the ``d_i`` gives a
   few candidate steering directions, the centroids (raw scale: α = 1 adds a whole centroid).
3. **Probes**: a logistic regression on standardised states, target language against every
   other language, scored by held-out balanced accuracy and log loss over ``folds`` folds that
   keep a sentence id's translations together (parallel sentences must not leak across folds).
4. **Direction**: the centroid whose *direction* moves the probe's logit towards the target
   the most per unit of intervention: largest cosine between ``c_k`` and ``w``, the probe's
   weights mapped back to raw state space. Not the largest ``w · c_k``: that grows with the
   centroid's norm, and on smollm2-135m k-means puts the few sentences that fire a massive
   activation (9–23 of 200, centroid norm ≈ 1,600 against ≈ 500) in a cluster of their own,
   which the dot product picked for every target — steering with it made the model print
   dots (LFS 0, chrF++ ≈ 1 for all ten targets). Massive dimensions have a large spread, so
   their raw-space probe weights are small and the cosine does not favour them.
5. **Layer** (:meth:`default_layer`): the best held-out accuracy among the layers of the middle
   half of the stack (:func:`~babelscope.analyses.steering.method.middle_layers`, as for
   DiffMean); ties — language is separable at most layers — go to the lower held-out log
   loss (the more confident probe).

Deviations from the paper, which steers programming languages in generated code:
- Its probes are refined online with gradient steps during generation and pick a cluster per
  prompt (and per layer) as the text unfolds; ours are fitted once, offline, and the layer and
  cluster are fixed per target, so steering is one static vector (comparable with DiffMean,
  exportable to lm-eval). The per-layer probe accuracies and all centroids are saved with the
  steerer, so a prompt-adaptive variant can be built on them.
- Its probes predict the steering cluster from a prompt's activation; ours predict the
  language (target vs the rest), which is what "steer towards a language" needs, and the
  probe's weight picks the cluster.
- The paper lets the probes alone decide where to inject; language probes reach accuracy 1.0
  at almost every layer (smollm2-135m, 3 languages: all 30), and the log-loss tie-break
  alone picked block 26 of 30, so we restrict the pick to the middle half of the stack.
- The paper's states are token-level residuals at the last prompt token; ours are the
  sentence's mean-pooled residual (BOS skipped), the same states as DiffMean, so the two
  methods differ only in how the vector is formed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from babelscope.analyses.steering.method import (
    SteeringMethod,
    check_layers,
    check_texts,
    middle_layers,
)
from babelscope.analyses.steering.vector import VectorSteerer
from babelscope.errors import ConfigError

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


@dataclass
class GActFit:
    """Per fitted layer (``[L, …]``): held-out probe ``accuracy`` and ``log_loss``, k-means
    ``centroids [L, K, D]`` and ``sizes [L, K]``, the ``chosen [L]`` cluster, the resulting
    ``vectors [L, D]``, and ``best``: the index of the chosen layer."""

    accuracy: torch.Tensor
    log_loss: torch.Tensor
    centroids: torch.Tensor
    sizes: torch.Tensor
    chosen: torch.Tensor
    vectors: torch.Tensor
    best: int


def _probe(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, *, folds: int, c: float
) -> tuple[float, float, np.ndarray]:
    """Held-out balanced accuracy and log loss of a target-vs-rest probe, and the weights
    ``[D]`` of the probe fitted on everything, in raw (unstandardised) state space."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score, log_loss
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def model() -> object:
        return make_pipeline(
            StandardScaler(),
            LogisticRegression(C=c, class_weight="balanced", max_iter=2000),
        )

    held = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        probe = model()
        probe.fit(x[train], y[train])  # type: ignore[attr-defined]
        held[test] = probe.predict_proba(x[test])[:, 1]  # type: ignore[attr-defined]
    accuracy = float(balanced_accuracy_score(y, held > 0.5))
    loss = float(log_loss(y, np.clip(held, 1e-7, 1 - 1e-7), labels=[0, 1]))
    full = model()
    full.fit(x, y)  # type: ignore[attr-defined]
    scaler, logistic = full.steps  # type: ignore[attr-defined]
    weights = logistic[1].coef_[0] / np.where(scaler[1].scale_ > 0, scaler[1].scale_, 1.0)
    return accuracy, loss, weights


def fit_gact(
    states: Mapping[str, torch.Tensor],
    target: str,
    pivot: str,
    *,
    clusters: int = 3,
    folds: int = 4,
    c: float = 1.0,
    seed: int = 0,
    candidates: Sequence[int] | None = None,
) -> GActFit:
    """G-ACT on ``states[lang]`` ``[L, N, D]`` (sentence i parallel across languages);
    ``best`` is chosen among the layer indices ``candidates`` (default: all)."""
    from sklearn.cluster import KMeans

    languages = list(states)
    n_layers, n, _ = states[target].shape
    k = min(clusters, n)
    groups = np.tile(np.arange(n), len(languages))
    y = np.repeat([int(g == target) for g in languages], n)
    acc, loss, cents, sizes, chosen, vectors = [], [], [], [], [], []
    for layer in range(n_layers):
        x = torch.cat([states[g][layer] for g in languages]).double().numpy()
        a, ll, weights = _probe(x, y, groups, folds=folds, c=c)
        diffs = (states[target][layer] - states[pivot][layer]).double().numpy()
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(diffs)
        centres = km.cluster_centers_  # [K, D]
        # cosine with w up to the factor 1/|w|, which is the same for every centroid
        norms = np.maximum(np.linalg.norm(centres, axis=1), 1e-30)
        pick = int(np.argmax((centres @ weights) / norms))
        acc.append(a)
        loss.append(ll)
        cents.append(torch.from_numpy(centres).float())
        sizes.append(torch.bincount(torch.from_numpy(km.labels_).long(), minlength=k))
        chosen.append(pick)
        vectors.append(cents[-1][pick])
    accuracy, log_loss = torch.tensor(acc), torch.tensor(loss)
    # best accuracy first, then the lowest held-out log loss among layers that tie on it
    pool = range(n_layers) if candidates is None else candidates
    order = sorted(pool, key=lambda i: (-round(acc[i], 9), loss[i], i))
    return GActFit(
        accuracy,
        log_loss,
        torch.stack(cents),
        torch.stack(sizes),
        torch.tensor(chosen),
        torch.stack(vectors),
        order[0],
    )


class GAct(SteeringMethod):
    """Hyper-parameters of G-ACT (see the module docstring for what each does)."""

    name = "gact"

    def __init__(
        self,
        *,
        clusters: int = 3,
        folds: int = 4,
        c: float = 1.0,
        pivot: str = "eng_Latn",
        seed: int = 0,
    ) -> None:
        if clusters < 1 or folds < 2:
            raise ConfigError("G-ACT needs clusters ≥ 1 and folds ≥ 2", fix="raise them")
        self.clusters, self.folds, self.c, self.pivot, self.seed = clusters, folds, c, pivot, seed

    def fit(
        self,
        handle: ModelHandle,
        texts: Mapping[str, Sequence[str]],
        *,
        target: str,
        layers: Sequence[int],
        store_dir: Path | None = None,
        progress: bool = False,
    ) -> VectorSteerer:
        from babelscope.analyses.steering.activations import pooled_states
        from babelscope.analyses.steering.artefact import fit_provenance

        n = check_texts(texts, target, minimum=self.folds)
        if target == self.pivot or self.pivot not in texts:
            raise ConfigError(
                f"G-ACT takes differences against {self.pivot}: it needs its sentences and "
                "another target",
                fix=f"add {self.pivot} to the languages, or pass pivot=...",
            )
        fitted = check_layers(layers, handle.n_layers)
        pooled = pooled_states(handle, texts, fitted, store_dir=store_dir, progress=progress)
        fit = fit_gact(
            pooled.states,
            target,
            self.pivot,
            clusters=self.clusters,
            folds=self.folds,
            c=self.c,
            seed=self.seed,
            candidates=[
                pooled.layers.index(k) for k in middle_layers(pooled.layers, handle.n_layers)
            ],
        )
        provenance = fit_provenance(
            handle, texts, self, target=target, sentences=n, store=pooled.store
        )
        return VectorSteerer(
            "gact",
            target,
            pooled.layers,
            fit.vectors,
            default=pooled.layers[fit.best],
            provenance=provenance,
            extra={
                "probe_accuracy": fit.accuracy,
                "probe_log_loss": fit.log_loss,
                "centroids": fit.centroids,
                "cluster_sizes": fit.sizes,
                "chosen_cluster": fit.chosen,
            },
            info={"pivot": self.pivot},
        )
