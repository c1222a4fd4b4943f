"""Steering methods on synthetic numbers with known answers (no model)."""

from __future__ import annotations

import math

import pytest
import torch

from babelscope.analyses.steering.diffmean import diff_mean_vectors, separation
from babelscope.analyses.steering.gact import fit_gact
from babelscope.analyses.steering.lape import entropy_over_languages, select_neurons
from babelscope.analyses.steering.method import check_texts
from babelscope.analyses.steering.registry import method_for
from babelscope.errors import ConfigError


def test_diff_mean_is_target_minus_the_mean_of_the_other_means() -> None:
    means = {
        "fra_Latn": torch.tensor([[4.0, 0.0], [1.0, 1.0]]),
        "deu_Latn": torch.tensor([[0.0, 2.0], [1.0, -1.0]]),
        "eng_Latn": torch.tensor([[2.0, 4.0], [3.0, 1.0]]),
    }
    others = diff_mean_vectors(means, "fra_Latn", against=list(means))
    assert torch.equal(others, torch.tensor([[3.0, -3.0], [-1.0, 1.0]]))
    english = diff_mean_vectors(means, "fra_Latn", against=["eng_Latn"])
    assert torch.equal(english, torch.tensor([[2.0, -4.0], [-2.0, 0.0]]))
    with pytest.raises(ConfigError):
        diff_mean_vectors(means, "fra_Latn", against=["fra_Latn"])


def test_separation_is_the_fisher_ratio_along_the_vector() -> None:
    # layer 0: target at +1/+3 on x, others at -1/-3; layer 1: identical distributions
    target = torch.tensor([[[1.0, 0.0], [3.0, 0.0]], [[1.0, 5.0], [3.0, 5.0]]])
    other = torch.tensor([[[-1.0, 0.0], [-3.0, 0.0]], [[1.0, 5.0], [3.0, 5.0]]])
    states = {"fra_Latn": target, "deu_Latn": other}
    vectors = torch.tensor([[4.0, 0.0], [1.0, 0.0]])
    fisher = separation(states, "fra_Latn", ["deu_Latn"], vectors)
    assert fisher[0].item() == pytest.approx((2 - -2) ** 2 / (1 + 1))
    assert fisher[1].item() == pytest.approx(0.0)


def test_entropy_is_zero_for_one_language_and_log_g_for_uniform() -> None:
    prob = torch.tensor([[0.9, 0.3, 0.0], [0.0, 0.3, 0.0], [0.0, 0.3, 0.0]])  # [G=3, I=3]
    entropy = entropy_over_languages(prob)
    assert entropy[0].item() == 0.0
    assert entropy[1].item() == pytest.approx(math.log(3))
    assert math.isinf(entropy[2].item())  # never active: never selected


def test_lape_selection_finds_planted_language_neurons() -> None:
    gen = torch.Generator().manual_seed(0)
    groups, layers, width = 3, 4, 250
    prob = 0.3 + 0.05 * torch.rand(groups, layers, width, generator=gen)  # shared neurons
    planted = {0: [(1, 7), (3, 100)], 1: [(0, 42), (2, 3)], 2: [(2, 200)]}  # ~0.5% of 1000
    for g, spots in planted.items():
        for layer, neuron in spots:
            prob[:, layer, neuron] = 0.01
            prob[g, layer, neuron] = 0.95
    # one neuron specific to languages 0 and 1 together
    prob[:, 1, 9] = 0.01
    prob[0, 1, 9] = prob[1, 1, 9] = 0.9
    chosen, member = select_neurons(prob, top_rate=0.01)
    found = {(int(a), int(b)) for a, b in chosen}
    every = {spot for spots in planted.values() for spot in spots} | {(1, 9)}
    assert every <= found and len(found) == 10  # 1% of 1000
    for g, spots in planted.items():
        mine = {(int(a), int(b)) for (a, b), m in zip(chosen, member[g], strict=True) if m}
        assert set(spots) <= mine
        assert all(spot not in mine for h, s in planted.items() if h != g for spot in s)
    shared = next(i for i, (a, b) in enumerate(chosen.tolist()) if (a, b) == (1, 9))
    assert member[:, shared].tolist() == [True, True, False]


def test_lape_selection_drops_rarely_active_neurons() -> None:
    prob = torch.full((2, 1, 200), 0.5)
    prob[0, 0, 5] = 0.02  # specific to language 0, but almost never active: filtered
    prob[1, 0, 5] = 0.0
    prob[0, 0, 6] = 0.9  # specific and strong
    prob[1, 0, 6] = 0.0
    chosen, member = select_neurons(prob, top_rate=0.01)
    assert chosen.tolist()[0] == [0, 6]
    assert [0, 5] not in chosen.tolist()
    assert member[:, 0].tolist() == [True, False]


def _planted_states(layer_with_signal: int, seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    n_layers, n, dim = 4, 40, 16
    direction = torch.zeros(dim)
    direction[3] = 1.0
    content = torch.randn(n_layers, n, dim, generator=gen)  # the sentence's meaning, shared
    out = {}
    for lang in ("fra_Latn", "deu_Latn", "eng_Latn"):
        noise = 0.3 * torch.randn(n_layers, n, dim, generator=gen)
        out[lang] = content + noise
    out["fra_Latn"][layer_with_signal] += 5.0 * direction
    return out


def test_gact_picks_the_layer_with_a_separable_direction_and_that_direction() -> None:
    fit = fit_gact(_planted_states(2), "fra_Latn", "eng_Latn", clusters=3, folds=4)
    assert fit.best == 2
    assert fit.accuracy[2].item() > 0.95
    assert fit.accuracy[[0, 1, 3]].max().item() < 0.8  # nothing to find there
    vector = fit.vectors[2]
    assert torch.nn.functional.cosine_similarity(vector, torch.eye(16)[3], dim=0) > 0.9
    assert vector[3].item() == pytest.approx(5.0, abs=0.5)
    assert fit.centroids.shape == (4, 3, 16) and int(fit.sizes[2].sum()) == 40
    again = fit_gact(_planted_states(2), "fra_Latn", "eng_Latn", clusters=3, folds=4)
    assert torch.equal(again.vectors, fit.vectors)  # deterministic


def test_method_for_names_and_errors() -> None:
    assert method_for("diffmean").name == "diffmean"
    assert method_for("DiffMean-EN").name == "diffmean_en"
    assert method_for("lape", deactivate_others=True).name == "lape"
    assert method_for("gact", clusters=2).name == "gact"
    with pytest.raises(ConfigError, match="unknown steering method"):
        method_for("pca")
    with pytest.raises(ConfigError, match="bad settings"):
        method_for("lape", clusters=3)


def test_check_texts_refuses_unusable_text() -> None:
    good = {"fra_Latn": ["a", "b"], "eng_Latn": ["c", "d"]}
    assert check_texts(good, "fra_Latn") == 2
    with pytest.raises(ConfigError, match="no sentences"):
        check_texts(good, "deu_Latn")
    with pytest.raises(ConfigError, match="parallel"):
        check_texts({"fra_Latn": ["a", "b"], "eng_Latn": ["c"]}, "fra_Latn")
    with pytest.raises(ConfigError, match="at least one other"):
        check_texts({"fra_Latn": ["a", "b"]}, "fra_Latn")


def test_middle_layers_window_and_fallback() -> None:
    from babelscope.analyses.steering.method import middle_layers

    assert middle_layers(list(range(1, 31)), 30) == list(range(8, 23))
    assert middle_layers([1, 2, 30], 30) == [1, 2, 30]  # none inside: keep them all


def test_gact_best_layer_stays_among_the_candidates() -> None:
    fit = fit_gact(_planted_states(2), "fra_Latn", "eng_Latn", candidates=[0, 1, 3])
    assert fit.best in (0, 1, 3)
    assert fit.accuracy[2].item() > 0.95  # still measured, just not eligible


def test_gact_does_not_pick_a_massive_activation_outlier_cluster() -> None:
    """Six sentences fire a massive dimension (huge spread in every language, as in
    smollm2-135m): k-means isolates them, and their centroid has by far the largest dot
    product with the probe. The pick must go by direction, to a cluster along the language
    direction (dim 3), not to the outliers (dim 0)."""
    gen = torch.Generator().manual_seed(0)
    content = torch.randn(1, 60, 16, generator=gen)
    content[:, :, 0] *= 50
    states = {
        lang: content + 0.3 * torch.randn(1, 60, 16, generator=gen)
        for lang in ("fra_Latn", "deu_Latn", "eng_Latn")
    }
    states["fra_Latn"][0, :, 3] += 5.0
    states["fra_Latn"][0, :6, 0] += 400.0
    states["fra_Latn"][0, :6, 3] += 1.0
    fit = fit_gact(states, "fra_Latn", "eng_Latn", clusters=3, folds=4)
    assert 6 in fit.sizes[0].tolist()  # the outliers do form their own cluster
    assert int(fit.sizes[0, fit.chosen[0]]) != 6
    vector = fit.vectors[0]
    assert abs(vector[0].item()) < 5.0 and vector[3].item() == pytest.approx(5.0, abs=0.5)
