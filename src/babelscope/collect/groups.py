"""What the activation store keys shards by: a *group* of texts.

A group is a language code, or ``<code>@latn`` for that language's romanised sentences (the
ranking's script barrier), or a SIB split with its cap (``fra_Latn@sib-train-n16s0``). Each
group's texts are cut into fixed chunks of ``shard_size``; the chunking depends only on the
text count, so a resumed run asks for exactly the shards an uninterrupted one would.
"""

from __future__ import annotations

from dataclasses import dataclass


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
