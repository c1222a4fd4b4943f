"""Linear-probe protocols on frozen pooled states: the MTEB few-shot draws and full training.

MTEB's classification protocol (Muennighoff et al. 2023, ``AbsTaskClassification``): for each
of 10 repeats, draw 8 training examples per label (seeded), fit
``LogisticRegression(max_iter=100)`` on their states and report the mean accuracy on the
evaluation split. The *full* variant fits once on every training sentence loaded.

Every fit standardises the features with statistics of its **own training examples** (part of
the classifier, never the evaluation states): a few massive dimensions reach 10⁴ in these
models (TRAPS.md), and lbfgs with ``max_iter=100`` on such raw states stops far from its
optimum, so raw-feature accuracy would mostly measure the optimiser.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from babelscope.errors import ConfigError

#: MTEB's defaults.
REPEATS = 10
PER_LABEL = 8
MAX_ITER = 100
#: Two-sided 97.5 % quantiles of Student's t for small degrees of freedom (scipy-free).
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306}
_T975 |= {9: 2.262, 10: 2.228, 14: 2.145, 19: 2.093, 29: 2.045}


@dataclass(frozen=True)
class Score:
    """An accuracy with its 95 % interval; ``kind`` says what the interval is over."""

    accuracy: float
    lo: float
    hi: float
    n_eval: int
    kind: str  # "repeats" (t interval of the mean over draws) or "wilson" (over sentences)


def stratified_draws(
    labels: Sequence[str], per_label: int, repeats: int, seed: int
) -> list[np.ndarray]:
    """``repeats`` sorted index arrays, each holding ``per_label`` rows of every label (all of
    a label's rows when it has fewer). Reproducible: the same ``seed`` gives the same draws."""
    if per_label < 1 or repeats < 1:
        raise ConfigError(f"{per_label} per label × {repeats} repeats", fix="use ≥ 1 of each")
    rng = np.random.default_rng(seed)
    array = np.asarray(labels)
    by_label = {label: np.flatnonzero(array == label) for label in sorted(set(labels))}
    draws = []
    for _ in range(repeats):
        picked = [
            rng.choice(rows, size=min(per_label, len(rows)), replace=False)
            for rows in by_label.values()
        ]
        draws.append(np.sort(np.concatenate(picked)))
    return draws


def stratified_cap(labels: Sequence[str], per_label: int | None, seed: int) -> np.ndarray:
    """Row indices keeping at most ``per_label`` rows of each label (seeded; sorted, so the
    kept rows stay in file order). ``None`` keeps every row."""
    if per_label is None:
        return np.arange(len(labels))
    return stratified_draws(labels, per_label, 1, seed)[0]


def fit_classifier(x: np.ndarray, y: np.ndarray, max_iter: int = MAX_ITER) -> object:
    """Standardise-then-logistic-regression on ``x`` ``[n, D]`` with labels ``y`` ``[n]``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    with warnings.catch_warnings():  # max_iter=100 is the protocol, not an accident
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    return model


def accuracy(model: object, x: np.ndarray, y: np.ndarray) -> float:
    predicted = model.predict(x)  # type: ignore[attr-defined]
    return float(np.mean(predicted == y))


def wilson(correct: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a proportion ``correct / n`` (sound at 0 and 1, unlike ±2 SE)."""
    if n == 0:
        return math.nan, math.nan
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    # at p = 0 or 1 the bound is exactly 0 or 1; rounding would leave it a hair inside
    return (0.0 if correct == 0 else lo), (1.0 if correct == n else hi)


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and t-based 95 % interval of the mean of ``values`` (repeat accuracies)."""
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    if len(array) < 2:
        return mean, mean, mean
    df = len(array) - 1
    t = _T975.get(df, 1.96 if df > 29 else _T975[max(k for k in _T975 if k <= df)])
    half = t * float(array.std(ddof=1)) / math.sqrt(len(array))
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def few_shot(
    train_x: np.ndarray,
    train_y: np.ndarray,
    evals: Sequence[tuple[np.ndarray, np.ndarray]],
    draws: Sequence[np.ndarray],
) -> list[Score]:
    """The MTEB protocol: for every draw fit on those training rows, score every evaluation
    set ``(x [m, D], y [m])``; one :class:`Score` per evaluation set (mean over draws)."""
    per_eval: list[list[float]] = [[] for _ in evals]
    for rows in draws:
        model = fit_classifier(train_x[rows], train_y[rows])
        for i, (x, y) in enumerate(evals):
            per_eval[i].append(accuracy(model, x, y))
    out = []
    for (x, _), values in zip(evals, per_eval, strict=True):
        mean, lo, hi = mean_interval(values)
        out.append(Score(mean, lo, hi, len(x), "repeats"))
    return out


def full_train(
    train_x: np.ndarray, train_y: np.ndarray, evals: Sequence[tuple[np.ndarray, np.ndarray]]
) -> list[Score]:
    """One fit on every training row; Wilson intervals over the evaluation sentences."""
    model = fit_classifier(train_x, train_y)
    out = []
    for x, y in evals:
        acc = accuracy(model, x, y)
        lo, hi = wilson(acc * len(y), len(y))
        out.append(Score(acc, lo, hi, len(y), "wilson"))
    return out


def cross_validated(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    """Stratified ``folds``-fold accuracy on training data alone (used to choose a layer
    without looking at the evaluation split)."""
    from sklearn.model_selection import StratifiedKFold

    smallest = min(np.unique(y, return_counts=True)[1])
    folds = max(2, min(folds, int(smallest)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = [accuracy(fit_classifier(x[a], y[a]), x[b], y[b]) for a, b in splitter.split(x, y)]
    return float(np.mean(scores))
