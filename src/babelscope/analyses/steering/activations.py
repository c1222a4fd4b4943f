"""What the steering methods read from the model, all through the one forward engine.

- **Pooled residual states** (DiffMean, G-ACT): per sentence and layer, the mean over the
  sentence's tokens with a leading BOS skipped (its attention-sink activations would swamp the
  mean), computed by the shared forward (:mod:`babelscope.collect`) into an
  :class:`ActivationStore` — the same shards, checksums and resume logic as ``babelscope
  rank``. Every layer 0..n_layers is stored, so a later fit on other layers of the same
  sentences reads the store instead of recomputing.
- **MLP activation statistics** (LAPE): per language and MLP neuron (a unit of the down
  projection's input, where :class:`~babelscope.capture.editors.ScaleNeurons` acts), the share
  of tokens where its activation is > 0 — for gated MLPs the gate's ``act(gate(x))`` alone, as
  Tang et al. count it, else the down projection's input — and the mean of the down
  projection's input (the value the LAPE editor moves it to), from an
  :class:`~babelscope.capture.engine.MlpSink` on the engine. Counted over real tokens with a
  leading BOS skipped (the BOS is the same token in every language and would pull every
  language's probabilities together). These are small sums, kept in one safetensors file per
  (model, texts) beside the store (:func:`cached_mlp_statistics`), not in store shards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from babelscope.capture.engine import ForwardBatch, ForwardOptions, iter_sink
from babelscope.capture.pooling import Pooling
from babelscope.capture.store import texts_digest

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle

STEER_STORES = "steer-stores"
POOLING: Pooling = "mean"
POOLING_NOTE = "per sentence: mean over its tokens (leading BOS skipped); then mean over sentences"
SHARD_SIZE = 64


def data_digest(texts: Mapping[str, Sequence[str]]) -> str:
    """sha256 over the languages (sorted) and their sentences: what a steerer was fitted on."""
    digest = hashlib.sha256()
    for lang in sorted(texts):
        digest.update(f"{lang}\n{texts_digest(list(texts[lang]))}\n".encode())
    return digest.hexdigest()


@dataclass
class PooledStates:
    """``states[lang]`` is ``[len(layers), N, D]`` float32 (sentence i = line i of the texts)."""

    layers: list[int]
    states: dict[str, torch.Tensor]
    store: dict[str, Any]


def pooled_states(
    handle: ModelHandle,
    texts: Mapping[str, Sequence[str]],
    layers: Sequence[int],
    *,
    store_dir: Path | None = None,
    progress: bool = False,
) -> PooledStates:
    """Mean-pooled residual states of every language at ``layers``, through the store."""
    from babelscope.capture.store import ActivationStore
    from babelscope.collect.fill import fill_store
    from babelscope.collect.groups import Group
    from babelscope.collect.identity import store_identity
    from babelscope.collect.reader import StoreReader
    from babelscope.collect.spec import ForwardSpec, state_name
    from babelscope.paths import cache_subdir

    spec = ForwardSpec(layers=tuple(range(handle.n_layers + 1)), poolings=(POOLING,))
    parent = store_dir if store_dir is not None else cache_subdir(STEER_STORES)
    store = ActivationStore.open(parent, store_identity(handle, spec))
    groups = [Group(lang, lang, tuple(lines), False) for lang, lines in texts.items()]
    fill_store(handle, store, groups, spec, shard_size=SHARD_SIZE, progress=progress)
    reader = StoreReader(store, groups, SHARD_SIZE)
    states = {
        lang: torch.stack([reader.get(lang, state_name(POOLING, k)).float() for k in layers])
        for lang in texts
    }
    return PooledStates(list(layers), states, store.manifest())


@dataclass
class MlpStats:
    """Per language: ``prob[lang]`` and ``mean[lang]`` are ``[n_layers, I]`` (row k-1 = block
    k's MLP): share of tokens with activation > 0, and the mean activation; ``tokens[lang]``
    tokens counted."""

    prob: dict[str, torch.Tensor]
    mean: dict[str, torch.Tensor]
    tokens: dict[str, int]
    gated: bool  # prob counts act(gate) > 0 (gated MLP), not the down projection's input

    @property
    def measured(self) -> str:
        return "act(gate) > 0" if self.gated else "down-projection input > 0"


class _MlpCountSink:
    """Sums ``acts > 0`` and ``acts`` over real tokens for every MLP layer (no residual)."""

    def __init__(self, n_layers: int, bos_id: int | None) -> None:
        self.layers: list[int] = []
        self.mlp_layers = list(range(1, n_layers + 1))
        self.bos_id = bos_id
        self.active: dict[int, torch.Tensor] = {}
        self.total: dict[int, torch.Tensor] = {}
        self.tokens = 0
        self.gated = False
        self._keep: torch.Tensor | None = None

    def on_batch_start(self, batch: ForwardBatch) -> None:
        keep = batch.attention_mask.bool().clone()
        starts_bos = batch.first_is(self.bos_id)
        if starts_bos is not None:
            first = torch.where(keep, torch.arange(keep.shape[1], device=keep.device), 1 << 30)
            rows = torch.arange(keep.shape[0], device=keep.device)
            drop = starts_bos & (keep.sum(-1) > 1)
            keep[rows[drop], first.amin(-1)[drop]] = False
        self._keep = keep
        self.tokens += int(keep.sum())

    def __call__(self, layer: int, hidden: torch.Tensor) -> None:  # no residual layers
        return None

    def on_mlp(self, layer: int, acts: torch.Tensor, gate: torch.Tensor | None) -> None:
        assert self._keep is not None, "on_batch_start was not called"
        real = acts.detach().float()[self._keep]  # [tokens, I]
        fired = real if gate is None else gate.detach()[self._keep]
        self.gated = self.gated or gate is not None
        active = (fired > 0).sum(0).double()
        total = real.double().sum(0)
        if layer in self.active:
            self.active[layer] += active.cpu()
            self.total[layer] += total.cpu()
        else:
            self.active[layer], self.total[layer] = active.cpu(), total.cpu()

    def on_batch_end(self, batch: ForwardBatch) -> None:
        self._keep = None


def mlp_statistics(
    handle: ModelHandle,
    texts: Mapping[str, Sequence[str]],
    *,
    batch_size: int = 16,
    progress: bool = False,
) -> MlpStats:
    """Activation probability and mean activation of every MLP neuron, per language."""
    prob: dict[str, torch.Tensor] = {}
    mean: dict[str, torch.Tensor] = {}
    tokens: dict[str, int] = {}
    gated = False
    options = ForwardOptions(batch_size=batch_size, progress=progress, desc="lape")
    for lang, lines in texts.items():
        sink = _MlpCountSink(handle.n_layers, handle.tokenizer.bos_token_id)
        for _ in iter_sink(handle, list(lines), sink, options=options):
            pass
        count = max(sink.tokens, 1)
        prob[lang] = torch.stack([sink.active[k] for k in sink.mlp_layers]).float() / count
        mean[lang] = torch.stack([sink.total[k] for k in sink.mlp_layers]).float() / count
        tokens[lang] = sink.tokens
        gated = gated or sink.gated
    return MlpStats(prob, mean, tokens, gated)


def cached_mlp_statistics(
    handle: ModelHandle,
    texts: Mapping[str, Sequence[str]],
    *,
    store_dir: Path | None = None,
    batch_size: int = 16,
    progress: bool = False,
) -> MlpStats:
    """:func:`mlp_statistics`, kept in one safetensors file per (model, settings, texts) under
    ``store_dir`` (default: the cache), so fitting LAPE for ten targets on the same sentences
    runs the model once. The key covers everything that changes the numbers."""
    import json

    from safetensors.torch import load_file, save

    from babelscope.atomic import atomic_write_bytes
    from babelscope.models.hashing import model_digest
    from babelscope.paths import cache_subdir

    key = {
        "model_sha256": model_digest(handle),
        "tokenizer_sha256": handle.tokenizer_hash,
        "dtype": str(handle.dtype),
        "device": handle.device.type,
        "torch": torch.__version__,
        "batch_size": batch_size,
        "skip_bos": True,
        "counted": "act(gate) for gated MLPs",  # changed from the down input: new cache key
        "data_sha256": data_digest(texts),
        "languages": list(texts),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    parent = store_dir if store_dir is not None else cache_subdir(STEER_STORES)
    path = Path(parent).expanduser() / f"lape-{digest[:16]}.safetensors"
    if path.is_file():
        data = load_file(str(path))
        return MlpStats(
            {g: data[f"prob.{g}"] for g in texts},
            {g: data[f"mean.{g}"] for g in texts},
            {g: int(data[f"tokens.{g}"]) for g in texts},
            bool(data["gated"]),
        )
    stats = mlp_statistics(handle, texts, batch_size=batch_size, progress=progress)
    tensors: dict[str, torch.Tensor] = {"gated": torch.tensor(stats.gated)}
    for g in texts:
        tensors[f"prob.{g}"] = stats.prob[g].contiguous()
        tensors[f"mean.{g}"] = stats.mean[g].contiguous()
        tensors[f"tokens.{g}"] = torch.tensor(stats.tokens[g])
    atomic_write_bytes(path, save(tensors))
    return stats
