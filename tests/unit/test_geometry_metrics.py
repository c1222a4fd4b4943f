"""Known answers for the representation-geometry metrics (pure functions, random data)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from torch import Tensor

from babelscope.analyses.geometry import (
    baseline_adjusted_cosine,
    bidirectional_retrieval_accuracy,
    cosine_matrix,
    cosine_pairs,
    cross_lingual_retrieval_accuracy,
    language_id_probe_accuracy,
    language_ranker_score,
    linear_cka,
    mexa_alignment,
    retrieval_accuracy,
    sentence_split,
    spearman_table,
    standardize,
    svcca,
)
from babelscope.errors import ConfigError, DataError


def _randn(*shape: int, seed: int = 0) -> Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _rotation(d: int, seed: int = 1) -> Tensor:
    q: Tensor = torch.linalg.qr(_randn(d, d, seed=seed)).Q
    return q


# ---------------------------------------------------------------- cosines


def test_cosines_of_identical_inputs_are_one() -> None:
    x = _randn(50, 16)
    assert torch.allclose(cosine_pairs(x, x), torch.ones(50, dtype=torch.float64))
    assert language_ranker_score(x, x) == pytest.approx(1.0)
    assert cosine_pairs(x, -x).mean().item() == pytest.approx(-1.0)
    assert cosine_matrix(x, x[:7]).shape == (50, 7)


def test_cosine_accepts_numpy_and_low_precision() -> None:
    x = _randn(20, 8)
    half = x.to(torch.bfloat16)
    assert cosine_pairs(half, half).dtype == torch.float64
    assert torch.allclose(cosine_pairs(x.numpy(), x.numpy()), cosine_pairs(x, x))


def test_zero_rows_have_cosine_zero() -> None:
    x = _randn(4, 3)
    x[1] = 0.0
    assert cosine_pairs(x, _randn(4, 3, seed=5))[1].item() == 0.0


def test_language_ranker_is_raw_cosine() -> None:
    """No centring: a shared offset (anisotropy) inflates the score, as in the paper."""
    x, y = _randn(300, 32), _randn(300, 32, seed=2)
    offset = torch.full((32,), 10.0, dtype=torch.float64)
    assert abs(language_ranker_score(x, y)) < 0.05
    assert language_ranker_score(x + offset, y + offset) > 0.9


def test_baseline_adjusted_cosine_removes_the_shared_direction() -> None:
    x = _randn(300, 256)
    assert baseline_adjusted_cosine(x, x) == pytest.approx(1.0, abs=0.01)
    assert abs(baseline_adjusted_cosine(x, _randn(300, 256, seed=3))) < 0.01
    offset = torch.full((256,), 5.0, dtype=torch.float64)
    unrelated = baseline_adjusted_cosine(x + offset, _randn(300, 256, seed=3) + offset)
    assert abs(unrelated) < 0.01  # raw cosine would be ~0.96 here


def test_standardize_scores_against_a_reference() -> None:
    x = _randn(100, 6) * torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0, 500.0], dtype=torch.float64)
    z = standardize(x)
    assert torch.allclose(z.mean(0), torch.zeros(6, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(z.std(0), torch.ones(6, dtype=torch.float64))
    ref = torch.cat([x, x + 3.0])
    assert torch.allclose(standardize(x, ref), (x - ref.mean(0)) / ref.std(0))
    constant = torch.ones(10, 2, dtype=torch.float64)
    assert torch.equal(standardize(constant), torch.zeros(10, 2, dtype=torch.float64))


# ---------------------------------------------------------------- retrieval and MEXA


def test_mexa_and_retrieval_of_identical_inputs_are_one() -> None:
    x = _randn(64, 32)
    assert mexa_alignment(x, x) == 1.0
    assert retrieval_accuracy(x, x) == 1.0
    assert bidirectional_retrieval_accuracy(x, x) == 1.0
    noisy = x + 0.1 * _randn(64, 32, seed=4)
    assert mexa_alignment(x, noisy) == 1.0


def test_shuffled_pairs_drive_mexa_to_chance() -> None:
    n = 200
    x = _randn(n, 64)
    y = x[torch.randperm(n, generator=torch.Generator().manual_seed(7))]
    fixed_points = float((x == y).all(dim=1).double().mean())  # pairs the shuffle left alone
    assert mexa_alignment(x, y) == pytest.approx(fixed_points, abs=1 / n)
    assert mexa_alignment(x, y) <= 3 / n
    unrelated = [
        mexa_alignment(_randn(n, 64, seed=s), _randn(n, 64, seed=s + 100)) for s in range(5)
    ]
    assert np.mean(unrelated) <= 3 / n
    one_way = [
        retrieval_accuracy(_randn(n, 64, seed=s), _randn(n, 64, seed=s + 100)) for s in range(5)
    ]
    assert np.mean(one_way) == pytest.approx(1 / n, abs=3 / n)


def test_ties_do_not_count() -> None:
    x = _randn(6, 4)
    x[1] = x[0]  # sentences 0 and 1 now have identical states
    assert retrieval_accuracy(x, x) == pytest.approx(4 / 6)
    assert mexa_alignment(x, x) == pytest.approx(4 / 6)
    collapsed = torch.ones(5, 4, dtype=torch.float64)
    assert mexa_alignment(collapsed, collapsed) == 0.0


def test_mexa_needs_both_directions() -> None:
    """Row-wise success alone is not enough: sentence 1 wins its row but loses its column."""
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([[1.0, 0.0], [0.9, 0.1]], dtype=torch.float64)
    # Row 1: cos(x1, y1) ≈ 0.11 beats cos(x1, y0) = 0, so x → y retrieves both sentences.
    # Column 1: cos(x1, y1) ≈ 0.11 loses to cos(x0, y1) ≈ 0.99, so y1 → x fails.
    assert retrieval_accuracy(x, y) == 1.0
    assert mexa_alignment(x, y) == 0.5
    assert bidirectional_retrieval_accuracy(x, y) == 0.75


def test_cross_lingual_retrieval() -> None:
    base = _randn(80, 24)
    states = {lang: base + 0.05 * _randn(80, 24, seed=i) for i, lang in enumerate("abc")}
    assert cross_lingual_retrieval_accuracy(states) == 1.0
    assert cross_lingual_retrieval_accuracy(states, pivot="a") == 1.0
    unrelated = {lang: _randn(80, 24, seed=10 + i) for i, lang in enumerate("abc")}
    assert cross_lingual_retrieval_accuracy(unrelated) < 0.1
    with pytest.raises(DataError, match="pivot language 'z'"):
        cross_lingual_retrieval_accuracy(states, pivot="z")


# ---------------------------------------------------------------- CKA and SVCCA


def test_cka_known_answers() -> None:
    x = _randn(200, 32)
    assert linear_cka(x, x) == pytest.approx(1.0)
    assert linear_cka(x, x @ _rotation(32)) == pytest.approx(1.0)
    assert linear_cka(x, 3.0 * x + 7.0) == pytest.approx(1.0)
    assert linear_cka(x, x[:, :16]) < 1.0
    assert math.isnan(linear_cka(x, torch.ones(200, 4)))


def test_cka_feature_and_sample_forms_agree() -> None:
    """N < D switches to the N×N form; both must give the same number."""
    x, y = _randn(40, 10), _randn(40, 12, seed=2)
    wide_x = torch.cat([x, torch.zeros(40, 60, dtype=torch.float64)], dim=1)  # same CKA, N < D
    assert linear_cka(wide_x, y) == pytest.approx(linear_cka(x, y), rel=1e-10)
    wide = _randn(30, 100)
    assert linear_cka(wide, wide @ _rotation(100)) == pytest.approx(1.0)


def test_svcca_known_answers() -> None:
    x = _randn(300, 20) @ torch.diag(torch.linspace(3.0, 0.5, 20, dtype=torch.float64))
    assert svcca(x, x) == pytest.approx(1.0)
    assert svcca(x, x @ _rotation(20)) == pytest.approx(1.0)
    invertible = _randn(20, 20, seed=9) + 5 * torch.eye(20, dtype=torch.float64)
    assert svcca(x, x @ invertible, keep=1.0) == pytest.approx(1.0)
    assert svcca(x, x, keep=5) == pytest.approx(1.0)
    assert svcca(x, _randn(300, 20, seed=4)) < 0.3
    assert svcca(x, x, ridge=0.1) < 1.0


def test_svcca_with_fewer_sentences_than_dimensions() -> None:
    x = _randn(40, 300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 5 + 5 directions fit easily in 40 sentences
        assert svcca(x, x @ _rotation(300), keep=5) == pytest.approx(1.0)
    with pytest.warns(UserWarning, match="inflated"):
        svcca(x, _randn(40, 300, seed=2))


def test_svcca_rejects_bad_keep() -> None:
    x = _randn(10, 3)
    for keep in (0.0, 1.5, 0, True):
        with pytest.raises(ConfigError):
            svcca(x, x, keep=keep)


def test_shape_errors_are_user_errors() -> None:
    with pytest.raises(DataError, match="x has 5 rows but y has 6"):
        linear_cka(_randn(5, 3), _randn(6, 3))
    with pytest.raises(DataError, match="features"):
        cosine_pairs(_randn(5, 3), _randn(5, 4))
    with pytest.raises(DataError, match="expected"):
        mexa_alignment(_randn(5), _randn(5))
    with pytest.raises(DataError, match="at least 2"):
        mexa_alignment(_randn(1, 3), _randn(1, 3))
    bad = _randn(4, 3)
    bad[0, 0] = float("nan")
    with pytest.raises(DataError, match="NaN"):
        linear_cka(bad, bad)


# ---------------------------------------------------------------- probes


def test_sentence_split_keeps_translations_together() -> None:
    train, test = sentence_split(100, 0.25, seed=3)
    assert len(test) == 25 and len(train) == 75
    assert set(train).isdisjoint(test) and set(train) | set(test) == set(range(100))
    again, _ = sentence_split(100, 0.25, seed=3)
    assert np.array_equal(train, again)


def test_probe_on_separable_languages_is_perfect() -> None:
    states = {
        lang: _randn(60, 16, seed=i) + 10.0 * torch.nn.functional.one_hot(torch.tensor(i), 16)
        for i, lang in enumerate(["eng_Latn", "fra_Latn", "yor_Latn"])
    }
    assert language_id_probe_accuracy(states, seed=0) == 1.0


def test_probe_on_identical_states_is_chance() -> None:
    shared = _randn(60, 16)
    states = {lang: shared.clone() for lang in ["eng_Latn", "fra_Latn", "yor_Latn", "deu_Latn"]}
    assert language_id_probe_accuracy(states, seed=0) == pytest.approx(1 / 4, abs=0.05)


def test_probe_needs_two_languages() -> None:
    with pytest.raises(DataError, match="at least 2 languages"):
        language_id_probe_accuracy({"eng_Latn": _randn(10, 3)})


# ---------------------------------------------------------------- Spearman table


def test_spearman_table() -> None:
    frame = pd.DataFrame(
        {
            "language": ["a", "b", "c", "d", "e"],
            "mexa": [0.1, 0.4, 0.5, 0.9, np.nan],
            "cka": [0.2, 0.3, 0.6, 0.8, 0.9],
            "reverse": [5.0, 4.0, 3.0, 2.0, 1.0],
        }
    )
    table = spearman_table(frame)
    assert list(table.columns) == ["metric_a", "metric_b", "rho", "p_value", "n"]
    assert len(table) == 3
    row = table.set_index(["metric_a", "metric_b"])
    assert row.loc[("mexa", "cka"), "rho"] == pytest.approx(1.0)
    assert row.loc[("mexa", "cka"), "n"] == 4
    assert row.loc[("cka", "reverse"), "rho"] == pytest.approx(-1.0)
    with pytest.raises(DataError, match="no column"):
        spearman_table(frame, ["mexa", "missing"])
