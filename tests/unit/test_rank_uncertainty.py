"""Baselines and uncertainty of the ranking metrics: known answers for debiased CKA and the
shuffled-pair nulls, bootstrap coverage on synthetic data, and invariance of a language's
scores to the other languages in the run."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import Tensor

from babelscope.analyses.geometry import debiased_linear_cka, linear_cka
from babelscope.analyses.geometry.resampling import counts, percentile_interval
from babelscope.analyses.ranking.metrics import compute_layer_tables, pair_metrics
from babelscope.analyses.ranking.settings import METRICS, RankSettings
from babelscope.analyses.ranking.summary import summarise
from babelscope.analyses.ranking.uncertainty import PivotLayer, Resamples, language_layer


def _randn(*shape: int, seed: int = 0) -> Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


POOLINGS = {m: "mean" for m in (*METRICS, "retrieval")}


def _draws(x: Tensor, y: Tensor, resamples: Resamples, keep: int = 5) -> dict[str, object]:
    pivot = PivotLayer.build({"mean": x}, "mean", keep, resamples)
    return dict(language_layer(pivot, {"mean": y}, POOLINGS, keep, resamples))


# ---------------------------------------------------------------- debiased CKA


def test_debiased_cka_is_zero_for_independent_and_one_for_identical_data() -> None:
    x, y = _randn(50, 640, seed=1), _randn(50, 640, seed=2)
    assert linear_cka(x, y) == pytest.approx(0.93, abs=0.02)  # the biased estimator's floor
    unrelated = [
        debiased_linear_cka(_randn(50, 640, seed=s), _randn(50, 640, seed=s + 50))
        for s in range(10)
    ]
    assert abs(float(np.mean(unrelated))) < 0.01 and max(map(abs, unrelated)) < 0.06
    rotation = torch.linalg.qr(_randn(640, 640, seed=3)).Q
    assert debiased_linear_cka(x, x) == pytest.approx(1.0)
    assert debiased_linear_cka(x, 3.0 * x @ rotation) == pytest.approx(1.0)
    shared = _randn(50, 4, seed=4) @ _randn(4, 640, seed=5)  # a common low-rank signal
    assert 0.3 < debiased_linear_cka(x + 3 * shared, y + 3 * shared) < 1.0


def test_cached_values_equal_the_direct_metrics() -> None:
    x = _randn(40, 24, seed=6)
    y = x + 0.8 * _randn(40, 24, seed=7)
    draws = _draws(x, y, Resamples.draw(40, 0, 3, seed=0), keep=6)
    for metric in (*METRICS, "retrieval"):
        expected = pair_metrics(x, y, metric, svcca_keep=6)
        assert draws[metric].value == pytest.approx(expected, abs=1e-10), metric


# ---------------------------------------------------------------- shuffled-pair nulls


def test_null_of_identical_states() -> None:
    n = 50
    x = _randn(n, 49, seed=8)
    draws = _draws(x, x, Resamples.draw(n, 0, 400, seed=0), keep=12)
    # A random pairing keeps ~1 sentence in place: MEXA and retrieval of shuffled pairs ≈ 1/N.
    assert draws["mexa"].null == pytest.approx(1 / n, abs=0.3 / n)
    assert draws["retrieval"].null == pytest.approx(1 / n, abs=0.3 / n)
    assert abs(draws["adjusted_cosine"].null) < 0.01
    assert abs(draws["cka_debiased"].null) < 0.02
    assert draws["cka"].null > 0.2  # biased CKA is far from 0 even for shuffled pairs
    # 12 random directions of the 49-dim space centred 50 sentences span: mean ρ ≈ 0.43.
    assert draws["svcca"].null == pytest.approx(0.43, abs=0.04)
    assert draws["mexa"].value == 1.0 and draws["cka_debiased"].value == pytest.approx(1.0)


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_counts_reproduce_the_mean() -> None:
    ids = torch.tensor([[0, 0, 2, 3], [1, 2, 3, 3]])
    weights = counts(ids, 4)
    values = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    assert torch.allclose(weights @ values / 4, values[ids].mean(dim=1))


def test_weighted_sums_equal_the_resampled_gram_matrices() -> None:
    from babelscope.analyses.geometry.gram import (
        biased_cka_from_grams,
        biased_hsic_terms,
        debiased_cka_from_grams,
        ratio,
        unbiased_hsic_terms,
        weighted_gram_terms,
    )

    n = 30
    x, y = _randn(n, 12, seed=20), _randn(n, 9, seed=21)
    y = y + x[:, :9]
    kx, ky = x @ x.T, y @ y.T
    resamples = Resamples.draw(n, 7, 1, seed=3)
    ids, w = resamples.ids, resamples.weights
    bx, by = kx[ids[:, :, None], ids[:, None, :]], ky[ids[:, :, None], ids[:, None, :]]
    same = ids[:, :, None] == ids[:, None, :]

    def terms(a: Tensor, b: Tensor) -> tuple[Tensor, ...]:
        return weighted_gram_terms(a, b, w)

    biased = ratio(
        biased_hsic_terms(terms(kx, ky), n),
        biased_hsic_terms(terms(kx, kx), n),
        biased_hsic_terms(terms(ky, ky), n),
    )
    assert torch.allclose(biased, biased_cka_from_grams(bx, by))
    zx, zy = kx - torch.diag(kx.diagonal()), ky - torch.diag(ky.diagonal())
    debiased = ratio(
        unbiased_hsic_terms(terms(zx, zy), n),
        unbiased_hsic_terms(terms(zx, zx), n),
        unbiased_hsic_terms(terms(zy, zy), n),
    )
    assert torch.allclose(debiased, debiased_cka_from_grams(bx, by, same))


def test_bootstrap_interval_covers_the_true_value() -> None:
    """≥ 90 % of 200 synthetic runs' 95 % intervals of the Ranker (a mean of per-sentence
    cosines) and of MEXA contain the population value."""
    d, n, noise = 8, 40, 1.2

    def sample(count: int, seed: int) -> tuple[Tensor, Tensor]:
        x = _randn(count, d, seed=seed)
        return x, x + noise * _randn(count, d, seed=seed + 10_000)

    big_x, big_y = sample(200_000, 99)
    truth = float(torch.nn.functional.cosine_similarity(big_x, big_y).mean())
    covered = 0
    for repetition in range(200):
        x, y = sample(n, repetition)
        draws = language_layer(
            PivotLayer.build({"mean": x}, "mean", 3, Resamples.draw(n, 200, 1, repetition)),
            {"mean": y},
            POOLINGS,
            3,
            Resamples.draw(n, 200, 1, repetition),
        )
        lo, hi = percentile_interval(draws["ranker"].replicates.numpy())
        covered += int(lo <= truth <= hi)
    assert covered / 200 >= 0.90


# ---------------------------------------------------------------- invariance


class FakeReader:
    """Synthetic pooled states per language and layer, read as from a store."""

    def __init__(self, languages: list[str], n: int = 30, d: int = 16, layers: int = 3) -> None:
        meaning = _randn(n, d, seed=1)
        self.tensors: dict[tuple[str, str], Tensor] = {}
        for i, lang in enumerate(languages):
            offset = 50.0 * (torch.arange(d) == 0)  # one massive dimension
            for layer in range(layers):
                noise = _randn(n, d, seed=100 * i + layer + 7) * (0.5 + 0.3 * i)
                states = (meaning + noise + offset + i).float()
                for pooling in ("last", "weighted_mean"):
                    self.tensors[(lang, f"{pooling}.{layer}")] = states
            self.tensors[(lang, "n_tokens")] = torch.full((n,), 5)

    def get(self, group: str, name: str) -> Tensor:
        return self.tensors[(group, name)]


LANGS = ["eng_Latn", "fra_Latn", "deu_Latn", "swh_Latn", "yor_Latn"]


@pytest.mark.parametrize("mode", ["raw", "pivot", "massive"])
def test_a_language_scores_the_same_whatever_else_is_in_the_run(mode: str) -> None:
    reader = FakeReader(LANGS)
    settings = RankSettings(normalization=mode, bootstrap=20, script_barrier=False)
    layers = [0, 1, 2]
    full = compute_layer_tables(reader, LANGS, "eng_Latn", layers, settings).metrics  # type: ignore[arg-type]
    fewer = compute_layer_tables(reader, LANGS[:3], "eng_Latn", layers, settings).metrics  # type: ignore[arg-type]
    shared = full[full["language"].isin(LANGS[1:3])].reset_index(drop=True)
    assert len(shared) == len(fewer) > 0
    columns = ["value", "null", "lo", "hi"]
    assert np.allclose(shared[columns], fewer[columns], equal_nan=True, rtol=0, atol=1e-12)


def test_z_scoring_over_all_languages_is_not_invariant() -> None:
    reader = FakeReader(LANGS)
    settings = RankSettings(normalization="all", bootstrap=0, script_barrier=False)
    full = compute_layer_tables(reader, LANGS, "eng_Latn", [1], settings).metrics  # type: ignore[arg-type]
    fewer = compute_layer_tables(reader, LANGS[:3], "eng_Latn", [1], settings).metrics  # type: ignore[arg-type]
    shared = full[full["language"].isin(LANGS[1:3])].reset_index(drop=True)
    assert not np.allclose(shared["value"], fewer["value"])


def test_summary_carries_nulls_intervals_and_raw_variants() -> None:
    reader = FakeReader(LANGS)
    settings = RankSettings(normalization="pivot", bootstrap=50, script_barrier=False)
    tables = compute_layer_tables(
        reader,  # type: ignore[arg-type]
        LANGS,
        "eng_Latn",
        [0, 1, 2],
        settings,
        summary_layers=[1, 2],
    )
    import pandas as pd

    text = pd.DataFrame({"language": LANGS, "token_premium": 1.0})
    summary = summarise(
        tables.metrics,
        text,
        [1, 2],
        "eng_Latn",
        replicates=tables.replicates,
        replicate_languages=tables.replicate_languages,
    )
    for metric in METRICS:
        for suffix in ("", "_lo", "_hi", "_null", "_raw"):
            assert f"{metric}{suffix}" in summary.columns, metric + suffix
        inside = (summary[f"{metric}_lo"] <= summary[metric] + 1e-9) & (
            summary[metric] <= summary[f"{metric}_hi"] + 1e-9
        )
        assert inside.mean() >= 0.75, metric
    assert (summary["rank_lo"] <= summary["overall_rank"]).all()
    assert (summary["overall_rank"] <= summary["rank_hi"]).all()
    assert summary["rank_lo"].min() >= 1 and summary["rank_hi"].max() <= len(LANGS) - 1
    # fra (least noise) is first in every replicate; the noisiest language is last.
    first = summary.iloc[0]
    assert first["language"] == "fra_Latn" and first["rank_lo"] == first["rank_hi"] == 1
    assert summary.iloc[-1]["language"] == "yor_Latn"
    assert not math.isnan(first["score_lo"])


def test_raw_agreement_and_normalisation_note() -> None:
    import pandas as pd

    from babelscope.analyses.ranking.summary import normalization_note, raw_agreement

    summary = pd.DataFrame({"mexa": [0.9, 0.5, 0.1, 0.3], "mexa_raw": [0.1, 0.2, 0.3, 0.4]})
    table = raw_agreement(summary)
    assert table["metric"].tolist() == ["mexa"]
    assert table["rho"].iloc[0] == pytest.approx(-0.8)
    assert raw_agreement(summary[["mexa"]]).empty
    assert "pivot's mean" in normalization_note({"normalization": "pivot"})
    assert "depend on the other" in normalization_note({"standardize": True})
    assert "not normalised" in normalization_note({})
