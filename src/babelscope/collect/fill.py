"""Fill the activation store shard by shard through :func:`~.forward.forward_texts`.

Shards already in the store are verified and read, not recomputed (a resumed run reproduces an
uninterrupted one bit for bit); only missing shards run the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from babelscope.collect.forward import forward_texts
from babelscope.collect.progress import Progress
from babelscope.collect.spec import TEXT_TENSORS, ForwardSpec

if TYPE_CHECKING:
    from babelscope.capture.store import ActivationStore
    from babelscope.collect.groups import Group
    from babelscope.models.handle import ModelHandle


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
