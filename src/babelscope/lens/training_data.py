"""Language-balanced training text for a tuned lens, and the held-out split it must never see.

The tuned-lens maintainers warn that a lens trained on English-heavy text should not be used to
study other languages (tuned-lens issue #136). So sentences are drawn round-robin over the chosen
languages: every language contributes one sentence before any contributes a second.

FLORES is parallel, so a held-out *sentence id* is held out in every language at once: a lens
never sees any translation of an evaluation sentence. Sentence ``i`` is held out when
``i % holdout_every == 0``; evaluation on the same split reads only those ids.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class HeldOut:
    """Which sentence ids of the training split are reserved for evaluation."""

    every: int = 5

    def is_held_out(self, sentence_id: int) -> bool:
        return self.every > 0 and sentence_id % self.every == 0

    def train_ids(self, n: int) -> list[int]:
        return [i for i in range(n) if not self.is_held_out(i)]

    def eval_ids(self, n: int) -> list[int]:
        return [i for i in range(n) if self.is_held_out(i)]


def round_robin(
    texts: Mapping[str, Sequence[str]], ids: Sequence[int], *, seed: int
) -> Iterator[tuple[str, int, str]]:
    """``(language, sentence id, text)`` cycling over languages, each language's ids in its own
    seeded order, until every language is exhausted. Deterministic for a given seed, so a
    resumed training run can skip exactly the sentences it has already used."""
    orders: dict[str, list[int]] = {}
    for k, lang in enumerate(texts):
        order = list(ids)
        random.Random(f"{seed}:{k}:{lang}").shuffle(order)
        orders[lang] = order
    for step in range(len(ids)):
        for lang, order in orders.items():
            sentence_id = order[step]
            text = texts[lang][sentence_id]
            if text.strip():
                yield lang, sentence_id, text
