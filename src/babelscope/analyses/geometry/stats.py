"""Do two metrics rank languages alike? Spearman correlations between metric columns.

Rank correlation, not Pearson, because the metrics live on different scales (raw cosine near
0.9, MEXA in [0, 1], task accuracy) and only the ordering of languages is comparable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from babelscope.errors import DataError


def spearman_table(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Spearman ρ for every pair of metric columns of ``frame`` (one row per language, say).

    ``columns`` defaults to all numeric columns. Each pair uses the rows where both are
    present. Returns a tidy frame with columns ``metric_a``, ``metric_b``, ``rho``, ``p_value``
    and ``n`` (rows used), one row per unordered pair; ρ and p are NaN below 3 rows or for a
    constant column."""
    from scipy.stats import spearmanr

    chosen = list(columns) if columns is not None else list(frame.select_dtypes("number").columns)
    missing = [c for c in chosen if c not in frame.columns]
    if missing:
        raise DataError(
            f"no column(s) {', '.join(map(str, missing))} in the metric table",
            fix=f"choose from: {', '.join(map(str, frame.columns))}",
        )
    rows = []
    for i, a in enumerate(chosen):
        for b in chosen[i + 1 :]:
            both = frame[[a, b]].apply(pd.to_numeric, errors="coerce").dropna()
            rho = p_value = math.nan
            constant = both[a].nunique() < 2 or both[b].nunique() < 2
            if len(both) >= 3 and not constant:
                result = spearmanr(both[a], both[b])
                rho, p_value = float(result.statistic), float(result.pvalue)
            rows.append(
                {"metric_a": a, "metric_b": b, "rho": rho, "p_value": p_value, "n": len(both)}
            )
    return pd.DataFrame(rows, columns=["metric_a", "metric_b", "rho", "p_value", "n"])
