"""Two models' rankings side by side: paired scores over the languages both ranked, how well
the rankings agree (Spearman ρ), and which languages one model represents better than the other.

Scores are compared as *rankings*, never as raw values: the overall score is a percentile
within one model's run, and raw cosines differ in scale between models (anisotropy). Ranks are
recomputed over the shared languages only, so a run with fewer languages compares fairly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from babelscope.analyses.geometry import spearman_table
from babelscope.errors import DataError

if TYPE_CHECKING:
    from babelscope.analyses.ranking.result import RankResult

#: Summary columns paired between the two models (``score`` first: the primary metric).
COMPARED = ("score", "mexa")

COLUMNS = [
    "language",
    "name",
    "script",
    *(f"{metric}_{side}" for metric in COMPARED for side in ("a", "b")),
    "rank_a",
    "rank_b",
    "rank_difference",
]


def _summary(ranking: RankResult | pd.DataFrame) -> pd.DataFrame:
    frame = ranking if isinstance(ranking, pd.DataFrame) else ranking.summary
    missing = [c for c in ("language", *COMPARED) if c not in frame.columns]
    if missing:
        raise DataError(
            f"a ranking to compare lacks column(s) {', '.join(missing)}",
            fix="pass RankResult objects or their .summary tables",
        )
    return frame


def compare_rankings(a: RankResult | pd.DataFrame, b: RankResult | pd.DataFrame) -> pd.DataFrame:
    """One row per language that both rankings scored (``a`` and ``b``: results or their
    summary tables).

    Columns: ``language``, ``name``, ``script``, ``score_a``, ``score_b``, ``mexa_a``,
    ``mexa_b``, ``rank_a`` and ``rank_b`` (rank by score among the shared languages, 1 = best,
    ties share the lower rank) and ``rank_difference = rank_b - rank_a``: positive where ``a``
    ranks the language higher, i.e. the language is better represented by A than by B. Rows
    follow A's order (best first)."""
    left, right = _summary(a), _summary(b)
    left = left.dropna(subset=["score"]).drop_duplicates("language")
    right = right.dropna(subset=["score"]).drop_duplicates("language")
    info = [c for c in ("name", "script") if c in left.columns]
    pairs = left[["language", *info, *COMPARED]].merge(
        right[["language", *COMPARED]], on="language", suffixes=("_a", "_b")
    )
    if pairs.empty:
        return pd.DataFrame(columns=COLUMNS)
    if len(info) < 2:
        from babelscope.analyses.ranking.summary import language_info

        pairs = language_info(pairs["language"].tolist()).merge(
            pairs.drop(columns=info), on="language"
        )
    pairs["rank_a"] = pairs["score_a"].rank(ascending=False, method="min").astype(int)
    pairs["rank_b"] = pairs["score_b"].rank(ascending=False, method="min").astype(int)
    pairs["rank_difference"] = pairs["rank_b"] - pairs["rank_a"]
    pairs = pairs.sort_values(["rank_a", "language"], kind="stable").reset_index(drop=True)
    return pairs[COLUMNS]


def ranking_agreement(pairs: pd.DataFrame) -> pd.DataFrame:
    """Spearman ρ between the two models for every compared metric, over the languages where
    both have a value: columns ``metric``, ``rho``, ``p_value``, ``n`` (ρ is NaN below 3)."""
    rows = []
    for metric in COMPARED:
        table = spearman_table(pairs, [f"{metric}_a", f"{metric}_b"])
        row = table.iloc[0]
        rows.append(
            {"metric": metric, "rho": row["rho"], "p_value": row["p_value"], "n": int(row["n"])}
        )
    return pd.DataFrame(rows, columns=["metric", "rho", "p_value", "n"])


def largest_differences(pairs: pd.DataFrame, k: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``k`` languages ranked most higher by A than by B, and the ``k`` ranked most higher
    by B than by A (largest difference first; languages with no difference are in neither)."""
    by_a = pairs[pairs["rank_difference"] > 0].sort_values(
        ["rank_difference", "language"], ascending=[False, True], kind="stable"
    )
    by_b = pairs[pairs["rank_difference"] < 0].sort_values(
        ["rank_difference", "language"], ascending=[True, True], kind="stable"
    )
    return by_a.head(k).reset_index(drop=True), by_b.head(k).reset_index(drop=True)
