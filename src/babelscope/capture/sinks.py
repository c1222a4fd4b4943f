"""Reusable sinks for the forward engine: pool each layer, or keep each row's real tokens."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from babelscope.capture.engine import ForwardBatch
from babelscope.capture.pooling import Pooling, pool

PooledStates = dict[int, torch.Tensor | list[torch.Tensor]]


class PoolSink:
    """Pools ``hidden[B, T, D]`` inside the hook with one pooling → ``{layer: [B, D]}``; with
    ``pooling="none"`` keeps each row's real tokens → ``{layer: [[T_b, D], ...]}``.

    ``skip_bos`` drops a leading BOS from mean poolings (its attention-sink activations would
    swamp the mean). ``out_dtype`` casts the kept states; they are moved to the CPU.
    """

    def __init__(
        self,
        layers: Sequence[int],
        pooling: Pooling,
        *,
        bos_id: int | None = None,
        skip_bos: bool = True,
        out_dtype: torch.dtype | None = None,
    ) -> None:
        self.layers = list(layers)
        self.pooling, self.bos_id, self.skip_bos, self.out_dtype = (
            pooling,
            bos_id,
            skip_bos,
            out_dtype,
        )
        self._mask: torch.Tensor | None = None
        self._skip: torch.Tensor | None = None
        self._out: PooledStates = {}

    def on_batch_start(self, batch: ForwardBatch) -> None:
        self._mask = batch.attention_mask
        reduces = self.pooling in ("mean", "weighted_mean")
        self._skip = batch.first_is(self.bos_id) if self.skip_bos and reduces else None
        self._out = {}

    def __call__(self, layer: int, hidden: torch.Tensor) -> None:
        assert self._mask is not None, "on_batch_start was not called"
        if self.pooling == "none":
            real = self._mask.bool()
            self._out[layer] = [self._cast(hidden[row][real[row]]) for row in range(len(real))]
        else:
            self._out[layer] = self._cast(
                pool(hidden, self._mask, self.pooling, skip_first=self._skip)
            )

    def on_batch_end(self, batch: ForwardBatch) -> PooledStates:
        out, self._out = self._out, {}
        return out

    def _cast(self, tensor: torch.Tensor) -> torch.Tensor:
        tensor = tensor.detach()
        if self.out_dtype is not None:
            tensor = tensor.to(self.out_dtype)
        return tensor.cpu()  # no-op on CPU; the pooled and indexed tensors are already fresh


class LastPositionSink:
    """Keeps each row's last real token at every layer → ``[B, L, D]`` (layers in order), on
    the model's device: the input of a last-position lens."""

    def __init__(self, layers: Sequence[int]) -> None:
        self.layers = sorted(set(layers))
        self._mask: torch.Tensor | None = None
        self._last_column = False
        self._rows: dict[int, torch.Tensor] = {}

    def on_batch_start(self, batch: ForwardBatch) -> None:
        self._mask, self._rows = batch.attention_mask, {}
        # left padding (or none): every row ends in the last column, no gather needed
        self._last_column = bool(batch.attention_mask[:, -1].all())

    def __call__(self, layer: int, hidden: torch.Tensor) -> None:
        assert self._mask is not None, "on_batch_start was not called"
        if self._last_column:
            self._rows[layer] = hidden[:, -1].detach()
        else:
            self._rows[layer] = pool(hidden, self._mask, "last", skip_first=None).detach()

    def on_batch_end(self, batch: ForwardBatch) -> torch.Tensor:
        stacked = torch.stack([self._rows[layer] for layer in self.layers], dim=1)
        self._rows = {}
        return stacked
