"""Corpus scores per language × direction × prompting, with sentence-bootstrap intervals.

Corpus chrF++ and chrF are sacrebleu's (:mod:`babelscope.chrf`): statistics are summed over
sentences, then scored — not a mean of sentence scores. A bootstrap replicate resamples the
cell's sentences (the same resample for every column of that replicate) and re-sums the
per-sentence statistics, so every interval is the corpus metric's own. Columns:

- ``chrf_pp``, ``chrf``: the outputs against the references;
- ``copy_baseline``: the *source* scored as the hypothesis (chrF++): what copying alone gets;
- ``clean_chrf_pp``: chrF++ with copies and off-target outputs replaced by empty strings;
- ``copy_rate``, ``off_target_rate`` (mean over outputs where it is defined; NaN when none is),
  ``empty_rate``, ``cap_rate`` (outputs that hit the token cap), ``length_ratio`` (output
  characters ÷ reference characters, summed over the cell).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from babelscope import chrf
from babelscope.analyses.geometry.resampling import bootstrap_ids, percentile_interval

#: Columns with an interval (``<name>_lo``/``<name>_hi`` beside each).
SCORED = (
    "chrf_pp",
    "chrf",
    "copy_baseline",
    "clean_chrf_pp",
    "copy_rate",
    "off_target_rate",
    "empty_rate",
    "cap_rate",
    "length_ratio",
)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN; NaN where a row has no finite value."""
    finite = np.isfinite(values)
    counts = finite.sum(axis=-1)
    sums = np.where(finite, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def score_cell(
    outputs: Sequence[str],
    references: Sequence[str],
    sources: Sequence[str],
    *,
    copy: Sequence[bool],
    off_target: Sequence[float],
    empty: Sequence[bool],
    hit_cap: Sequence[bool],
    replicates: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """Every :data:`SCORED` column with its interval, plus ``n`` and ``off_target_n`` (outputs
    the off-target rate is defined on), for one cell's ``[N]`` aligned sequences."""
    n = len(outputs)
    out: dict[str, float] = {"n": float(n)}
    if n == 0:
        for name in SCORED:
            out |= {name: math.nan, f"{name}_lo": math.nan, f"{name}_hi": math.nan}
        out["off_target_n"] = 0.0
        return out
    off = np.asarray(off_target, dtype=np.float64)
    dropped = np.asarray(copy, dtype=bool) | (off == 1.0)
    clean = ["" if drop else text for text, drop in zip(outputs, dropped, strict=True)]
    stats = {
        "chrf_pp": (chrf.statistics(outputs, references, word_order=2), 2),
        "chrf": (chrf.statistics(outputs, references, word_order=0), 0),
        "copy_baseline": (chrf.statistics(sources, references, word_order=2), 2),
        "clean_chrf_pp": (chrf.statistics(clean, references, word_order=2), 2),
    }
    rates = {
        "copy_rate": np.asarray(copy, dtype=np.float64),
        "off_target_rate": off,
        "empty_rate": np.asarray(empty, dtype=np.float64),
        "cap_rate": np.asarray(hit_cap, dtype=np.float64),
    }
    out_chars = np.array([len(t) for t in outputs], dtype=np.float64)
    ref_chars = np.array([len(t) for t in references], dtype=np.float64)
    ids = bootstrap_ids(n, replicates, seed).numpy()  # [R, N]
    for name, (table, order) in stats.items():
        out[name] = chrf.from_statistics(table.sum(axis=0), word_order=order)
        samples = np.array(
            [chrf.from_statistics(table[row].sum(axis=0), word_order=order) for row in ids]
        )
        out[f"{name}_lo"], out[f"{name}_hi"] = _interval(samples, level)
    for name, values in rates.items():
        out[name] = float(_nanmean_rows(values[None, :])[0])
        out[f"{name}_lo"], out[f"{name}_hi"] = _interval(_nanmean_rows(values[ids]), level)
    out["off_target_n"] = float(np.isfinite(off).sum())
    out["length_ratio"] = float(out_chars.sum() / max(ref_chars.sum(), 1.0))
    ratios = out_chars[ids].sum(axis=1) / np.maximum(ref_chars[ids].sum(axis=1), 1.0)
    out["length_ratio_lo"], out["length_ratio_hi"] = _interval(ratios, level)
    return out


def _interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    finite = samples[np.isfinite(samples)]
    if len(finite) == 0:
        return math.nan, math.nan
    lo, hi = percentile_interval(finite, level)
    return float(lo), float(hi)
