"""One forward pass per batch that yields both pooled states and the text's log-likelihood.

The Ranker, MEXA, CKA and the probes need pooled states of every layer; bits per byte needs the
log-probability of every next token, i.e. the LM head on every position. On gemma-3-270m the
262k-token head costs about five times all 18 blocks (TRAPS.md), and its full output for one
batch (``[B, T, 262144]`` float32) would be gigabytes. So the forward is stopped after the last
block (:func:`~babelscope.capture.hooks.record_residual`), the states are pooled inside the
hooks, and the head is applied through :class:`~babelscope.lens.unembed.Unembed` — final norm,
unembedding, softcap — to the last block's raw output in chunks of ``head_chunk`` positions,
keeping only each position's ``logsumexp`` and the logit of the true next token
(:mod:`~babelscope.collect.next_token`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from babelscope.capture.batching import tokenize
from babelscope.capture.engine import ForwardBatch, ForwardOptions, iter_sink
from babelscope.capture.pooling import pool
from babelscope.collect.next_token import next_token_bits, scored_text
from babelscope.collect.spec import ForwardSpec, state_name
from babelscope.lens.unembed import Unembed

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


def forward_texts(
    handle: ModelHandle, texts: Sequence[str], spec: ForwardSpec, *, text_metrics: bool
) -> dict[str, torch.Tensor]:
    """Pooled states (and, with ``text_metrics``, next-token statistics) for ``texts``.

    Returns, in input order, for n texts:

    - ``"{pooling}.{layer}"``: ``[n, D]`` pooled residual states (``spec.store_dtype``);
    - ``"n_tokens"``: ``[n]`` tokens fed to the model (specials included);
    - ``"content_tokens"``: ``[n]`` tokens of the text alone (no special tokens);
    - with ``text_metrics``: ``"nll_bits"`` ``[n]`` float64, the summed −log₂ p of every
      scored token; ``"scored_tokens"``, ``"scored_bytes"``, ``"scored_chars"`` ``[n]``: how
      many tokens were scored and how much text they cover. Every token after the first fed
      token is scored; when the tokenizer adds no BOS, the first text token has no context and
      the bytes/characters it covers are excluded from the denominators.

    Batches are formed from ``texts`` alone (sorted by length, right padding), so the same
    texts always give the same bytes.
    """
    tok = handle.tokenizer
    ids = tokenize(tok, texts, add_special_tokens=True, max_length=None)
    content = tokenize(tok, texts, add_special_tokens=False, max_length=None)
    n = len(texts)
    dtype = getattr(torch, spec.store_dtype)
    width = handle.hidden_size
    out: dict[str, torch.Tensor] = {
        name: torch.empty((n, width), dtype=dtype) for name in spec.state_names()
    }
    out["n_tokens"] = torch.tensor([len(row) for row in ids], dtype=torch.long)
    out["content_tokens"] = torch.tensor([len(row) for row in content], dtype=torch.long)
    recorded = set(spec.layers)
    if text_metrics:
        recorded.add(handle.n_layers)
        out["nll_bits"] = torch.zeros(n, dtype=torch.float64)
        out["scored_tokens"] = torch.zeros(n, dtype=torch.long)
        covered = scored_text(tok, texts, ids, content)
        out["scored_bytes"] = torch.tensor([b for b, _ in covered], dtype=torch.long)
        out["scored_chars"] = torch.tensor([c for _, c in covered], dtype=torch.long)
    unembed = (
        Unembed(handle, dtype=spec.head_dtype, chunk=spec.head_chunk) if text_metrics else None
    )
    sink = _ShardSink(spec, sorted(recorded), handle.tokenizer.bos_token_id, unembed)
    options = ForwardOptions(
        batch_size=spec.batch_size,
        max_batch_tokens=spec.max_batch_tokens,
        padding_side="right",
        desc="rank",
    )
    for batch, (pooled, bits) in iter_sink(handle, texts, sink, options=options, token_ids=ids):
        rows = torch.tensor(batch.indices)
        for name, value in pooled.items():
            out[name][rows] = value.to(device="cpu", dtype=dtype)
        if bits is not None:
            out["nll_bits"][rows] = bits[0].cpu()
            out["scored_tokens"][rows] = bits[1].cpu()
    return out


_BatchOut = tuple[dict[str, torch.Tensor], tuple[torch.Tensor, torch.Tensor] | None]


class _ShardSink:
    """The sink of :func:`forward_texts` (the ranking's, SIB-200's, steering's fits): pools
    each of ``spec.layers`` with every pooling; with an ``unembed``, scores every next token
    from the deepest of ``layers`` (the last block), whose full output is kept only until the
    end of the batch."""

    def __init__(
        self, spec: ForwardSpec, layers: list[int], bos_id: int | None, unembed: Unembed | None
    ) -> None:
        self.spec, self.layers, self.bos_id, self.unembed = spec, layers, bos_id, unembed
        self.wanted = set(spec.layers)
        self._batch: ForwardBatch | None = None
        self._skip: torch.Tensor | None = None
        self._pooled: dict[str, torch.Tensor] = {}
        self._full: torch.Tensor | None = None

    def on_batch_start(self, batch: ForwardBatch) -> None:
        self._batch, self._pooled, self._full = batch, {}, None
        self._skip = batch.first_is(self.bos_id) if self.spec.skip_bos else None

    def __call__(self, layer: int, hidden: torch.Tensor) -> None:
        assert self._batch is not None, "on_batch_start was not called"
        if self.unembed is not None and layer == self.layers[-1]:
            self._full = hidden.detach()
        if layer not in self.wanted:
            return
        mask = self._batch.attention_mask
        for pooling in self.spec.poolings:
            skip = self._skip if pooling in ("mean", "weighted_mean") else None
            pooled = pool(hidden.detach(), mask, pooling, skip_first=skip)
            self._pooled[state_name(pooling, layer)] = pooled.float()

    def on_batch_end(self, batch: ForwardBatch) -> _BatchOut:
        bits = None
        if self.unembed is not None:
            assert self._full is not None
            bits = next_token_bits(self.unembed, self._full, batch.input_ids, batch.attention_mask)
        pooled, self._pooled, self._full = self._pooled, {}, None
        return pooled, bits
