"""Fill the activation store, shard by shard, and read states back for the analyses.

A *group* is what the store keys shards by: a language code, or ``<code>@latn`` for that
language's romanised sentences (script barrier). Each group's sentences are cut into fixed
chunks of ``shard_size``; the chunking depends only on the sentence count, so a resumed run
asks for exactly the shards an uninterrupted one would.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from babelscope.analyses.ranking.forward import TEXT_TENSORS, ForwardSpec, forward_texts

if TYPE_CHECKING:
    from babelscope.capture.store import ActivationStore
    from babelscope.models.handle import ModelHandle


@dataclass(frozen=True)
class Group:
    """One language (or romanised variant) to run: its store name, language and texts."""

    name: str
    language: str
    texts: tuple[str, ...]
    text_metrics: bool

    def chunks(self, size: int) -> list[tuple[int, tuple[str, ...]]]:
        """``(shard index, texts)`` for consecutive chunks of ``size`` sentences."""
        return [(i // size, self.texts[i : i + size]) for i in range(0, len(self.texts), size)]


class Progress:
    """Languages done / remaining and an ETA, on a tqdm bar (stderr), or silent."""

    def __init__(self, groups: Sequence[Group], *, enabled: bool, unit_total: int) -> None:
        self.languages = list(dict.fromkeys(g.language for g in groups))
        self.done: set[str] = set()
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=unit_total,
                unit="sent",
                desc="rank",
                file=sys.stderr,
                dynamic_ncols=True,
                smoothing=0.05,
            )

    def start(self, group: Group) -> None:
        if self.bar is not None:
            left = len(self.languages) - len(self.done)
            self.bar.set_postfix_str(
                f"languages {len(self.done)}/{len(self.languages)} done, {left} left: {group.name}"
            )

    def advance(self, rows: int, *, cached: bool) -> None:
        if self.bar is None:
            return
        if cached:  # cached work must not speed up the ETA: count it as already there
            self.bar.total = max(0, self.bar.total - rows)
            self.bar.refresh()
        else:
            self.bar.update(rows)

    def finish_language(self, language: str) -> None:
        self.done.add(language)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"languages {len(self.done)}/{len(self.languages)} done")
            self.bar.close()


def fill_store(
    handle: ModelHandle,
    store: ActivationStore,
    groups: Sequence[Group],
    spec: ForwardSpec,
    *,
    shard_size: int,
    progress: bool = True,
    on_shard: Callable[[str, int], None] | None = None,
) -> dict[str, float]:
    """Compute every missing shard of every group (verifying the ones already there).

    Returns timings: seconds spent computing, sentences and tokens computed."""
    total = sum(len(g.texts) for g in groups)
    bar = Progress(groups, enabled=progress, unit_total=total)
    stats = {"compute_seconds": 0.0, "sentences": 0.0, "tokens": 0.0}
    remaining = {g.language: 0 for g in groups}
    for g in groups:
        remaining[g.language] += 1
    try:
        with store.writing():
            store.clean_temporary()
            for group in groups:
                bar.start(group)
                required = [*spec.state_names(), *(TEXT_TENSORS if group.text_metrics else ())]
                for index, texts in group.chunks(shard_size):
                    before = len(store.computed)
                    started = time.perf_counter()
                    tensors = store.get_or_compute(
                        group.name,
                        index,
                        texts,
                        lambda t=texts, g=group: forward_texts(  # type: ignore[misc]
                            handle, t, spec, text_metrics=g.text_metrics
                        ),
                        required=required,
                    )
                    fresh = len(store.computed) > before
                    if fresh:
                        stats["compute_seconds"] += time.perf_counter() - started
                        stats["sentences"] += len(texts)
                        stats["tokens"] += float(tensors["n_tokens"].sum())
                    bar.advance(len(texts), cached=not fresh)
                    if on_shard is not None:
                        on_shard(group.name, index)
                remaining[group.language] -= 1
                if remaining[group.language] == 0:
                    bar.finish_language(group.language)
    finally:
        bar.close()
    return stats


class StoreReader:
    """States of whole groups, concatenated over their shards, one tensor name at a time."""

    def __init__(self, store: ActivationStore, groups: Sequence[Group], shard_size: int) -> None:
        self.store = store
        self.groups = {g.name: g for g in groups}
        self.shard_size = shard_size

    def get(self, group: str, name: str) -> torch.Tensor:
        """``[N, …]`` rows of ``name`` for all of ``group``'s sentences, in sentence order."""
        parts = [
            self.store.load_tensor(group, index, name)
            for index, _ in self.groups[group].chunks(self.shard_size)
        ]
        return torch.cat(parts) if len(parts) > 1 else parts[0]

    def has(self, group: str) -> bool:
        return group in self.groups
