"""Read a filled store back: whole groups, concatenated over their shards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from babelscope.capture.store import ActivationStore
    from babelscope.collect.groups import Group


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
