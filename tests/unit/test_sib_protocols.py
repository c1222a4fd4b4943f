"""Known answers for the SIB linear protocols (no model)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from babelscope.analyses.sib.protocols import (
    cross_validated,
    few_shot,
    full_train,
    mean_interval,
    stratified_cap,
    stratified_draws,
    wilson,
)
from babelscope.errors import ConfigError

LABELS = [f"topic{i}" for i in range(7)]


def planted(
    n_per_label: int, dim: int, seed: int, separable: bool
) -> tuple[np.ndarray, np.ndarray]:
    """States whose label is a planted direction (separable) or pure noise."""
    rng = np.random.default_rng([seed, n_per_label])
    y = np.repeat(np.array(LABELS), n_per_label)
    x = rng.normal(size=(len(y), dim))
    if separable:  # the label centres depend on the seed alone: train and test share them
        centres = np.random.default_rng(seed).normal(size=(7, dim)) * 4.0
        x += centres[[LABELS.index(v) for v in y]]
    x[:, 0] += 3e4  # a massive dimension, as real models have: standardisation must cope
    return x, y


def test_draws_are_stratified_and_reproducible() -> None:
    labels = list(np.repeat(LABELS, 20))
    draws = stratified_draws(labels, 8, 10, seed=5)
    assert len(draws) == 10
    for rows in draws:
        assert len(set(rows.tolist())) == 56
        assert set(Counter(labels[i] for i in rows).values()) == {8}
    again = stratified_draws(labels, 8, 10, seed=5)
    assert all((a == b).all() for a, b in zip(draws, again, strict=True))
    other = stratified_draws(labels, 8, 10, seed=6)
    assert any((a != b).any() for a, b in zip(draws, other, strict=True))
    assert len({tuple(r.tolist()) for r in draws}) == 10  # repeats differ


def test_cap_keeps_per_label_and_file_order() -> None:
    labels = list(np.repeat(LABELS, 5)) + ["topic0"] * 3
    kept = stratified_cap(labels, 4, seed=0)
    assert (np.diff(kept) > 0).all()
    assert set(Counter(labels[i] for i in kept).values()) == {4}
    assert stratified_cap(labels, None, seed=0).tolist() == list(range(len(labels)))


def test_mteb_protocol_on_separable_states_is_near_perfect() -> None:
    train_x, train_y = planted(20, 64, seed=0, separable=True)
    test_x, test_y = planted(14, 64, seed=0, separable=True)  # same centres, other noise
    draws = stratified_draws(list(train_y), 8, 10, seed=0)
    (score,) = few_shot(train_x, train_y, [(test_x, test_y)], draws)
    assert score.accuracy > 0.97 and score.kind == "repeats" and score.n_eval == 98
    (full,) = full_train(train_x, train_y, [(test_x, test_y)])
    assert full.accuracy > 0.97 and full.lo <= full.accuracy <= full.hi


def test_mteb_protocol_on_random_states_is_at_chance() -> None:
    accuracies = []
    for seed in range(4):
        train_x, train_y = planted(20, 64, seed=seed, separable=False)
        test_x, test_y = planted(30, 64, seed=100 + seed, separable=False)
        draws = stratified_draws(list(train_y), 8, 10, seed=seed)
        (score,) = few_shot(train_x, train_y, [(test_x, test_y)], draws)
        accuracies.append(score.accuracy)
    assert abs(np.mean(accuracies) - 1 / 7) < 0.05


def test_cross_lingual_on_identical_states_equals_in_language() -> None:
    train_x, train_y = planted(12, 32, seed=1, separable=True)
    test_x, test_y = planted(6, 32, seed=2, separable=False)
    draws = stratified_draws(list(train_y), 8, 10, seed=0)
    # "English" and "French" have identical states: transfer from English == in-language
    transfer = few_shot(train_x, train_y, [(test_x, test_y), (test_x.copy(), test_y)], draws)
    (own,) = few_shot(train_x.copy(), train_y, [(test_x, test_y)], draws)
    assert transfer[0] == transfer[1] == own


def test_layer_choice_cv_sees_only_training_data() -> None:
    good_x, y = planted(10, 16, seed=3, separable=True)
    bad_x, _ = planted(10, 16, seed=3, separable=False)
    assert cross_validated(good_x, y) > 0.9
    assert cross_validated(bad_x, y) < 0.4


def test_intervals() -> None:
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and 0.25 < hi < 0.32  # the Wilson bound at 0/10 is 0.278
    mean, lo, hi = mean_interval([0.5] * 10)
    assert mean == lo == hi == 0.5
    mean, lo, hi = mean_interval([0.4, 0.6] * 5)
    assert lo < 0.5 < hi and hi - lo == pytest.approx(2 * 2.262 * 0.10541 / 10**0.5, rel=1e-3)
    with pytest.raises(ConfigError):
        stratified_draws(["a"], 0, 1, seed=0)
