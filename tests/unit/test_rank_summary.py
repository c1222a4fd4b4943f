"""The ranking table from per-layer metrics: known orders, layer averaging, peak layers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from babelscope.analyses.ranking.settings import METRICS
from babelscope.analyses.ranking.summary import agreement, summarise


def _metrics(values: dict[str, list[float]]) -> pd.DataFrame:
    """Every metric gets the same per-layer values for a language (layers 0..n-1)."""
    rows = [
        {"language": language, "layer": layer, "metric": metric, "value": value}
        for language, per_layer in values.items()
        for layer, value in enumerate(per_layer)
        for metric in (*METRICS, "retrieval")
    ]
    return pd.DataFrame(rows)


def _text(languages: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "language": languages,
            "token_premium": [1.0 + i for i in range(len(languages))],
            "bits_per_byte": [2.0 - 0.1 * i for i in range(len(languages))],
        }
    )


def test_order_scores_and_layer_mean() -> None:
    metrics = _metrics(
        {
            "fra_Latn": [0.0, 0.9, 0.7],  # mean over layers 1..2 = 0.8
            "deu_Latn": [0.9, 0.5, 0.5],  # best at layer 0, but layer 0 is not summarised
            "yor_Latn": [0.0, 0.0, 0.0],  # never aligned
        }
    )
    table = summarise(metrics, _text(["fra_Latn", "deu_Latn", "yor_Latn"]), [1, 2], "eng_Latn")
    assert table["language"].tolist() == ["fra_Latn", "deu_Latn", "yor_Latn"]
    assert table["overall_rank"].tolist() == [1, 2, 3]
    assert table["score"].tolist() == [1.0, 0.5, 0.0]  # mean percentile: first → 1, last → 0
    assert table.loc[0, "mexa"] == pytest.approx(0.8)
    assert table.loc[1, "mexa"] == pytest.approx(0.5)
    assert table.loc[0, "name"] == "French"
    # peak layers look at every layer, and a language with MEXA 0 everywhere has none
    assert table.loc[0, "peak_layer_mexa"] == 1
    assert table.loc[1, "peak_layer_mexa"] == 0
    assert table.loc[2, "peak_layer_mexa"] is pd.NA
    assert table.loc[0, "token_premium"] == 1.0


def test_ties_share_the_better_rank() -> None:
    metrics = _metrics({"fra_Latn": [0.5, 0.5], "spa_Latn": [0.5, 0.5], "deu_Latn": [0.1, 0.1]})
    table = summarise(metrics, _text(["fra_Latn", "spa_Latn", "deu_Latn"]), [1], "eng_Latn")
    assert table.set_index("language")["overall_rank"].to_dict() == {
        "fra_Latn": 1,
        "spa_Latn": 1,
        "deu_Latn": 3,
    }


def test_agreement_is_spearman_between_summary_columns() -> None:
    metrics = _metrics({f"l{i}_Latn": [0.0, 0.1 * i] for i in range(6)})
    languages = [f"l{i}_Latn" for i in range(6)]
    table = summarise(metrics, _text(languages), [1], "eng_Latn")
    rho = agreement(table).set_index(["metric_a", "metric_b"])["rho"]
    assert rho[("mexa", "cka")] == pytest.approx(1.0)
    # token premium rises with the language index while MEXA rises too → ρ = +1;
    # bits per byte falls → ρ = −1
    assert rho[("mexa", "token_premium")] == pytest.approx(1.0)
    assert rho[("mexa", "bits_per_byte")] == pytest.approx(-1.0)
    assert not any(math.isnan(v) for v in rho)
