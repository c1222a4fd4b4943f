"""A shard worker: one model loaded once, shards computed on request, files written to the
shared store folder (listing them is the driver's job: :meth:`ActivationStore.adopt`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babelscope.analyses.ranking.settings import RankSettings
    from babelscope.collect.groups import Group
    from babelscope.models.handle import ModelHandle


@dataclass(frozen=True)
class ShardTask:
    """One store shard to compute: ``texts`` are the sentences of ``group``'s chunk ``index``."""

    group: str
    index: int
    texts: tuple[str, ...]
    text_metrics: bool


def plan_shards(groups: Sequence[Group], shard_size: int) -> list[ShardTask]:
    """Every shard of ``groups``, in the order :func:`fill_store` would compute them (the same
    chunking, so the driver's run later finds exactly these shards)."""
    return [
        ShardTask(group.name, index, texts, group.text_metrics)
        for group in groups
        for index, texts in group.chunks(shard_size)
    ]


class ShardWorker:
    """Computes shards of one model's ranking store.

    ``prepare`` turns the loaded model into the run's :class:`RankSettings` (its layers and
    device-sized batches), exactly as the rank command does, so that the store identity —
    and with it the folder under ``store_dir`` — is the one the command will read."""

    def __init__(
        self,
        model: str,
        *,
        store_dir: str,
        prepare: Callable[[ModelHandle], RankSettings],
        dtype: str = "float32",
        device: str = "cpu",
        trust_remote_code: bool = False,
    ) -> None:
        from babelscope.capture.store import ActivationStore
        from babelscope.collect.identity import store_identity
        from babelscope.models.loader import load_model

        self.handle = load_model(
            model,
            dtype=dtype,
            device=device,
            trust_remote_code=trust_remote_code,
            progress=False,
        )
        self.settings = prepare(self.handle)
        self.spec = self.settings.forward_spec(self.handle.n_layers)
        self.store = ActivationStore.open(Path(store_dir), store_identity(self.handle, self.spec))

    def describe(self) -> dict[str, Any]:
        """The store identity (the driver checks every worker has the same one), the tensors
        every shard holds, and the batch sizes actually used."""
        return {
            "digest": self.store.digest,
            "identity": self.store.identity,
            "states": self.spec.state_names(),
            "batch_size": self.spec.batch_size,
            "max_batch_tokens": self.spec.max_batch_tokens,
            "head_chunk": self.spec.head_chunk,
        }

    def compute(self, task: ShardTask) -> dict[str, Any]:
        """Compute ``task``'s shard, write its file atomically, return its manifest entry.

        A shard this worker's store already lists and verifies is returned as it is."""
        from babelscope.capture.store import CorruptShardError
        from babelscope.collect.forward import forward_texts
        from babelscope.collect.spec import TEXT_TENSORS

        required = [*self.spec.state_names(), *(TEXT_TENSORS if task.text_metrics else ())]
        entry = self.store.entry(task.group, task.index)
        if entry is not None and self.store.is_done(task.group, task.index, task.texts, required):
            try:
                self.store.read(task.group, task.index, task.texts)
                return entry.to_json()
            except CorruptShardError:
                pass
        tensors = forward_texts(self.handle, task.texts, self.spec, text_metrics=task.text_metrics)
        return self.store.write_file(task.group, task.index, task.texts, tensors).to_json()
