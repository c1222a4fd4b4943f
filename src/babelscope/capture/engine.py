"""The capture engine: per-layer residual states for many texts, batched, pooled on the fly.

Speed comes from three choices: the forward pass stops after the deepest requested block (no
final norm, no LM head — on gemma-3-270m the 262k-token head costs more than all 18 blocks),
inputs are sorted by length so batches carry little padding, and pooling happens inside the hook
so full ``[B, T, D]`` states are never kept for all layers at once.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from babelscope.capture.batching import Batch, PaddingSide, make_batches, tokenize, with_progress
from babelscope.capture.hooks import record_residual, run_until_stopped
from babelscope.capture.pooling import Pooling, check_pooling, pool
from babelscope.capture.sites import resolve_layers

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


@dataclass
class CaptureResult:
    """Captured states, in the caller's input order.

    ``pooled[layer]`` is ``[N, D]`` (for pooled captures); ``tokens[layer][i]`` is ``[T_i, D]``
    (for ``pooling="none"``). ``n_tokens[i]`` counts text i's tokens including specials.
    """

    layers: list[int]
    pooling: Pooling
    pooled: dict[int, torch.Tensor]
    tokens: dict[int, list[torch.Tensor]]
    n_tokens: torch.Tensor

    def stacked(self) -> torch.Tensor:
        """Pooled states as ``[n_layers_captured, N, D]``."""
        return torch.stack([self.pooled[layer] for layer in self.layers])


@dataclass
class CaptureOptions:
    """Everything that shapes what a capture returns (recorded in manifests)."""

    pooling: Pooling = "mean"
    batch_size: int = 16
    max_batch_tokens: int | None = 8192
    padding_side: PaddingSide = "right"
    sort_by_length: bool = True
    skip_bos: bool = True
    add_special_tokens: bool = True
    max_length: int | None = None
    out_dtype: torch.dtype | None = None
    progress: bool = False  # a progress bar over texts on stderr


def model_inputs(handle: ModelHandle, batch: Batch) -> dict[str, torch.Tensor | bool]:
    """Forward kwargs for one batch. Explicit position ids make left padding give the same
    states as no padding (families that take them; ALiBi ones read the mask)."""
    device = handle.device
    kwargs: dict[str, torch.Tensor | bool] = {
        "input_ids": batch.input_ids.to(device),
        "attention_mask": batch.attention_mask.to(device),
        "use_cache": False,
    }
    if "position_ids" in inspect.signature(handle.model.forward).parameters:
        kwargs["position_ids"] = batch.position_ids.to(device)
    return kwargs


def iter_capture(
    handle: ModelHandle,
    texts: Sequence[str],
    *,
    layers: str | int | list[int] | None = None,
    options: CaptureOptions | None = None,
) -> Iterator[tuple[list[int], dict[int, torch.Tensor | list[torch.Tensor]], list[int]]]:
    """Yield ``(indices, states, n_tokens)`` batch by batch (in length order, not input order).

    ``states[layer]`` is ``[B, D]`` when pooled, else a list of ``[T_i, D]``.
    """
    opts = options or CaptureOptions()
    pooling = check_pooling(opts.pooling)
    wanted = resolve_layers(layers, handle.n_layers)
    tok = handle.tokenizer
    ids = tokenize(
        tok, texts, add_special_tokens=opts.add_special_tokens, max_length=opts.max_length
    )
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    bos = tok.bos_token_id
    batches = make_batches(
        ids,
        pad_id=pad_id,
        batch_size=opts.batch_size,
        max_batch_tokens=opts.max_batch_tokens,
        padding_side=opts.padding_side,
        sort_by_length=opts.sort_by_length,
    )
    for batch in with_progress(batches, total=len(ids), desc="capture", enabled=opts.progress):
        mask = batch.attention_mask.to(handle.device)
        skip = None
        if opts.skip_bos and bos is not None and pooling in ("mean", "weighted_mean"):
            skip = torch.tensor([ids[i][0] == bos for i in batch.indices], device=handle.device)
        sink = _PoolingSink(mask, pooling, skip, opts)
        inputs = model_inputs(handle, batch)
        with torch.no_grad(), record_residual(handle.blocks, wanted, sink):
            run_until_stopped(lambda: handle.model(**inputs))  # noqa: B023 - called at once
        out = sink.out
        yield batch.indices, out, [len(ids[i]) for i in batch.indices]


def capture(
    handle: ModelHandle,
    texts: Sequence[str],
    *,
    layers: str | int | list[int] | None = None,
    options: CaptureOptions | None = None,
    **overrides: object,
) -> CaptureResult:
    """Capture residual states of ``texts`` at ``layers`` (default: all, 0..n_layers).

    Keyword ``overrides`` set :class:`CaptureOptions` fields, e.g. ``pooling="last"``.
    Returns states in input order (batching and sorting are invisible to the caller).
    """
    opts = options or CaptureOptions()
    if overrides:
        opts = CaptureOptions(**{**opts.__dict__, **overrides})  # type: ignore[arg-type]
    wanted = resolve_layers(layers, handle.n_layers)
    n = len(texts)
    pooled_parts: dict[int, list[tuple[list[int], torch.Tensor]]] = {k: [] for k in wanted}
    token_rows: dict[int, list[torch.Tensor | None]] = {k: [None] * n for k in wanted}
    n_tokens = torch.zeros(n, dtype=torch.long)
    for indices, states, counts in iter_capture(handle, texts, layers=wanted, options=opts):
        n_tokens[indices] = torch.tensor(counts)
        for layer, value in states.items():
            if isinstance(value, list):
                for i, row in zip(indices, value, strict=True):
                    token_rows[layer][i] = row
            else:
                pooled_parts[layer].append((indices, value))
    pooled: dict[int, torch.Tensor] = {}
    tokens: dict[int, list[torch.Tensor]] = {}
    for layer in wanted:
        if opts.pooling == "none":
            tokens[layer] = [t for t in token_rows[layer] if t is not None]
        elif pooled_parts[layer]:
            order = torch.tensor([i for idx, _ in pooled_parts[layer] for i in idx])
            values = torch.cat([v for _, v in pooled_parts[layer]])
            result = torch.empty_like(values)
            result[order] = values
            pooled[layer] = result
    return CaptureResult(wanted, opts.pooling, pooled, tokens, n_tokens)


class _PoolingSink:
    """Receives ``hidden[B, T, D]`` from the hooks and keeps only the pooled (or unpadded)
    states, so full states are never held for all layers at once."""

    def __init__(
        self, mask: torch.Tensor, pooling: Pooling, skip: torch.Tensor | None, opts: CaptureOptions
    ) -> None:
        self.mask, self.pooling, self.skip, self.opts = mask, pooling, skip, opts
        self.out: dict[int, torch.Tensor | list[torch.Tensor]] = {}

    def __call__(self, layer: int, hidden: torch.Tensor) -> None:
        if self.pooling == "none":
            real = self.mask.bool()
            self.out[layer] = [_cast(hidden[row][real[row]], self.opts) for row in range(len(real))]
        else:
            pooled = pool(hidden, self.mask, self.pooling, skip_first=self.skip)
            self.out[layer] = _cast(pooled, self.opts)


def _cast(tensor: torch.Tensor, opts: CaptureOptions) -> torch.Tensor:
    tensor = tensor.detach()
    if opts.out_dtype is not None:
        tensor = tensor.to(opts.out_dtype)
    return tensor.cpu()  # no-op on CPU; the pooled and indexed tensors are already fresh
