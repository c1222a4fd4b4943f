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

from babelscope.capture.editors import Editor
from babelscope.capture.engine import ForwardBatch, ForwardOptions, Inputs, iter_sink
from babelscope.capture.sinks import LastPositionSink
from babelscope.capture.sites import resolve_layers
from babelscope.lens.base import Lens
from babelscope.lens.unembed import Unembed

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


class LogitLens(Lens):
    """``hidden[..., D]`` → ``logits[..., V]`` (float32) through the model's own final norm,
    unembedding and softcap (:class:`~babelscope.lens.unembed.Unembed`); no translator, so the
    layer does not matter. ``dtype`` runs the head in another dtype."""

    def __init__(self, handle: ModelHandle, *, dtype: torch.dtype | str | None = None) -> None:
        super().__init__()
        self.unembed = Unembed(handle, dtype=dtype)

    def transform_hidden(self, hidden: torch.Tensor, layer: int | None = None) -> torch.Tensor:
        return hidden

    def forward(self, hidden: torch.Tensor, layer: int | None = None) -> torch.Tensor:
        logits: torch.Tensor = self.unembed(hidden)
        return logits

    def log_probs(self, hidden: torch.Tensor, layer: int | None = None) -> torch.Tensor:
        """Log-probabilities ``[..., V]`` in float32 (whatever the model dtype)."""
        return self.unembed.log_probs(hidden)


@dataclass
class LensBatch:
    """Lens output for one batch of prompts at their last position.

    ``log_probs`` is ``[B, n_layers_selected, V]``; ``indices`` map rows to input order.
    """

    indices: list[int]
    layers: list[int]
    log_probs: torch.Tensor


class LastPositionLensSink(LastPositionSink):
    """Engine sink: each row's last real token at every layer, decoded by ``lens`` →
    ``[B, L, V]`` log-probs (one unembedding over all ``B·L`` rows)."""

    def __init__(self, lens: Lens, layers: Sequence[int]) -> None:
        super().__init__(layers)
        self.lens = lens

    def on_batch_end(self, batch: ForwardBatch) -> torch.Tensor:  # type: ignore[override]
        stacked = super().on_batch_end(batch)  # [B, L, D]
        with torch.no_grad():
            return self.lens.log_probs_stacked(stacked, self.layers)


def iter_last_position_lens(
    handle: ModelHandle,
    prompts: Inputs,
    *,
    layers: str | int | list[int] | None = None,
    batch_size: int = 16,
    add_special_tokens: bool = True,
    progress: bool = False,
    lens: Lens | None = None,
    editors: Sequence[Editor] = (),
) -> Iterator[LensBatch]:
    """Lens log-probs at each prompt's last token, for every selected layer.

    ``prompts`` are texts or pre-tokenised id lists; ``lens`` defaults to the logit lens.
    One forward per batch (left padding), stopped after the deepest selected block; the lens
    then runs as a single ``[B·L, D] @ [D, V]`` product. Rows come in length order: use
    ``indices``. ``editors`` edit the pass (row ids = input indices).
    """
    wanted = resolve_layers(layers, handle.n_layers)
    sink = LastPositionLensSink(lens if lens is not None else LogitLens(handle), wanted)
    options = ForwardOptions(
        batch_size=batch_size,
        padding_side="left",
        add_special_tokens=add_special_tokens,
        progress=progress,
        desc="lens",
    )
    for batch, log_probs in iter_sink(handle, prompts, sink, options=options, editors=editors):
        yield LensBatch(batch.indices, wanted, log_probs)


def reduce_last_position_lens(
    handle: ModelHandle,
    prompts: Inputs,
    reducer: Callable[[LensBatch], torch.Tensor],
    *,
    layers: str | int | list[int] | None = None,
    batch_size: int = 16,
    progress: bool = False,
    lens: Lens | None = None,
    editors: Sequence[Editor] = (),
) -> torch.Tensor:
    """Apply ``reducer`` (→ ``[B, ...]``) to each batch and return the rows in input order,
    so the full ``[N, L, V]`` log-probs (GBs for a 262k vocabulary) never exist at once."""
    parts: list[tuple[list[int], torch.Tensor]] = []
    for lens_batch in iter_last_position_lens(
        handle,
        prompts,
        layers=layers,
        batch_size=batch_size,
        progress=progress,
        lens=lens,
        editors=editors,
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
    handle: ModelHandle,
    prompt: str,
    *,
    layers: str | int | list[int] | None = None,
    k: int = 5,
    lens: Lens | None = None,
) -> TopTokens:
    """The lens's (default: logit lens) top-``k`` next tokens at the prompt's last position,
    layer by layer."""
    (lens_batch,) = list(iter_last_position_lens(handle, [prompt], layers=layers, lens=lens))
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
