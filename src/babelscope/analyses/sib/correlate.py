"""Does representation predict performance? Ranking metrics against SIB-200 accuracy.

For one model, every per-language ranking metric (``rank_summary.parquet``: MEXA, adjusted
cosine, both CKAs, SVCCA, the Ranker, retrieval, the composite score, their raw variants and
the text-side metrics) is correlated with every SIB-200 accuracy (``sib_summary.parquet``)
across the languages both runs share. Pearson and Spearman, each with a percentile bootstrap
interval over **languages** (resampled with replacement, seeded, the same resamples for every
pair) and scipy's analytic p-value. Languages are the unit: the question is whether a
language that is better aligned is also better classified.

Both sides also track how well the tokenizer covers a language (a language split into many
tokens is both less aligned and less well classified), so each row also carries the *partial*
Spearman controlling for a text-side column (default ``token_premium``): the rank correlation
that remains once both ranks are regressed on the control's rank, with its own bootstrap
interval. A metric whose partial interval covers zero predicts nothing beyond tokenisation.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from babelscope.analyses.geometry.resampling import percentile_interval
from babelscope.analyses.ranking import METRICS, RAW_SUFFIX, TEXT_COLUMNS
from babelscope.analyses.sib.settings import PROTOCOLS

EXTRA_METRICS = ("retrieval", "score")
COLUMNS = [
    "model",
    "metric",
    "task",
    "n",
    "pearson",
    "pearson_lo",
    "pearson_hi",
    "pearson_p",
    "spearman",
    "spearman_lo",
    "spearman_hi",
    "spearman_p",
    "control",
    "partial_spearman",
    "partial_spearman_lo",
    "partial_spearman_hi",
]

#: The text-side column partialled out by default (see the module docstring).
DEFAULT_CONTROL = "token_premium"


def metric_columns(rank_summary: pd.DataFrame) -> list[str]:
    """The ranking columns correlated, in a fixed order (only those present and numeric)."""
    names = [*METRICS, *EXTRA_METRICS, *(f"{m}{RAW_SUFFIX}" for m in METRICS), *TEXT_COLUMNS]
    return [
        n
        for n in dict.fromkeys(names)
        if n in rank_summary.columns and pd.api.types.is_numeric_dtype(rank_summary[n])
    ]


def _row_ranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return np.asarray(rankdata(values, axis=-1), dtype=float)


def _row_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r along the last axis (NaN where either side is constant)."""
    xc = x - x.mean(-1, keepdims=True)
    yc = y - y.mean(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(-1) / np.sqrt((xc * xc).sum(-1) * (yc * yc).sum(-1))
    return np.asarray(r)


def pair_statistics(
    x: np.ndarray, y: np.ndarray, ids: np.ndarray, level: float = 0.95
) -> dict[str, float]:
    """Pearson and Spearman of ``x`` and ``y`` ``[n]`` with bootstrap intervals over the
    resampled rows ``ids`` ``[B, n]`` and analytic p-values."""
    from scipy.stats import pearsonr, spearmanr

    out: dict[str, float] = {"n": float(len(x))}
    constant = len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0  # undefined: NaN, no error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, point, transform in (
            ("pearson", pearsonr, None),
            ("spearman", spearmanr, _row_ranks),
        ):
            if constant:
                out |= {name: np.nan, f"{name}_lo": np.nan, f"{name}_hi": np.nan}
                out[f"{name}_p"] = np.nan
                continue
            result = point(x, y)
            out[name], out[f"{name}_p"] = float(result[0]), float(result[1])
            bx, by = x[ids], y[ids]
            if transform is not None:
                bx, by = transform(bx), transform(by)
            lo, hi = percentile_interval(_row_pearson(bx, by), level)
            out[f"{name}_lo"], out[f"{name}_hi"] = float(lo), float(hi)
    return out


def _partial_from_pearsons(r_xy: np.ndarray, r_xz: np.ndarray, r_yz: np.ndarray) -> np.ndarray:
    """First-order partial correlation of x and y given z from the three pairwise ones."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((r_xy - r_xz * r_yz) / np.sqrt((1 - r_xz**2) * (1 - r_yz**2)))


def partial_spearman(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, ids: np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """Spearman of ``x`` and ``y`` with the ranks of ``z`` partialled out, and a percentile
    bootstrap interval over the resampled rows ``ids`` ``[B, n]`` (NaN where undefined)."""
    if len(x) < 4 or min(np.ptp(x), np.ptp(y), np.ptp(z)) == 0:
        return np.nan, np.nan, np.nan
    rx, ry, rz = (_row_ranks(v[None])[0] for v in (x, y, z))
    point = _partial_from_pearsons(_row_pearson(rx, ry), _row_pearson(rx, rz), _row_pearson(ry, rz))
    bx, by, bz = _row_ranks(x[ids]), _row_ranks(y[ids]), _row_ranks(z[ids])
    replicates = _partial_from_pearsons(
        _row_pearson(bx, by), _row_pearson(bx, bz), _row_pearson(by, bz)
    )
    lo, hi = percentile_interval(replicates, level)
    return float(point), float(lo), float(hi)


def correlate(
    rank_summary: pd.DataFrame,
    sib_summary: pd.DataFrame,
    *,
    model: str,
    metrics: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    control: str | None = DEFAULT_CONTROL,
) -> pd.DataFrame:
    """One row per (metric, task): n shared languages, Pearson and Spearman with intervals
    and p-values, and the partial Spearman given ``control`` (see the module docstring; NaN
    for the control itself, or when ``control`` is None or absent from ``rank_summary``).
    ``tasks`` default: every SIB protocol present."""
    joined = rank_summary.merge(sib_summary, on="language", suffixes=("", "_sib"))
    chosen_metrics = list(metrics) if metrics is not None else metric_columns(rank_summary)
    chosen_tasks = list(tasks) if tasks is not None else [t for t in PROTOCOLS if t in sib_summary]
    rows = []
    rng = np.random.default_rng(seed)
    for metric in chosen_metrics:
        for task in chosen_tasks:
            pair = joined[[metric, task]].dropna()
            x, y = pair[metric].to_numpy(float), pair[task].to_numpy(float)
            ids = rng.integers(0, max(len(x), 1), size=(bootstrap, len(x)))
            row: dict[str, object] = {"model": model, "metric": metric, "task": task}
            row |= pair_statistics(x, y, ids, level)
            row |= _partial_row(joined, (metric, task, control), ids, rng, level)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["n"] = frame["n"].astype(int)
    return frame


def _partial_row(
    joined: pd.DataFrame,
    columns: tuple[str, str, str | None],
    ids: np.ndarray,
    rng: np.random.Generator,
    level: float,
) -> dict[str, object]:
    """The partial-Spearman columns of one (metric, task) row given ``control``; reuses the
    pair's resamples unless the control is missing for some of its languages."""
    metric, task, control = columns
    names = ("partial_spearman", "partial_spearman_lo", "partial_spearman_hi")
    if control is None or control not in joined.columns or control in (metric, task):
        return {"control": control or "", **dict.fromkeys(names, np.nan)}
    triple = joined[[metric, task, control]].dropna()
    if len(triple) != ids.shape[1]:
        ids = rng.integers(0, max(len(triple), 1), size=(ids.shape[0], len(triple)))
    x, y, z = (triple[c].to_numpy(float) for c in (metric, task, control))
    return {
        "control": control,
        **dict(zip(names, partial_spearman(x, y, z, ids, level), strict=True)),
    }


def joined_frame(rank_summary: pd.DataFrame, sib_summary: pd.DataFrame) -> pd.DataFrame:
    """Per shared language: the ranking columns and the SIB accuracies side by side."""
    keep = [c for c in sib_summary.columns if c in PROTOCOLS or c == "language"]
    return rank_summary.merge(sib_summary[keep], on="language")
