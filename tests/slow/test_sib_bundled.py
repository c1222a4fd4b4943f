"""Prompted SIB scoring on the bundled models: the per-language key/value cache changes no
score (gemma-3-270m mixes sliding-window and global attention layers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from babelscope.analyses.sib.prompted import (
    prompt_texts,
    score_labels,
    score_labels_uncached,
    tokenize_pieces,
)
from babelscope.data.sib import Sib200Dataset
from babelscope.models.handle import ModelHandle

pytestmark = pytest.mark.slow


def test_cached_prompt_scores_equal_full_forwards(bundled: ModelHandle, shared_data: Path) -> None:
    archive = shared_data / "sib200_train_dev.tar.xz"
    if not archive.is_file():
        pytest.skip(f"{archive} is not here")
    data = Sib200Dataset.open(archive)
    train, dev = data.split("fra_Latn", "train"), data.split("fra_Latn", "dev")
    labels = data.labels()
    examples = list(zip(train["text"][:2], train["category"][:2], strict=True))
    prefix, queries, conts = prompt_texts(examples, list(dev["text"][:1]), labels)
    pieces = tokenize_pieces(bundled, prefix, queries, conts)
    cached = score_labels(bundled, pieces)
    reference = score_labels_uncached(bundled, pieces)
    np.testing.assert_allclose(cached, reference, rtol=1e-4, atol=2e-3)
    assert cached.argmax() == reference.argmax()
