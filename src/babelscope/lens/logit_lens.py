"""The logit lens (nostalgebraist 2020): decode any layer with the model's own final norm and
unembedding.

The norm is the model's module applied to each layer's own hidden state, so its scale is
recomputed per layer (TransformerLens once reused the final layer's scale for every layer,
issue #1076). Final-logit softcapping is applied when the family's config sets it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from babelscope.capture.batching import make_batches, tokenize, with_progress
from babelscope.capture.engine import model_inputs
from babelscope.capture.hooks import record_residual, run_until_stopped
from babelscope.capture.sites import resolve_layers

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


class LogitLens(nn.Module):
    """``hidden[..., D]`` → ``logits[..., V]`` through final norm, unembedding and softcap."""

    def __init__(self, handle: ModelHandle) -> None:
        super().__init__()
        self.norm = handle.final_norm
        self.unembed = handle.unembed
        self.softcap = handle.softcap

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.unembed(self.norm(hidden))
        if self.softcap:
            logits = torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def log_probs(self, hidden: torch.Tensor) -> torch.Tensor:
        """Log-probabilities ``[..., V]`` in float32 (whatever the model dtype)."""
        return torch.log_softmax(self.forward(hidden).float(), dim=-1)


@dataclass
class LensBatch:
    """Lens output for one batch of prompts at their last position.

    ``log_probs`` is ``[B, n_layers_selected, V]``; ``indices`` map rows to input order.
    """

    indices: list[int]
    layers: list[int]
    log_probs: torch.Tensor


def iter_last_position_lens(
    handle: ModelHandle,
    prompts: Sequence[str],
    *,
    layers: str | int | list[int] | None = None,
    batch_size: int = 16,
    add_special_tokens: bool = True,
    progress: bool = False,
) -> Iterator[LensBatch]:
    """Logit-lens log-probs at each prompt's last token, for every selected layer.

    One forward per batch, stopped after the deepest selected block; the lens then runs as a
    single ``[B·L, D] @ [D, V]`` product. Rows come in length order: use ``indices``.
    """
    wanted = resolve_layers(layers, handle.n_layers)
    tok = handle.tokenizer
    ids = tokenize(tok, prompts, add_special_tokens=add_special_tokens, max_length=None)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    lens = LogitLens(handle)
    batches = make_batches(ids, pad_id=pad_id, batch_size=batch_size, padding_side="left")
    for batch in with_progress(batches, total=len(ids), desc="lens", enabled=progress):
        collected: dict[int, torch.Tensor] = {}
        inputs = model_inputs(handle, batch)
        with torch.no_grad():
            # left padding: the last column is every prompt's last token
            with record_residual(handle.blocks, wanted, _LastColumn(collected)):
                run_until_stopped(lambda: handle.model(**inputs))  # noqa: B023 - called at once
            stacked = torch.stack([collected[layer] for layer in wanted], dim=1)  # [B, L, D]
            log_probs = lens.log_probs(stacked)
        yield LensBatch(batch.indices, wanted, log_probs)


class _LastColumn:
    def __init__(self, store: dict[int, torch.Tensor]) -> None:
        self.store = store

    def __call__(self, layer: int, hidden: torch.Tensor) -> None:
        self.store[layer] = hidden[:, -1]


def reduce_last_position_lens(
    handle: ModelHandle,
    prompts: Sequence[str],
    reducer: Callable[[LensBatch], torch.Tensor],
    *,
    layers: str | int | list[int] | None = None,
    batch_size: int = 16,
    progress: bool = False,
) -> torch.Tensor:
    """Apply ``reducer`` (→ ``[B, ...]``) to each batch and return the rows in input order,
    so the full ``[N, L, V]`` log-probs (GBs for a 262k vocabulary) never exist at once."""
    parts: list[tuple[list[int], torch.Tensor]] = []
    for lens_batch in iter_last_position_lens(
        handle, prompts, layers=layers, batch_size=batch_size, progress=progress
    ):
        parts.append((lens_batch.indices, reducer(lens_batch)))
    order = torch.tensor([i for idx, _ in parts for i in idx])
    values = torch.cat([v for _, v in parts])
    result = torch.empty_like(values)
    result[order] = values
    return result


@dataclass
class TopTokens:
    """Top-k decoded tokens per layer for one prompt: ``tokens[l][j]`` with ``probs[l][j]``."""

    layers: list[int]
    tokens: list[list[str]]
    token_ids: list[list[int]]
    probs: list[list[float]]
    entropy_bits: list[float]


def top_tokens(
    handle: ModelHandle, prompt: str, *, layers: str | int | list[int] | None = None, k: int = 5
) -> TopTokens:
    """The lens's top-``k`` next tokens at the prompt's last position, layer by layer."""
    (lens_batch,) = list(iter_last_position_lens(handle, [prompt], layers=layers))
    log_probs = lens_batch.log_probs[0]  # [L, V]
    probs = log_probs.exp()
    top = probs.topk(k, dim=-1)
    entropy = -(probs * log_probs).nansum(-1) / torch.log(torch.tensor(2.0))
    tok = handle.tokenizer
    ids = top.indices.tolist()
    return TopTokens(
        layers=lens_batch.layers,
        tokens=[[str(tok.decode([i])) for i in row] for row in ids],
        token_ids=ids,
        probs=top.values.tolist(),
        entropy_bits=entropy.clamp(min=0).tolist(),
    )
