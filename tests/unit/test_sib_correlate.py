"""Known answers for alignment-vs-performance correlations (no model)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from babelscope.analyses.sib.correlate import correlate, metric_columns


def frames(x: np.ndarray, y: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    codes = [f"l{i:03d}_Latn" for i in range(len(x))]
    rank = pd.DataFrame({"language": codes, "mexa": x, "token_premium": -x, "mexa_lo": x})
    sib = pd.DataFrame({"language": codes[::-1], "in_language": y[::-1]})  # order must not matter
    return rank, sib


def test_monotone_data_gives_spearman_one_with_a_tight_interval() -> None:
    x = np.linspace(0, 1, 40)
    rank, sib = frames(x, np.exp(3 * x))  # monotone, not linear
    table = correlate(rank, sib, model="m", bootstrap=300).set_index("metric")
    row = table.loc["mexa"]
    assert row["n"] == 40 and row["task"] == "in_language"
    assert row["spearman"] == 1.0 and row["spearman_lo"] > 0.99 and row["spearman_p"] < 1e-10
    assert 0.8 < row["pearson"] < 0.99  # monotone but curved: Pearson below Spearman
    assert table.loc["token_premium", "spearman"] == -1.0
    assert "mexa_lo" not in table.index  # intervals are not metrics


def test_independent_data_interval_covers_zero() -> None:
    covered = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        rank, sib = frames(rng.normal(size=60), rng.normal(size=60))
        row = correlate(rank, sib, model="m", bootstrap=300, seed=seed).iloc[0]
        covered += row["spearman_lo"] <= 0 <= row["spearman_hi"]
        assert row["pearson_lo"] < row["pearson"] < row["pearson_hi"]
    assert covered >= 17  # ~95 % of 20


def test_bootstrap_is_seeded_and_only_shared_languages_count() -> None:
    rng = np.random.default_rng(1)
    rank, sib = frames(rng.normal(size=30), rng.normal(size=30))
    sib = sib.iloc[:20]
    one = correlate(rank, sib, model="m", bootstrap=100, seed=3)
    two = correlate(rank, sib, model="m", bootstrap=100, seed=3)
    pd.testing.assert_frame_equal(one, two)
    assert (one["n"] == 20).all()
    assert metric_columns(rank) == ["mexa", "token_premium"]


def test_constant_values_give_nan_not_an_error() -> None:
    rank, sib = frames(np.ones(10), np.arange(10.0))
    row = correlate(rank, sib, model="m", bootstrap=50).iloc[0]
    assert np.isnan(row["spearman"]) and np.isnan(row["pearson_lo"])


def test_a_task_with_no_values_gives_nan_rows() -> None:
    rank, sib = frames(np.arange(10.0), np.arange(10.0))
    sib["prompted"] = np.nan  # the prompted protocol was skipped
    table = correlate(rank, sib, model="m", bootstrap=50, tasks=["prompted"])
    assert (table["n"] == 0).all() and table["spearman"].isna().all()


def test_partial_spearman_removes_a_shared_confounder() -> None:
    # metric and accuracy both follow the control and nothing else: the plain Spearman is high,
    # the partial one is ~0 with an interval covering 0
    rng = np.random.default_rng(4)
    z = rng.normal(size=200)
    metric, accuracy = z + 0.3 * rng.normal(size=200), z + 0.3 * rng.normal(size=200)
    codes = [f"l{i:03d}_Latn" for i in range(200)]
    rank = pd.DataFrame({"language": codes, "mexa": metric, "token_premium": z})
    sib = pd.DataFrame({"language": codes, "in_language": accuracy})
    row = correlate(rank, sib, model="m", bootstrap=300).set_index("metric").loc["mexa"]
    assert row["spearman"] > 0.8 and row["control"] == "token_premium"
    assert abs(row["partial_spearman"]) < 0.15
    assert row["partial_spearman_lo"] < 0 < row["partial_spearman_hi"]


def test_partial_spearman_keeps_what_the_control_does_not_explain() -> None:
    # accuracy follows the metric; the control is independent noise: partial == plain (about)
    rng = np.random.default_rng(5)
    metric = rng.normal(size=150)
    codes = [f"l{i:03d}_Latn" for i in range(150)]
    rank = pd.DataFrame({"language": codes, "mexa": metric, "token_premium": rng.normal(size=150)})
    sib = pd.DataFrame({"language": codes, "in_language": metric + 0.5 * rng.normal(size=150)})
    table = correlate(rank, sib, model="m", bootstrap=300).set_index("metric")
    row = table.loc["mexa"]
    assert abs(row["partial_spearman"] - row["spearman"]) < 0.03
    assert row["partial_spearman_lo"] > 0.6
    assert np.isnan(table.loc["token_premium", "partial_spearman"])  # not partialled on itself
    none = correlate(rank, sib, model="m", bootstrap=50, control=None)
    assert none["partial_spearman"].isna().all() and (none["control"] == "").all()
