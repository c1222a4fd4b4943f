"""Tokenise once, sort by length (less padding), and cut into padded batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch

from babelscope.errors import ConfigError

PaddingSide = Literal["right", "left"]


@dataclass
class Batch:
    """One padded batch. ``indices`` map rows back to the caller's input order."""

    indices: list[int]
    input_ids: torch.Tensor  # [B, T] long
    attention_mask: torch.Tensor  # [B, T] long, 1 = real token
    position_ids: torch.Tensor  # [B, T] long, counting real tokens only (left padding safe)


def tokenize(
    tokenizer: Any, texts: Sequence[str], *, add_special_tokens: bool = True, max_length: int | None
) -> list[list[int]]:
    """Token ids per text (no padding). Empty texts are rejected: they have no last token."""
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"text #{i} is empty", fix="pass non-empty strings")
    encoded = tokenizer(
        list(texts),
        add_special_tokens=add_special_tokens,
        truncation=max_length is not None,
        max_length=max_length,
    )["input_ids"]
    return [list(ids) for ids in encoded]


def make_batches(
    token_ids: Sequence[Sequence[int]],
    *,
    pad_id: int,
    batch_size: int = 16,
    max_batch_tokens: int | None = 8192,
    padding_side: PaddingSide = "right",
    sort_by_length: bool = True,
) -> Iterator[Batch]:
    """Yield batches; with ``sort_by_length`` similar lengths share a batch (less padding).

    A batch holds at most ``batch_size`` rows and ``max_batch_tokens`` padded tokens.
    """
    if batch_size < 1:
        raise ConfigError(f"batch size must be ≥ 1, got {batch_size}", fix="pass --batch-size 16")
    if padding_side not in ("right", "left"):
        raise ConfigError(f"bad padding side {padding_side!r}", fix="use 'right' or 'left'")
    order = list(range(len(token_ids)))
    if sort_by_length:
        order.sort(key=lambda i: -len(token_ids[i]))
    start = 0
    while start < len(order):
        longest = len(token_ids[order[start]])
        size = batch_size
        if max_batch_tokens is not None and sort_by_length:
            size = max(1, min(batch_size, max_batch_tokens // max(longest, 1)))
        chunk = order[start : start + size]
        start += len(chunk)
        yield _pad(chunk, token_ids, pad_id, padding_side)


def _pad(
    chunk: list[int], token_ids: Sequence[Sequence[int]], pad_id: int, side: PaddingSide
) -> Batch:
    width = max(len(token_ids[i]) for i in chunk)
    ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(chunk), width), dtype=torch.long)
    for row, i in enumerate(chunk):
        seq = torch.as_tensor(token_ids[i], dtype=torch.long)
        n = seq.numel()
        if side == "right":
            ids[row, :n], mask[row, :n] = seq, 1
        else:
            ids[row, width - n :], mask[row, width - n :] = seq, 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return Batch(indices=chunk, input_ids=ids, attention_mask=mask, position_ids=positions)


def with_progress(
    batches: Iterator[Batch], *, total: int, desc: str, enabled: bool
) -> Iterator[Batch]:
    """Show a texts-done progress bar on stderr over ``batches`` when ``enabled``."""
    if not enabled:
        yield from batches
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit="text", leave=False) as bar:
        for batch in batches:
            yield batch
            bar.update(len(batch.indices))
