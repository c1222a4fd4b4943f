"""Pooled SIB-200 states per layer through the activation store and the shared forward pass.

The same :func:`~babelscope.collect.fill.fill_store` / ``forward_texts`` pair that
``rank`` uses computes them (one forward path), with text metrics off. The store identity adds
``"dataset": "sib200"``, so a SIB store and a ranking store never share a folder, and each
shard also records the sha256 of its texts. Group names carry the split and the training cap
(``fra_Latn@sib-train-n16s0``), so runs with different caps keep their shards side by side and
a re-run with the same sentences reads them instead of recomputing (cross-run reuse).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from babelscope.analyses.sib.protocols import stratified_cap
from babelscope.capture.store import ActivationStore
from babelscope.collect.fill import fill_store
from babelscope.collect.groups import Group
from babelscope.collect.identity import store_identity
from babelscope.collect.reader import StoreReader
from babelscope.collect.spec import ForwardSpec, state_name

if TYPE_CHECKING:
    from babelscope.analyses.sib.settings import SibSettings
    from babelscope.data.sib import Sib200Dataset
    from babelscope.models.handle import ModelHandle


@dataclass(frozen=True)
class SplitRows:
    """The rows of one language's split that a run uses: texts, labels, SIB row numbers."""

    group: str
    texts: tuple[str, ...]
    labels: np.ndarray  # [n] str
    rows: np.ndarray  # [n] int, row numbers in the split file


def group_name(code: str, split: str, cap: int | None, seed: int, first: int | None) -> str:
    suffix = "" if cap is None else f"-n{cap}s{seed}"
    suffix += "" if first is None else f"-first{first}"
    return f"{code}@sib-{split}{suffix}"


def split_rows(
    dataset: Sib200Dataset,
    code: str,
    split: str,
    cap: int | None,
    *,
    seed: int,
    first: int | None = None,
) -> SplitRows:
    """``split`` of ``code`` with at most ``cap`` rows per label (stratified on the labels,
    which are the same in every language, so every language keeps the same rows), or its
    ``first`` rows."""
    frame = dataset.split(code, split)
    labels = frame["category"].astype(str).to_numpy()
    keep = stratified_cap(list(labels), cap, seed)
    if first is not None:
        keep = keep[:first]
    texts = tuple(frame["text"].astype(str).to_numpy()[keep].tolist())
    return SplitRows(group_name(code, split, cap, seed, first), texts, labels[keep], keep)


class SibStates:
    """Train and evaluation rows of every run language, and their pooled states by layer."""

    def __init__(
        self,
        dataset: Sib200Dataset,
        languages: Sequence[str],
        settings: SibSettings,
    ) -> None:
        self.settings = settings
        s = settings
        self.train = {
            c: split_rows(dataset, c, s.train_split, s.train_per_label, seed=s.seed)
            for c in languages
        }
        self.eval = {
            c: split_rows(dataset, c, s.split, None, seed=s.seed, first=s.eval_sentences)
            for c in languages
        }
        self.reader: StoreReader | None = None

    def groups(self) -> list[Group]:
        out = []
        for code in self.train:
            for rows in (self.train[code], self.eval[code]):
                out.append(Group(rows.group, code, rows.texts, False))
        return out

    def spec(self, n_layers: int) -> ForwardSpec:
        s = self.settings
        layers = tuple(range(n_layers + 1)) if s.layers is None else tuple(s.layers)
        return ForwardSpec(
            layers=layers,
            poolings=(s.pooling,),
            batch_size=s.batch_size,
            max_batch_tokens=s.max_batch_tokens,
        )

    def fill(
        self,
        handle: ModelHandle,
        store_dir: str | Path,
        *,
        progress: bool,
        on_shard: Callable[[str, int], None] | None = None,
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """Compute the missing shards; return timings and the store's manifest entry."""
        spec = self.spec(handle.n_layers)
        identity = {**store_identity(handle, spec), "dataset": "sib200"}
        store = ActivationStore.open(Path(store_dir), identity)
        groups = self.groups()
        timings = fill_store(
            handle,
            store,
            groups,
            spec,
            shard_size=self.settings.shard_size,
            progress=progress,
            on_shard=on_shard,
        )
        timings["computed_shards"] = float(len(store.computed))
        self.reader = StoreReader(store, groups, self.settings.shard_size)
        return timings, store.manifest()

    def states(self, rows: SplitRows, layer: int) -> np.ndarray:
        """``[n, D]`` float64 pooled states of ``rows`` at ``layer``."""
        assert self.reader is not None, "call fill() first"
        tensor = self.reader.get(rows.group, state_name(self.settings.pooling, layer))
        return tensor.double().numpy()
