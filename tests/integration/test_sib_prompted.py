"""Prompted SIB scoring: the cached scores equal one full forward per label, and the argmax
follows the logits when we plant them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_rank_support import save_tiny_model

from babelscope import load_model
from babelscope.analyses.sib.prompted import (
    PromptPieces,
    calibrated_predictions,
    choose_examples,
    predictions,
    prompt_texts,
    score_labels,
    score_labels_uncached,
    tokenize_pieces,
)
from babelscope.models.handle import ModelHandle

pytestmark = pytest.mark.integration

LABELS = ["science/technology", "travel", "politics", "sports", "health"]


@pytest.fixture(scope="module", params=["llama", "gemma3_text", "qwen2"])
def handle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ModelHandle:
    folder = save_tiny_model(tmp_path_factory.mktemp("m"), request.param)
    return load_model(str(folder), progress=False)


def test_cached_scores_equal_uncached_full_forwards(handle: ModelHandle) -> None:
    examples = [("The red car ran far.", "travel"), ("A man ate bread.", "health")]
    prefix, queries, labels = prompt_texts(examples, ["The old dog sat.", "Big city."], LABELS)
    pieces = tokenize_pieces(handle, prefix, queries, labels)
    # the prefix is longer than gemma3_text's sliding window (4): the cache must handle it
    assert len(pieces.prefix) > 50 and any(len(x) > 1 for x in pieces.labels)
    cached = score_labels(handle, pieces)
    reference = score_labels_uncached(handle, pieces)
    np.testing.assert_allclose(cached, reference, rtol=1e-5, atol=1e-4)
    assert (cached.argmax(1) == reference.argmax(1)).all()
    assert np.isfinite(cached).all() and (cached < 0).all()


def test_planted_label_wins(handle: ModelHandle) -> None:
    """Make one token overwhelmingly likely everywhere: the label starting with it wins."""
    vocab = handle.model.get_output_embeddings().weight.shape[0]
    target = 30
    labels = [[13, target], [target], [14, target, target]]  # only label 1 avoids a -50
    pieces = PromptPieces(prefix=[1, 20, 21, 22], queries=[[23, 24], [25]], labels=labels)
    bias = torch.zeros(vocab)
    bias[target] = 50.0
    head = handle.model.get_output_embeddings()
    saved = None if head.bias is None else head.bias.detach().clone()
    head.bias = torch.nn.Parameter(bias if saved is None else saved + bias)
    try:
        scores = score_labels(handle, pieces)
    finally:
        head.bias = None if saved is None else torch.nn.Parameter(saved)
    summed, per_token = predictions(scores, [len(x) for x in labels])
    assert summed.tolist() == [1, 1] and per_token.tolist() == [1, 1]
    assert scores[:, 1].min() > -1e-3 and scores[:, 0].max() < -40


def test_examples_cycle_labels_and_are_seeded() -> None:
    labels = ["a"] * 5 + ["b"] * 5 + ["c"] * 4
    rows = choose_examples(labels, 7, seed=3)
    assert rows == choose_examples(labels, 7, seed=3) and len(set(rows)) == 7
    picked = [labels[r] for r in rows]
    assert sorted(picked.count(x) for x in "abc") == [2, 2, 3]
    assert picked[:3] == picked[3:6] and len(set(picked[:3])) == 3  # one per label in turn


def test_per_token_normalisation_changes_the_winner() -> None:
    scores = np.array([[-3.0, -2.5]])
    summed, per_token = predictions(scores, [3, 1])
    assert summed.tolist() == [1] and per_token.tolist() == [0]


def test_calibration_removes_a_label_prior_and_keeps_the_signal() -> None:
    """Every text gets +3 nats on label 0 (the prior a small model shows); the text's own
    signal is +1 on its true label. Uncalibrated: always label 0; calibrated: the truth."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 7, size=50)
    prior = np.array([3.0, 0, 0, 0, 0, 0, 0])
    scores = np.log(np.full((50, 7), 0.05)) + prior
    scores[np.arange(50), truth] += 1.0
    content_free = np.log(np.full((3, 7), 0.05)) + prior + rng.normal(0, 0.01, size=(3, 7))
    summed, _ = predictions(scores, [1] * 7)
    assert (summed == 0).all()
    assert (calibrated_predictions(scores, content_free) == truth).all()
    # a flat prior changes nothing
    flat = np.zeros((3, 7))
    assert (calibrated_predictions(scores, flat) == summed).all()
