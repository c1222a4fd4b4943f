"""The SIB-200 layout both backends share: the columns of a row and the order of the splits.

Below :mod:`~babelscope.data.sib` (the dataset and its file backend) and
:mod:`~babelscope.data.hub` (the hub backend, which the dataset imports on use), so the hub
backend needs nothing of the dataset's module.
"""

from __future__ import annotations

from collections.abc import Iterable

COLUMNS = ("index_id", "category", "text")
SPLIT_ORDER = ("train", "dev", "test")


def order_splits(names: Iterable[str]) -> list[str]:
    """``train, dev, test`` first (in that order), then any others alphabetically."""
    unique = set(names)
    return [s for s in SPLIT_ORDER if s in unique] + sorted(unique - set(SPLIT_ORDER))
