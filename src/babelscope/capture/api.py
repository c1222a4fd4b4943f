"""``capture()``: per-layer residual states for many texts, batched, pooled on the fly.

A thin layer over the forward engine (:mod:`babelscope.capture.engine`) with one
:class:`~babelscope.capture.sinks.PoolSink`: the pass stops after the deepest requested block,
inputs are sorted by length so batches carry little padding, and pooling happens inside the
hook so full ``[B, T, D]`` states are never kept for all layers at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from babelscope.capture.batching import PaddingSide
from babelscope.capture.editors import Editor
from babelscope.capture.engine import ForwardOptions, Inputs, iter_sink
from babelscope.capture.pooling import Pooling, check_pooling
from babelscope.capture.sinks import PoolSink
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

    def forward_options(self) -> ForwardOptions:
        """The engine's share of these options."""
        return ForwardOptions(
            batch_size=self.batch_size,
            max_batch_tokens=self.max_batch_tokens,
            padding_side=self.padding_side,
            sort_by_length=self.sort_by_length,
            add_special_tokens=self.add_special_tokens,
            max_length=self.max_length,
            progress=self.progress,
            desc="capture",
        )


def iter_capture(
    handle: ModelHandle,
    texts: Inputs,
    *,
    layers: str | int | list[int] | None = None,
    options: CaptureOptions | None = None,
    editors: Sequence[Editor] = (),
) -> Iterator[tuple[list[int], dict[int, torch.Tensor | list[torch.Tensor]], list[int]]]:
    """Yield ``(indices, states, n_tokens)`` batch by batch (in length order, not input order).

    ``texts`` may also be pre-tokenised id lists (fed exactly as given). ``states[layer]`` is
    ``[B, D]`` when pooled, else a list of ``[T_i, D]``. ``editors`` edit the pass (their row
    ids are input indices).
    """
    opts = options or CaptureOptions()
    sink = PoolSink(
        resolve_layers(layers, handle.n_layers),
        check_pooling(opts.pooling),
        bos_id=handle.tokenizer.bos_token_id,
        skip_bos=opts.skip_bos,
        out_dtype=opts.out_dtype,
    )
    for batch, states in iter_sink(
        handle, texts, sink, options=opts.forward_options(), editors=editors
    ):
        yield batch.indices, states, [len(ids) for ids in batch.token_ids]


def capture(
    handle: ModelHandle,
    texts: Inputs,
    *,
    layers: str | int | list[int] | None = None,
    options: CaptureOptions | None = None,
    pooling: Pooling | None = None,
    batch_size: int | None = None,
    padding_side: PaddingSide | None = None,
    out_dtype: torch.dtype | None = None,
    progress: bool | None = None,
    editors: Sequence[Editor] = (),
) -> CaptureResult:
    """Capture residual states of ``texts`` (or id lists) at ``layers`` (default: all,
    0..n_layers).

    ``options`` holds every setting; the common ones can also be given as keywords, which
    override ``options`` (``capture(h, texts, pooling="last")``). Returns states in input order
    (batching and sorting are invisible to the caller).
    """
    opts = _with_overrides(
        options or CaptureOptions(),
        pooling=pooling,
        batch_size=batch_size,
        padding_side=padding_side,
        out_dtype=out_dtype,
        progress=progress,
    )
    wanted = resolve_layers(layers, handle.n_layers)
    n = len(texts)
    pooled_parts: dict[int, list[tuple[list[int], torch.Tensor]]] = {k: [] for k in wanted}
    token_rows: dict[int, list[torch.Tensor | None]] = {k: [None] * n for k in wanted}
    n_tokens = torch.zeros(n, dtype=torch.long)
    for indices, states, counts in iter_capture(
        handle, texts, layers=wanted, options=opts, editors=editors
    ):
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


def _with_overrides(
    opts: CaptureOptions,
    *,
    pooling: Pooling | None,
    batch_size: int | None,
    padding_side: PaddingSide | None,
    out_dtype: torch.dtype | None,
    progress: bool | None,
) -> CaptureOptions:
    """``opts`` with each keyword that was given (not None) put in."""
    return dataclasses.replace(
        opts,
        pooling=opts.pooling if pooling is None else pooling,
        batch_size=opts.batch_size if batch_size is None else batch_size,
        padding_side=opts.padding_side if padding_side is None else padding_side,
        out_dtype=opts.out_dtype if out_dtype is None else out_dtype,
        progress=opts.progress if progress is None else progress,
    )
