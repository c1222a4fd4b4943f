"""How well a steered generation did: language, meaning kept, fluency, and one headline.

Per generation (one row of the sweep table):

- **LFS** (Language Forcing Success, CLaS-Bench): 1 when the fastText lid.176 label is the
  target (:mod:`~babelscope.languages.identify`), NaN when lid.176 cannot label the target.
- **chrF++** (sacrebleu ``CHRF(word_order=2)`` via :mod:`babelscope.chrf`, 0–100) of the
  output against the target language's FLORES reference of the same sentence, and against the
  English source.
- **bits per character** of the output under the *unsteered* model, the output scored alone
  after BOS (not after the prompt: after "repeat this English sentence" a faithful French
  rendering is surprising, and that would be scored as disfluency). Lower is more predictable.

Per setting (a method × layer × α on a set of prompts), CLaS-Bench's headline is the harmonic
mean of LFS and an LLM judge's relevance. We have no judge offline, so relevance is chrF++ vs the
target reference / 100, and the issue adds fluency as a third term:
``headline = HM(LFS, chrF++/100, fluency score)``, each term the mean over prompts.

**Fluency score** (0–1): ``min(r, 1/r)`` with ``r = bits/char of the output ÷ the model's own
mean bits/char on real FLORES sentences in the output's language`` (the English sources when
the output is English, else the target's references; all scored alone after BOS: see
:func:`babelscope.analyses.steering.cells.score_rows`). 1 means the output is exactly as
predictable to the model as real text in its language;
garbled text (more surprising) *and* degenerate loops or copies (far more predictable) score
lower, so a repetition loop cannot buy a perfect fluency term. An empty output scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from babelscope.analyses.geometry.resampling import bootstrap_ids, percentile_interval
from babelscope.chrf import chrf_pp

#: The three terms of the headline, in order, and the columns that hold them per generation.
TERMS = ("lfs", "chrf", "fluency")

__all__ = ["TERMS", "chrf_pp", "fluency_score", "harmonic_mean", "headline", "summarize"]


def fluency_score(bits_per_char: float, reference_bits_per_char: float) -> float:
    """``min(r, 1/r)`` of the ratio to the reference (module docstring); 0 for an empty output
    (NaN bits), NaN when the reference is unknown."""
    if not math.isfinite(reference_bits_per_char) or reference_bits_per_char <= 0:
        return math.nan
    if not math.isfinite(bits_per_char) or bits_per_char <= 0:
        return 0.0
    ratio = bits_per_char / reference_bits_per_char
    return float(min(ratio, 1.0 / ratio))


def harmonic_mean(values: Sequence[float]) -> float:
    """Harmonic mean of values in [0, 1]; 0 if any is 0, NaN if any is NaN."""
    array = np.asarray(values, dtype=np.float64)
    if np.isnan(array).any():
        return math.nan
    if (array <= 0).any():
        return 0.0
    return float(len(array) / np.sum(1.0 / array))


def term_means(lfs: np.ndarray, chrf: np.ndarray, fluency: np.ndarray) -> np.ndarray:
    """``[3]`` means of LFS, chrF++/100 and fluency score over prompts (``[N]`` each)."""
    return np.array([np.mean(lfs), np.mean(chrf) / 100.0, np.mean(fluency)])


def headline(lfs: np.ndarray, chrf: np.ndarray, fluency: np.ndarray) -> float:
    """HM(mean LFS, mean chrF++/100, mean fluency score) over prompts (``[N]`` arrays)."""
    return harmonic_mean(list(term_means(lfs, chrf, fluency)))


def summarize(
    lfs: np.ndarray,
    chrf: np.ndarray,
    chrf_source: np.ndarray,
    fluency: np.ndarray,
    *,
    replicates: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """Means and percentile-bootstrap intervals over prompts (``[N]`` arrays, one per prompt,
    same prompts in the same order; replicates resample prompts, so every metric of a replicate
    uses the same prompts): ``{metric, metric_lo, metric_hi}`` for lfs, chrf, chrf_source,
    fluency and headline, plus ``n``."""
    columns = {"lfs": lfs, "chrf": chrf, "chrf_source": chrf_source, "fluency": fluency}
    n = len(lfs)
    out: dict[str, float] = {"n": float(n)}
    if n == 0:
        for name in [*columns, "headline"]:
            out |= {name: math.nan, f"{name}_lo": math.nan, f"{name}_hi": math.nan}
        return out
    ids = bootstrap_ids(n, replicates, seed).numpy()  # [R, N]
    for name, values in columns.items():
        array = np.asarray(values, dtype=np.float64)
        out[name] = float(np.mean(array))
        lo, hi = percentile_interval(array[ids].mean(axis=1), level)
        out[f"{name}_lo"], out[f"{name}_hi"] = float(lo), float(hi)
    arrays = [np.asarray(columns[t], dtype=np.float64) for t in TERMS]
    out["headline"] = headline(*arrays)
    means = np.stack([a[ids].mean(axis=1) for a in arrays], axis=1)  # [R, 3]
    means[:, 1] /= 100.0
    with np.errstate(divide="ignore"):
        samples = np.where((means <= 0).any(axis=1), 0.0, 3.0 / np.sum(1.0 / means, axis=1))
    samples[np.isnan(means).any(axis=1)] = np.nan
    lo, hi = percentile_interval(samples, level)
    out["headline_lo"], out["headline_hi"] = float(lo), float(hi)
    return out
