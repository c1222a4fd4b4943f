"""Comparing two models' rankings: known answers on hand-made summaries, and the scatter plot."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import spearmanr

from babelscope.analyses.ranking.compare import (
    compare_rankings,
    largest_differences,
    ranking_agreement,
)
from babelscope.plotting.scatter import plot_scatter

# Model A also ranked ita_Latn, model B also ranked por_Latn: neither may shift the ranks. The
# overall_rank columns are deliberately wrong (ranks over *all* languages) to prove that ranks
# are recomputed over the shared languages.
A = pd.DataFrame(
    {
        "overall_rank": [1, 2, 3, 4, 5, 6],
        "language": ["fra_Latn", "deu_Latn", "ita_Latn", "spa_Latn", "rus_Cyrl", "zho_Hans"],
        "name": ["French", "German", "Italian", "Spanish", "Russian", "Chinese"],
        "script": ["Latn", "Latn", "Latn", "Latn", "Cyrl", "Hans"],
        "score": [0.9, 0.8, 0.7, 0.6, 0.4, 0.2],
        "mexa": [0.95, 0.90, 0.60, 0.70, 0.30, 0.10],
    }
)
B = pd.DataFrame(
    {
        "overall_rank": [1, 2, 3, 4, 4, 6],
        "language": ["rus_Cyrl", "deu_Latn", "por_Latn", "spa_Latn", "zho_Hans", "fra_Latn"],
        "score": [0.95, 0.85, 0.7, 0.5, 0.5, 0.3],
        "mexa": [0.9, 0.8, 0.75, 0.2, 0.4, 0.35],
    }
)


def test_ranks_are_recomputed_over_shared_languages() -> None:
    pairs = compare_rankings(A, B)
    # Shared: fra deu spa rus zho. A: fra 1, deu 2, spa 3, rus 4, zho 5.
    # B: rus 1, deu 2, spa 3 and zho 3 (tie at 0.5, both take the lower rank), fra 5.
    assert pairs["language"].tolist() == [
        "fra_Latn",
        "deu_Latn",
        "spa_Latn",
        "rus_Cyrl",
        "zho_Hans",
    ]
    assert pairs["rank_a"].tolist() == [1, 2, 3, 4, 5]
    assert pairs["rank_b"].tolist() == [5, 2, 3, 1, 3]
    assert pairs["rank_difference"].tolist() == [4, 0, 0, -3, -2]
    assert pairs["score_b"].tolist() == [0.3, 0.85, 0.5, 0.95, 0.5]
    assert pairs["mexa_a"].tolist() == [0.95, 0.90, 0.70, 0.30, 0.10]
    assert pairs["name"].tolist() == ["French", "German", "Spanish", "Russian", "Chinese"]


def test_largest_differences_each_way() -> None:
    better_a, better_b = largest_differences(compare_rankings(A, B), k=5)
    assert better_a["language"].tolist() == ["fra_Latn"]  # deu, spa: no difference
    assert better_b["language"].tolist() == ["rus_Cyrl", "zho_Hans"]  # largest first
    assert better_b["rank_difference"].tolist() == [-3, -2]
    _, only_one = largest_differences(compare_rankings(A, B), k=1)
    assert only_one["language"].tolist() == ["rus_Cyrl"]


def test_agreement_is_scipy_spearman_on_the_joined_scores() -> None:
    agreement = ranking_agreement(compare_rankings(A, B)).set_index("metric")
    joined = A.merge(B, on="language", suffixes=("_a", "_b"))
    for metric in ("score", "mexa"):
        expected = spearmanr(joined[f"{metric}_a"], joined[f"{metric}_b"])
        assert agreement.loc[metric, "rho"] == pytest.approx(expected.statistic)
        assert agreement.loc[metric, "p_value"] == pytest.approx(expected.pvalue)
        assert agreement.loc[metric, "n"] == 5
    # By hand, score: ranks a = 1..5 (descending), b = 5, 2, 3.5, 1, 3.5 with the tie averaged.
    assert agreement.loc["score", "rho"] == pytest.approx(-4 / 95**0.5)


def test_summaries_without_names_get_them_from_the_registry() -> None:
    pairs = compare_rankings(B, A.drop(columns=["name", "script"]))
    assert pairs.set_index("language").loc["rus_Cyrl", ["name", "script"]].tolist() == [
        "Russian",
        "Cyrl",
    ]
    assert pairs["rank_a"].tolist() == [1, 2, 3, 3, 5]  # B first now: its order


def test_no_shared_language_gives_an_empty_table() -> None:
    other = B.assign(language=[f"x{i}_Latn" for i in range(len(B))])
    pairs = compare_rankings(A, other)
    assert pairs.empty and "rank_difference" in pairs.columns
    assert ranking_agreement(pairs)["rho"].isna().all()


def test_scatter_labels_the_points_furthest_from_the_diagonal() -> None:
    frame = pd.DataFrame(
        {
            "language": ["a", "b", "c", "d", "e"],
            "x": [0.1, 0.5, 0.9, 0.3, 0.7],
            "y": [0.1, 0.9, 0.2, 0.35, 0.65],
            "script": ["Latn", "Latn", "Cyrl", "Arab", "Latn"],
        }
    )
    figure = plot_scatter(frame, x="x", y="y", label="language", color_by="script", annotate=2)
    (ax,) = figure.axes
    assert sorted(t.get_text() for t in ax.texts) == ["b", "c"]  # |y − x| = 0.4 and 0.7
    assert ax.get_xlim() == ax.get_ylim()  # shared scale so the diagonal is y = x
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["Latn", "Cyrl", "Arab"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 5
