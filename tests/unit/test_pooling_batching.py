"""Pooling and batching on hand-made tensors with known answers."""

from __future__ import annotations

import pytest
import torch

from babelscope.capture.batching import make_batches
from babelscope.capture.pooling import pool
from babelscope.errors import ConfigError


def _example() -> tuple[torch.Tensor, torch.Tensor]:
    hidden = torch.arange(2 * 4 * 1, dtype=torch.float32).reshape(2, 4, 1)  # values 0..7
    mask = torch.tensor([[1, 1, 1, 0], [0, 1, 1, 1]])  # right- and left-padded rows
    hidden[0, 3] = float("nan")  # a pad position with garbage must not leak
    hidden[1, 0] = float("nan")
    return hidden, mask


def test_last_token_respects_both_padding_sides() -> None:
    hidden, mask = _example()
    assert pool(hidden, mask, "last", skip_first=None).flatten().tolist() == [2.0, 7.0]


def test_mean_and_weighted_mean_known_answers() -> None:
    hidden, mask = _example()
    assert pool(hidden, mask, "mean", skip_first=None).flatten().tolist() == [1.0, 6.0]
    # weights 1,2,3 over values (0,1,2) and (5,6,7)
    weighted = pool(hidden, mask, "weighted_mean", skip_first=None).flatten()
    torch.testing.assert_close(weighted, torch.tensor([8 / 6, 38 / 6]))
    skipped = pool(hidden, mask, "mean", skip_first=torch.tensor([True, False])).flatten()
    assert skipped.tolist() == [1.5, 6.0]


def test_batches_sort_by_length_and_cover_every_input_once() -> None:
    seqs = [[1] * n for n in (3, 9, 1, 5, 7)]
    batches = list(make_batches(seqs, pad_id=0, batch_size=2, max_batch_tokens=None))
    order = [i for b in batches for i in b.indices]
    assert sorted(order) == list(range(5))
    assert order == [1, 4, 3, 0, 2]  # longest first
    left = next(make_batches(seqs, pad_id=0, batch_size=5, padding_side="left"))
    assert left.attention_mask[:, -1].tolist() == [1] * 5
    row = left.indices.index(2)  # the 1-token text
    assert left.position_ids[row].tolist()[-1] == 0  # starts at position 0 despite padding


def test_token_budget_limits_batch_size() -> None:
    seqs = [[1] * 100 for _ in range(10)]
    sizes = [
        len(b.indices) for b in make_batches(seqs, pad_id=0, batch_size=8, max_batch_tokens=300)
    ]
    assert sizes == [3, 3, 3, 1]
    with pytest.raises(ConfigError):
        list(make_batches(seqs, pad_id=0, batch_size=0))
